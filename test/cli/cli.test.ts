/**
 * `vrrp run` rejects bad configs before touching the network: non-zero exit (2) and every problem listed with its
 * path, for one instance and for `{ "instances": [...] }`. Runs the built CLI (npm test builds dist/ first); needs
 * no root, because validation comes before any socket.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const cli = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'vrrp-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

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

  // Given no config path or an unknown command; then usage on stderr and exit 2.
  it('prints usage and exits 2 for an unknown command', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('vrrp run <config.json>');
  });
});
