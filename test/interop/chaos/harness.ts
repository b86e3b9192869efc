/**
 * The chaos run, shared by test/interop/chaos.test.ts (CI-sized) and bench/chaos.ts (the long run).
 *
 * One lab (test/interop/lab.ts): hosts `cli` (`vrrp run`), `app` (our library embedded in an app) and `ka`
 * (keepalived) share VRID 51 (IPv4) and VRID 52 (IPv6) — see ./schedule.ts for priorities and trackers — and a
 * `client` host probes both VIPs. Every node host also runs ./echo.mjs, which answers a TCP connection with the
 * host's name, so a probe of a VIP says which host the client's ARP / neighbour entry leads to.
 *
 * For every event of the seeded schedule: apply it (and wait until it took: a process exited, a start reported
 * `started`, a link is down, a stall is over), then wait for quiescence — the VIP holders (read with `ip addr` on
 * every node, dead and frozen ones included) unchanged and no transition logged for 3 × Master_Down_Interval, and
 * no node of ours being started again after a failed start (see OurNode), within `settleTimeoutMs` — and check:
 * - **holders**: each live, unfrozen node holds each VIP exactly when the model says (./schedule.ts
 *   `expectedHolding`): one holder on the client's side of the segment, the highest effective priority; a
 *   partitioned node alone holds what it is eligible for; a node in fault (link down, failed weight-0 tracker)
 *   holds nothing;
 * - **client**: the client reaches each VIP and the node that answers is that holder (retried for
 *   `clientTimeoutMs`: ARP / ND must follow);
 * - **processes**: no node process exited unless the schedule ended it, a clean stop exited 0, and no node logged
 *   an error (ours: `error` events and stderr; keepalived: its error lines);
 * - **lease** (switchable with `leaseCheck`): a dead or frozen node of ours holds nothing once its lease bound —
 *   `leaseMs` rounded up to whole seconds (the kernel's unit) plus 1.5 s (its whole-second expiry timer) — passed
 *   since it died or froze. keepalived is excluded: it has no lease and keeps its VIPs after kill -9 or SIGSTOP, a
 *   known keepalived behaviour. Off, what they hold is recorded as a known finding instead of a failure;
 * - **stall**: a stall of the app's main thread caused no transition anywhere (the engine has its own thread).
 */
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BRIDGE, eachLine, type KeepalivedHandle, keepalivedConf, Lab, Notifier, tools, waitUntil } from '../lab.js';
import {
  applyEvent,
  type ChaosEvent,
  clientTarget,
  describeWorld,
  type EventKind,
  expectedHolding,
  initialWorld,
  NODES,
  type NodeName,
  VRIDS,
  type VridName,
  type VridSpec,
  type World,
} from './schedule.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const ECHO_PORT = 7777;
/** Our nodes whose eth0 promotes secondaries (see where it is set). */
const PROMOTE_SECONDARIES: readonly NodeName[] = ['cli'];
/** The lowest effective priority any node can have (app in v6 with a failed tracker): the longest Skew_Time. */
const LOWEST_PRIORITY = 40;

export interface ChaosOptions {
  seed: number;
  schedule: ChaosEvent[];
  /** Advertisement interval of every instance, ours and keepalived's (VRRPv3: centiseconds). */
  advertMs: number;
  /** The build to run (default: this repository's dist/). */
  dist?: string;
  /** Give up waiting for quiescence after this long (a failed check). */
  settleTimeoutMs?: number;
  /** How long the client retries a VIP before the check fails. */
  clientTimeoutMs?: number;
  /**
   * Re-announce the VIPs this often while master (ours: `garp.refreshMs`; keepalived: `garp_master_refresh`, whole
   * seconds); 0 turns it off. Without it, a healed partition whose island master wins leaves the client on the loser
   * about half of the time (see docs/benchmarks.md, "Chaos").
   */
  garpRefreshMs?: number;
  /** Turn the lease check on; with it, `leaseMs` goes into our configs as `vipLeaseMs`. */
  leaseCheck?: boolean;
  leaseMs?: number;
  /** Stop scheduling events this long after the start (the run is then `aborted`; the lab is still torn down). */
  budgetMs?: number;
  /** Abort between events and while settling (the test aborts when its runner goes away). */
  signal?: AbortSignal;
  /** Progress, one line per event. */
  log?: (line: string) => void;
  /** Known bugs (KNOWN_BUGS) fail the run like any other problem. */
  strict?: boolean;
  /** Write every process's output here at the end (`cli-<n>.jsonl`, `app-<n>.jsonl`, `ka-<n>.log`), for digging. */
  logDir?: string;
}

export interface CheckResult {
  check: 'settled' | 'holders' | 'client' | 'processes' | 'lease' | 'stall';
  ok: boolean;
  detail?: string;
}

export interface EventRecord {
  /** 0: the initial start of all three nodes. */
  index: number;
  kind: EventKind | 'initial';
  node?: NodeName;
  stallMs?: number;
  /** Wall clock when the event began (ms since the epoch). */
  atMs: number;
  /** How long applying it took (kill and wait for the exit, start and wait for `started`, …). */
  applyMs: number;
  /** Applied → the last VIP change or transition (what the cluster took to converge). */
  convergeMs: number;
  /** Applied → quiescence was declared (convergeMs + the quiet window), or the timeout. */
  settleMs: number;
  settled: boolean;
  world: string;
  /** Who holds each VIP after settling (every node, dead and frozen ones included). */
  holders: Record<VridName, NodeName[]>;
  /** Which node answered the client on each VIP, and how long it took to reach the right one. */
  client: Partial<Record<VridName, { target: NodeName; answered?: string; reachMs?: number; attempts: number }>>;
  /** Transitions logged during the event and its settling: ours (`cli`, `app`) and keepalived's. */
  transitions: number;
  checks: CheckResult[];
  /** Known findings (not failures): what dead or frozen nodes held while the lease check is off, … */
  known: string[];
}

