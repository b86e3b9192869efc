/**
 * What the scale and stall benchmarks measure of a process and of an advert stream, kept apart from their I/O so
 * that the arithmetic can be tested (test/bench/cpu.test.ts).
 *
 * CPU: the utime + stime of every process of a tree, from /proc/<pid>/stat, read at the start and the end of a
 * window, as a percentage of ONE core (100 % = one core busy all the time, as top shows it). /proc/<pid>/stat sums
 * every thread of the process, so a worker thread (our engine thread), libuv's pool and V8's GC helpers all count,
 * as they should: they are work the daemon costs the machine. Resolution is one clock tick (1/CLK_TCK s, read with
 * `getconf CLK_TCK`, 100 where that fails): 0.03 % of a core over a 30 s window, fine for a daemon that is mostly
 * asleep. Ticks of a child that exits within the window are lost (the kernel adds them to the parent's cutime,
 * not utime); neither keepalived's VRRP child nor `vrrp run` forks while idle, so nothing is lost here.
 *
 * Exact CPU, beside the ticks: the time each thread of the tree spent on a CPU, in nanoseconds, from the first
 * field of /proc/<pid>/task/<tid>/schedstat (the scheduler's own sum_exec_runtime), summed. Ticks are sampled: a
 * task is charged a whole tick when the tick finds it running, so over a 30 s window one tick is 0.033 % of a core,
 * and keepalived's VRRP process at one instance is a handful of them (0, 1 or 2 in a window as a backup across
 * runs): a ratio against it is mostly rounding. Run time has no such step. Threads that exit within the window take
 * their time with them; neither daemon's threads exit while idle.
 *
 * Memory: VmRSS from /proc/<pid>/status (resident set, shared library pages included, as `ps` reports it), summed
 * over the tree; and, once per window, where one process's resident pages lie, by kind of mapping (/proc/<pid>/smaps,
 * `parseSmapsRss`), so that a growth in RSS can be told apart: compiled code, heaps, the executable, libraries.
 *
 * Advert timing: the intervals between consecutive adverts of one sender, minus the nominal interval, and their
 * percentiles (nearest rank, so that every figure printed is one interval that was really seen).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

// ---------------------------------------------------------------------------------------------------------------
// the measured process as deployed

/**
 * Removes what tells a child that npm started it (`npm_command`, `npm_lifecycle_event`) from this process's
 * environment, which the `vrrp run` the benchmark spawns inherits. Why: `npm run bench:…` is how the benchmark is
 * started, not how `vrrp run` is deployed (systemd, a container); a `vrrp run` that believes npm started it watches
 * its ancestors (src/parent-watch.ts), reading /proc once a second on its main thread — seen with strace in the
 * scale benchmark's window, 0.5–1 ms of run time a second, comparable to the engine thread of one backup.
 */
export function asDeployed(env: NodeJS.ProcessEnv = process.env): void {
  delete env.npm_command;
  delete env.npm_lifecycle_event;
}

// ---------------------------------------------------------------------------------------------------------------
// /proc parsing (pure)

/** The fields of /proc/<pid>/stat the benchmarks use. */
export interface ProcStat {
  pid: number;
  /** The command name as the kernel keeps it (at most 15 characters; may hold spaces and parentheses). */
  comm: string;
  state: string;
  ppid: number;
  /** User-mode CPU time, in clock ticks, of all threads. */
  utime: number;
  /** Kernel-mode CPU time, in clock ticks, of all threads. */
  stime: number;
  numThreads: number;
}

/**
 * Parses one /proc/<pid>/stat line: `pid (comm) state ppid … utime stime …` (proc(5)). `comm` may hold spaces and
 * `)` itself, so it runs from the first `(` to the LAST `)`; the fields after it are split on spaces.
 */
