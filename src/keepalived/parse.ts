/**
 * keepalived.conf syntax: a lexer and parser that turn the text of a keepalived configuration (and the files it
 * includes) into a tree of statements, each with the file, line and column it came from. No meaning is given to
 * keywords here; `keepalivedToConfig` (convert.ts) does that.
 *
 * Theory of operation. keepalived reads its configuration line by line (keepalived.conf(5), and its parser read for
 * facts only), and so does this lexer:
 *
 * 1. Comments start at `#` or `!` anywhere outside double quotes and run to the end of the line. So do `\#` and
 *    `\!` outside quotes, as keepalived 2.2.7's VRRP process reads them: its parent writes each line with comments
 *    and these backslashes removed to a copy, which the VRRP process reads and decomments again, so the `#` left
 *    there starts a comment (a note says so). A `#` or `!` that parameter substitution puts outside quotes starts
 *    one too: keepalived decomments a line again after substituting.
 * 2. A line starting with `@ID` is kept only when ID is the config id (`@^ID`: only when it is not); keepalived's
 *    config id defaults to the host name, so the Node loader passes that and the pure parser takes `configId`.
 * 3. `$NAME=VALUE` defines a parameter (a value ending in `\` continues on the next lines, up to an empty line); no
 *    blank before the `=`: keepalived 2.2.7 reads `$NAME = VALUE` as an ordinary line (a note says so);
 *    `${NAME}` anywhere and `$NAME` before whitespace, `,`, `)` or the line end are replaced, recursively; undefined
 *    names (and a definition given parameters, `${NAME 1}`) stay as they are.
 *    Built in: `${_PWD}`, `${_HASH}`, `${_BANG}`, `${_INSTANCE}`, `${_ENV NAME}`. `~SEQ` / `~LST` are refused.
 * 4. `include FILE` (and `includer`, `includem`, `includew`, `includeb`, `includea`) at the start of a line splices
 *    the included files' lines in place, wherever the line is — even inside a block, as keepalived does. A relative
 *    FILE is relative to the including file's directory; glob expansion is the caller's (`options.include`).
 * 5. Words are separated by whitespace; `"…"` is one word without its quotes (no escapes: keepalived's first reading
 *    keeps backslashes as they are); `{` and `}` outside quotes always stand alone.
 * 6. A statement is a keyword and its values up to the end of the line, a `{` or a `}`. A `{` (on the same line or
 *    a later one) opens the block of the statement before it; its `}` may be followed by more statements.
 *
 * Keywords whose value is a command (`script`, `notify*`) are read a second time by keepalived with shell-like
 * quoting; each statement therefore keeps its arguments' source text (`argsText`), and `splitKeepalivedWords`
 * implements that reading.
 */
import { VrrpError } from '../errors.js';
import { readEscape } from '../trackers/command-line.js';

/** Where something is in a configuration file: 1-based line and column. */
export interface KeepalivedPosition {
  /** File name as given to the parser or returned by the include reader. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** 1-based column (in the line after parameter substitution, for substituted lines). */
  column: number;
}

/** One statement: `keyword arg arg … [{ block }]`. */
export interface KeepalivedStatement {
  /** The first word, e.g. `vrrp_instance`, `priority`, or an address inside `virtual_ipaddress { }`. */
  keyword: string;
  /** The words after the keyword, with double quotes removed. */
  args: string[];
  /** Where the keyword starts. */
  position: KeepalivedPosition;
  /** Where each argument starts (same length as `args`). */
  argPositions: KeepalivedPosition[];
  /** Source text of the arguments, comments removed, for keywords keepalived re-reads with script quoting. */
  argsText: string;
  /** The statements of the block that follows, if a `{` followed. */
  block?: KeepalivedStatement[];
  /** Where the block's `{` is. */
  blockPosition?: KeepalivedPosition;
}

