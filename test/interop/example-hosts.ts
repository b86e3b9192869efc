/**
 * What the lab examples (examples-*.test.ts) add to the lab: hosts that are also PID namespaces, processes whose
 * output is read line by line, the tools the examples need, and the client's gap.
 *
 * Why PID namespaces: network namespaces share one process table, so on two lab hosts `killall -0 haproxy` — the
 * tutorial's health check — would see both hosts' HAProxy, and a check on lb1 would pass on lb2's. A {@link PidHost}
 * is a lab host whose processes also share a PID namespace with its own /proc: `killall`, `pidof` and our
 * `process` tracker see that host's processes only, as on a real machine. Its init is a shell that reaps orphans
 * (a zombie HAProxy would still pass `killall -0`) and whose death takes the whole namespace with it; it runs under
 * `unshare --kill-child` inside a tracked lab process, so the lab's cleanup layers reach it, and through it every
 * process of the host.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { eachLine, type ExecOptions, type ExecResult, isProcessAlive, type Lab, Notifier, tools, waitUntil } from './lab.js';

// ---------------------------------------------------------------------------------------------------------------
// tools

/** Absolute path of `name` on PATH or in the sbin dirs (HAProxy and keepalived live in /usr/sbin), or undefined. */
export function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

/** The newest PostgreSQL server binaries (Debian: /usr/lib/postgresql/<major>/bin), or undefined. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  try {
    const majors = execFileSync('ls', [root], { encoding: 'utf8' }).split('\n').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const major of majors) if (existsSync(join(root, major, 'bin', 'postgres'))) return join(root, major, 'bin');
  } catch {
    // not installed
  }
  return undefined;
}

const announced = new Set<string>();

/**
 * Like the lab's `requireLab`, for an example's extra tools: in CI (`CI=true`) a missing tool fails the file (a
 * skipped example proves nothing); elsewhere one loud line goes to stderr and the caller skips.
 */
export function requireTools(example: string, missing: string[]): { ok: boolean; reason?: string } {
  if (missing.length === 0) return { ok: true };
  const reason = `${missing.join(', ')} not installed (see the packages in .ci/run)`;
  if (process.env.CI === 'true') throw new Error(`${example} cannot run in CI: ${reason}`);
  if (!announced.has(example)) {
    announced.add(example);
    process.stderr.write(`SKIPPED ${example}: ${reason}\n`);
  }
  return { ok: false, reason };
}

// ---------------------------------------------------------------------------------------------------------------
// processes read line by line

/** One line a process printed, when it reached us, and its JSON if it was JSON. */
export interface Line {
  atMs: number;
  text: string;
  json?: Record<string, unknown>;
}

/** A process started in a lab host whose stdout and stderr are kept as lines; see {@link watch}. */
export interface LineProcess {
  readonly name: string;
  readonly lines: readonly Line[];
  readonly exited: boolean;
  /** The pid to signal: the program itself (inside a {@link PidHost}, not the `nsenter` that started it). */
  pid(): Promise<number>;
  /** Resolves with the first line at or after index `from` that `match` accepts; rejects on timeout or exit. */
  waitFor(match: (line: Line) => boolean, timeoutMs?: number, from?: number): Promise<Line>;
  /** Shorthand: the first JSON line `match` accepts. */
  waitForJson(match: (json: Record<string, unknown>) => boolean, timeoutMs?: number, from?: number): Promise<Line>;
  /** Sends `signal` (default SIGTERM) to the program and waits for it to exit, SIGKILLing its group after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
  /** The last lines, for failure messages. */
  tail(count?: number): string;
}

/**
 * Reads a lab-spawned process's output as lines. `viaNsenter`: the child is an `nsenter` whose only child is the
 * program (it waits for it and exits with its status, but forwards no signal).
 */
export function watch(name: string, child: ChildProcess, viaNsenter: boolean): LineProcess {
  const lines: Line[] = [];
  const notifier = new Notifier();
  let exitedWith: string | undefined;
  const onLine = (text: string): void => {
    let json: Record<string, unknown> | undefined;
    if (text.startsWith('{')) {
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // a plain line that starts with a brace
      }
    }
    lines.push({ atMs: Date.now(), text, ...(json ? { json } : {}) });
    notifier.notify();
  };
  eachLine(child.stdout!, onLine);
  eachLine(child.stderr!, onLine);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedWith = signal ?? `code ${code}`;
      notifier.notify();
      resolve();
    });
    child.once('error', (error) => {
      exitedWith = String(error);
      notifier.notify();
      resolve();
    });
  });
  const tail = (count = 20): string => `${name}${exitedWith ? ` (exited: ${exitedWith})` : ''}:${lines.slice(-count).map((l) => `\n  | ${l.text}`).join('')}`;
  const pid = async (): Promise<number> => {
    if (!viaNsenter) return child.pid!;
    const deadline = Date.now() + 2_000;
    for (;;) {
      const inner = childrenOf(child.pid!)[0];
      if (inner !== undefined) return inner;
      if (exitedWith !== undefined || Date.now() > deadline) throw new Error(`no program under nsenter: ${tail()}`);
      await sleep(5);
    }
  };
  const waitFor: LineProcess['waitFor'] = (match, timeoutMs = 10_000, from = 0) =>
    waitUntil(
      () => {
        const found = lines.slice(from).find(match);
        if (found) return found;
        return exitedWith !== undefined ? new Error(`exited before the awaited line: ${tail()}`) : undefined;
      },
      notifier.subscribe,
      timeoutMs,
      () => `no awaited line from ${tail()}`,
    ).then((result) => {
      if (result instanceof Error) throw result;
      return result;
    });
  return {
    name,
    lines,
    get exited() {
      return exitedWith !== undefined;
    },
    pid,
    waitFor,
    waitForJson: (match, timeoutMs, from) => waitFor((line) => line.json !== undefined && match(line.json), timeoutMs, from),
    async stop(signal = 'SIGTERM', timeoutMs = 5_000) {
      if (exitedWith !== undefined) return;
      try {
        process.kill(await pid(), signal);
      } catch {
        // gone already
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
      }, timeoutMs);
      await exited;
      clearTimeout(timer);
    },
    tail,
  };
}

