/**
 * How an `exec` tracker's command string becomes an argv (src/trackers/command-line.ts): keepalived's rules for
 * `script "…"` — whitespace separates words, quotes group and are removed, backslash escapes anywhere, no shell —
 * and the one case keepalived gives to /bin/sh.
 */
import { describe, expect, it } from 'vitest';
import { commandArgv, splitCommandLine } from '../../src/trackers/command-line.js';

const words = (text: string): string[] => {
  const result = splitCommandLine(text);
  if (!result.ok) throw new Error(`expected words, got: ${result.error}`);
  return result.argv;
};

describe('splitting', () => {
  // Given the tutorial's check; then three words, run without a shell.
  it('splits on unquoted whitespace', () => {
    expect(words('killall -0 haproxy')).toEqual(['killall', '-0', 'haproxy']);
    expect(words('  /usr/bin/true \t ')).toEqual(['/usr/bin/true']);
  });

  // Given keepalived.conf(5)'s examples; then the words it documents.
  it('groups quoted text into one word and removes the quotes', () => {
    expect(words('abcd" efg h jkl "mnop')).toEqual(['abcd efg h jkl mnop']);
    expect(words('abcd "efg h jkl" mnop')).toEqual(['abcd', 'efg h jkl', 'mnop']);
    expect(words(`sh -c 'pidof haproxy && curl -fs localhost'`)).toEqual(['sh', '-c', 'pidof haproxy && curl -fs localhost']);
    expect(words(`say "it's"`)).toEqual(['say', "it's"]);
    expect(words('test -n ""')).toEqual(['test', '-n', '']);
  });

  // Given backslash escapes, inside and outside quotes; then keepalived's meanings (unlike a shell's inside '…').
  it('reads backslash escapes anywhere', () => {
    expect(words('a\\ b')).toEqual(['a b']);
    expect(words(`'x\\'y'`)).toEqual(["x'y"]);
    expect(words('"\\t\\n\\x41\\101\\cA\\\\"')).toEqual(['\t\nAA\x01\\']);
    expect(words('\\q')).toEqual(['q']);
  });

  // Given \x followed by more than two hex digits; then keepalived 2.2's reading: every digit is read, the last two
  // make the byte (its char arithmetic), and the text after them goes on.
  it('reads every hex digit after \\x, keeping the byte of the last two, as keepalived 2.2 does', () => {
    expect(words('\\x4142z')).toEqual(['Bz']);
  });

  // Given broken strings; then why they cannot be split.
  it('refuses an unmatched quote, a lone trailing backslash and an empty command', () => {
    expect(splitCommandLine(`foo 'bar`)).toEqual({ ok: false, error: "has an unmatched ' quote" });
    expect(splitCommandLine('foo "bar')).toEqual({ ok: false, error: 'has an unmatched " quote' });
    expect(splitCommandLine('foo \\')).toEqual({ ok: false, error: 'ends with a lone backslash' });
    expect(splitCommandLine('   ')).toEqual({ ok: false, error: 'is empty' });
    expect(splitCommandLine('"" -x')).toEqual({ ok: false, error: 'names an empty program' });
  });
});

describe('commandArgv', () => {
  // Given an argv array; then it runs as given, whatever it contains.
  it('takes an array as it is', () => {
    expect(commandArgv(['/bin/echo', 'a b', '$HOME'])).toEqual({ ok: true, argv: ['/bin/echo', 'a b', '$HOME'] });
    expect(commandArgv([])).toEqual({ ok: false, error: 'is empty' });
  });

  // Given keepalived's "</dev/tcp/…" idiom (first word starts with < then /); then /bin/sh -c runs it, as keepalived's system().
  it('gives a command whose first word starts with </ to /bin/sh -c', () => {
    expect(commandArgv('</dev/tcp/127.0.0.1/80')).toEqual({ ok: true, argv: ['/bin/sh', '-c', '</dev/tcp/127.0.0.1/80'] });
    // A lone "<" is a word of its own: keepalived would try to exec "<", and so do we.
    expect(commandArgv('< /dev/null')).toEqual({ ok: true, argv: ['<', '/dev/null'] });
  });
});