/** A problem or a decision worth telling the user, located by `file:line`. */
export interface KeepalivedIssue {
  /** `file:line` of the statement concerned. */
  path: string;
  /** What happened, and why. */
  message: string;
}

/** A parsed configuration: the statements of the main file with the included files spliced in. */
export interface KeepalivedConf {
  /** Top-level statements. */
  statements: KeepalivedStatement[];
  /** Every file read, the main one first, in the order read. */
  files: string[];
  /** Lines the parser skipped or guessed about (conditional lines, includes that matched nothing). */
  notes: KeepalivedIssue[];
}

/**
 * What an include reader returns for one file: its text, or its name and text (better error positions), or its name
 * and why it is skipped unread (keepalived skips a file with an execute bit: `skipped: 'executable (mode 755)'`).
 */
export type KeepalivedIncludeResult = string | { file: string; text: string } | { file: string; skipped: string };

/** Options of {@link parseKeepalivedConf}. */
export interface KeepalivedParseOptions {
  /** Name of the main file, used in positions and to resolve relative includes (default `keepalived.conf`). */
  file?: string;
  /**
   * Reads the files an `include` names: given the path (made absolute against the including file's directory when
   * that is known), returns the text of each matching file, or why a matching file is skipped; glob expansion is the
   * reader's. An empty array means nothing matched. Without a reader, an `include` is a syntax error.
   */
  include?: (path: string) => KeepalivedIncludeResult | KeepalivedIncludeResult[];
  /** keepalived's config id (`-i`, default the host name) for `@ID` lines; without it, `@ID` lines are skipped. */
  configId?: string;
  /** Environment for `${_ENV NAME}`; without it, `${_ENV …}` is a syntax error. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A syntax error in a keepalived configuration: where it is and what was expected there. */
export class KeepalivedSyntaxError extends VrrpError {
  /** File of the error. */
  readonly file: string;
  /** 1-based line of the error. */
  readonly line: number;
  /** 1-based column of the error. */
  readonly column: number;
  /** The message without its position. */
  readonly reason: string;

  /** Creates the error; the message reads `file:line:column: reason`. */
  constructor(position: KeepalivedPosition, reason: string) {
    super('config_invalid', `${position.file}:${position.line}:${position.column}: ${reason}`);
    this.name = 'KeepalivedSyntaxError';
    this.file = position.file;
    this.line = position.line;
    this.column = position.column;
    this.reason = reason;
  }
}

/** `file:line` of a position, the form every issue uses. */
export function positionPath(position: KeepalivedPosition): string {
  return `${position.file}:${position.line}`;
}

type Token =
  | { kind: 'word'; value: string; position: KeepalivedPosition; start: number; end: number; lineText: string }
  | { kind: 'open'; position: KeepalivedPosition }
  | { kind: 'close'; position: KeepalivedPosition }
  | { kind: 'eof'; position: KeepalivedPosition }
  | { kind: 'eol' };

/** Which kinds of nothing-matched each include variant makes an error (see #include): M, W and B as keepalived names them. */
const INCLUDE_FATAL: Readonly<Record<string, string>> = { include: '', includer: '', includem: 'M', includew: 'MW', includeb: 'B', includea: 'MBW' };
/** Nesting deeper than this is a loop of includes or of parameters, not a configuration. */
const MAX_DEPTH = 32;
const SPACE = /[ \t\v\f\r]/;
// keepalived 2.2.7 (check_definition) ends the name at the first character that is not a letter, digit or '_', and
// that character must be the '=': `$NAME = VALUE` is no definition there, whatever its later blank-skipping suggests.
const DEFINITION = /^\$([A-Za-z_][A-Za-z0-9_]*)=[ \t]*/;
const BLANK_BEFORE_EQUALS = /^\$[A-Za-z_][A-Za-z0-9_]*[ \t]+=/;
const INCLUDE = /^(include[rmwba]?)[ \t]+(\S.*)$/;

/** Dirname of a slash-separated path, without importing `node:path` (this module stays pure). */
function dirname(path: string): string {
  const index = path.lastIndexOf('/');
  if (index < 0) return '.';
  return index === 0 ? '/' : path.slice(0, index);
}

/**
 * Splits a physical line at its comment; reports a trailing `\` (continuation), unterminated quotes, and a comment
 * that an escaped `\#` / `\!` outside quotes starts (`escaped`: that character).
 */
function stripComment(raw: string, position: (column: number) => KeepalivedPosition): { code: string; continued: boolean; escaped?: string } {
  let inQuote = false;
  let quoteAt = 0;
  let end = raw.length;
  let continued = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\') {
      if (i + 1 < raw.length) {
        const next = raw[i + 1] ?? '';
        // keepalived 2.2.7's parent turns an unquoted \# into # in the copy of the configuration that its VRRP process
        // reads and decomments again (lib/parser.c, read_line and decomment): there the # starts a comment.
        if (!inQuote && (next === '#' || next === '!')) {
          return { code: raw.slice(0, i).replace(/[ \t\v\f\r]+$/, ''), continued: false, escaped: next };
        }
        i++;
        continue;
      }
      continued = true;
      end = i;
      break;
    }
    if (c === '"') {
      inQuote = !inQuote;
      quoteAt = i;
      continue;
    }
    if (!inQuote && (c === '#' || c === '!')) {
      end = i;
      break;
    }
  }
  if (inQuote) throw new KeepalivedSyntaxError(position(quoteAt + 1), 'unterminated quoted string: expected a closing "');
  return { code: raw.slice(0, end).replace(/[ \t\v\f\r]+$/, ''), continued };
}

