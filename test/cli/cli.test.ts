/**
 * `vrrp run` rejects bad configs before touching the network: non-zero exit (2) and every problem listed with its
 * path, for one instance, for `{ "instances": [...] }`, and for its notify scripts, groups and global settings. Runs the built CLI (npm test builds dist/ first); needs
 * no root, because validation comes before any socket.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vrrp-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


function configFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('vrrp run with a bad config', () => {
  // Given one instance with three problems; when run; then exit 2 and all three are listed with their paths.
  it('exits 2 listing every problem of a single instance', async () => {
    const path = configFile('one.json', { interface: 'eth0', vrid: 0, priority: 300, virtualAddresses: ['10.0.0.1', 'nope'] });
    const result = await runCli(['run', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('(3 problems)');
    expect(result.stderr).toMatch(/- vrid: must be at least 1/);
    expect(result.stderr).toMatch(/- priority: must be at most 255/);
    expect(result.stderr).toMatch(/- virtualAddresses\.1: "nope" is not a valid address/);
    expect(result.stdout).toBe('');
  });

  // Given { instances: [good, bad] }; when run; then exit 2 and the bad one's problems carry its index.
  it('prefixes problems with the instance index for { instances: [...] }', async () => {
    const good = { interface: 'eth0', vrid: 1, virtualAddresses: ['10.0.0.1'] };
    const path = configFile('many.json', { instances: [good, { ...good, vrid: 2, version: 2, advertIntervalMs: 1500 }] });
    const result = await runCli(['run', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('instances.1.advertIntervalMs: VRRPv2 advertises whole seconds');
  });

  // Given a file that is not JSON; when run; then exit 2 naming the file and the parse error.
  it('exits 2 on a file that is not JSON', async () => {
    const result = await runCli(['run', configFile('broken.json', '{ "interface": ')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/broken\.json is not valid JSON/);
  });

  // Given notify and sync group problems; when run; then exit 2 with each problem at its path, before any socket.
  it('lists notify and sync group problems with their paths', async () => {
    const one = { name: 'VI_1', interface: 'eth0', vrid: 1, virtualAddresses: ['10.0.0.1'], notify: { master: "sh -c 'unterminated", fault: [], timeoutMs: 0 } };
    const two = { name: 'VI_2', interface: 'eth0', vrid: 2, virtualAddresses: ['10.0.0.2'] };
    const path = configFile('groups.json', {
      instances: [one, two],
      groups: [
        { name: 'G1', members: ['VI_1', 'VI_3'], notify: { any: '' } },
        { name: 'G2', members: ['VI_1'] },
      ],
      global: { startupDelayMs: -1, colour: 'blue' },
    });
    const result = await runCli(['run', path]);
    expect(result.code).toBe(2);
    for (const problem of [
      'instances.0.notify.master: has an unmatched \' quote',
      'instances.0.notify.fault: is empty',
      'instances.0.notify.timeoutMs: must be at least 1',
      'groups.0.notify.any: is empty',
      'groups.0.members.1: no instance is named "VI_3"',
      'groups.1.members.0: "VI_1" is already in group G1',
      'global.startupDelayMs: must be at least 0',
      'global: unknown field "colour"',
    ]) {
      expect(result.stderr).toContain(`- ${problem}`);
    }
    expect(result.stdout).toBe('');
  });

  // Given an unknown command; then usage on stderr, listing the commands, and exit 2.
  it('prints usage and exits 2 for an unknown command', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^  run /m);
    expect(result.stderr).toMatch(/^  import-keepalived /m);
  });
});
