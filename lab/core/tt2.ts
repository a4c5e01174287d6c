/**
 * The one Template Toolkit check the ngcpcfg stand-in makes (pure): an opening `[%` without its closing
 * `%]`. Real `ngcpcfg build` renders every template with Template Toolkit, which rejects such a file with
 * "parse error … unexpected end of input"; tests use it to make an apply fail on purpose.
 */

export interface TemplateError {
  /** 1-based line of the unterminated tag. */
  readonly line: number;
  readonly message: string;
}

export function findUnterminatedTag(path: string, text: string): TemplateError | undefined {
  let pos = 0;
  for (;;) {
    const open = text.indexOf("[%", pos);
    if (open < 0) {
      return undefined;
    }
    const close = text.indexOf("%]", open + 2);
    if (close < 0) {
      const line = text.slice(0, open).split("\n").length;
      return { line, message: `file error - parse error - ${path} line ${line}: unexpected end of input` };
    }
    pos = close + 2;
  }
}
