/**
 * keepalived.conf syntax (src/keepalived/parse.ts): what keepalived.conf(5) says about comments, quoting, blocks,
 * conditional lines and parameters, read into statements with their positions; and errors that say where and
 * what was expected.
 */
import { describe, expect, it } from 'vitest';
import {
  KeepalivedSyntaxError,
  parseKeepalivedConf,
  splitKeepalivedWords,
  type KeepalivedConf,
  type KeepalivedParseOptions,
  type KeepalivedStatement,
} from '../../src/keepalived/index.js';

/** Statements without positions: keyword, args and blocks only. */
type Shape = { keyword: string; args: string[]; block?: Shape[] };
function shape(statements: KeepalivedStatement[]): Shape[] {
  return statements.map((s) => (s.block ? { keyword: s.keyword, args: s.args, block: shape(s.block) } : { keyword: s.keyword, args: s.args }));
}
const parse = (text: string, options: KeepalivedParseOptions = {}): KeepalivedConf => parseKeepalivedConf(text, { file: 'k.conf', ...options });
const parsed = (text: string, options: KeepalivedParseOptions = {}): Shape[] => shape(parse(text, options).statements);

/** The syntax error thrown for `text`; fails if none is. */
function syntaxError(text: string, options: KeepalivedParseOptions = {}): KeepalivedSyntaxError {
  try {
    parse(text, options);
  } catch (error) {
    if (error instanceof KeepalivedSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected a syntax error for ${JSON.stringify(text)}`);
}

describe('comments', () => {
  // Given '#' and '!' comments at the start of a line and after values; then they are gone.
  it('drops # and ! comments wherever they start on a line', () => {
    expect(parsed('! header\n# another\npriority 100 # the master\nweight 2! no space needed\n')).toEqual([
      { keyword: 'priority', args: ['100'] },
      { keyword: 'weight', args: ['2'] },
    ]);
  });

  // Given a '#' inside double quotes; then it is part of the value, not a comment.
  it('keeps # and ! inside double quotes', () => {
    expect(parsed('script "echo #1 !2"\n')).toEqual([{ keyword: 'script', args: ['echo #1 !2'] }]);
  });

  // Given \# or \! outside quotes; then, as keepalived 2.2.7's VRRP process reads it (from its parent's copy of the
  // line, where the backslash is already gone), it starts a comment, and a note at the line says what is read.
  it.each([
    ['\\#', '#'],
    ['\\!', '!'],
  ])('reads %s outside quotes as the start of a comment, with a note', (escaped, character) => {
    const conf = parse(`\nauth_pass ab${escaped}cd\n`);
    expect(shape(conf.statements)).toEqual([{ keyword: 'auth_pass', args: ['ab'] }]);
    expect(conf.notes).toEqual([
      {
        path: 'k.conf:2',
        message: `\\${character} outside double quotes starts a comment, as in keepalived 2.2.7: its VRRP process reads the line again from a copy in which the \\ is gone, so it reads "auth_pass ab"; to keep the ${character}, put the value in double quotes`,
      },
    ]);
  });

  // Given \# inside double quotes; then it stays as written, backslash and all, and nothing is said.
  it('keeps \\# inside double quotes as written', () => {
    const conf = parse('auth_pass "ab\\#cd"\n');
    expect(shape(conf.statements)).toEqual([{ keyword: 'auth_pass', args: ['ab\\#cd'] }]);
    expect(conf.notes).toEqual([]);
  });
});

describe('words', () => {
  // Given several values after a keyword; then each is one arg.
  it('reads several values on one line as separate args', () => {
    expect(parsed('eth2 weight -20 reverse\n')).toEqual([{ keyword: 'eth2', args: ['weight', '-20', 'reverse'] }]);
  });

  // Given a double-quoted value with spaces; then it is one arg without its quotes.
  it('reads a double-quoted string as one value without its quotes', () => {
    expect(parsed('script "killall -0 haproxy"\n')).toEqual([{ keyword: 'script', args: ['killall -0 haproxy'] }]);
  });

  // Given single quotes; then the first reading does not group them (only a command's second reading does).
  it('does not treat single quotes as quotes at the first reading', () => {
    expect(parsed("script 'killall -0 haproxy'\n")).toEqual([{ keyword: 'script', args: ["'killall", '-0', "haproxy'"] }]);
  });

  // Given an empty quoted string; then it is an empty value.
  it('reads "" as an empty value', () => {
    expect(parsed('auth_pass ""\n')).toEqual([{ keyword: 'auth_pass', args: [''] }]);
  });

  // Given CRLF line ends (a file edited on Windows); then they read as LF.
  it('reads CRLF line ends like LF', () => {
    expect(parsed('priority 100\r\nstate MASTER\r\n')).toEqual([
      { keyword: 'priority', args: ['100'] },
      { keyword: 'state', args: ['MASTER'] },
    ]);
  });

  // Given a statement; then its argsText is the source of its values, quotes kept, for commands' second reading.
  it('keeps the source text of the values, quotes included', () => {
    const [statement] = parse("notify_master \"/bin/n.sh 'a b'\" root   # comment\n").statements;
    expect(statement?.argsText).toBe("\"/bin/n.sh 'a b'\" root");
  });
});

describe('blocks', () => {
  // Given a block on one line; then its entries are statements of the block.
  it('reads a one-line block: track_script { chk weight -20 }', () => {
    expect(parsed('track_script { chk weight -20 }\n')).toEqual([{ keyword: 'track_script', args: [], block: [{ keyword: 'chk', args: ['weight', '-20'] }] }]);
  });

  // Given nested blocks; then they nest.
  it('nests blocks: authentication inside vrrp_instance', () => {
    const text = 'vrrp_instance VI_1 {\n  authentication {\n    auth_type PASS\n    auth_pass x\n  }\n  priority 100\n}\n';
    expect(parsed(text)).toEqual([
      {
        keyword: 'vrrp_instance',
        args: ['VI_1'],
        block: [
          { keyword: 'authentication', args: [], block: [{ keyword: 'auth_type', args: ['PASS'] }, { keyword: 'auth_pass', args: ['x'] }] },
          { keyword: 'priority', args: ['100'] },
        ],
      },
    ]);
  });

  // Given a virtual address with dev and label; then the address is the keyword and its options the args.
  it('reads a virtual_ipaddress entry as address plus options', () => {
    expect(parsed('virtual_ipaddress {\n  10.0.0.1/24 dev eth0 label eth0:1\n}\n')).toEqual([
      { keyword: 'virtual_ipaddress', args: [], block: [{ keyword: '10.0.0.1/24', args: ['dev', 'eth0', 'label', 'eth0:1'] }] },
    ]);
  });

  // Given '{' on the line after the keyword (Allman style); then it opens that keyword's block.
  it('opens the block of the statement before when { is on the next line', () => {
    expect(parsed('vrrp_instance VI_1\n\n{\n  priority 100\n}\n')).toEqual([{ keyword: 'vrrp_instance', args: ['VI_1'], block: [{ keyword: 'priority', args: ['100'] }] }]);
  });

  // Given statements after a '}' on the same line; then they belong to the enclosing block.
  it('reads statements that follow } on the same line', () => {
    expect(parsed('a { b } c 1\n')).toEqual([
      { keyword: 'a', args: [], block: [{ keyword: 'b', args: [] }] },
      { keyword: 'c', args: ['1'] },
    ]);
  });

  // Given braces glued to words; then they still stand alone, as keepalived splits lines at braces.
  it('splits braces from the words they touch', () => {
    expect(parsed('unicast_peer{10.0.0.2}\n')).toEqual([{ keyword: 'unicast_peer', args: [], block: [{ keyword: '10.0.0.2', args: [] }] }]);
  });

  // Given an empty block; then the statement has an empty block (not none).
  it('keeps an empty block as an empty block', () => {
    expect(parsed('track_script {\n}\n')).toEqual([{ keyword: 'track_script', args: [], block: [] }]);
  });
});

describe('positions', () => {
  // Given statements in a file; then each keyword and value has its 1-based line and column.
  it('gives each keyword and value its file, line and column', () => {
    const [instance] = parse('\nvrrp_instance  VI_1 {\n    priority 101\n}\n').statements;
    expect(instance?.position).toEqual({ file: 'k.conf', line: 2, column: 1 });
    expect(instance?.argPositions).toEqual([{ file: 'k.conf', line: 2, column: 16 }]);
    expect(instance?.blockPosition).toEqual({ file: 'k.conf', line: 2, column: 21 });
    expect(instance?.block?.[0]?.position).toEqual({ file: 'k.conf', line: 3, column: 5 });
    expect(instance?.block?.[0]?.argPositions).toEqual([{ file: 'k.conf', line: 3, column: 14 }]);
  });

  // Given no file name; then positions name keepalived.conf.
  it('names the main file keepalived.conf when no name is given', () => {
    expect(parseKeepalivedConf('priority 1\n').statements[0]?.position.file).toBe('keepalived.conf');
  });
});

describe('syntax errors name the place and what was expected', () => {
  // Given an unterminated double quote; then the error points at the opening quote.
  it('reports an unterminated quote at its opening quote', () => {
    const error = syntaxError('vrrp_script a {\n  script "killall -0 haproxy\n}\n');
    expect([error.file, error.line, error.column]).toEqual(['k.conf', 2, 10]);
    expect(error.message).toBe('k.conf:2:10: unterminated quoted string: expected a closing "');
  });

  // Given a '}' with no open block; then the error points at it.
  it("reports an unexpected '}' where it is", () => {
    const error = syntaxError('priority 100\n}\n');
    expect([error.line, error.column]).toEqual([2, 1]);
    expect(error.reason).toBe("unexpected '}': no block is open here");
  });

  // Given a block never closed; then the error is at the end of the file and names where the block opened.
  it("reports a missing '}' at the end of the file, naming the block it should close", () => {
    const error = syntaxError('vrrp_instance VI_1 {\n  priority 100\n');
    expect(error.line).toBe(3);
    expect(error.reason).toBe("expected '}' to close the block of 'vrrp_instance' opened at k.conf:1:20");
  });

  // Given a '{' with no keyword before it; then the error says a keyword was expected.
  it("reports a '{' without a keyword before it", () => {
    const error = syntaxError('{\n}\n');
    expect([error.line, error.column]).toEqual([1, 1]);
    expect(error.reason).toBe("unexpected '{': expected a keyword before it");
  });

  // Given a trailing backslash on an ordinary line; then it is refused (keepalived would keep a stray '\').
  it('refuses a trailing backslash outside a parameter definition', () => {
    expect(syntaxError('priority 100 \\\n').reason).toBe("a line ending in '\\' continues only a $NAME= definition");
  });

  // Given a ~SEQ block; then it is refused with a way out.
  it('refuses ~SEQ and ~LST blocks', () => {
    expect(syntaxError('~SEQ(N, 1, 3) priority $N\n').reason).toBe('~SEQ blocks are not supported: expand them into plain lines');
  });

  // Given an include without a reader; then the error says to pass one.
  it('refuses include without an include reader', () => {
    expect(syntaxError('include /etc/keepalived/conf.d/*.conf\n').reason).toMatch(/^include needs a file reader/);
  });
});

describe('conditional lines (@config-id)', () => {
  // Given @main and @backup lines and config id main; then only the @main line is read, and the other is noted.
  it('keeps @ID lines of the config id and notes the others', () => {
    const conf = parse('@main priority 150\n@backup priority 100\n', { configId: 'main' });
    expect(shape(conf.statements)).toEqual([{ keyword: 'priority', args: ['150'] }]);
    expect(conf.notes).toEqual([{ path: 'k.conf:2', message: 'conditional line "@backup priority 100" skipped: the config id is "main"' }]);
  });

  // Given @^ID lines; then they are read on every node but ID.
  it('keeps @^ID lines on every other node', () => {
    expect(parsed('@^main 10.0.0.1\n@^backup 10.0.0.2\n', { configId: 'main' })).toEqual([{ keyword: '10.0.0.2', args: [] }]);
  });

  // Given no config id; then @ID lines are skipped and @^ID lines kept, each noted.
  it('without a config id, skips @ID lines and keeps @^ID lines, noting both', () => {
    const conf = parse('@main priority 150\n@^main priority 100\n');
    expect(shape(conf.statements)).toEqual([{ keyword: 'priority', args: ['100'] }]);
    expect(conf.notes.map((note) => note.message)).toEqual([
      'conditional line "@main priority 150" skipped: no config id was given',
      'conditional line "@^main priority 100" kept: no config id was given',
    ]);
  });
});

describe('parameters ($NAME=VALUE)', () => {
  // Given a definition; then ${NAME} anywhere and $NAME before whitespace are replaced.
  it('replaces ${NAME} anywhere and $NAME before whitespace or the line end', () => {
    expect(parsed('$IF=eth0\n$NET=10.0\ninterface $IF\n${NET}.0.1/24 dev $IF\n')).toEqual([
      { keyword: 'interface', args: ['eth0'] },
      { keyword: '10.0.0.1/24', args: ['dev', 'eth0'] },
    ]);
  });

  // Given $NAME followed by ',' or ')'; then it is replaced, as keepalived 2.2.7 ends an unbraced name there too.
  it('ends an unbraced $NAME at a comma or a closing parenthesis', () => {
    expect(parsed('$A=eth0\n$B=eth1\nx $A,$B ($A)\n')).toEqual([{ keyword: 'x', args: ['eth0,eth1', '(eth0)'] }]);
  });

  // Given a definition of the file's own written with parameters; then it stays as written (only built-ins take them).
  it('leaves ${NAME 1} as written when NAME is a definition of the file', () => {
    expect(parsed('$A=eth0\nx "${A 1}" "${_PWD 1}" ${A}\n')).toEqual([{ keyword: 'x', args: ['${A 1}', '${_PWD 1}', 'eth0'] }]);
  });

  // Given a value that names another parameter defined later; then it is replaced at use, recursively.
  it('replaces recursively, with the values current at the point of use', () => {
    expect(parsed('$A=10.2.${B}\n$B=0\nx ${A}.1\n$B=9\nx ${A}.1\n')).toEqual([
      { keyword: 'x', args: ['10.2.0.1'] },
      { keyword: 'x', args: ['10.2.9.1'] },
    ]);
  });

  // Given an undefined parameter; then it stays as written (scripts may contain '$').
  it('leaves undefined parameters as written', () => {
    expect(parsed('$X=1\nscript "echo $HOME"\n')).toEqual([{ keyword: 'script', args: ['echo $HOME'] }]);
  });

  // Given a multi-line definition; then using it yields its lines as statements.
  it('expands a multi-line definition into its statements', () => {
    const text = '$INST= \\\nvrrp_instance VI_${N} { \\\n  virtual_router_id ${N} \\\n}\n\n$N=1\n$INST\n$N=2\n$INST\n';
    expect(parsed(text)).toEqual([
      { keyword: 'vrrp_instance', args: ['VI_1'], block: [{ keyword: 'virtual_router_id', args: ['1'] }] },
      { keyword: 'vrrp_instance', args: ['VI_2'], block: [{ keyword: 'virtual_router_id', args: ['2'] }] },
    ]);
  });

  // Given the built-ins; then _PWD is the file's directory, _HASH / _BANG the comment characters (kept in double
  // quotes), _ENV the environment.
  it('knows ${_PWD}, ${_HASH}, ${_BANG}, ${_INSTANCE} and ${_ENV NAME}', () => {
    const conf = parseKeepalivedConf('a ${_PWD} "x${_HASH}y${_BANG}" ${_INSTANCE} ${_ENV ROLE}\n', { file: '/etc/keepalived/k.conf', configId: 'lb1', env: { ROLE: 'edge' } });
    expect(shape(conf.statements)).toEqual([{ keyword: 'a', args: ['/etc/keepalived', 'x#y!', 'lb1', 'edge'] }]);
  });

  // Given ${_HASH} outside quotes in a value; then, as keepalived decomments a line again after substituting, the #
  // starts a comment — the password is cut — and a note at the line says what is read.
  it('reads a ${_HASH} outside quotes as the start of a comment, with a note', () => {
    const conf = parse('\nauth_pass ab${_HASH}cd\n');
    expect(shape(conf.statements)).toEqual([{ keyword: 'auth_pass', args: ['ab'] }]);
    expect(conf.notes).toEqual([
      {
        path: 'k.conf:2',
        message: 'a # that parameter substitution put outside double quotes starts a comment, as in keepalived 2.2.7 (it reads a line again after substituting): read as "auth_pass ab"; to keep the #, put it in double quotes',
      },
    ]);
  });

  // Given a ! from ${_ENV NAME} outside quotes; then it starts a comment too, as any substituted value's would.
  it('reads a ! that ${_ENV NAME} puts outside quotes as the start of a comment', () => {
    expect(parsed('auth_pass ${_ENV PASS}\n', { env: { PASS: 'ab!cd' } })).toEqual([{ keyword: 'auth_pass', args: ['ab'] }]);
  });

  // Given keepalived's own idiom, a parameter defined as ${_HASH} in front of a line; then the line is commented out,
  // without a note: nothing is cut that was meant to be read.
  it('comments a line out with a parameter defined as ${_HASH}, without a note', () => {
    const conf = parse('$OFF=${_HASH}\n$OFF vrrp_strict\npriority 100\n');
    expect(shape(conf.statements)).toEqual([{ keyword: 'priority', args: ['100'] }]);
    expect(conf.notes).toEqual([]);
  });

  // Given "$NAME = VALUE" (a blank before '='); then it is no definition, as in keepalived 2.2.7: the line is an
  // ordinary statement, $NAME stays unreplaced later, and a note at the line says how to write a definition.
  it('does not take $NAME = VALUE, with a blank before =, as a definition, and says so', () => {
    const conf = parse('\n$VIP = 10.0.0.1/24\nx $VIP\n');
    expect(shape(conf.statements)).toEqual([
      { keyword: '$VIP', args: ['=', '10.0.0.1/24'] },
      { keyword: 'x', args: ['$VIP'] },
    ]);
    expect(conf.notes).toEqual([
      { path: 'k.conf:2', message: '"$VIP = 10.0.0.1/24" is not a definition: keepalived 2.2.7 reads one only as $NAME=VALUE, with no blank before the =, and reads this as an ordinary line' },
    ]);
  });

  // Given ${_RANDOM}; then it is refused: the configuration would differ per run.
  it('refuses ${_RANDOM}', () => {
    expect(syntaxError('priority ${_RANDOM 1 100}\n').reason).toMatch(/^\$\{_RANDOM\} is not supported/);
  });

  // Given a definition that uses itself; then the error says so instead of looping.
  it('refuses a definition that expands forever', () => {
    expect(syntaxError('$A=x ${A}\nv $A\n').reason).toMatch(/a definition that uses itself/);
  });
});

describe("commands: keepalived's re-reading of script and notify values", () => {
  // Given a later man page's notify_master example (keepalived 2.3's); then, read as keepalived 2.2.7 reads it, the
  // escapes are taken in this first reading (`\\` is `\`, `\x69` is `i`, `\"` is `"`), and the user and group come
  // after the command.
  it("reads escapes in the first reading of a command, as keepalived 2.2 does, then the user and the group", () => {
    const text = `"/etc/keepalived/notify_event.sh ' spaces\\\\x20f\\x69le ' '\\"s p a c e \\"' SG1.low master" user group`;
    expect(splitKeepalivedWords(text)).toEqual([`/etc/keepalived/notify_event.sh ' spaces\\x20file ' '"s p a c e "' SG1.low master`, 'user', 'group']);
  });

  // Given a lone backslash at the end; then there is no result (keepalived: "Missing escape char at end").
  it('refuses a lone backslash at the end', () => {
    expect(splitKeepalivedWords('"/bin/true" \\')).toBeUndefined();
  });

  // Given a quoted command and a user after it; then the command comes whole, then the user.
  it('reads a quoted command and the user after it as two words', () => {
    expect(splitKeepalivedWords('"killall -0 haproxy" root')).toEqual(['killall -0 haproxy', 'root']);
  });

  // Given single quotes; then they group as double quotes do.
  it('groups single-quoted text too', () => {
    expect(splitKeepalivedWords("'killall -0 haproxy'")).toEqual(['killall -0 haproxy']);
  });

  // Given adjacent quoted and bare text; then they join into one word, as in a shell.
  it('joins adjacent quoted and bare text into one word', () => {
    expect(splitKeepalivedWords(`abcd" efg h jkl "mnop`)).toEqual(['abcd efg h jkl mnop']);
  });

  // Given an unterminated single quote; then there is no result.
  it('returns undefined for an unterminated quote', () => {
    expect(splitKeepalivedWords("'oops")).toBeUndefined();
  });
});
