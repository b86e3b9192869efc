/**
 * `readRouteTableNames` reads an iproute2 rt_tables file as keepalived 2.2.7 does (lib/rttables.c) — lines of
 * exactly `NUMBER NAME`, every other line skipped, the first line for a name kept — and `importKeepalivedConf(path, {
 * readRouteTables: true })`, what `vrrp run` and `vrrp import-keepalived` do, resolves `table NAME` with this
 * host's file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importKeepalivedConf, readRouteTableNames } from '../../src/keepalived/index.js';

const dir = mkdtempSync(join(tmpdir(), 'vrrp-rt-tables-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readRouteTableNames', () => {
  // keepalived 2.2.7 takes lines of exactly two words: a comment after the name makes a line it skips (iproute2
  // reads it), so `isp2` is the later line's 102 there, and here.
  it('reads NUMBER NAME lines, skips comments and every other line, and keeps the first line for a name', () => {
    const path = join(dir, 'rt_tables');
    writeFileSync(
      path,
      [
        '#',
        '# reserved values',
        '255\tlocal',
        '254\tmain',
        '#1\tinr.ruhep',
        '100 isp2   # the second uplink',
        '0x65 isp3',
        '102 isp2',
        'twelve dozen',
        '103',
        '104 too many words',
        '4294967296 toolarge',
        '',
      ].join('\n'),
    );
    expect([...readRouteTableNames(path)]).toEqual([
      ['local', 255],
      ['main', 254],
      ['isp3', 101],
      ['isp2', 102],
    ]);
  });

  it('gives no names for a file that is not there', () => {
    expect(readRouteTableNames(join(dir, 'nosuch'))).toEqual(new Map());
  });

  // The machine's own file, which the import reads: its names are the ones a `table NAME` resolves to.
  it("reads this host's /etc/iproute2/rt_tables where there is one", () => {
    let text: string;
    try {
      text = readFileSync('/etc/iproute2/rt_tables', 'utf8');
    } catch {
      expect(readRouteTableNames()).toEqual(new Map());
      return;
    }
    const main = /^\s*(\S+)\s+main\s*$/m.exec(text)?.[1];
    expect(readRouteTableNames().get('main')).toBe(main === undefined ? undefined : Number(main));
  });
});

describe('importKeepalivedConf with readRouteTables', () => {
  const confPath = join(dir, 'k.conf');
  writeFileSync(
    confPath,
    'vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.1/24\n    }\n    virtual_routes {\n        10.8.0.0/16 via 192.0.2.254 table isp2\n    }\n}\n',
  );
  const tables = join(dir, 'rt_tables.isp2');
  writeFileSync(tables, '255 local\n254 main\n253 default\n100 isp2\n');

  it("resolves a route's `table isp2` with the rt_tables file read", () => {
    const result = importKeepalivedConf(confPath, { readRouteTables: tables });
    expect(result.errors).toEqual([]);
    expect(result.config.instances[0]?.virtualRoutes?.[0]?.table).toBe(100);
  });

  it('refuses the same name when no file is read', () => {
    expect(importKeepalivedConf(confPath).errors.map((issue) => issue.message)).toEqual([expect.stringMatching(/: table isp2: give its number/)]);
  });
});
