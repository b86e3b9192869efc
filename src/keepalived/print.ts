/**
 * Printing statements back as keepalived.conf text: one statement per line, blocks indented, values quoted where
 * keepalived would otherwise split or drop them. `parseKeepalivedConf(printKeepalivedConf(s))` gives back `s`
 * (keywords, values and blocks); values keepalived cannot express are refused rather than printed wrong.
 */

/** The parts of a statement that printing keeps. */
export interface KeepalivedStatementText {
  /** First word. */
  keyword: string;
  /** Values after it. */
  args: readonly string[];
  /** Block statements, if the statement has a block. */
  block?: readonly KeepalivedStatementText[];
}

/** A word as keepalived reads it back: bare when safe, else in double quotes. Throws for what cannot be written. */
function word(value: string, first: boolean): string {
  // keepalived's first reading has no escapes: a double quote or a line break cannot be written inside a value,
  // and a trailing backslash would escape the closing quote. `${` and `$_` would be substituted.
  if (/["\n\r]/.test(value) || value.endsWith('\\') || /\$(\{|_[A-Za-z])/.test(value)) {
    throw new Error(`cannot write ${JSON.stringify(value)} in keepalived.conf`);
  }
  const special = value === '' || /[\s{}#!"\\]/.test(value) || (first && (/^[@$~]/.test(value) || /^include[rmwba]?$/.test(value)));
  return special ? `"${value}"` : value;
}

/** Prints statements as keepalived.conf text (two-space indent, `\n` line ends). */
export function printKeepalivedConf(statements: readonly KeepalivedStatementText[], indent = ''): string {
  let text = '';
  for (const statement of statements) {
    const line = [word(statement.keyword, true), ...statement.args.map((arg) => word(arg, false))].join(' ');
    if (statement.block === undefined) {
      text += `${indent}${line}\n`;
      continue;
    }
    text += `${indent}${line} {\n${printKeepalivedConf(statement.block, `${indent}  `)}${indent}}\n`;
  }
  return text;
}
