/**
 * programRunnable (src/keepalived/load.ts): keepalived's test of a script's program at its start — a bare name
 * searched in PATH, a path taken as it is; missing or not executable is not runnable. On this machine's files.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { programRunnable } from '../../src/keepalived/load.js';
import { loadRunConfig } from '../../src/run-config.js';

const dir = mkdtempSync(join(tmpdir(), 'vrrp-runnable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('programRunnable', () => {
  it('finds an executable by path, and a bare name in PATH', () => {
    const script = join(dir, 'check.sh');
    writeFileSync(script, '#!/bin/sh\nexit 0\n');
    chmodSync(script, 0o755);
    expect(programRunnable(script)).toBe(true);
    expect(programRunnable('check.sh', { PATH: `/nonexistent:${dir}` })).toBe(true);
  });

  it('refuses a missing file, a file that is not executable, a directory, and a name not in PATH', () => {
    const plain = join(dir, 'plain.sh');
    writeFileSync(plain, 'exit 0\n');
    chmodSync(plain, 0o644);
    expect(programRunnable(join(dir, 'missing.sh'))).toBe(false);
    // X_OK needs an x bit even for root.
    expect(programRunnable(plain)).toBe(false);
    expect(programRunnable(dir)).toBe(false);
    expect(programRunnable('check.sh', { PATH: '/nonexistent' })).toBe(false);
  });
});

describe('vrrp run with a keepalived.conf', () => {
  // Given a keepalived.conf whose tracked script's program does not exist on this host
  // then `vrrp run`'s loading disables it (the instance has no tracker) and says so, as keepalived's start does.
  it('disables a tracked script whose program is missing here', () => {
    const path = join(dir, 'keepalived.conf');
    writeFileSync(
      path,
      [
        'vrrp_script chk {',
        `    script "${join(dir, 'no-such-check.sh')}"`,
        '}',
        'vrrp_instance VI_1 {',
        '    interface eth0',
        '    virtual_router_id 51',
        '    virtual_ipaddress {',
        '        192.0.2.100/24',
        '    }',
        '    track_script {',
        '        chk',
        '    }',
        '}',
        '',
      ].join('\n'),
    );
    const loaded = loadRunConfig(path);
    expect(loaded.config.instances[0]?.config.trackers).toEqual([]);
    expect(loaded.warnings.map((warning) => warning.message)).toContain(
      `vrrp_script chk: ${join(dir, 'no-such-check.sh')} is not found or not executable here: disabled, as keepalived does — instances tracking it run without it`,
    );
  });
});
