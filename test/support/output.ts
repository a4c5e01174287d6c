/** The lines of engine output that are warnings (the engine's `warning:` lines and diagnostics' `warning`). */
export function warningLines(output: string): string[] {
  return output.split("\n").filter((line) => /\bwarn(ing)?\b/i.test(line));
}
