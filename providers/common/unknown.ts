/** The engine's placeholder for a value not known yet (preview); @pulumi/pulumi's `runtime.unknownValue`. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a provider input is fully known: no {@link UNKNOWN} anywhere inside it. */
export function isKnown(value: unknown): boolean {
  if (value === UNKNOWN) {
    return false;
  }
  if (typeof value === "object" && value !== null) {
    return Object.values(value).every(isKnown);
  }
  return true;
}