export interface ChaosResult {
  seed: number;
  advertMs: number;
  garpRefreshMs: number;
  quietMs: number;
  leaseCheck: boolean;
  labCreateMs: number;
  durationMs: number;
  records: EventRecord[];
  /** Every failed check, flattened. */
  failures: { index: number; kind: string; node?: NodeName; check: string; detail: string }[];
  /** Error text our processes and keepalived printed, per node (for the report). */
  processLogs: Record<NodeName, string[]>;
  /** An exception that ended the run early (the lab still torn down). */
  aborted?: string;
  /** What teardown left behind (namespaces, the temp dir, our VIP marker directories): must be empty. */
  leftovers: string[];
  /**
   * Each time a node of ours was killed or frozen while holding VIPs: how long until they left it (`goneMs`), or
   * that it came back first (`backAfterMs`).
   */
  staleVips: { index: number; node: NodeName; kind: EventKind; held: VridName[]; goneMs?: number; backAfterMs?: number }[];
  /** Each time a known bug showed (not failures unless `strict`). */
  knownBugs: { index: number; bug: KnownBug; node: NodeName; detail: string }[];
}

// ---------------------------------------------------------------------------------------------------------------
// our node processes

interface OurEvent {
  event: string;
  atMs: number;
  [field: string]: unknown;
}

interface Incarnation {
  n: number;
  spawnedAt: number;
  child: ChildProcess;
  events: OurEvent[];
  stderr: string;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  /** Set before the schedule kills or stops it. */
  expectedExit: boolean;
  exited: Promise<void>;
}

/** How soon a node of ours whose start failed is started again (systemd's `Restart=on-failure`, `RestartSec=1`). */
const RESTART_MS = 1_000;

/**
 * One node of ours: its incarnations (one process each) and a supervisor. Once the schedule starts it, a start that
 * fails (the process exits before `started`) is reported by the processes check and retried every RESTART_MS, as
 * a service manager would, until one succeeds or the schedule kills or stops the node; a frozen node is not
 * restarted until thawed.
 */
class OurNode {
  readonly incarnations: Incarnation[] = [];
  readonly #notifier = new Notifier();
  /** The schedule wants it running. */
  #supervised = false;
  #frozen = false;
  #retrying: Promise<void> | undefined;
  constructor(
    readonly lab: Lab,
    readonly name: 'cli' | 'app',
    readonly argv: string[],
  ) {}

  get current(): Incarnation | undefined {
    return this.incarnations.at(-1);
  }

  /** A process that reported `started` and has not exited. */
  get running(): boolean {
    const inc = this.current;
    return inc !== undefined && inc.exit === undefined && inc.events.some((e) => e.event === 'started');
  }

  /** Its supervisor is starting it again after a failed start (not frozen, not ended by the schedule). */
  get startPending(): boolean {
    return this.#supervised && !this.#frozen && !this.running;
  }