/**
 * keepalived's decomment() run again on a line after parameter substitution: a `#` or `!` outside double quotes
 * (one a parameter's value put there: `${_HASH}`, `${_BANG}`, `${_ENV …}`) starts a comment. A backslash keeps the
 * character after it, as in the first reading. `cut`: the character that started the comment, if one did.
 */
function decommentAgain(text: string): { text: string; cut?: string } {
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '"') inQuote = !inQuote;
    else if (!inQuote && (c === '#' || c === '!')) return { text: text.slice(0, i).replace(/[ \t\v\f\r]+$/, ''), cut: c };
  }
  return { text };
}

class Lexer {
  readonly tokens: Token[] = [];
  readonly files: string[] = [];
  readonly notes: KeepalivedIssue[] = [];
  readonly #options: KeepalivedParseOptions;
  readonly #definitions = new Map<string, string>();
  readonly #fileStack: string[] = [];

  constructor(options: KeepalivedParseOptions) {
    this.#options = options;
  }

  lexFile(text: string, file: string, depth: number): void {
    this.files.push(file);
    this.#fileStack.push(file);
    const lines = text.split(/\r\n|\n|\r/);
    let multiline: { name: string; lines: string[] } | undefined;
    for (let index = 0; index < lines.length; index++) {
      const raw = lines[index] ?? '';
      const line = index + 1;
      const at = (column: number): KeepalivedPosition => ({ file, line, column });
      if (multiline && raw.trim() === '') {
        // keepalived ends a multi-line definition at an empty line, not at a comment-only one.
        this.#definitions.set(multiline.name, multiline.lines.join('\n'));
        multiline = undefined;
        continue;
      }
      const { code, continued, escaped } = stripComment(raw, at);
      if (escaped !== undefined) {
        this.notes.push({
          path: positionPath(at(1)),
          message: `\\${escaped} outside double quotes starts a comment, as in keepalived 2.2.7: its VRRP process reads the line again from a copy in which the \\ is gone, so it reads "${code.trim()}"; to keep the ${escaped}, put the value in double quotes`,
        });
      }
      if (multiline) {
        const part = code.trim();
        if (part !== '') multiline.lines.push(part);
        if (!continued) {
          this.#definitions.set(multiline.name, multiline.lines.join('\n'));
          multiline = undefined;
        }
        continue;
      }
      multiline = this.#line(code, continued, at, depth, 0);
    }
    if (multiline) this.#definitions.set(multiline.name, multiline.lines.join('\n'));
    this.#fileStack.pop();
  }

