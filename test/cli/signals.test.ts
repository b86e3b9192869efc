/**
 * `vrrp run` and the signals and pipes an operator's tools bring: a SIGUSR1 that comes before the run is ready
 * (Node.js would open its unauthenticated inspector on 127.0.0.1:9229), SIGHUP (keepalived's reload, or a closed
 * terminal: Node.js would die of it, leaving the VIPs without a priority 0), and a reader of its lines that goes
 * away (the next line's EPIPE ended the process, in a clean stop before the VIPs' removal). Shown with a config
 * waiting out a long `startupDelayMs` (no namespace needed: the stop path is SIGTERM's, shown with VIPs in
 * test/cli/run-netns.test.ts). Lines are awaited, never slept for; every process started is killed after each test.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { collectLines } from '../support/run-cli.js';
import { defaultSocketPath, dumpPathFor } from '../../src/control.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'vrrp-signals-'));
const CONFIG = JSON.stringify({ instances: [{ interface: 'eth0', vrid: 1, virtualAddresses: ['192.0.2.1'] }], global: { startupDelayMs: 600_000 } });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

let runs = 0;

interface Run {
  child: ChildProcess;
  events: () => string[];
  stderr: () => string;
  /** Resolves once `count` lines of `event` came (default 1). */
  waitFor: (event: string, count?: number) => Promise<void>;
  /** The signal each `statusDumped` line names, in order. */
  dumps: () => string[];
  exited: Promise<number | null>;
}

/**
 * Starts `vrrp run` on `configPath` with a socket and a status file of its own in the test's directory; with
 * `stderrToStdout`, its stderr is its stdout's pipe (`2>&1`, through an exec'ing shell: the child is vrrp itself).
 */