  /** Resolves once it started, or after its first failed start (retried in the background). */
  async start(): Promise<void> {
    this.#supervised = true;
    this.#frozen = false;
    if (await this.#spawn()) return;
    this.#retrying ??= this.#retry().finally(() => (this.#retrying = undefined));
  }

  async #retry(): Promise<void> {
    while (this.#supervised && !this.running) {
      await sleep(RESTART_MS);
      if (!this.#supervised || this.#frozen || this.running) continue;
      await this.#spawn();
    }
  }

  /** One incarnation; true once it reported `started`, false if it exited (or was killed after `timeoutMs`) first. */
  async #spawn(timeoutMs = 15_000): Promise<boolean> {
    const child = this.lab.spawn(this.name, this.argv, { stdin: this.name === 'app' });
    let markExited = (): void => {};
    const inc: Incarnation = {
      n: this.incarnations.length + 1,
      spawnedAt: Date.now(),
      child,
      events: [],
      stderr: '',
      expectedExit: false,
      exited: new Promise<void>((resolve) => (markExited = resolve)),
    };
    this.incarnations.push(inc);
    eachLine(child.stdout!, (line) => {
      try {
        inc.events.push({ ...(JSON.parse(line) as Record<string, unknown>), atMs: Date.now() } as OurEvent);
      } catch {
        inc.stderr += `[stdout] ${line}\n`;
      }
      this.#notifier.notify();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (inc.stderr += chunk));
    child.stdin?.on('error', () => {});
    child.once('exit', (code, signal) => {
      inc.exit = { code, signal };
      markExited();
      this.#notifier.notify();
    });
    try {
      await this.waitFor(inc, (e) => e.event === 'started', timeoutMs);
      return true;
    } catch {
      if (inc.exit === undefined) {
        inc.stderr += `[chaos] no "started" within ${timeoutMs} ms: killed\n`;
        child.kill('SIGKILL');
        await inc.exited;
      }
      return false;
    }
  }

  waitFor(inc: Incarnation, match: (event: OurEvent) => boolean, timeoutMs: number, from = 0): Promise<OurEvent> {
    return waitUntil(
      () => inc.events.slice(from).find(match) ?? (inc.exit === undefined ? undefined : new Error(`${this.name} exited (${inc.exit.code ?? inc.exit.signal})`)),
      this.#notifier.subscribe,
      timeoutMs,
      () => `${this.name}: awaited event never came:\n${this.tail(inc)}`,
    ).then((found) => {
      if (found instanceof Error) throw new Error(`${found.message}:\n${this.tail(inc)}`);
      return found;
    });
  }

  tail(inc: Incarnation | undefined = this.current): string {
    if (inc === undefined) return '(never started)';
    const lines = inc.events.slice(-12).map((e) => `  | ${JSON.stringify(e)}`);
    return `${lines.join('\n')}${inc.stderr === '' ? '' : `\n  stderr: ${inc.stderr.trim().split('\n').slice(-10).join('\n  ')}`}`;
  }

  /** Ends supervision and whatever process is there (a start in progress too); `how` for a running one. */
  async #end(how: (inc: Incarnation) => void): Promise<Incarnation | undefined> {
    this.#supervised = false;
    const inc = this.current;
    if (inc !== undefined && inc.exit === undefined) {
      inc.expectedExit = true;
      if (this.running) how(inc);
      else inc.child.kill('SIGKILL');
      await inc.exited;
    }
    await this.#retrying;
    return inc;
  }

  async kill9(): Promise<void> {
    await this.#end((inc) => inc.child.kill('SIGKILL'));
  }

  /**
   * SIGTERM, and SIGKILL after `timeoutMs`; resolves with how it ended (`running: false` when there was no
   * process to stop: its starts were failing).
   */
  async stop(timeoutMs = 8_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean; running: boolean }> {
    const running = this.running;
    let forced = false;
    let timer: NodeJS.Timeout | undefined;
    const inc = await this.#end((each) => {
      each.child.kill('SIGTERM');
      timer = setTimeout(() => {
        forced = true;
        each.child.kill('SIGKILL');
      }, timeoutMs);
    });
    clearTimeout(timer);
    return { code: running ? (inc?.exit?.code ?? null) : 0, signal: running ? (inc?.exit?.signal ?? null) : null, forced, running };
  }

  /** SIGSTOP / SIGCONT; with no process running (its starts failing) only the supervisor pauses or resumes. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.#frozen = signal === 'SIGSTOP';
    if (this.running) process.kill(this.current!.child.pid!, signal);
  }

  /** Blocks the app's main thread for `ms`; nothing to do when no process is running (its starts failing). */
  async stall(ms: number): Promise<void> {
    if (!this.running) return;
    const inc = this.current!;
    const from = inc.events.length;
    inc.child.stdin!.write(`block ${ms}\n`);
    await this.waitFor(inc, (e) => e.event === 'unblocked', ms + 10_000, from);
  }

  /** Arrival time of the latest transition of any incarnation that started (a failed start never served). */
  lastTransitionMs(): number {
    let last = 0;
    for (const inc of this.incarnations) {
      if (!inc.events.some((e) => e.event === 'started')) continue;
      for (const e of inc.events) if (e.event === 'stateChange' && e.atMs > last) last = e.atMs;
    }
    return last;
  }

  transitionsSince(ms: number): number {
    return this.incarnations.reduce((sum, inc) => sum + inc.events.filter((e) => e.event === 'stateChange' && e.atMs >= ms).length, 0);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// keepalived

class KeepalivedNode {
  readonly handles: { handle: KeepalivedHandle; expectedExit: boolean }[] = [];
  constructor(
    readonly lab: Lab,
    readonly conf: string,
  ) {}

  get current(): { handle: KeepalivedHandle; expectedExit: boolean } | undefined {
    return this.handles.at(-1);
  }

  async start(): Promise<void> {
    const handle = await this.lab.startKeepalived('ka', this.conf);
    this.handles.push({ handle, expectedExit: false });
  }

  async kill9(): Promise<void> {
    this.current!.expectedExit = true;
    await this.current!.handle.kill();
  }

  async stop(): Promise<void> {
    this.current!.expectedExit = true;
    await this.current!.handle.stop(8_000);
  }

  /** SIGSTOP / SIGCONT go to the VRRP child: the process that speaks the protocol (lab.ts kills it the same way). */
  signal(signal: NodeJS.Signals): void {
    const pid = this.current?.handle.vrrpPid();
    if (pid === undefined) throw new Error('keepalived has no VRRP child');
    process.kill(pid, signal);
  }

  vrrpPid(): number | undefined {
    return this.current?.handle.vrrpPid();
  }

  lastTransitionMs(): number {
    let last = 0;
    for (const { handle } of this.handles) for (const line of handle.log) if (/Entering \w+ STATE/.test(line.text) && line.atMs > last) last = line.atMs;
    return last;
  }

  transitionsSince(ms: number): number {
    return this.handles.reduce((sum, { handle }) => sum + handle.log.filter((line) => line.atMs >= ms && /Entering \w+ STATE/.test(line.text)).length, 0);
  }
}

/**
 * Errors of ours that are expected where they happen (recorded as known there, failures anywhere else): a master
 * whose link was just cut may send before the link event puts it in fault; the send fails (ENETUNREACH for IPv4;
 * EINVAL or EADDRNOTAVAIL for IPv6, whose link-local source left with the link) and is reported, as every I/O
 * failure is.
 */
/** A send or announcement that failed because the link is gone (see THAWED_ON_CUT_LINK_MAX_ERRORS). */
function isLinkDownFailure(e: OurEvent): boolean {
  return (e.code === 'send_failed' || e.code === 'vip_failed') && /ENETUNREACH|ENETDOWN|EINVAL|errno 101/.test(`${String(e.message)} ${String(e.cause)}`);
}

/**
 * At most this many link-down failures per instance of ours thawed (SIGCONT) on a link cut while it was frozen,
 * before its link event puts it in fault: the overdue advert, one answer to the adverts that waited (an advert and
 * an announcement), a scheduled announcement, the priority 0 on its way to fault. More is the bug that was
 * `thawed-on-cut-link` (seed 3244800387, event 45): every advert that waited was answered, dozens of errors.
 */
const THAWED_ON_CUT_LINK_MAX_ERRORS = 5;

function expectedError(e: OurEvent, name: NodeName, event: ChaosEvent | undefined): string | undefined {
  if (event?.kind !== 'linkDown' || event.node !== name) return undefined;
  const text = `${String(e.message)} ${String(e.cause)}`;
  if (e.code === 'send_failed' && /ENETUNREACH|ENETDOWN|EINVAL|EADDRNOTAVAIL/.test(text)) return 'its link was just cut';
  // A master's announcement round due in that window (a GARP refresh, keepalived's second burst) fails the same way
  // on its packet socket (seed 1926726061, event 142). Announcements only — a scheduled one, or a takeover's whose
  // addresses were up ("cannot announce on") —: an address change that fails there is not excused (an IPv6 VIP
  // re-added onto a down link was a bug this run found).
  if (e.code === 'vip_failed' && /scheduled announcement on|cannot announce on/.test(String(e.message)) && /ENETDOWN/.test(text)) return 'its link was just cut';
  return undefined;
}

/**
 * Bugs of ours this run found and that are still open (two more it found are fixed: an IPv6 VIP re-added onto a
 * down link, and a spurious fault at start from the link monitor judging a watcher on a read of the other family;
 * 9d2a1ff — they fail the run if they come back): what matches one is recorded as a known bug (counted and
 * listed in the reports, with the id) instead of failing the run, so that `npm test` stays usable until the fix
 * lands; `strict` makes them failures again. Remove an entry when its fix lands.
 */
/**
 * Known bugs of ours that the run notes without failing (unless `strict`), by id: what goes wrong and where.
 * `start-on-down-link` (an IPv6 instance could not start while its link was down) and `thawed-on-cut-link` (a master
 * thawed on a link cut while it was frozen answered every advert that waited, each an error on the dead link) were
 * fixed and fail the run again like any other problem (test/interop/start-on-down-link.test.ts,
 * test/interop/thaw-on-cut-link.test.ts, THAWED_ON_CUT_LINK_MAX_ERRORS).
 */
export const KNOWN_BUGS: Readonly<Record<string, string>> = {};
export type KnownBug = string;

/** keepalived log lines that mean something went wrong (the rest is its normal chatter). */
const KEEPALIVED_TROUBLE = /segfault|assert|core dumped|exited due to signal (?!9 )|\bBUG\b|out of memory/i;
/** keepalived log lines worth listing in the report (without failing anything). */
const KEEPALIVED_NOTABLE = /error|fail|warn|invalid|unknown|cannot|can't/i;

// ---------------------------------------------------------------------------------------------------------------
// the client

class Client {
  #next = 0;
  readonly #pending = new Map<string, (answer: ProbeAnswer) => void>();
  constructor(readonly child: ChildProcess) {
    eachLine(child.stdout!, (line) => {
      if (line === 'ready') return;
      try {
        const answer = JSON.parse(line) as ProbeAnswer & { id: string };
        this.#pending.get(answer.id)?.(answer);
        this.#pending.delete(answer.id);
      } catch {
        // ignore
      }
    });
  }

  probe(address: string, timeoutMs: number): Promise<ProbeAnswer> {
    const id = String((this.#next += 1));
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.child.stdin!.write(`${id} ${address} ${ECHO_PORT} ${timeoutMs}\n`);
    });
  }
}

interface ProbeAnswer {
  ok: boolean;
  name?: string;
  error?: string;
  ms: number;
}

// ---------------------------------------------------------------------------------------------------------------
// the run

function percentile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Nearest-rank p50 / p99 / max of a list (undefined when empty). */
export function summarize(values: readonly number[]): { p50: number; p99: number; max: number; count: number } | undefined {
  if (values.length === 0) return undefined;
  return { p50: percentile(values, 0.5)!, p99: percentile(values, 0.99)!, max: Math.max(...values), count: values.length };
}

/** Master_Down_Interval (RFC 9568 §6.1) for the lowest effective priority of the run: the longest one. */
export function masterDownIntervalMs(advertMs: number): number {
  return 3 * advertMs + ((256 - LOWEST_PRIORITY) * advertMs) / 256;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => {});
  const dist = options.dist ?? join(repo, 'dist');
  const advertMs = options.advertMs;
  const quietMs = Math.ceil(3 * masterDownIntervalMs(advertMs));
  const settleTimeoutMs = options.settleTimeoutMs ?? 15_000;
  const clientTimeoutMs = options.clientTimeoutMs ?? 3_000;
  const leaseCheck = options.leaseCheck ?? false;
  const leaseMs = options.leaseMs ?? 2_000;
  /** The kernel counts lifetimes in whole seconds and checks them on a whole-second timer: up to a second late. */
  const leaseBoundMs = Math.ceil(leaseMs / 1000) * 1000 + 1_500;
  const garpRefreshMs = options.garpRefreshMs ?? 1_000;
  if (garpRefreshMs % 1000 !== 0) throw new RangeError('garpRefreshMs: whole seconds (keepalived counts seconds)');
  const started = performance.now();
  const records: EventRecord[] = [];
  const processLogs: Record<NodeName, string[]> = { cli: [], app: [], ka: [] };
  const result: ChaosResult = {
    seed: options.seed,
    advertMs,
    garpRefreshMs,
    quietMs,
    leaseCheck,
    labCreateMs: 0,
    durationMs: 0,
    records,
    failures: [],
    processLogs,
    leftovers: [],
    staleVips: [],
    knownBugs: [],
  };

  const lab = await Lab.create({ hosts: [...NODES], ipv6: true, client: true });
  result.labCreateMs = lab.timings.createMs;
  // Our processes record the VIPs they add under /run/vrrp/<namespace inode>/: teardown must remove those too.
  const markerDirs = lab.namespaces.map((ns) => join('/run/vrrp', String(statSync(join('/run/netns', ns)).ino)));
  try {
    const vip = (spec: VridSpec): string => (spec.family === 'ipv4' ? lab.ipv4(100) : lab.ipv6(100));
    const vipWithPrefix = (spec: VridSpec): string => (spec.family === 'ipv4' ? `${vip(spec)}/24` : `${vip(spec)}/64`);
    const trackerFile = (node: NodeName): string => join(lab.tmpDir, `track-${node}`);
    // Replaced by a rename: a reader never sees the file empty (which would read as 0, or as a failed check).
    const setTracker = (node: NodeName, failed: boolean): void => {
      const tmp = `${trackerFile(node)}.tmp`;
      writeFileSync(tmp, failed ? '1\n' : '0\n');
      renameSync(tmp, trackerFile(node));
    };
    for (const node of NODES) setTracker(node, false);
    // The IPv4 VIP is a /24 in the hosts' subnet, so it joins as a secondary and its lease's expiry cannot take the
    // host's own address with it. `cli` also promotes secondaries, as systemd-networkd sets it on the interfaces it
    // manages; `app` keeps the kernel's default: both ways a VIP shorter than /32 gets its lease.
    for (const node of PROMOTE_SECONDARIES) {
      await lab.exec(node, ['sysctl', '-qw', 'net.ipv4.conf.eth0.promote_secondaries=1'], { check: true });
    }

    // Our configs: both VRIDs in one process per node.
    const lease = leaseCheck ? { vipLeaseMs: leaseMs } : {};
    const ourInstance = (node: 'cli' | 'app', spec: VridSpec): Record<string, unknown> => ({
      name: `${node}-${spec.name}`,
      interface: 'eth0',
      vrid: spec.vrid,
      priority: spec.priorities[node],
      version: 3,
      advertIntervalMs: advertMs,
      virtualAddresses: [vipWithPrefix(spec)],
      garp: { repeat: 3, delayMs: 0, refreshMs: garpRefreshMs },
      ...lease,
    });
    const cliConfig = {
      instances: VRIDS.map((spec) => ({
        ...ourInstance('cli', spec),
        trackers: [{ type: 'file', name: 'chaos', path: trackerFile('cli'), weight: spec.trackerWeight, intervalMs: advertMs }],
      })),
    };
    const appConfig = {
      instances: VRIDS.map((spec) => ourInstance('app', spec)),
      trackerFile: trackerFile('app'),
      trackers: VRIDS.map((spec) => ({ name: 'chaos', weight: spec.trackerWeight, intervalMs: advertMs })),
    };
    writeFileSync(join(lab.tmpDir, 'cli.json'), JSON.stringify(cliConfig, null, 1));
    writeFileSync(join(lab.tmpDir, 'app.json'), JSON.stringify(appConfig, null, 1));
    const kaConf = keepalivedConf({
      routerId: 'ka',
      instances: VRIDS.map((spec) => ({
        name: `VI_${spec.name}`,
        vrid: spec.vrid,
        priority: spec.priorities.ka,
        version: 3 as const,
        advertIntervalS: advertMs / 1000,
        vips: [vipWithPrefix(spec)],
        extra: [
          'garp_master_delay 0',
          ...(garpRefreshMs > 0 ? [`garp_master_refresh ${garpRefreshMs / 1000}`] : []),
          'track_file {',
          `  chaos weight ${spec.trackerWeight}`,
          '}',
        ],
      })),
    }).replace(/^(global_defs \{[^}]*\}\n)/, `$1vrrp_track_file chaos {\n  file ${trackerFile('ka')}\n}\n`);

    const nodes = {
      cli: new OurNode(lab, 'cli', [process.execPath, join(dist, 'cli.js'), 'run', join(lab.tmpDir, 'cli.json')]),
      app: new OurNode(lab, 'app', [process.execPath, join(here, 'app.mjs'), dist, join(lab.tmpDir, 'app.json')]),
      ka: new KeepalivedNode(lab, kaConf),
    };

    // Responders and the client's prober.
    const ready = (child: ChildProcess, word: string, what: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what} did not start`)), 10_000);
        eachLine(child.stdout!, (line) => {
          if (line === word) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', () => reject(new Error(`${what} exited`)));
      });
    const echoes = NODES.map((node) => lab.spawn(node, [process.execPath, join(here, 'echo.mjs'), node, String(ECHO_PORT)]));
    const probeChild = lab.spawn('client', [process.execPath, join(here, 'probe.mjs')], { stdin: true });
    const client = new Client(probeChild);
    await Promise.all([...echoes.map((child, i) => ready(child, 'listening', `echo on ${NODES[i]}`)), ready(probeChild, 'ready', 'the client prober')]);

    // ---- helpers over the three nodes

    /** Nodes of ours that held VIPs when they were killed or frozen: when those VIPs left them (the lease at work). */
    const stale = new Map<NodeName, { index: number; kind: EventKind; since: number; held: VridName[] }>();
    const observeStale = (held: Record<VridName, NodeName[]>): void => {
      for (const [node, entry] of stale) {
        if (entry.held.some((v) => held[v].includes(node))) continue;
        result.staleVips.push({ index: entry.index, node, kind: entry.kind, held: entry.held, goneMs: Date.now() - entry.since });
        stale.delete(node);
      }
    };
    const holdersNow = async (): Promise<Record<VridName, NodeName[]>> => {
      const lists = await Promise.all(NODES.map((node) => lab.addresses(node)));
      const held = {} as Record<VridName, NodeName[]>;
      for (const spec of VRIDS) held[spec.name] = NODES.filter((_node, i) => lists[i]!.includes(vip(spec)));
      observeStale(held);
      return held;
    };
    const lastActivity = (): number => Math.max(nodes.cli.lastTransitionMs(), nodes.app.lastTransitionMs(), nodes.ka.lastTransitionMs());
    const transitionsSince = (ms: number): number => nodes.cli.transitionsSince(ms) + nodes.app.transitionsSince(ms) + nodes.ka.transitionsSince(ms);
    /** When each node's link last went down or up. */
    const linkChangedAt: Partial<Record<NodeName, number>> = {};
    /** When each node last died or froze (for the lease check). */
    const downSince: Partial<Record<NodeName, number>> = {};
    /** keepalived's complaints that are not failures (each text once), for the report. */
    const kaNotes = new Set<string>();
    /** What the processes check has read so far of each incarnation (ours) or daemon (keepalived). */
    const offsets = new Map<object, { lines: number; stderr: number; exitReported: boolean }>();

    const settle = async (
      appliedAt: number,
      world: World,
    ): Promise<{ settled: boolean; convergeMs: number; settleMs: number; holders: Record<VridName, NodeName[]> }> => {
      // A node of ours whose start failed is being started again (its supervisor): not quiet until it ran, unless
      // its link is down (then it cannot start: the known bug start-on-down-link).
      const restarting = (): boolean => (['cli', 'app'] as const).some((name) => nodes[name].startPending && world[name].link);
      let holders = await holdersNow();
      let lastChange = appliedAt;
      for (;;) {
        await sleep(100);
        options.signal?.throwIfAborted();
        const now = Date.now();
        const next = await holdersNow();
        if (JSON.stringify(next) !== JSON.stringify(holders)) {
          holders = next;
          lastChange = Date.now();
        }
        lastChange = Math.max(lastChange, lastActivity());
        if (restarting()) lastChange = now;
        if (now - lastChange >= quietMs && now - appliedAt >= quietMs) {
          return { settled: true, convergeMs: lastChange - appliedAt, settleMs: now - appliedAt, holders };
        }
        if (now - appliedAt > settleTimeoutMs) return { settled: false, convergeMs: lastChange - appliedAt, settleMs: now - appliedAt, holders };
      }
    };

    /** Link-down failures after a thaw on a cut link, by event, node and instance (see THAWED_ON_CUT_LINK_MAX_ERRORS). */
    const thawedOnCutLinkErrors = new Map<string, number>();
    const checkProcesses = (world: World, event: ChaosEvent | undefined, record: EventRecord): CheckResult => {
      const problems: string[] = [];
      const report = (name: NodeName, text: string): void => {
        problems.push(`${name}${text}`);
        processLogs[name].push(text);
      };
      // How a detector notes an entry of KNOWN_BUGS.
      const bug = (name: NodeName, id: KnownBug, text: string): void => {
        if (options.strict === true) {
          report(name, `${text} [known bug ${id}]`);
          return;
        }
        result.knownBugs.push({ index: record.index, bug: id, node: name, detail: `${name}${text}` });
        record.known.push(`known bug ${id}: ${name}${text}`);
        processLogs[name].push(`${text} [known bug ${id}]`);
      };
      for (const name of ['cli', 'app'] as const) {
        const node = nodes[name];
        for (const inc of node.incarnations) {
          const read = offsets.get(inc) ?? { lines: 0, stderr: 0, exitReported: false };
          const started = inc.events.some((e) => e.event === 'started');
          if (!started) {
            if (inc.exit === undefined) continue; // still starting: looked at next time
            // A failed start: one line, the reason its stderr gives (the supervisor starts it again).
            if (!inc.expectedExit && !read.exitReported) {
              // vrrp run prints `vrrp: <message>`; the app dies of the rejected start(), which Node prints with its stack.
              const lines = inc.stderr.trim().split('\n');
              const reason = (lines.find((line) => /^(?:vrrp: |\w*Error: )/.test(line)) ?? lines[0] ?? '').trim();
              const text = `#${inc.n} failed to start (exit ${inc.exit.code ?? inc.exit.signal}): ${reason}`;
              report(name, text);
              read.exitReported = true;
            }
            offsets.set(inc, { ...read, lines: inc.events.length, stderr: inc.stderr.length });
            continue;
          }
          for (const e of inc.events.slice(read.lines)) {
            // A fault for a link that is up (and has not moved for a second) is spurious (it was at start: 9d2a1ff).
            if (e.event === 'stateChange' && e.to === 'fault' && e.reason === 'link-down' && world[name].link && e.atMs - (linkChangedAt[name] ?? 0) > 1_000) {
              report(name, `#${inc.n}: ${String(e.name)} ${String(e.from)} → fault (link-down) on a link that is up`);
              continue;
            }
            if (e.event !== 'error' && e.event !== 'hookError') continue;
            const cause = e.cause === undefined || e.cause === e.message ? '' : ` (${String(e.cause)})`;
            const text = `#${inc.n}: ${e.event} ${String(e.name ?? '')} ${String(e.code)}: ${String(e.message)}${cause}`;
            let why = expectedError(e, name, event);
            if (why === undefined && event?.kind === 'sigcont' && event.node === name && !world[name].link && isLinkDownFailure(e)) {
              const key = `${record.index} ${name} ${String(e.name)}`;
              const seen = (thawedOnCutLinkErrors.get(key) ?? 0) + 1;
              thawedOnCutLinkErrors.set(key, seen);
              if (seen <= THAWED_ON_CUT_LINK_MAX_ERRORS) why = `its link was cut while it was frozen, error ${seen} of at most ${THAWED_ON_CUT_LINK_MAX_ERRORS}`;
            }
            if (why !== undefined) {
              record.known.push(`${name}${text} (${why})`);
              processLogs[name].push(`${text} (known: ${why})`);
            } else {
              report(name, text);
            }
          }
          const stderr = inc.stderr.slice(read.stderr).trim();
          if (stderr !== '') report(name, `#${inc.n} stderr: ${stderr}`);
          if (inc.exit !== undefined && !inc.expectedExit && !read.exitReported) {
            report(name, `#${inc.n} exited unexpectedly (${inc.exit.code ?? inc.exit.signal}):\n${node.tail(inc)}`);
            read.exitReported = true;
          }
          offsets.set(inc, { ...read, lines: inc.events.length, stderr: inc.stderr.length });
        }
      }
      nodes.ka.handles.forEach((entry, i) => {
        const read = offsets.get(entry) ?? { lines: 0, stderr: 0, exitReported: false };
        for (const line of entry.handle.log.slice(read.lines)) {
          if (KEEPALIVED_TROUBLE.test(line.text)) report('ka', `#${i + 1}: ${line.text.trim()}`);
          else if (KEEPALIVED_NOTABLE.test(line.text)) kaNotes.add(line.text.replace(/^\w{3} \w{3} +\d+ [\d:]+ \d{4}: /, '').trim());
        }
        if (entry.handle.exited && !entry.expectedExit && !read.exitReported) {
          report('ka', `#${i + 1} exited unexpectedly: ${entry.handle.lines.slice(-8).join(' / ')}`);
          read.exitReported = true;
        }
        offsets.set(entry, { ...read, lines: entry.handle.log.length });
      });
      return problems.length === 0 ? { check: 'processes', ok: true } : { check: 'processes', ok: false, detail: problems.join('\n') };
    };

    const checkClient = async (world: World, record: EventRecord): Promise<CheckResult> => {
      const problems: string[] = [];
      await Promise.all(
        VRIDS.map(async (spec) => {
          const target = clientTarget(world, spec);
          if (target === undefined) return; // nobody eligible on the client's side
          const started = Date.now();
          const answers: string[] = [];
          let attempts = 0;
          for (;;) {
            attempts += 1;
            const answer = await client.probe(vip(spec), 500);
            answers.push(answer.ok ? String(answer.name) : `(${answer.error})`);
            if (answer.ok && answer.name === target) {
              record.client[spec.name] = { target, answered: answer.name, reachMs: Date.now() - started, attempts };
              return;
            }
            if (Date.now() - started > clientTimeoutMs) break;
            await sleep(50);
          }
          record.client[spec.name] = { target, answered: answers.at(-1), attempts };
          const distinct = [...new Set(answers)];
          problems.push(`${spec.name}: the client never reached ${target} on ${vip(spec)} in ${clientTimeoutMs} ms (${attempts} probes; answers: ${distinct.join(', ')})`);
        }),
      );
      return problems.length === 0 ? { check: 'client', ok: true } : { check: 'client', ok: false, detail: problems.join('\n') };
    };

    const checkHolders = (world: World, holders: Record<VridName, NodeName[]>): CheckResult => {
      const problems: string[] = [];
      for (const spec of VRIDS) {
        const expected = expectedHolding(world, spec);
        const live = NODES.filter((node) => expected[node] !== undefined);
        const holding = holders[spec.name].filter((node) => live.includes(node));
        const mainHolders = holding.filter((node) => world[node].attached && world[node].link);
        if (mainHolders.length > 1) problems.push(`${spec.name}: ${mainHolders.length} holders on the client's side: ${mainHolders.join(', ')}`);
        for (const node of live) {
          const has = holding.includes(node);
          if (has && !expected[node]) problems.push(`${spec.name}: ${node} holds the VIP but should not (${describeWorld(world)})`);
          if (!has && expected[node]) problems.push(`${spec.name}: ${node} should hold the VIP but does not (holders: ${holders[spec.name].join(', ') || 'none'})`);
        }
      }
      return problems.length === 0 ? { check: 'holders', ok: true } : { check: 'holders', ok: false, detail: problems.join('\n') };
    };

    const checkLease = async (world: World, holders: Record<VridName, NodeName[]>, record: EventRecord): Promise<CheckResult | undefined> => {
      const down = NODES.filter((node) => world[node].proc !== 'up');
      if (down.length === 0) return undefined; // checked only while a node is dead or frozen
      const problems: string[] = [];
      let current = holders;
      if (leaseCheck) {
        // Until every node of ours that is down holds nothing, or its lease bound passed since it went down.
        const ours = down.filter((node) => node !== 'ka');
        for (;;) {
          const holding = ours.filter((node) => VRIDS.some((spec) => current[spec.name].includes(node)));
          const latest = Math.max(0, ...holding.map((node) => downSince[node] ?? 0));
          if (holding.length === 0 || Date.now() >= latest + leaseBoundMs) break;
          await sleep(100);
          current = await holdersNow();
        }
      }
      for (const node of down) {
        const held = VRIDS.filter((spec) => current[spec.name].includes(node)).map((spec) => spec.name);
        if (held.length === 0) continue;
        const since = downSince[node] === undefined ? '' : ` for ${((Date.now() - downSince[node]!) / 1000).toFixed(1)} s`;
        const text = `${node} (${world[node].proc}${since}) holds ${held.join(', ')}`;
        if (node === 'ka') record.known.push(`${text}: keepalived keeps its VIPs when killed or frozen (excluded from the lease check)`);
        else if (leaseCheck) problems.push(`${text}, past its ${leaseMs} ms lease (bound ${leaseBoundMs} ms)`);
        else record.known.push(`${text} (no VIP lease yet: the lease check is off)`);
      }
      if (!leaseCheck) return undefined;
      return problems.length === 0 ? { check: 'lease', ok: true } : { check: 'lease', ok: false, detail: problems.join('\n') };
    };

    const verify = async (world: World, record: EventRecord, appliedAt: number, event?: ChaosEvent): Promise<void> => {
      const settled = await settle(appliedAt, world);
      record.convergeMs = settled.convergeMs;
      record.settleMs = settled.settleMs;
      record.settled = settled.settled;
      record.holders = settled.holders;
      record.checks.push(
        settled.settled
          ? { check: 'settled', ok: true }
          : { check: 'settled', ok: false, detail: `not quiet for ${quietMs} ms within ${settleTimeoutMs} ms (holders ${JSON.stringify(settled.holders)})` },
      );
      record.checks.push(checkHolders(world, settled.holders));
      record.checks.push(await checkClient(world, record));
      const lease = await checkLease(world, settled.holders, record);
      if (lease !== undefined) record.checks.push(lease);
      record.checks.push(checkProcesses(world, event, record));
      record.transitions = transitionsSince(record.atMs);
      // The engine runs on its own thread: a blocked main thread must not move anything, not even for a moment.
      if (event?.kind === 'stall') {
        record.checks.push(
          record.transitions === 0
            ? { check: 'stall', ok: true }
            : { check: 'stall', ok: false, detail: `${record.transitions} transitions during and after a ${event.stallMs} ms stall of the app's main thread` },
        );
      }
      for (const check of record.checks) {
        if (check.ok) continue;
        const where = { index: record.index, kind: record.kind, ...(record.node === undefined ? {} : { node: record.node }) };
        result.failures.push({ ...where, check: check.check, detail: check.detail ?? '' });
      }
    };

    const describe = (record: EventRecord): string => {
      const failed = record.checks.filter((c) => !c.ok);
      const holders = VRIDS.map((spec) => `${spec.name}=${record.holders[spec.name].join('+') || '-'}`).join(' ');
      const what = record.kind === 'initial' ? 'initial start' : `${record.kind}${record.stallMs === undefined ? '' : ` ${record.stallMs} ms`} ${record.node}`;
      return (
        `#${String(record.index).padStart(3)} ${what.padEnd(22)} apply ${String(record.applyMs).padStart(5)} ms, converge ${String(record.convergeMs).padStart(5)} ms, ` +
        `settled ${record.settled ? 'yes' : 'NO'}; ${holders}; [${record.world}]` +
        (record.known.length > 0 ? ` known: ${record.known.length}` : '') +
        (failed.length > 0 ? `\n     FAILED ${failed.map((c) => `${c.check}: ${c.detail}`).join('\n     FAILED ')}` : '')
      );
    };

    const newRecord = (index: number, kind: EventRecord['kind'], world: World, event?: ChaosEvent): EventRecord => ({
      index,
      kind,
      ...(event === undefined ? {} : { node: event.node }),
      ...(event?.stallMs === undefined ? {} : { stallMs: event.stallMs }),
      atMs: Date.now(),
      applyMs: 0,
      convergeMs: 0,
      settleMs: 0,
      settled: false,
      world: describeWorld(world),
      holders: { v4: [], v6: [] },
      client: {},
      transitions: 0,
      checks: [],
      known: [],
    });

    // ---- the initial start

    let world = initialWorld();
    {
      const record = newRecord(0, 'initial', world);
      await Promise.all([nodes.cli.start(), nodes.app.start(), nodes.ka.start()]);
      const appliedAt = Date.now();
      record.applyMs = appliedAt - record.atMs;
      await verify(world, record, appliedAt);
      records.push(record);
      log(describe(record));
    }

    // ---- the schedule

    const apply = async (event: ChaosEvent): Promise<void> => {
      const name = event.node;
      const host = lab.host(name);
      switch (event.kind) {
        case 'kill9':
        case 'sigstop': {
          const before = name === 'ka' ? undefined : await holdersNow();
          if (event.kind === 'kill9') await nodes[name].kill9();
          else nodes[name].signal('SIGSTOP');
          downSince[name] ??= Date.now(); // a frozen node killed went down when it froze
          const held = VRIDS.filter((spec) => before?.[spec.name].includes(name)).map((spec) => spec.name);
          if (held.length > 0 && !stale.has(name)) stale.set(name, { index: event.index, kind: event.kind, since: Date.now(), held });
          break;
        }
        case 'start':
        case 'sigcont': {
          const entry = stale.get(name);
          if (entry !== undefined) {
            result.staleVips.push({ index: entry.index, node: name, kind: entry.kind, held: entry.held, backAfterMs: Date.now() - entry.since });
            stale.delete(name);
          }
          if (event.kind === 'start') await nodes[name].start();
          else nodes[name].signal('SIGCONT');
          delete downSince[name];
          break;
        }
        case 'restart': {
          if (name === 'ka') {
            await nodes.ka.stop();
          } else {
            const end = await nodes[name].stop();
            if (end.code !== 0 || end.forced) {
              const how = end.forced ? 'SIGKILL after 8 s' : `exit ${end.code ?? end.signal}`;
              throw new ScheduledStopFailed(`${name}: a clean stop ended with ${how}:\n${nodes[name].tail()}`);
            }
          }
          await nodes[name].start();
          break;
        }
        case 'linkDown':
          linkChangedAt[name] = Date.now();
          await lab.linkDown(name, 'host');
          break;
        case 'linkUp':
          linkChangedAt[name] = Date.now();
          await lab.linkUp(name, 'host');
          // The kernel drops IPv6 addresses with the link; put the host's own back, as a network manager would.
          await lab.exec(name, [tools.ip!, 'addr', 'replace', `${host.ipv6!}/64`, 'dev', 'eth0', 'nodad'], { check: true });
          break;
        case 'partition':
          await lab.exec(BRIDGE, [tools.ip!, 'link', 'set', host.bridgePort, 'nomaster'], { check: true });
          break;
        case 'heal':
          await lab.exec(BRIDGE, [tools.ip!, 'link', 'set', host.bridgePort, 'master', 'br0'], { check: true });
          break;
        case 'trackerFail':
          setTracker(name, true);
          break;
        case 'trackerOk':
          setTracker(name, false);
          break;
        case 'stall':
          if (name !== 'app') throw new Error('only the embedded app stalls');
          await nodes.app.stall(event.stallMs!);
          break;
      }
    };

    for (const event of options.schedule) {
      options.signal?.throwIfAborted();
      if (options.budgetMs !== undefined && performance.now() - started > options.budgetMs) {
        throw new Error(`time budget of ${options.budgetMs} ms spent after ${event.index - 1} of ${options.schedule.length} events`);
      }
      world = applyEvent(world, event);
      const record = newRecord(event.index, event.kind, world, event);
      try {
        await apply(event);
      } catch (error) {
        if (!(error instanceof ScheduledStopFailed)) throw error;
        record.checks.push({ check: 'processes', ok: false, detail: error.message });
        // The node is down now, whatever the stop did: start it again so the schedule goes on as planned.
        await nodes[event.node].start();
      }
      const appliedAt = Date.now();
      record.applyMs = appliedAt - record.atMs;
      await verify(world, record, appliedAt, event);
      records.push(record);
      log(describe(record));
    }

    processLogs.ka.push(...[...kaNotes].map((text) => `note: ${text}`));
    if (options.logDir !== undefined) {
      mkdirSync(options.logDir, { recursive: true });
      for (const name of ['cli', 'app'] as const) {
        for (const inc of nodes[name].incarnations) {
          const lines = inc.events.map((e) => JSON.stringify(e));
          if (inc.stderr !== '') lines.push(JSON.stringify({ stderr: inc.stderr }));
          if (inc.exit !== undefined) lines.push(JSON.stringify({ exit: inc.exit, expected: inc.expectedExit }));
          writeFileSync(join(options.logDir, `${name}-${inc.n}.jsonl`), `${lines.join('\n')}\n`);
        }
      }
      const at = (ms: number): string => new Date(ms).toISOString();
      nodes.ka.handles.forEach(({ handle }, i) => {
        writeFileSync(join(options.logDir!, `ka-${i + 1}.log`), `${handle.log.map((l) => `${at(l.atMs)} ${l.text}`).join('\n')}\n`);
      });
      const lines = records.map((r) => `${at(r.atMs)} #${r.index} ${r.kind} ${r.node ?? ''} ${r.stallMs ?? ''}`.trim());
      writeFileSync(join(options.logDir, 'events.txt'), `${lines.join('\n')}\n`);
    }
    // Thaw anything frozen, so that teardown's SIGTERM is heard (SIGKILL follows anyway).
    for (const node of NODES) if (world[node].proc === 'frozen') nodes[node].signal('SIGCONT');
  } catch (error) {
    result.aborted = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`ABORTED: ${result.aborted}`);
  } finally {
    try {
      await lab.destroy();
    } catch (error) {
      result.leftovers.push(String(error));
    }
    for (const path of [lab.tmpDir, ...markerDirs, ...lab.namespaces.map((ns) => join('/run/netns', ns))]) if (existsSync(path)) result.leftovers.push(path);
    result.durationMs = performance.now() - started;
  }
  return result;
}

