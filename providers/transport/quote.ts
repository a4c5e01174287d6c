/**
 * The one place where values become shell words. Every command that reaches a
 * node goes through `commandLine`, so no caller ever builds a shell string by
 * hand (STYLE.md habit 7).
 */

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument for a POSIX shell; plain words stay readable in logs. */
export function quote(arg: string): string {
  if (arg.length > 0 && SAFE_WORD.test(arg)) {
    return arg;
  }
  // Inside single quotes nothing is special except the quote itself, which is
  // closed, escaped and reopened.
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins an argv array into one command line for `ssh exec`. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) {
    throw new Error("commandLine needs at least the program name");
  }
  return argv.map(quote).join(" ");
}