/** Direct children of `pid` (pids as this process sees them). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// hosts with their own process table

/** A lab host that is also a PID namespace with its own /proc (see the file header). Create with {@link PidHost.create}. */
export class PidHost {
  readonly lab: Lab;
  readonly name: string;
  /** The namespace's init, as this process sees it. */
  readonly initPid: number;

  private constructor(lab: Lab, name: string, initPid: number) {
    this.lab = lab;
    this.name = name;
    this.initPid = initPid;
  }

  static async create(lab: Lab, name: string): Promise<PidHost> {
    const unshare = findTool('unshare');
    const nsenter = findTool('nsenter');
    if (unshare === undefined || nsenter === undefined) throw new Error('unshare / nsenter not found (util-linux)');
    // pid 1 of the namespace: reaps whatever is orphaned into it (dash's `wait` reaps any child), exits on SIGTERM,
    // and dies with `unshare` (--kill-child), which the lab kills with the test; its death kills the namespace.
    const init = lab.spawn(name, [
      unshare, '--pid', '--fork', '--mount-proc', '--kill-child', '--',
      '/bin/sh', '-c', 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait; done',
    ]);
    init.stdout?.resume();
    init.stderr?.resume();
    const deadline = Date.now() + 3_000;
    for (;;) {
      const inner = childrenOf(init.pid!)[0];
      // Entering the namespace needs the new /proc mounted: wait until init's view of itself says pid 1.
      if (inner !== undefined && /^NSpid:\s+\d+\s+1$/m.test(readFileSync(`/proc/${inner}/status`, 'utf8'))) {
        const host = new PidHost(lab, name, inner);
        if ((await host.exec(['cat', '/proc/1/cmdline'])).stdout.startsWith('/bin/sh')) return host;
      }
      if (Date.now() > deadline) throw new Error(`PID namespace of ${name} did not come up`);
      await sleep(5);
    }
  }

  #enter(argv: string[]): string[] {
    return [findTool('nsenter')!, '--target', String(this.initPid), '--pid', '--mount', '--', ...argv];
  }

  /** Runs a command in this host and collects its output (see `Lab.exec`). */
  exec(argv: string[], options?: ExecOptions): Promise<ExecResult> {
    return this.lab.exec(this.name, this.#enter(argv), options);
  }

  /** Starts a long-running program in this host; tracked by the lab, so it never outlives the test. */
  start(name: string, argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): LineProcess {
    return watch(`${name} in ${this.name}`, this.lab.spawn(this.name, this.#enter(argv), options), true);
  }

  /** Pids (as this process sees them) of the host's processes whose /proc/PID/comm is `comm`. */
  pidsOf(comm: string): number[] {
    const ns = this.lab.host(this.name).ns;
    const pids = execFileSync(tools.ip!, ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
    return pids.filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm && isProcessAlive(pid);
      } catch {
        return false;
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// measurements

/** A request a client made: when it was sent and settled (ms since the epoch), and whether it was answered. */
export interface ClientRecord {
  seq: number;
  sentMs: number;
  doneMs: number;
  ok: boolean;
  by?: string;
  error?: string;
}

/** The client's records among a process's lines, in the order they were sent. */
export function clientRecords(lines: readonly Line[]): ClientRecord[] {
  return lines
    .map((line) => line.json)
    .filter((json): json is Record<string, unknown> => json !== undefined && typeof json.seq === 'number')
    .map((json) => json as unknown as ClientRecord)
    .sort((a, b) => a.seq - b.seq);
}

/**
 * The client's gap: the longest time between two consecutive answers (by the time they arrived), and every failed
 * request by how it failed. The examples' clients print the same figure as their summary.
 */
export function longestGap(records: readonly ClientRecord[]): { gapMs: number; fromMs: number; toMs: number; failed: number; errors: Record<string, number> } {
  const answered = records.filter((r) => r.ok).sort((a, b) => a.doneMs - b.doneMs);
  let best = { gapMs: 0, fromMs: Number.NaN, toMs: Number.NaN };
  for (let i = 1; i < answered.length; i += 1) {
    const gapMs = answered[i]!.doneMs - answered[i - 1]!.doneMs;
    if (gapMs > best.gapMs) best = { gapMs, fromMs: answered[i - 1]!.doneMs, toMs: answered[i]!.doneMs };
  }
  const errors: Record<string, number> = {};
  for (const r of records) if (!r.ok) errors[r.error ?? '?'] = (errors[r.error ?? '?'] ?? 0) + 1;
  return { ...best, failed: records.length - answered.length, errors };
}