class ScheduledStopFailed extends Error {}

/** Events by kind, settle and client figures, checks passed and failed: the summary both callers print. */
export function summarizeRun(result: ChaosResult): {
  byKind: Record<string, number>;
  converge?: ReturnType<typeof summarize>;
  settle?: ReturnType<typeof summarize>;
  apply?: ReturnType<typeof summarize>;
  clientReach?: ReturnType<typeof summarize>;
  /** Killed or frozen while holding VIPs → the VIPs gone from the node (the lease at work). */
  staleGone?: ReturnType<typeof summarize>;
  /** Killed or frozen while holding VIPs, and back before they left. */
  staleBackFirst: number;
  checks: Record<string, { passed: number; failed: number }>;
  known: number;
  /** How often each known bug showed. */
  knownBugs: Partial<Record<KnownBug, number>>;
  unsettled: number;
} {
  const events = result.records.filter((r) => r.kind !== 'initial');
  const byKind: Record<string, number> = {};
  for (const r of events) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
  const checks: Record<string, { passed: number; failed: number }> = {};
  for (const r of result.records) {
    for (const c of r.checks) {
      checks[c.check] ??= { passed: 0, failed: 0 };
      if (c.ok) checks[c.check]!.passed += 1;
      else checks[c.check]!.failed += 1;
    }
  }
  const settled = events.filter((r) => r.settled);
  const reach = result.records.flatMap((r) => Object.values(r.client).flatMap((c) => (c?.reachMs === undefined ? [] : [c.reachMs])));
  return {
    byKind,
    converge: summarize(settled.map((r) => r.convergeMs)),
    settle: summarize(settled.map((r) => r.settleMs)),
    apply: summarize(events.map((r) => r.applyMs)),
    clientReach: summarize(reach),
    staleGone: summarize(result.staleVips.flatMap((s) => (s.goneMs === undefined ? [] : [s.goneMs]))),
    staleBackFirst: result.staleVips.filter((s) => s.goneMs === undefined).length,
    checks,
    known: result.records.reduce((sum, r) => sum + r.known.length, 0),
    knownBugs: result.knownBugs.reduce<Partial<Record<KnownBug, number>>>((counts, hit) => ({ ...counts, [hit.bug]: (counts[hit.bug] ?? 0) + 1 }), {}),
    unsettled: events.length - settled.length,
  };
}
