import * as pulumi from "@pulumi/pulumi";

/**
 * Makes every resource record only its source position, not the whole call stack, in the state.
 *
 * The SDK stores with each resource the JavaScript stack of its registration, every frame down to the
 * program's entry (about 700 bytes a resource here, 8.5 KB a node). The file backend rewrites the whole state
 * at each step, so that weight is paid once per step and per resource. The first frame, the resource's
 * position in the program, stays: it is what error messages and tools point at. Without the SDK's
 * (private) `Resource.stackTrace` nothing is changed.
 */
export function keepSourcePositionsOnly(): void {
  const original: unknown = Reflect.get(pulumi.Resource, "stackTrace");
  if (typeof original !== "function") {
    return;
  }
  Object.defineProperty(pulumi.Resource, "stackTrace", {
    configurable: true,
    writable: true,
    value: (skip: number): unknown[] => {
      const frames: unknown = original.call(pulumi.Resource, skip);
      return Array.isArray(frames) ? frames.slice(0, 1) : [];
    },
  });
}
