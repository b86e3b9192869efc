/**
 * Printing and parsing agree: for generated statement trees — keywords, values with spaces, braces, comment
 * characters and single quotes, nested blocks — `parseKeepalivedConf(printKeepalivedConf(tree))` gives the tree back,
 * and so does the same text with every `{` moved to its own line (keepalived accepts both layouts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKeepalivedConf, printKeepalivedConf, type KeepalivedStatement } from '../../src/keepalived/index.js';
import { propertySeed, seededCheck } from '../support/seed.js';

type Shape = { keyword: string; args: string[]; block?: Shape[] };
function shape(statements: KeepalivedStatement[]): Shape[] {
  return statements.map((s) => (s.block ? { keyword: s.keyword, args: s.args, block: shape(s.block) } : { keyword: s.keyword, args: s.args }));
}

const keyword = fc.stringMatching(/^[a-z_][a-z0-9_]{0,11}$/).filter((k) => !/^include[rmwba]?$/.test(k));
// Everything keepalived can carry in a value: no double quote, backslash, '$' (parameters) or line break.
const value = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_./:@~+,=-]{1,12}$/),
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '\t', '{', '}', '#', '!', "'", '@', '/', ':'), maxLength: 10 }),
);
const statementAt = (depth: number): fc.Arbitrary<Shape> =>
  fc.record({
    keyword,
    args: fc.array(value, { maxLength: 4 }),
    block: depth === 0 ? fc.constant(undefined) : fc.option(fc.array(statementAt(depth - 1), { maxLength: 3 }), { nil: undefined }),
  });
const tree = fc.array(statementAt(3), { maxLength: 5 });

describe('print → parse', () => {
  const seed = propertySeed('keepalived/roundtrip');
  const check = seededCheck(seed);

  // Given any generated tree; when printed and parsed; then the same keywords, values and blocks.
  it('parses printed statements back into the same tree', () => {
    check(
      fc.property(tree, (statements) => {
        expect(shape(parseKeepalivedConf(printKeepalivedConf(statements)).statements)).toEqual(statements);
      }),
      300,
    );
  });

  // Given the same text with each '{' on the line after its keyword; then the same tree.
  it("parses the tree back with every '{' on its own line", () => {
    check(
      fc.property(tree, (statements) => {
        const allman = printKeepalivedConf(statements).replace(/ \{\n/g, '\n{\n');
        expect(shape(parseKeepalivedConf(allman).statements)).toEqual(statements);
      }),
      300,
    );
  });

  // Given a value keepalived cannot carry (a double quote); then printing refuses instead of writing it wrong.
  it('refuses to print a value with a double quote', () => {
    expect(() => printKeepalivedConf([{ keyword: 'auth_pass', args: ['a"b'] }])).toThrow('cannot write "a\\"b" in keepalived.conf');
  });
});