  /** One logical line; returns a multi-line definition that the following lines continue. */
  #line(
    code: string,
    continued: boolean,
    at: (column: number) => KeepalivedPosition,
    depth: number,
    expansions: number,
  ): { name: string; lines: string[] } | undefined {
    let offset = code.length - code.trimStart().length;
    if (offset === code.length) {
      if (continued) throw new KeepalivedSyntaxError(at(code.length + 1), "a line ending in '\\' continues only a $NAME= definition");
      return undefined;
    }
    if (code[offset] === '@') {
      const match = /^@(\^?)([^ \t]*)[ \t]+/.exec(code.slice(offset));
      const id = match?.[2] ?? code.slice(offset + 1);
      const configId = this.#options.configId;
      const keep = match !== null && (configId !== undefined && id === configId) !== (match[1] === '^');
      if (!keep) {
        const why = configId === undefined ? 'no config id was given' : `the config id is "${configId}"`;
        this.notes.push({ path: positionPath(at(offset + 1)), message: `conditional line "${code.slice(offset).trim()}" skipped: ${why}` });
        return undefined;
      }
      if (configId === undefined) {
        this.notes.push({ path: positionPath(at(offset + 1)), message: `conditional line "${code.slice(offset).trim()}" kept: no config id was given` });
      }
      offset += match[0].length;
    }
    const rest = code.slice(offset);
    const definition = DEFINITION.exec(rest);
    if (definition) {
      const name = definition[1] ?? '';
      const value = rest.slice(definition[0].length);
      if (continued) return { name, lines: value.trim() === '' ? [] : [value.trim()] };
      this.#definitions.set(name, value);
      return undefined;
    }
    if (expansions === 0 && BLANK_BEFORE_EQUALS.test(rest)) {
      this.notes.push({
        path: positionPath(at(offset + 1)),
        message: `"${rest.trim()}" is not a definition: keepalived 2.2.7 reads one only as $NAME=VALUE, with no blank before the =, and reads this as an ordinary line`,
      });
    }
    if (rest.startsWith('~SEQ') || rest.startsWith('~LST')) {
      throw new KeepalivedSyntaxError(at(offset + 1), `${rest.slice(0, 4)} blocks are not supported: expand them into plain lines`);
    }
    if (rest.includes('$')) {
      const expanded = this.#substitute(rest, at(offset + 1));
      if (expanded !== rest) {
        if (expansions >= MAX_DEPTH) throw new KeepalivedSyntaxError(at(offset + 1), 'parameter substitution nests too deep (a definition that uses itself?)');
        let result: { name: string; lines: string[] } | undefined;
        const parts = expanded.split('\n');
        parts.forEach((part, index) => {
          // keepalived decomments a line again after substituting: a # or ! a value put outside quotes ends it.
          const { text: decommented, cut } = decommentAgain(part);
          // A line a value comments out whole (`$OFF=${_HASH}` … `$OFF vrrp_strict`) is the use keepalived's commit
          // adding ${_HASH} describes: nothing to say. Part of a line cut is what deserves a word.
          if (cut !== undefined && decommented.trim() !== '') {
            this.notes.push({
              path: positionPath(at(offset + 1)),
              message: `a ${cut} that parameter substitution put outside double quotes starts a comment, as in keepalived 2.2.7 (it reads a line again after substituting): read as "${decommented.trim()}"; to keep the ${cut}, put it in double quotes`,
            });
          }
          result = this.#line(decommented, continued && index === parts.length - 1, at, depth, expansions + 1);
        });
        return result;
      }
    }
    if (continued) throw new KeepalivedSyntaxError(at(code.length + 1), "a line ending in '\\' continues only a $NAME= definition");
    const include = INCLUDE.exec(rest);
    if (include) {
      this.#include(include[1] ?? 'include', (include[2] ?? '').trim(), at(offset + 1), depth);
      return undefined;
    }
    this.#words(code, offset, at);
    this.tokens.push({ kind: 'eol' });
    return undefined;
  }

  #substitute(text: string, position: KeepalivedPosition): string {
    let result = text;
    // Each replacement is rescanned from where it was made, so a value naming another parameter is replaced too.
    for (let replacements = 0, from = 0; ; replacements++) {
      if (replacements > 10_000) throw new KeepalivedSyntaxError(position, 'parameter substitution does not end (a definition that uses itself?)');
      // keepalived 2.2.7 ends an unbraced $NAME at a blank, ',' or ')' too, so `$A,$B` reads both.
      const pattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[ \t]+([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)(?=[ \t,)]|$)/g;
      pattern.lastIndex = from;
      let match: RegExpExecArray | null;
      let replaced = false;
      while ((match = pattern.exec(result)) !== null) {
        const value = this.#parameter(match[1] ?? match[3] ?? '', match[2], match[1] !== undefined, position);
        if (value === undefined) continue;
        result = result.slice(0, match.index) + value + result.slice(match.index + match[0].length);
        from = match.index;
        replaced = true;
        break;
      }
      if (!replaced) return result;
    }
  }

  #parameter(name: string, parameters: string | undefined, braced: boolean, position: KeepalivedPosition): string | undefined {
    // Only _ENV and _RANDOM take parameters: keepalived leaves any other `${NAME 1}` as written.
    if (parameters !== undefined && name !== '_ENV' && name !== '_RANDOM') return undefined;
    const defined = this.#definitions.get(name);
    if (defined !== undefined) return defined;
    switch (name) {
      case '_PWD':
        return dirname(this.#fileStack[this.#fileStack.length - 1] ?? '.');
      case '_HASH':
        return '#';
      case '_BANG':
        return '!';
      case '_INSTANCE':
        return this.#options.configId;
      case '_ENV': {
        if (!braced) return undefined;
        const env = this.#options.env;
        if (!env) throw new KeepalivedSyntaxError(position, '${_ENV …} needs an environment: pass options.env');
        return env[(parameters ?? '').trim()] ?? '';
      }
      case '_RANDOM':
        throw new KeepalivedSyntaxError(position, '${_RANDOM} is not supported: the configuration would differ on every run');
      default:
        return undefined;
    }
  }

  #include(kind: string, pattern: string, position: KeepalivedPosition, depth: number): void {
    const reader = this.#options.include;
    if (!reader) throw new KeepalivedSyntaxError(position, `${kind} needs a file reader: pass options.include (or use loadKeepalivedConf)`);
    const current = this.#fileStack[this.#fileStack.length - 1] ?? '';
    const path = pattern.startsWith('/') || !current.includes('/') ? pattern : `${dirname(current)}/${pattern}`;
    let found: KeepalivedIncludeResult[];
    try {
      const result = reader(path);
      found = Array.isArray(result) ? result : [result];
    } catch (error) {
      throw new KeepalivedSyntaxError(position, `cannot include ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (found.length === 0) {
      // keepalived 2.2.7 (lib/parser.c, open_and_check_glob): a literal path that is missing is a "missing file"
      // error (of kind B when the pattern has braces, else M), a wildcard that matched nothing a "no match" (W), and
      // each variant makes only its kinds fatal: includem M, includew M and W, includeb B, includea all; include and
      // includer none. A wildcard is judged as matching nothing in a directory that exists (keepalived calls a
      // missing directory M): the parser is not told which.
      const missing = /[*?[]/.test(pattern) ? 'W' : pattern.includes('{') ? 'B' : 'M';
      if (!(INCLUDE_FATAL[kind] ?? '').includes(missing)) {
        this.notes.push({ path: positionPath(position), message: `${kind} ${pattern}: no file matched, nothing included` });
        return;
      }
      throw new KeepalivedSyntaxError(position, `${kind} ${pattern}: expected at least one matching file (${kind} makes ${missing === 'W' ? 'a wildcard that matches nothing' : 'a missing file'} an error)`);
    }
    found.forEach((entry, index) => {
      if (typeof entry !== 'string' && 'skipped' in entry) {
        // keepalived 2.2.7 (check_glob_file) skips such a file whatever the include; for every variant but plain
        // `include` that is a configuration error (INCLUDE_R), and keepalived does not start.
        if (kind !== 'include') throw new KeepalivedSyntaxError(position, `${kind} ${pattern}: ${entry.file} is ${entry.skipped}: keepalived skips it, and ${kind} makes that an error (it does not start)`);
        this.notes.push({ path: positionPath(position), message: `${kind} ${pattern}: ${entry.file} skipped: it is ${entry.skipped}, and keepalived reads only regular non-executable files` });
        return;
      }
      const file = typeof entry === 'string' ? (found.length === 1 ? path : `${path}#${index + 1}`) : entry.file;
      const text = typeof entry === 'string' ? entry : entry.text;
      if (this.#fileStack.includes(file)) throw new KeepalivedSyntaxError(position, `${file} includes itself`);
      if (depth + 1 > MAX_DEPTH) throw new KeepalivedSyntaxError(position, `includes nest deeper than ${MAX_DEPTH}`);
      this.lexFile(text, file, depth + 1);
    });
  }

  #words(lineText: string, from: number, at: (column: number) => KeepalivedPosition): void {
    let i = from;
    while (i < lineText.length) {
      const c = lineText[i] ?? '';
      if (SPACE.test(c)) {
        i++;
        continue;
      }
      if (c === '{' || c === '}') {
        this.tokens.push(c === '{' ? { kind: 'open', position: at(i + 1) } : { kind: 'close', position: at(i + 1) });
        i++;
        continue;
      }
      const start = i;
      let value = '';
      if (c === '"') {
        i++;
        while (i < lineText.length && lineText[i] !== '"') {
          // A backslash keeps the next character, a quote included, as keepalived's comment scan does.
          if (lineText[i] === '\\' && i + 1 < lineText.length) value += lineText[i++];
          value += lineText[i++];
        }
        if (i >= lineText.length) throw new KeepalivedSyntaxError(at(start + 1), 'unterminated quoted string: expected a closing "');
        i++;
      } else {
        while (i < lineText.length) {
          const d = lineText[i] ?? '';
          if (SPACE.test(d) || d === '"' || d === '{' || d === '}') break;
          if (d === '\\' && i + 1 < lineText.length) {
            // An unquoted \# gets here only from a substituted value (the line's own starts a comment): keepalived's
            // decomment after substituting makes it a literal #.
            const next = lineText[i + 1] ?? '';
            value += next === '#' || next === '!' ? next : d + next;
            i += 2;
            continue;
          }
          value += d;
          i++;
        }
      }
      this.tokens.push({ kind: 'word', value, position: at(start + 1), start, end: i, lineText });
    }
  }
}

