/** The lines of engine output that are warnings (the engine's `warning:` lines and diagnostics' `warning`). */
export function warningLines(output: string): string[] {
  return output.split("\n").filter((line) => /\bwarn(ing)?\b/i.test(line));
}

/** The exports `ngcp-fleet env` prints (`export K='v'`, single-quoted), as an object. */
export function parseExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^export ([A-Z_]+)='(.*)'$/gm)) {
    env[m[1]] = m[2].replace(/'\\''/g, "'");
  }
  return env;
}
