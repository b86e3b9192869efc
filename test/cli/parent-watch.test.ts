/**
 * `vrrp run` notices that the processes that started it are gone and stops as on SIGTERM: `npx vrrp run` runs
 * under `npm exec` through `sh -c`, and a signal to npm may never reach us — an npm killed outright leaves the shell
 * and us running with the VIPs. Shown here with a config waiting out a long `startupDelayMs` (no socket, no
 * namespace: the stop path is the one SIGTERM takes, shown with VIPs in test/cli/run-netns.test.ts); the lines
 * are awaited, not slept for. Every process started is killed after each test, whatever happened.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { launchers, readProcStat, startedByNpm } from '../../src/parent-watch.js';
import { collectLines } from '../support/run-cli.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'vrrp-parent-'));
const config = join(dir, 'vrrp.json');
writeFileSync(config, JSON.stringify({ instances: [{ interface: 'eth0', vrid: 1, virtualAddresses: ['192.0.2.1'] }], global: { startupDelayMs: 600_000 } }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pids = new Set<number>();
afterEach(() => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
});

/** Starts `node -e script args…` as our child; its stdout is read line by line (the grandchild inherits it). */
function launch(script: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; lines: string[]; waitFor: (text: string) => Promise<void>; closed: Promise<void> } {
  const child = spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, npm_command: undefined, npm_lifecycle_event: undefined, ...env } });
  if (child.pid !== undefined) pids.add(child.pid);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  collectLines(child.stdout, lines, () => {
    for (const waiter of [...waiters]) waiter();
  });
  // The pipe closes when the last process holding it (the orphaned vrrp run) has exited.
  const closed = new Promise<void>((resolve) => child.stdout?.on('close', () => resolve()));
  const waitFor = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line with ${text} in 15 s:\n${lines.join('\n')}`)), 15_000);
      const check = (): void => {
        if (!lines.some((line) => line.includes(text))) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  return { child, lines, waitFor, closed };
}

/** The pids of `pid`'s children. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function events(lines: string[]): { event: string; [key: string]: unknown }[] {
  return lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { event: string });
}

describe('vrrp run when its parent is gone', () => {
  // Given `vrrp run --exit-with-parent` started by a process; when that process is SIGKILLed; then vrrp run
  // prints parentGone, stops as on SIGTERM (stopping, stopped) and exits.
  it('stops cleanly when the parent is killed, with --exit-with-parent', async () => {
    const parent = launch(`require('node:child_process').spawn(process.execPath, process.argv.slice(1), { stdio: 'inherit' });`, [cli, 'run', '--exit-with-parent', config]);
    await parent.waitFor('"startupDelay"');
    for (const pid of childrenOf(parent.child.pid as number)) pids.add(pid);
    parent.child.kill('SIGKILL');
    await parent.waitFor('"stopped"');
    await parent.closed;
    const seen = events(parent.lines);
    expect(seen.map((line) => line.event)).toEqual(['startupDelay', 'parentGone', 'stopping', 'stopped']);
    expect(seen[1]).toMatchObject({ pid: parent.child.pid, role: 'parent' });
    expect(seen[2]).toMatchObject({ signal: 'parent-gone' });
    expect(seen[3]).not.toHaveProperty('failed');
  });

  // Given the shape npx gives — npm (a process titled `npm exec …`, npm_command set) → sh -c → vrrp run, no flag;
  // when npm is SIGKILLed and the shell lives on; then vrrp run notices npm is gone and stops.
  it('stops cleanly when npm is killed under npx, the shell between them still alive', async () => {
    const npm = launch(
      `process.title = 'npm exec vrrp'; require('node:child_process').spawn('sh', ['-c', '"$0" "$@"; true', ...process.argv.slice(1)], { stdio: 'inherit' });`,
      [process.execPath, cli, 'run', config],
      { npm_command: 'exec' },
    );
    await npm.waitFor('"startupDelay"');
    const shells = childrenOf(npm.child.pid as number);
    for (const pid of [...shells, ...shells.flatMap(childrenOf)]) pids.add(pid);
    npm.child.kill('SIGKILL');
    await npm.waitFor('"stopped"');
    await npm.closed;
    const seen = events(npm.lines);
    expect(seen.map((line) => line.event)).toEqual(['startupDelay', 'parentGone', 'stopping', 'stopped']);
    expect(seen[1]).toMatchObject({ pid: npm.child.pid, role: 'npm' });
  });
});

describe('which processes vrrp run watches', () => {
  it('counts npx, npm exec and npm run as started by npm, and nothing else', () => {
    expect(startedByNpm({ npm_command: 'exec' })).toBe(true);
    expect(startedByNpm({ npm_lifecycle_event: 'start' })).toBe(true);
    expect(startedByNpm({})).toBe(false);
  });

  it('watches the parent, known by its pid and start time', () => {
    const [parent] = launchers();
    expect(parent).toEqual({ pid: process.ppid, startTime: readProcStat(process.ppid)?.startTime, role: 'parent' });
  });
});