function startRun(configPath: string, stderrToStdout = false, defaults = false): Run {
  const n = ++runs;
  const argv = defaults ? [cli, 'run', configPath] : [cli, 'run', '--socket', join(dir, `ctl-${n}.sock`), '--status-file', join(dir, `status-${n}.json`), configPath];
  const child = stderrToStdout
    ? spawn('sh', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  collectLines(child.stdout, lines, () => {
    for (const waiter of [...waiters]) waiter();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const parsed = (): { event: string; signal?: string }[] => lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { event: string; signal?: string });
  const events = (): string[] => parsed().map((line) => line.event);
  const dumps = (): string[] => parsed().flatMap((line) => (line.event === 'statusDumped' ? [String(line.signal)] : []));
  const waitFor = (event: string, count = 1): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fewer than ${count} "${event}" lines in 15 s:\n${lines.join('\n')}\nstderr:\n${stderr}`)), 15_000);
      const check = (): void => {
        if (events().filter((one) => one === event).length < count) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, events, stderr: () => stderr, waitFor, dumps, exited };
}

/** `vrrp run` of CONFIG, written as `name`, once it waits out its start-up delay (see {@link startRun}). */
async function waitingRun(name: string, stderrToStdout = false): Promise<Run> {
  const config = join(dir, name);
  writeFileSync(config, CONFIG);
  const run = startRun(config, stderrToStdout);
  await run.waitFor('startupDelay');
  return run;
}

describe('vrrp run and signals', () => {
  // Given `vrrp run` still reading its config (a FIFO nobody has written yet)
  // when SIGUSR1 and SIGUSR2 come
  // then no inspector opens, the process lives, and the status is written for each once the run is ready.
  it('never opens the inspector on an early SIGUSR1 nor dies of an early SIGUSR2, and answers both once ready', async () => {
    const fifo = join(dir, 'early.json');
    execFileSync('mkfifo', [fifo]);
    const run = startRun(fifo);
    // Opening the FIFO without blocking succeeds only once a reader has it open: then the run is reading its config.
    let writer: number | undefined;
    const deadline = Date.now() + 15_000;
    while (writer === undefined) {
      try {
        writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) throw error;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    run.child.kill('SIGUSR1');
    run.child.kill('SIGUSR2'); // Node's default would end the process: held from the first line too
    writeSync(writer, CONFIG);
    closeSync(writer);
    await run.waitFor('statusDumped', 2);
    run.child.kill('SIGTERM');
    expect({ code: await run.exited, inspector: /Debugger listening/.test(run.stderr()), dumps: run.dumps().sort() }).toEqual({ code: 0, inspector: false, dumps: ['SIGUSR1', 'SIGUSR2'] });
  });

  // Given a run waiting out its start-up delay; when SIGHUP comes; then it says the reload waits for the start and
  // runs on: a SIGTERM after it still stops it cleanly (stopping, stopped, exit 0), not held by the waiting reload.
  // Before, SIGHUP killed it (exit 129). Reloads of a started run: test/cli/reload.test.ts.
  it('runs on after SIGHUP during its start-up delay, the reload deferred to the start', async () => {
    const run = await waitingRun('hup.json');
    run.child.kill('SIGHUP');
    await run.waitFor('reloadDeferred');
    run.child.kill('SIGTERM');
    expect({ code: await run.exited, events: run.events() }).toEqual({ code: 0, events: ['startupDelay', 'reloadDeferred', 'stopping', 'stopped'] });
  });

  // Given two runs of configs of the same name, each with the default socket and no --status-file: the second's
  // default socket is refused (the first answers there)
  // when SIGUSR1 comes to the second
  // then it says it has no status file: it wrote its status into the first run's file, beside a socket not its own
  // (found by review).
  it('writes no status beside a default socket that is not its own', async () => {
    const name = `refused-${process.pid}.json`;
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'a', name), CONFIG);
    writeFileSync(join(dir, 'b', name), CONFIG);
    // The default socket's place (root's /run/vrrp/control, else $XDG_RUNTIME_DIR's): nothing of it is left behind.
    const socket = defaultSocketPath(name);
    try {
      const first = startRun(join(dir, 'a', name), false, true);
      await first.waitFor('startupDelay');
      const second = startRun(join(dir, 'b', name), false, true);
      await second.waitFor('startupDelay');
      second.child.kill('SIGUSR1');
      await second.waitFor('error');
      expect(second.events()).not.toContain('statusDumped');
      first.child.kill('SIGTERM');
      second.child.kill('SIGTERM');
      expect([await first.exited, await second.exited]).toEqual([0, 0]);
    } finally {
      if (socket !== undefined) for (const path of [socket, dumpPathFor(socket)]) rmSync(path, { force: true });
    }
  });

  // Given a run waiting out its start-up delay; when SIGUSR2 comes (keepalived's stats signal); then it writes the
  // status, counters included, says so, and runs on. Before, Node's default for SIGUSR2 killed it (no priority 0).
  it('writes the status with its counters on SIGUSR2 and runs on', async () => {
    const run = await waitingRun('usr2.json');
    run.child.kill('SIGUSR2');
    await run.waitFor('statusDumped');
    expect(run.dumps()).toEqual(['SIGUSR2']);
    const dumped = JSON.parse(readFileSync(join(dir, `status-${runs}.json`), 'utf8')) as { instances: { counters?: Record<string, unknown> }[] };
    expect(dumped.instances[0]?.counters).toMatchObject({ vrrpv3StatisticsMasterTransitions: 0 });
    run.child.kill('SIGTERM');
    expect({ code: await run.exited, events: run.events() }).toEqual({ code: 0, events: ['startupDelay', 'statusDumped', 'stopping', 'stopped'] });
  });

  // Given a run whose stdout reader went away; when it next writes a line (the SIGUSR1 dump's) and then stops
  // then it stops cleanly and exits 0, having said once on stderr that its lines are dropped. Before, the EPIPE
  // was an unhandled 'error' event: exit 1, in a stop before the VIPs' removal.
  it('stops cleanly after its stdout reader went away', async () => {
    const run = await waitingRun('epipe.json');
    run.child.stdout?.destroy();
    run.child.kill('SIGUSR1');
    // The dump is written whether or not its line can be: its file appearing says the signal was handled.
    await statusWritten(join(dir, `status-${runs}.json`), run.stderr);
    run.child.kill('SIGTERM');
    const code = await run.exited;
    expect({ code, unhandled: /Unhandled 'error' event/.test(run.stderr()) }).toEqual({ code: 0, unhandled: false });
    expect(run.stderr()).toContain('vrrp: stdout can no longer be written (EPIPE)');
  });

  // Given the same with stderr on the same pipe (`2>&1 | reader`); then the notice, which now meets a dead pipe too,
  // does not end it either: a clean stop, exit 0. Before, that notice's own EPIPE ended the run (exit 1).
  it('stops cleanly after its reader went away when stderr shares the pipe', async () => {
    const run = await waitingRun('epipe-2.json', true);
    run.child.stdout?.destroy();
    run.child.kill('SIGUSR1');
    await statusWritten(join(dir, `status-${runs}.json`), run.stderr);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});

/** Resolves once the status dump at `path` is written (non-empty); rejects after 15 s with the run's stderr. */
async function statusWritten(path: string, stderr: () => string): Promise<void> {
  const written = (): boolean => {
    try {
      return statSync(path).size > 0;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 15_000;
  while (!written()) {
    if (Date.now() > deadline) throw new Error(`no ${path} in 15 s; stderr:\n${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
