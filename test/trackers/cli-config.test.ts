/**
 * `vrrp run` with trackers in its JSON file (the issue: a JSON tracker got "trackers.0.check: must be a
 * function"). Runs src/cli.ts as a child process through the project's TypeScript loader, so no build is needed.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { skipLoudly } from '../support/loud-skip.js';
import { tempDir } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = tempDir('cli-trackers');
afterAll(() => tmp.remove());

async function vrrpRun(config: unknown): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = join(tmp.dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(config));
  const args = ['--import', join(root, 'test/interop/fixtures/ts-loader.mjs'), join(root, 'src/cli.ts'), 'run', path];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd: root, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const instance = { vrid: 51, virtualAddresses: ['192.0.2.100/24'] };
const chkHaproxy = { type: 'exec', name: 'chk_haproxy', command: 'killall -0 haproxy', intervalMs: 2000, weight: 2 };

describe('vrrp run with trackers in JSON', () => {
  skipLoudly('test/trackers/cli-config.test.ts', 'vrrp run with trackers in JSON, on Linux', process.platform === 'linux' ? undefined : 'not Linux: vrrp run opens its interface with the Linux adapters');
  // Given the tutorial's chk_haproxy as an exec tracker, and an interface that does not exist
  // when vrrp run loads the file
  // then the config is accepted (no "invalid config", not exit 2): the run gets as far as opening the interface.
  it.runIf(process.platform === 'linux')('accepts an exec tracker and goes on to start', async () => {
    const result = await vrrpRun({ ...instance, interface: 'vrrpnoif0', trackers: [chkHaproxy] });
    expect(result.stderr).not.toContain('invalid config');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('vrrpnoif0');
  });

  // Given an exec tracker with an unmatched quote next to another mistake
  // when vrrp run loads the file
  // then exit 2, listing both problems with their paths.
  it('lists a bad tracker field among the config problems', async () => {
    const result = await vrrpRun({ ...instance, interface: 'eth0', vrid: 0, trackers: [{ ...chkHaproxy, command: "killall -0 'haproxy" }] });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('(2 problems)');
    expect(result.stderr).toContain('- vrid: must be at least 1');
    expect(result.stderr).toContain("- trackers.0.command: has an unmatched ' quote");
  });
});
