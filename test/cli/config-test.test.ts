/**
 * `vrrp run --config-test` (keepalived's `-t`): the configuration as a run would take it — a JSON file or a
 * keepalived.conf, read, converted and validated, with this host's checks — and nothing started: exit 0 when it
 * would run, 2 with every problem listed when not. Runs the built CLI (dist/); needs no root.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vrrp-config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const KEEPALIVED = [
  'vrrp_sync_group G {',
  '  group {',
  '    VI_1',
  '    VI_2',
  '  }',
  '}',
  'vrrp_instance VI_1 {',
  '  interface eth0',
  '  virtual_router_id 51',
  '  priority 150',
  '  virtual_ipaddress {',
  '    10.0.0.1/24',
  '  }',
  '}',
  'vrrp_instance VI_2 {',
  '  interface eth1',
  '  virtual_router_id 52',
  '  priority 150',
  '  smtp_alert',
  '  virtual_ipaddress {',
  '    10.1.0.1/24',
  '  }',
  '}',
  '',
].join('\n');

describe('vrrp run --config-test', () => {
  // Given a valid JSON config and a socket path; then exit 0, the count on stderr, no event line, and no socket:
  // nothing was started.
  it('says a valid JSON config is valid, and starts nothing', async () => {
    const config = file('ok.json', JSON.stringify({ instances: [{ interface: 'eth0', vrid: 1, virtualAddresses: ['192.0.2.1'] }] }));
    const socket = join(dir, 'ok.sock');
    const result = await runCli(['run', '--config-test', '--socket', socket, config]);
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 0, stdout: '', stderr: `${config}: configuration valid (1 instance)\n` });
    expect(existsSync(socket)).toBe(false);
  });

  // Given a JSON config with two bad values; then exit 2, each named by its field, as a run would say them.
  it('lists every problem of a bad JSON config and exits 2', async () => {
    const config = file('bad.json', JSON.stringify({ instances: [{ interface: 'eth0', vrid: 300, priority: 0, virtualAddresses: ['192.0.2.1'] }] }));
    const result = await runCli(['run', '-t', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/vrid/);
    expect(result.stderr).toMatch(/priority/);
    expect(result.stderr).not.toMatch(/configuration valid/);
  });

  // Given a keepalived.conf that runs with a difference (an e-mail alert); then its warning, the count of instances
  // and groups, and exit 0.
  it('takes a keepalived.conf as a run would: its warnings, then valid with its instances and sync groups', async () => {
    const config = file('keepalived.conf', KEEPALIVED);
    const result = await runCli(['run', '-t', config]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`warning: ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:19: smtp_alert`));
    expect(result.stderr.trim().split('\n').at(-1)).toBe(`${config}: configuration valid (2 instances, 1 sync group)`);
  });

  // Given a keepalived.conf with a refused keyword; then exit 2 at its line, and no verdict of valid.
  it('refuses a keepalived.conf with errors, naming the line', async () => {
    const config = file('ipvlan.conf', KEEPALIVED.replace('  priority 150\n  smtp_alert', '  priority 150\n  use_ipvlan'));
    const result = await runCli(['run', '--config-test', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${config}:19: use_ipvlan is refused`);
    expect(result.stderr).not.toMatch(/configuration valid/);
  });
});