class Parser {
  #index = 0;
  readonly #tokens: Token[];

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  block(opener?: KeepalivedStatement): KeepalivedStatement[] {
    const statements: KeepalivedStatement[] = [];
    // A `{` on a later line still opens the block of the statement just before it (only line ends in between).
    let awaitingBlock: KeepalivedStatement | undefined;
    for (;;) {
      const token = this.#tokens[this.#index++];
      if (token === undefined || token.kind === 'eof') {
        if (opener) {
          const where = token?.kind === 'eof' ? token.position : (opener.blockPosition ?? opener.position);
          const open = opener.blockPosition ?? opener.position;
          throw new KeepalivedSyntaxError(where, `expected '}' to close the block of '${opener.keyword}' opened at ${open.file}:${open.line}:${open.column}`);
        }
        return statements;
      }
      if (token.kind === 'eol') continue;
      if (token.kind === 'close') {
        if (!opener) throw new KeepalivedSyntaxError(token.position, "unexpected '}': no block is open here");
        return statements;
      }
      if (token.kind === 'open') {
        if (!awaitingBlock) throw new KeepalivedSyntaxError(token.position, "unexpected '{': expected a keyword before it");
        awaitingBlock.blockPosition = token.position;
        awaitingBlock.block = this.block(awaitingBlock);
        awaitingBlock = undefined;
        continue;
      }
      const statement: KeepalivedStatement = { keyword: token.value, args: [], position: token.position, argPositions: [], argsText: '' };
      let first: (Token & { kind: 'word' }) | undefined;
      let last: (Token & { kind: 'word' }) | undefined;
      for (let next = this.#tokens[this.#index]; next?.kind === 'word'; next = this.#tokens[this.#index]) {
        this.#index++;
        statement.args.push(next.value);
        statement.argPositions.push(next.position);
        first ??= next;
        last = next;
      }
      if (first && last) statement.argsText = first.lineText.slice(first.start, last.end);
      statements.push(statement);
      const next = this.#tokens[this.#index];
      if (next?.kind === 'open') {
        this.#index++;
        statement.blockPosition = next.position;
        statement.block = this.block(statement);
        awaitingBlock = undefined;
      } else {
        awaitingBlock = next?.kind === 'eol' ? statement : undefined;
      }
    }
  }
}