export function parseProcStat(line: string): ProcStat {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(line.slice(0, 80))}`);
  const pid = Number(line.slice(0, open).trim());
  const rest = line.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state); field k of proc(5) is rest[k - 3].
  const field = (k: number): number => {
    const value = Number(rest[k - 3]);
    if (!Number.isFinite(value)) throw new Error(`/proc/<pid>/stat: field ${k} missing or not a number in ${JSON.stringify(line.slice(0, 80))}`);
    return value;
  };
  if (!Number.isInteger(pid)) throw new Error(`/proc/<pid>/stat: no pid in ${JSON.stringify(line.slice(0, 80))}`);
  return {
    pid,
    comm: line.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    numThreads: field(20),
  };
}

/** VmRSS of a /proc/<pid>/status text, in KiB; undefined for a kernel thread or a zombie (no VmRSS line). */
export function parseVmRssKb(status: string): number | undefined {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match === null ? undefined : Number(match[1]);
}

/** CPU time `ticks` spent over `windowMs`, as a percentage of one core. */
export function cpuPercent(ticks: number, clockTicksPerSecond: number, windowMs: number): number {
  if (!(clockTicksPerSecond > 0)) throw new RangeError(`CLK_TCK must be positive, got ${clockTicksPerSecond}`);
  return cpuPercentFromNs((ticks * 1e9) / clockTicksPerSecond, windowMs);
}

/** The run time of one /proc/<pid>/task/<tid>/schedstat text (`run_ns wait_ns slices`), in ns. */
export function parseSchedstatRunNs(text: string): number {
  const first = text.trim().split(/\s+/)[0] ?? '';
  if (!/^\d+$/.test(first)) throw new Error(`not a schedstat line: ${JSON.stringify(text.slice(0, 80))}`);
  return Number(first);
}

/** CPU time `runNs` spent over `windowMs`, as a percentage of one core. */
export function cpuPercentFromNs(runNs: number, windowMs: number): number {
  if (!(windowMs > 0)) throw new RangeError(`the window must be positive, got ${windowMs} ms`);
  return (100 * runNs) / (windowMs * 1e6);
}

/** `ours / theirs`, undefined when `theirs` is 0 (no ratio to speak of). */
export function ratio(ours: number, theirs: number): number | undefined {
  return theirs > 0 ? ours / theirs : undefined;
}

/**
 * ours[i] / theirs[i] for every round i where both are known and theirs is above 0, in round order: each round
 * against the baseline of the same round (bench/scale.ts, "Rounds"), a round missing either side left out.
 */
export function ratiosByRound(ours: readonly (number | undefined)[], theirs: readonly (number | undefined)[]): number[] {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(ours.length, theirs.length); i += 1) {
    const a = ours[i];
    const b = theirs[i];
    const r = a === undefined || b === undefined ? undefined : ratio(a, b);
    if (r !== undefined) ratios.push(r);
  }
  return ratios;
}

/** Growth per instance from a reference count to `count`, in the unit of the sizes; undefined at the reference. */
export function growthPerInstance(size: number, count: number, referenceSize: number, referenceCount: number): number | undefined {
  return count === referenceCount ? undefined : (size - referenceSize) / (count - referenceCount);
}

/** The pids of `root` and all its descendants, given every process's parent (`ppids`: pid → ppid). */
export function treeOf(root: number, ppids: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of ppids) {
    const list = children.get(ppid);
    if (list === undefined) children.set(ppid, [pid]);
    else list.push(pid);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i += 1) tree.push(...(children.get(tree[i]!) ?? []).filter((pid) => !tree.includes(pid)));
  return tree;
}

// ---------------------------------------------------------------------------------------------------------------
// advert timing (pure)

/** The `p`-th percentile (0…100) by nearest rank of a non-empty list: always one of the values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of no values');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Intervals between consecutive times (sorted first), each minus `nominalMs`. */
export function intervalJitter(timesMs: readonly number[], nominalMs: number): number[] {
  const sorted = [...timesMs].sort((a, b) => a - b);
  const jitter: number[] = [];
  for (let i = 1; i < sorted.length; i += 1) jitter.push(sorted[i]! - sorted[i - 1]! - nominalMs);
  return jitter;
}

/** A backup's takeover as one capture shows it: its first advert after the master's, and the master's silence before. */
export interface WireTakeover {
  /** The backup's first advert as master (capture clock, ms). */
  atMs: number;
  /** Since the master's last advert before it: what the backup's Master_Down_Timer measured, give or take the wire. */
  masterSilentMs: number;
}

/**
 * The designated backup's takeovers in one VRID's adverts (priority above 0, both senders, any order): each advert of
 * the backup whose previous advert came from the master. Why from the wire: whether a takeover answered a master
 * that really fell silent for a Master_Down_Interval is a fact of the capture, outside both senders' clocks.
 */
export function wireTakeovers(adverts: readonly { timeMs: number; fromBackup: boolean }[]): WireTakeover[] {
  const sorted = [...adverts].sort((a, b) => a.timeMs - b.timeMs);
  const takeovers: WireTakeover[] = [];
  for (let i = 1; i < sorted.length; i += 1) {
    const previous = sorted[i - 1]!;
    const advert = sorted[i]!;
    if (advert.fromBackup && !previous.fromBackup) takeovers.push({ atMs: advert.timeMs, masterSilentMs: advert.timeMs - previous.timeMs });
  }
  return takeovers;
}

/** p50 / p99 / max of a jitter list; undefined for an empty one. */
export function jitterSummary(jitterMs: readonly number[]): { p50: number; p99: number; max: number; count: number } | undefined {
  if (jitterMs.length === 0) return undefined;
  return { p50: percentile(jitterMs, 50), p99: percentile(jitterMs, 99), max: Math.max(...jitterMs), count: jitterMs.length };
}

// ---------------------------------------------------------------------------------------------------------------
// /proc reading

let clockTicks: number | undefined;

/** sysconf(_SC_CLK_TCK) via `getconf CLK_TCK`; 100 (every Linux architecture's USER_HZ) when that fails. */
export function clockTicksPerSecond(): number {
  if (clockTicks !== undefined) return clockTicks;
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(result.stdout?.trim());
  clockTicks = result.status === 0 && Number.isInteger(value) && value > 0 ? value : 100;
  return clockTicks;
}

/** /proc/<pid>/stat, parsed; undefined when the process is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The run time of every thread of a process, in ns (see "Exact CPU" above); 0 when it is gone. */
export function readRunNs(pid: number): number {
  let total = 0;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tids) {
    try {
      total += parseSchedstatRunNs(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8'));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return total;
}

/** VmRSS of a process in KiB; undefined when it is gone (or a zombie). */
export function readRssKb(pid: number): number | undefined {
  try {
    return parseVmRssKb(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Kinds of mapping a resident page can lie in (`parseSmapsRss`). `code`: anonymous and executable, i.e. code made at
 * run time (V8's compiled JavaScript; keepalived has none). `anonymous`: anonymous and not executable — V8's heaps,
 * thread stacks, and the malloc arenas of threads other than the first. `brk`: the first malloc arena ([heap]).
 * `executable`: the process's own executable file. `libraries`: every other file (shared libraries, a Node.js
 * addon). `other`: the kernel's own ([stack], [vdso], [vvar]…).
 */
export const RSS_KINDS = ['code', 'anonymous', 'brk', 'executable', 'libraries', 'other'] as const;
/** One kind of mapping of {@link RSS_KINDS}. */
export type RssKind = (typeof RSS_KINDS)[number];

/**
 * A /proc/<pid>/smaps text's resident kB summed by kind of mapping (see {@link RSS_KINDS}); `executable` is the path
 * /proc/<pid>/exe links to. Why by kind: RSS alone cannot say whether more instances cost heap, compiled code or
 * malloc's free pages, and each asks for a different remedy.
 */
export function parseSmapsRss(smaps: string, executable: string): Record<RssKind, number> {
  const kb: Record<RssKind, number> = { code: 0, anonymous: 0, brk: 0, executable: 0, libraries: 0, other: 0 };
  let kind: RssKind | undefined;
  for (const line of smaps.split('\n')) {
    // A mapping's header: "start-end perms offset dev inode [path]"; the path may hold spaces.
    const header = /^[0-9a-f]+-[0-9a-f]+ ([r-][w-][x-][ps]) [0-9a-f]+ \S+ \d+ *(.*)$/.exec(line);
    if (header !== null) {
      const [, perms, path] = header as unknown as [string, string, string];
      if (path === '' || path.startsWith('[anon:')) kind = perms.includes('x') ? 'code' : 'anonymous';
      else if (path === '[heap]') kind = 'brk';
      else if (path === executable) kind = 'executable';
      else if (path.startsWith('/')) kind = 'libraries';
      else kind = 'other';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB$/.exec(line);
    if (rss !== null && kind !== undefined) kb[kind] += Number(rss[1]);
  }
  return kb;
}

/** Where a process's resident pages lie now, by kind of mapping (`parseSmapsRss`); undefined when it is gone. */
export function readRssByKind(pid: number): Record<RssKind, number> | undefined {
  try {
    return parseSmapsRss(readFileSync(`/proc/${pid}/smaps`, 'utf8'), readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return undefined;
  }
}

/** Every live process's parent, from /proc. */
function allParents(): Map<number, number> {
  const ppids = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat !== undefined) ppids.set(stat.pid, stat.ppid);
  }
  return ppids;
}

/** `root` and its live descendants. */
export function processTree(root: number): number[] {
  return treeOf(root, allParents());
}

/** One reading of a process tree. */
export interface TreeSample {
  /** Wall-clock ms since the epoch. */
  atMs: number;
  /** utime + stime of every process of the tree, in clock ticks. */
  ticks: number;
  /** Run time of every thread of the tree, in ns (schedstat). */
  runNs: number;
  /** Sum of VmRSS, KiB. */
  rssKb: number;
  pids: number[];
}

/** Reads CPU ticks, run time and RSS of `root`'s tree now; undefined when `root` is gone. */
export function sampleTree(root: number): TreeSample | undefined {
  const atMs = Date.now();
  if (readProcStat(root) === undefined) return undefined;
  let ticks = 0;
  let runNs = 0;
  let rssKb = 0;
  const pids: number[] = [];
  for (const pid of processTree(root)) {
    const stat = readProcStat(pid);
    if (stat === undefined) continue;
    ticks += stat.utime + stat.stime;
    runNs += readRunNs(pid);
    rssKb += readRssKb(pid) ?? 0;
    pids.push(pid);
  }
  return { atMs, ticks, runNs, rssKb, pids };
}

/** The command line of a process, arguments joined by spaces; undefined when it is gone. */
export function readCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}
