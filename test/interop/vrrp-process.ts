/**
 * Runs our library inside a lab host, as a separate process (its sockets must live in the host's network
 * namespace): either the `vrrp run` CLI from dist/, or the embedded-app fixture.
 * Events arrive as JSON lines and are kept with their arrival time.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from './lab.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dist = join(repo, 'dist');

/** One JSON line the process printed, with the wall-clock time it reached us. */
export interface VrrpEvent {
  event: string;
  atMs: number;
  [field: string]: unknown;
}

/** A running vrrp process in a lab host. */
export interface VrrpProcess {
  readonly host: string;
  readonly events: readonly VrrpEvent[];
  readonly stderr: string;
  /** Resolves with the first event (from index `from`) that matches; rejects on timeout or exit, with the log. */
  waitFor(match: (event: VrrpEvent) => boolean, timeoutMs?: number, from?: number): Promise<VrrpEvent>;
  /** Shorthand: the first `stateChange` to `to`. */
  waitForState(to: string, timeoutMs?: number, from?: number): Promise<VrrpEvent>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL (a crash) and wait for exit. */
  kill(): Promise<void>;
  /** Sends `signal` (e.g. SIGSTOP / SIGCONT: a frozen process) without waiting for anything. */
  signal(signal: NodeJS.Signals): void;
  /** Exit code, once exited. */
  readonly exitCode: number | null;
  /** Everything printed so far, for failure messages. */
  describe(): string;
  /** The control socket of a `vrrp run` (for `requestStatus`); undefined for the embedded app or under a wrapper. */
  readonly controlSocket: string | undefined;
  /** Where its config was written: rewrite it and send SIGHUP for a reload. */
  readonly configPath: string;
}

let configCount = 0;

/** Starts `vrrp run <config>` (or, with `embedded`, the fixture app) in `host`; `config` is JSON data, or a keepalived.conf as a string. */
export function startVrrp(
  lab: Lab,
  host: string,
  config: unknown,
  options: {
    embedded?: boolean;
    flags?: string[];
    /** Prepended to the command, e.g. setpriv to drop a capability. */
    wrapper?: string[];
    /** Another build's cli.js (default: this repository's dist/cli.js). */
    cli?: string;
    /** Where the config file goes (default: the lab's temp dir, root's only); it is made readable by everyone, for a run as another user. */
    configDir?: string;
  } = {},
): VrrpProcess {
  configCount += 1;
  const controlSocket = options.embedded || options.wrapper !== undefined ? undefined : join(lab.tmpDir, `control-${host}-${configCount}.sock`);
  // A string is a keepalived.conf, written as it is (`vrrp run` tells the formats apart by their text).
  const configPath = join(options.configDir ?? lab.tmpDir, `vrrp-${host}-${configCount}.${typeof config === 'string' ? 'conf' : 'json'}`);
  writeFileSync(configPath, typeof config === 'string' ? config : JSON.stringify(config));
  if (options.configDir !== undefined) chmodSync(configPath, 0o644);
  const argv = options.embedded
    ? [process.execPath, join(repo, 'test/interop/fixtures/embedded-instance.mjs'), dist, configPath, ...(options.flags ?? [])]
    : [
        process.execPath,
        options.cli ?? join(dist, 'cli.js'),
        'run',
        // Its control socket in the lab's temp dir, which destroy() removes: the default (/run/vrrp/control) outlived
        // a process ended by SIGKILL (the failover benchmark's crashes left one per run). Not for a run as another
        // user (a wrapper), whose default is under its own XDG_RUNTIME_DIR and which cannot write the lab's dir.
        ...(controlSocket !== undefined ? ['--socket', controlSocket] : []),
        configPath,
      ];
  const spawnedAtMs = Date.now();
  const child: ChildProcess = lab.spawn(host, [...(options.wrapper ?? []), ...argv]);
  const events: VrrpEvent[] = [];
  let stderr = '';
  let buffered = '';
  let exitCode: number | null = null;
  let exitSignal: NodeJS.Signals | null = null;
  let exited = false;
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
      try {
        events.push({ ...(JSON.parse(line) as Record<string, unknown>), atMs: Date.now() } as VrrpEvent);
      } catch {
        stderr += `[stdout] ${line}\n`;
      }
    }
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exitCode = code;
      exitSignal = signal;
      exited = true;
      notify();
      resolve();
    });
  });
  // How it ended tells a crash (SIGSEGV, SIGABRT) from a hang that stop() ended with SIGKILL; when it was spawned
  // and when this was written tell a slow start (a loaded machine) from a process that stopped answering.
  const describe = (): string =>
    `vrrp in ${host}${exited ? ` (exit ${exitCode ?? `by ${exitSignal}`})` : ''}, spawned ${new Date(spawnedAtMs).toISOString()}, ` +
    `described ${new Date().toISOString()}:\n${events.map((e) => JSON.stringify(e)).join('\n')}\nstderr:\n${stderr}`;
  const waitFor: VrrpProcess['waitFor'] = (match, timeoutMs = 10_000, from = 0) =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = events.slice(from).find(match);
        if (found) {
          cleanup();
          resolve(found);
        } else if (exited) {
          cleanup();
          reject(new Error(`process exited (${exitCode}) before the awaited event\n${describe()}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for an event\n${describe()}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return {
    host,
    controlSocket,
    configPath,
    events,
    get stderr() {
      return stderr;
    },
    get exitCode() {
      return exitCode;
    },
    waitFor,
    waitForState: (to, timeoutMs, from) => waitFor((e) => e.event === 'stateChange' && e.to === to, timeoutMs, from),
    signal(signal) {
      if (!exited) child.kill(signal);
    },
    async stop(timeoutMs = 5000) {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exit;
        clearTimeout(timer);
      }
      return exitCode;
    },
    async kill() {
      if (!exited) {
        child.kill('SIGKILL');
        await exit;
      }
    },
    describe,
  };
}
