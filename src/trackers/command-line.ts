/**
 * How an `exec` tracker's command string becomes an argv, the way keepalived 2.x turns `script "…"` into one
 * (keepalived.conf(5), "Quoted strings"; its parser's quoted-and-escaped word splitting, read for behaviour):
 *
 * - Words are separated by unquoted whitespace. There is no shell: no globs, variables, pipes, `&&` or redirections.
 *   keepalived execs the first word (looked up in PATH when it has no slash) with the others as its arguments.
 * - `"…"` and `'…'` group text into one word and are removed; they may sit inside a word (`a"b c"d` is `ab cd`).
 * - A backslash escapes the next character anywhere, inside quotes too (unlike a shell): `\\`, `\"`, `\'`, `\ `;
 *   and the C escapes keepalived documents: `\a \b \E \f \n \r \t \v`, `\nnn` (1–3 octal digits), `\xHH…` (every hex
 *   digit that follows is read, and the last two make the byte, as keepalived 2.2's char arithmetic does),
 *   `\cC` (control-C).
 * - The one exception is keepalived's: a command whose first word starts with `<` then `/`
 *   (`</dev/tcp/127.0.0.1/80`, a bash idiom) is handed to `/bin/sh -c` (its words joined by spaces), as keepalived
 *   hands it to system(). Whether it works depends on what /bin/sh is (Debian's dash has no /dev/tcp).
 *
 * Anything else that needs a shell says so: `sh -c 'pidof haproxy && curl -fs localhost'`.
 */

/** The result of splitting a command string: its words, or why it cannot be split. */
export type SplitResult = { ok: true; argv: string[] } | { ok: false; error: string };

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Splits `text` into words with keepalived's quoting and escape rules (see the file header). */
export function splitCommandLine(text: string): SplitResult {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (char === '\\') {
      const escaped = readEscape(text, i + 1);
      if (!escaped) return { ok: false, error: 'ends with a lone backslash' };
      word += escaped.text;
      inWord = true;
      i = escaped.next;
      continue;
    }
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else word += char;
      i++;
      continue;
    }
    if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
      i++;
      continue;
    }
    if (/\s/.test(char)) {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    word += char;
    inWord = true;
    i++;
  }
  if (quote !== undefined) return { ok: false, error: `has an unmatched ${quote} quote` };
  if (inWord) argv.push(word);
  if (argv.length === 0) return { ok: false, error: 'is empty' };
  if (argv[0] === '') return { ok: false, error: 'names an empty program' };
  return { ok: true, argv };
}

/**
 * One escape sequence starting after the backslash at `start`: the text it stands for and where reading goes on;
 * undefined when the text ends there. keepalived's (see the file header); its configuration reader uses it too.
 */
export function readEscape(text: string, start: number): { text: string; next: number } | undefined {
  const char = text[start];
  if (char === undefined) return undefined;
  const simple = SIMPLE_ESCAPES[char];
  if (simple !== undefined) return { text: simple, next: start + 1 };
  if (char === 'x' && isHex(text[start + 1])) {
    let end = start + 1;
    while (isHex(text[end])) end++;
    // keepalived 2.2 shifts each digit into one char: what is left is the byte of the last two.
    return { text: String.fromCharCode(Number.parseInt(text.slice(Math.max(start + 1, end - 2), end), 16)), next: end };
  }
  if (char === 'c' && text[start + 1] !== undefined) {
    // The control version of a character: its low five bits (\cA is 0x01, \c[ is ESC).
    return { text: String.fromCharCode((text.charCodeAt(start + 1) & 0x1f) >>> 0), next: start + 2 };
  }
  if (char >= '0' && char <= '7') {
    let end = start;
    while (end < start + 3 && (text[end] ?? '') >= '0' && (text[end] ?? '') <= '7') end++;
    // keepalived keeps the low byte of an octal escape (\777 is 0xff).
    return { text: String.fromCharCode(Number.parseInt(text.slice(start, end), 8) & 0xff), next: end };
  }
  return { text: char, next: start + 1 };
}

function isHex(char: string | undefined): boolean {
  return char !== undefined && /^[0-9a-fA-F]$/.test(char);
}

/**
 * The argv an `exec` tracker runs: an array as given; a string split as keepalived splits `script "…"`, except a
 * string starting with `<` then `/`, which goes to `/bin/sh -c` as keepalived sends it to system().
 */
export function commandArgv(command: string | readonly string[]): SplitResult {
  if (typeof command !== 'string') {
    if (command.length === 0) return { ok: false, error: 'is empty' };
    if (command[0] === '') return { ok: false, error: 'names an empty program' };
    return { ok: true, argv: [...command] };
  }
  const split = splitCommandLine(command);
  // keepalived looks at the first word after splitting, and hands system() the words joined by spaces.
  if (split.ok && /^<[ \t]*\//.test(split.argv[0] ?? '')) return { ok: true, argv: ['/bin/sh', '-c', split.argv.join(' ')] };
  return split;
}
