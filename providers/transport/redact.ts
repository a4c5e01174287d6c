/** Replaces every occurrence of every secret in `text`, longest first so that a
 * secret containing another is not left half-visible. Empty and one-character
 * secrets are ignored: redacting them would mangle every message. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  const words = secrets
    .filter((s): s is string => typeof s === "string" && s.length > 1)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of words) {
    out = out.split(secret).join("[secret]");
  }
  return out;
}
