/**
 * The CLI's keepalived.conf side: `vrrp import-keepalived FILE` prints what the library's importer makes of every
 * fixture (JSON on stdout, each warning and error with its file:line on stderr, exit 2 and no JSON on errors), and
 * `vrrp run` on a keepalived.conf refuses one with errors or a syntax error, naming the line, before any socket.
 * Runs the built CLI (dist/); needs no root.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { importKeepalivedConf } from '../../src/keepalived/index.js';
import { loadRunConfig, resolveRunConfig } from '../../src/run-config.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'dist', 'cli.js');
const fixtures = join(repo, 'test', 'keepalived', 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'vrrp-cli-ka-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], { cwd: repo });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const confs = readdirSync(fixtures).filter((name) => name.endsWith('.conf'));

describe('vrrp import-keepalived', () => {
  // Given each fixture; when imported by the CLI; then stdout is the library's config (none when it has errors),
  // stderr names each error and warning at its file:line, and the exit code is 2 exactly when there are errors.
  it.each(confs)('prints what the importer makes of %s', async (name) => {
    const path = join(fixtures, name);
    const expected = importKeepalivedConf(path);
    const result = await runCli(['import-keepalived', path]);
    const lines = result.stderr.trim().split('\n').filter((l) => l !== '');
    for (const issue of expected.errors) expect(lines).toContain(`error: ${issue.path}: ${issue.message}`);
    for (const issue of expected.warnings) expect(lines).toContain(`warning: ${issue.path}: ${issue.message}`);
    if (expected.errors.length > 0) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
    } else {
      expect(result.code).toBe(0);
      const printed: unknown = JSON.parse(result.stdout);
      expect(printed).toEqual(JSON.parse(JSON.stringify(expected.config)));
      // What it prints, `vrrp run` takes.
      expect(() => resolveRunConfig(printed)).not.toThrow();
    }
  });

  // Given the tutorial's two configs; then each prints one instance that differs from the other in priority only,
  // with the tutorial's check, and exits 0 with two warnings (the script user, how state MASTER starts).
  it("prints the tutorial's configs as one instance each: VRID 51, priorities 101 and 100, chk_haproxy", async () => {
    const master = await runCli(['import-keepalived', join(fixtures, 'tutorial-master.conf')]);
    const backup = await runCli(['import-keepalived', join(fixtures, 'tutorial-backup.conf')]);
    expect([master.code, backup.code]).toEqual([0, 0]);
    const [m, b] = [JSON.parse(master.stdout), JSON.parse(backup.stdout)] as { instances: Record<string, unknown>[]; groups: unknown[] }[];
    expect(m?.instances).toHaveLength(1);
    expect(m?.instances[0]).toMatchObject({ name: 'Instance0', interface: 'eth0', vrid: 51, priority: 101, virtualAddresses: ['192.168.1.100'] });
    expect(b?.instances[0]).toEqual({ ...m?.instances[0], priority: 100 });
    expect(m?.instances[0]?.trackers).toMatchObject([{ type: 'exec', name: 'chk_haproxy', command: 'killall -0 haproxy', intervalMs: 2000, weight: 2 }]);
    expect(master.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^warning: .*tutorial-master\.conf:1: scripts run as the user running vrrp/),
      expect.stringMatching(/^warning: .*tutorial-master\.conf:9: vrrp_instance Instance0: state MASTER below priority 255 outside a sync group starts as BACKUP/),
    ]);
  });

  // Given one file for both nodes, told apart by @main / @backup lines (keepalived -i main / -i backup)
  // then --config-id picks each node's lines: priority, unicast source and peer; without it, on a host of neither
  // name, the file cannot be converted (its priority is left unset) — the case a user without the flag met.
  it("picks a file's @ID lines with --config-id, as keepalived -i does", async () => {
    const file = join(fixtures, 'conditional.conf');
    const main = await runCli(['import-keepalived', '--config-id', 'main', file]);
    const backup = await runCli(['import-keepalived', '--config-id', 'backup', file]);
    expect([main.code, backup.code], `${main.stderr}${backup.stderr}`).toEqual([0, 0]);
    const [m, b] = [JSON.parse(main.stdout), JSON.parse(backup.stdout)] as { instances: Record<string, unknown>[] }[];
    expect(m?.instances[0]).toMatchObject({ priority: 150, primaryAddress: '10.20.0.1', unicastPeers: ['10.20.0.2'] });
    expect(b?.instances[0]).toMatchObject({ priority: 100, primaryAddress: '10.20.0.2', unicastPeers: ['10.20.0.1'] });
    const neither = await runCli(['import-keepalived', '--config-id', 'elsewhere', file]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('priority');
    // vrrp run --config-id reads the file through loadRunConfig with the same option.
    expect(loadRunConfig(file, { configId: 'backup' }).config.instances[0]?.config).toMatchObject({ priority: 100, primaryAddress: '10.20.0.2' });
  });

  // Given a sync group with notify scripts; then the group and its notify come out in the JSON.
  it('prints sync groups with their notify scripts', async () => {
    const result = await runCli(['import-keepalived', join(fixtures, 'sync-group-db.conf')]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).groups).toEqual([
      {
        name: 'DB',
        members: ['DB_OUTSIDE', 'DB_INSIDE'],
        notify: { master: '/etc/keepalived/db.sh promote', backup: '/etc/keepalived/db.sh demote', fault: '/etc/keepalived/db.sh fence', any: '/etc/keepalived/db-any.sh' },
      },
    ]);
  });

  // keepalived resolves `table NAME` from the host's /etc/iproute2/rt_tables as it starts; so do both commands (a
  // name no file gives is refused with where it was looked for, which the import without the file does not say).
  it.each([['import-keepalived'], ['run']])("%s looks up a table's name in this host's /etc/iproute2/rt_tables", async (command) => {
    const path = file(
      `tables-${command}.conf`,
      ['vrrp_instance VI_1 {', '  interface eth0', '  virtual_router_id 51', '  virtual_ipaddress {', '    10.0.0.1', '  }', '  virtual_routes {', '    10.8.0.0/16 via 10.0.0.254 table no-such-table', '  }', '}', ''].join('\n'),
    );
    const result = await runCli([command, path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${path}:8: virtual_routes "10.8.0.0/16 via 10.0.0.254 table no-such-table": table no-such-table: not a number, and not a table named in /etc/iproute2/rt_tables (nor default, main, local)`);
  });

  // Given no file, or a file that does not exist; then usage or the reason, and exit 2.
  it('exits 2 without a readable file', async () => {
    expect((await runCli(['import-keepalived'])).code).toBe(2);
    const missing = await runCli(['import-keepalived', join(dir, 'nope.conf')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.conf/);
  });
});

describe('vrrp run keepalived.conf', () => {
  // Given a keepalived.conf with a refused keyword (use_ipvlan) and an unknown one; when run
  // then exit 2 before any socket, the error at its file:line, the warning printed too, nothing on stdout.
  it('refuses a configuration with errors, naming the line', async () => {
    const path = file(
      'ipvlan.conf',
      ['vrrp_instance VI_1 {', '  interface eth0', '  virtual_router_id 51', '  use_ipvlan', '  frobnicate yes', '  virtual_ipaddress {', '    10.0.0.1', '  }', '}', ''].join('\n'),
    );
    const result = await runCli(['run', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`- ${path}:4: use_ipvlan is refused`);
    expect(result.stderr).toMatch(new RegExp(`warning: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: .*frobnicate`));
    expect(result.stdout).toBe('');
  });

  // Given a keepalived.conf with a syntax error; when run; then exit 2 with file:line:column.
  it('refuses a syntax error with its file, line and column', async () => {
    const path = file('broken.conf', 'vrrp_instance VI_1 {\n  interface eth0\n  notify_master "/bin/true\n}\n');
    const result = await runCli(['run', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: unterminated quoted string`));
    expect(result.stdout).toBe('');
  });

  // Given a keepalived.conf whose values our schema refuses (an IPv6 VIP in an IPv4 instance); then exit 2 at the line.
  it('refuses values at the line that set them', async () => {
    const path = file('mixed.conf', ['vrrp_instance VI_1 {', '  interface eth0', '  virtual_router_id 51', '  virtual_ipaddress {', '    10.0.0.1', '    2001:db8::1', '  }', '}', ''].join('\n'));
    const result = await runCli(['run', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${path}:6:`);
  });
});
