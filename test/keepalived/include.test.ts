/**
 * `include`: keepalived splices the included files' lines in place (at the top level or inside a block), resolves
 * a relative name against the including file's directory, and accepts a pattern matching nothing for `include` and
 * `includer` only. Positions in an included file name that file. On disk, `loadKeepalivedConf` expands globs and
 * csh braces.
 */
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  KeepalivedSyntaxError,
  expandBraces,
  globFiles,
  loadKeepalivedConf,
  parseKeepalivedConf,
  type KeepalivedIncludeResult,
  type KeepalivedStatement,
} from '../../src/keepalived/index.js';

type Shape = { keyword: string; args: string[]; block?: Shape[] };
function shape(statements: KeepalivedStatement[]): Shape[] {
  return statements.map((s) => (s.block ? { keyword: s.keyword, args: s.args, block: shape(s.block) } : { keyword: s.keyword, args: s.args }));
}

/** An include reader over an in-memory file system that records the paths it was asked for. */
function reader(files: Record<string, KeepalivedIncludeResult | KeepalivedIncludeResult[]>): { include: (path: string) => KeepalivedIncludeResult | KeepalivedIncludeResult[]; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    include: (path) => {
      asked.push(path);
      return files[path] ?? [];
    },
  };
}

describe('include', () => {
  // Given an include at the top level; then the included statements take its place.
  it('splices the included statements where the include is', () => {
    const { include } = reader({ '/etc/keepalived/scripts.conf': 'vrrp_script chk { script true }\n' });
    const conf = parseKeepalivedConf('global_defs { router_id a }\ninclude /etc/keepalived/scripts.conf\nvrrp_instance VI { }\n', { file: '/etc/keepalived/keepalived.conf', include });
    expect(shape(conf.statements).map((s) => s.keyword)).toEqual(['global_defs', 'vrrp_script', 'vrrp_instance']);
  });

  // Given an include inside a block; then its statements belong to that block, as keepalived reads lines.
  it('splices an include inside a block into that block', () => {
    const { include } = reader({ '/etc/keepalived/vips.conf': '10.0.0.1/24\n10.0.0.2/24\n' });
    const conf = parseKeepalivedConf('virtual_ipaddress {\n  include /etc/keepalived/vips.conf\n}\n', { file: '/etc/keepalived/keepalived.conf', include });
    expect(shape(conf.statements)).toEqual([{ keyword: 'virtual_ipaddress', args: [], block: [{ keyword: '10.0.0.1/24', args: [] }, { keyword: '10.0.0.2/24', args: [] }] }]);
  });

  // Given a relative include; then the reader is asked for it relative to the including file's directory.
  it("resolves a relative name against the including file's directory, nested includes too", () => {
    const { include, asked } = reader({
      '/etc/keepalived/conf.d/a.conf': { file: '/etc/keepalived/conf.d/a.conf', text: 'include sub/b.conf\n' },
      '/etc/keepalived/conf.d/sub/b.conf': { file: '/etc/keepalived/conf.d/sub/b.conf', text: 'router_id b\n' },
    });
    parseKeepalivedConf('include conf.d/a.conf\n', { file: '/etc/keepalived/keepalived.conf', include });
    expect(asked).toEqual(['/etc/keepalived/conf.d/a.conf', '/etc/keepalived/conf.d/sub/b.conf']);
  });

  // Given a pattern that matched two files; then both are read, in the order given, and listed in `files`.
  it('reads every file the reader returns for a pattern, in order', () => {
    const { include } = reader({
      '/k/*.conf': [
        { file: '/k/1.conf', text: 'a 1\n' },
        { file: '/k/2.conf', text: 'b 2\n' },
      ],
    });
    const conf = parseKeepalivedConf('include /k/*.conf\n', { file: '/k/main.conf', include });
    expect(shape(conf.statements)).toEqual([
      { keyword: 'a', args: ['1'] },
      { keyword: 'b', args: ['2'] },
    ]);
    expect(conf.files).toEqual(['/k/main.conf', '/k/1.conf', '/k/2.conf']);
  });

  // Given an included file; then its statements' positions name that file and its own lines.
  it("gives statements of an included file that file's name and lines", () => {
    const { include } = reader({ '/k/inc.conf': { file: '/k/inc.conf', text: '\n\npriority 100\n' } });
    const conf = parseKeepalivedConf('include /k/inc.conf\n', { file: '/k/main.conf', include });
    expect(conf.statements[0]?.position).toEqual({ file: '/k/inc.conf', line: 3, column: 1 });
  });

  // Given a syntax error in an included file; then the error names that file and line.
  it('reports a syntax error in an included file at its own file and line', () => {
    const { include } = reader({ '/k/bad.conf': { file: '/k/bad.conf', text: 'a {\n}\n}\n' } });
    const error = (() => {
      try {
        parseKeepalivedConf('include /k/bad.conf\n', { file: '/k/main.conf', include });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(KeepalivedSyntaxError);
    expect((error as KeepalivedSyntaxError).message).toBe("/k/bad.conf:3:1: unexpected '}': no block is open here");
  });

  // Given include / includer matching nothing; then nothing is included and a note says so at the include's line.
  it('notes an include or includer that matched nothing', () => {
    const { include } = reader({});
    const conf = parseKeepalivedConf('include /none/*.conf\nincluder /none/x.conf\n', { file: '/k/main.conf', include });
    expect(conf.statements).toEqual([]);
    expect(conf.notes).toEqual([
      { path: '/k/main.conf:1', message: 'include /none/*.conf: no file matched, nothing included' },
      { path: '/k/main.conf:2', message: 'includer /none/x.conf: no file matched, nothing included' },
    ]);
  });

  // Given includea (or includem, includew, includeb) matching nothing; then it is an error, as in keepalived.
  it('refuses includea matching nothing', () => {
    const { include } = reader({});
    expect(() => parseKeepalivedConf('includea /none/*.conf\n', { file: '/k/main.conf', include })).toThrow(
      '/k/main.conf:1:1: includea /none/*.conf: expected at least one matching file (includea makes a wildcard that matches nothing an error)',
    );
  });

  // Given each variant with a wildcard that matches nothing (judged as in a directory that exists: the reader does
  // not say, and keepalived calls a missing directory a missing file), a missing file, and a missing file in
  // braces; then only the kinds keepalived 2.2.7 makes fatal for that variant refuse the file (includem: a missing
  // file; includew: both; includeb: a missing file in braces; includea: all); the others are notes. Every variant
  // but include and includer refused all three before.
  it('refuses what each include variant refuses in keepalived, and notes the rest', () => {
    const { include } = reader({});
    const patterns = { wildcard: '/none/*.conf', file: '/none/x.conf', braces: '/none/{a,b}.conf' };
    const verdicts = Object.fromEntries(
      ['include', 'includer', 'includem', 'includew', 'includeb', 'includea'].map((kind) => [
        kind,
        Object.fromEntries(
          Object.entries(patterns).map(([label, pattern]) => {
            try {
              parseKeepalivedConf(`${kind} ${pattern}\n`, { file: '/k/main.conf', include });
              return [label, 'note'];
            } catch {
              return [label, 'error'];
            }
          }),
        ),
      ]),
    );
    expect(verdicts).toEqual({
      include: { wildcard: 'note', file: 'note', braces: 'note' },
      includer: { wildcard: 'note', file: 'note', braces: 'note' },
      includem: { wildcard: 'note', file: 'error', braces: 'note' },
      includew: { wildcard: 'error', file: 'error', braces: 'note' },
      includeb: { wildcard: 'note', file: 'note', braces: 'error' },
      includea: { wildcard: 'error', file: 'error', braces: 'error' },
    });
  });

  // Given a file that includes itself; then the loop is reported instead of followed.
  it('refuses a file that includes itself', () => {
    const { include } = reader({ '/k/main.conf': { file: '/k/main.conf', text: 'include /k/main.conf\n' } });
    expect(() => parseKeepalivedConf('include /k/main.conf\n', { file: '/k/main.conf', include })).toThrow('/k/main.conf includes itself');
  });

  // Given a reader that throws (an unreadable file); then the error is at the include line.
  it('reports a reader failure at the include line', () => {
    const include = (): never => {
      throw new Error('EACCES: permission denied');
    };
    expect(() => parseKeepalivedConf('\ninclude /k/secret.conf\n', { file: '/k/main.conf', include })).toThrow('/k/main.conf:2:1: cannot include /k/secret.conf: EACCES: permission denied');
  });
});

describe('includes on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vrrp-keepalived-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Given the Debian-style fixture (include conf.d/*.conf); then the instances come from the included files.
  it('loads a config whose instances live in conf.d/*.conf', () => {
    const path = fileURLToPath(new URL('./fixtures/with-includes.conf', import.meta.url));
    const conf = loadKeepalivedConf(path);
    expect(conf.statements.map((s) => `${s.keyword} ${s.args.join(' ')}`.trim())).toEqual(['global_defs', 'vrrp_script chk_proxy', 'vrrp_instance PROXY']);
    expect(conf.files.map((file) => file.slice(file.indexOf('fixtures/')))).toEqual(['fixtures/with-includes.conf', 'fixtures/conf.d/10-checks.conf', 'fixtures/conf.d/20-instance.conf']);
  });

  // Given files matching a glob with braces, in an unsorted directory; then they are found sorted, dotfiles left out.
  it('expands *, ? and {a,b} patterns, sorted, without dotfiles', () => {
    mkdirSync(join(dir, 'conf.d'));
    for (const name of ['b.conf', 'a.conf', '.hidden.conf', 'c.txt', 'x1.vrrp']) writeFileSync(join(dir, 'conf.d', name), '');
    expect(globFiles(join(dir, 'conf.d/*.conf'))).toEqual([join(dir, 'conf.d/a.conf'), join(dir, 'conf.d/b.conf')]);
    expect(globFiles(join(dir, 'conf.d/{*.txt,x?.vrrp}'))).toEqual([join(dir, 'conf.d/c.txt'), join(dir, 'conf.d/x1.vrrp')]);
    expect(globFiles(join(dir, 'conf.d/missing.conf'))).toEqual([]);
  });

  /** Writes `files` (relative name → text and mode) under a fresh directory `name` of `dir`; returns that directory. */
  function tree(name: string, files: Record<string, [text: string, mode: number]>): string {
    const root = join(dir, name);
    mkdirSync(root);
    for (const [file, [text, mode]] of Object.entries(files)) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), text);
      chmodSync(join(root, file), mode);
    }
    return root;
  }

  // Given a glob matching a file with an execute bit; then that file is skipped, as keepalived 2.2.7's
  // check_glob_file skips it, with a note at the include naming it; the other matches are read.
  it('skips an executable file that a glob matches, with a note naming it', () => {
    const root = tree('glob-exec', { 'main.conf': ['include conf.d/*.conf\n', 0o644], 'conf.d/a.conf': ['a 1\n', 0o644], 'conf.d/b.conf': ['b 2\n', 0o754] });
    const conf = loadKeepalivedConf(join(root, 'main.conf'));
    expect(shape(conf.statements)).toEqual([{ keyword: 'a', args: ['1'] }]);
    expect(conf.notes).toEqual([
      { path: `${join(root, 'main.conf')}:1`, message: `include conf.d/*.conf: ${join(root, 'conf.d/b.conf')} skipped: it is executable (mode 754), and keepalived reads only regular non-executable files` },
    ]);
  });

  // Given a plain include (no glob) of a file with an execute bit; then it is skipped too: keepalived globs every
  // include's name and checks each match alike.
  it('skips an executable file named without a glob too', () => {
    const root = tree('plain-exec', { 'main.conf': ['include other.conf\nc 3\n', 0o644], 'other.conf': ['b 2\n', 0o700] });
    const conf = loadKeepalivedConf(join(root, 'main.conf'));
    expect(shape(conf.statements)).toEqual([{ keyword: 'c', args: ['3'] }]);
    expect(conf.notes.map((note) => note.message)).toEqual([`include other.conf: ${join(root, 'other.conf')} skipped: it is executable (mode 700), and keepalived reads only regular non-executable files`]);
  });

  // Given includer naming a file with an execute bit; then a syntax error: keepalived skips it and, for includer and
  // the stricter variants, counts that a configuration error that stops it from starting.
  it('refuses an executable file for includer', () => {
    const root = tree('includer-exec', { 'main.conf': ['includer other.conf\n', 0o644], 'other.conf': ['b 2\n', 0o755] });
    expect(() => loadKeepalivedConf(join(root, 'main.conf'))).toThrow(
      `${join(root, 'main.conf')}:1:1: includer other.conf: ${join(root, 'other.conf')} is executable (mode 755): keepalived skips it, and includer makes that an error (it does not start)`,
    );
  });

  // Given csh braces, nested; then every alternative comes out in order.
  it('expands nested csh braces in order', () => {
    expect(expandBraces('{foo/{,cat,dog},bar}')).toEqual(['foo/', 'foo/cat', 'foo/dog', 'bar']);
  });
});