/**
 * Parses keepalived.conf text into statements. Throws {@link KeepalivedSyntaxError} (file, line, column, and what
 * was expected) for text keepalived could not read either, and for the few features refused here (`~SEQ`, `~LST`,
 * `${_RANDOM}`, a trailing `\` outside a definition).
 */
export function parseKeepalivedConf(text: string, options: KeepalivedParseOptions = {}): KeepalivedConf {
  const file = options.file ?? 'keepalived.conf';
  const lexer = new Lexer(options);
  lexer.lexFile(text, file, 0);
  const lines = text.split(/\r\n|\n|\r/);
  const lastLine = lines[lines.length - 1] ?? '';
  lexer.tokens.push({ kind: 'eof', position: { file, line: lines.length, column: lastLine.length + 1 } });
  const statements = new Parser(lexer.tokens).block();
  return { statements, files: lexer.files, notes: lexer.notes };
}

/**
 * Splits text the way keepalived 2.2 first re-reads a command line (`script "…"`, `notify* "…" user group`): words
 * separated by unquoted whitespace; `"…"` and `'…'` group (their quotes removed, adjacent text joined: `a"b c"d` is
 * `ab cd`); a backslash escape, inside quotes too, stands for its character (`\"` for `"`, `\\` for `\`, `\t` for
 * a tab: src/trackers/command-line.ts). The first word is the command string that keepalived then splits into argv,
 * escapes read a second time (trackers' `commandArgv` does that here); the words after it are the user and group.
 * keepalived 2.3.2 and later keep the escapes as written in this first reading (its commit af7aa8bf); the reference
 * here is 2.2.7, which the distributions ship. Returns undefined for an unterminated quote or a lone trailing `\`.
 */
export function splitKeepalivedWords(text: string): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (i >= text.length) break;
    let word = '';
    let quote: string | undefined;
    for (; i < text.length; i++) {
      const c = text[i] ?? '';
      if (c === '\\') {
        const escaped = readEscape(text, i + 1);
        if (escaped === undefined) return undefined;
        word += escaped.text;
        i = escaped.next - 1;
        continue;
      }
      if (quote !== undefined) {
        if (c === quote) quote = undefined;
        else word += c;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        continue;
      }
      if (/\s/.test(c)) break;
      word += c;
    }
    if (quote !== undefined) return undefined;
    words.push(word);
  }
  return words;
}
