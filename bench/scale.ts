/**
 * Scale benchmark: the CPU and memory one VRRP process costs when it runs many instances, for keepalived 2.2.7 and
 * our `vrrp run` CLI, side by side, in one run on the interop lab's namespace segment.
 *
 *   npm run bench:scale [-- [--counts 1,50,200,255] [--rounds 3] [--seconds 30] [--interval-ms 100] [--dist DIR]]
 *
 * A benchmark, not a test: it never fails on figures. For each count N it runs four configurations, each in a
 * fresh lab with the same two seats (host `a` holds the master seat, priority 150; host `b` the backup seat,
 * priority 100): keepalived → keepalived (the baseline), vrrp → keepalived (ours the master), keepalived → vrrp
 * (ours the backup), and floor → keepalived (FLOOR: bench/advert-sender.c in the master seat, the same adverts from
 * a C program that does nothing else). Every side is ONE process running N VRRPv3 IPv4 instances, VRIDs 1…N, each
 * with its own VIP 198.18.<lab>.<vrid>/32 (RFC 2544's benchmark range, so that 255 VIPs fit and none collides with the lab's
 * 10.99.<lab>.0/24; it exists only inside the lab's namespaces), adverts every `--interval-ms` (default 100 ms).
 * The master seat starts first and must hold all N VIPs (`ip -j addr` in its namespace), then the backup starts and
 * must report BACKUP for all N and hold none; after a warm-up (`--warmup`, default 15 s), the CPU and RSS of the
 * VRRP process tree of BOTH seats are read once a second for `--seconds` (default 30): CPU over the window in % of
 * one core, from clock ticks (utime + stime) and from the threads' run time (schedstat, judged against the target:
 * a tick is 0.033 % of a core over 30 s, coarse for a daemon that is mostly asleep), RSS as the median of the
 * per-second VmRSS readings (see bench/cpu.ts for the method and its resolution); and at the window's end, where
 * the measured process's resident pages lie by kind of mapping (/proc/<pid>/smaps: compiled code, heaps and arenas,
 * the first malloc arena, the executable, libraries), so that a growth in RSS names what grew.
 * keepalived is measured by its VRRP child (the pid from its --vrrp_pid file: the process that speaks VRRP; the
 * parent only supervises and is recorded in the JSON); ours by the `vrrp run` node process and all its threads.
 *
 * Why this way: each of our configurations has keepalived as the peer, so both seats see the same packet rate as in
 * the baseline, and the row compares the same seat under the same load. A fresh lab per configuration leaves no
 * state of one run (VIPs, neighbour entries, a lingering process) to the next, and the configurations of one N run
 * back to back, so drift in the machine's load hits them alike. The peer process is measured too (JSON) as a check
 * that the comparison is fair.
 *
 * Rounds (`--rounds`, default 3): every configuration of every count runs once per round, round after round, and a
 * row reads the median over the rounds. Why: one window of one instance is a few dozen milliseconds of CPU, almost
 * all of it the kernel delivering each advert to the peer in the sender's time, and it moves with the machine's
 * other load — two single runs of the same code ten minutes apart read 1.57 and 0.91 for one master's ratio, and
 * our process's RSS at one instance moved 0.9 MB across runs, 18 KB per instance at 50. The ratio is taken
 * per round (ours against the baseline of the same round, minutes apart) and its median is judged; its range is
 * printed beside it.
 *
 * Printed per count and seat: keepalived CPU %, ours, their ratio, in ticks and in run time (target ≤ 1.0), both
 * RSS in MB, and our RSS growth per added instance relative to the smallest count (N = 1 by default; target ≤
 * 20 KB) — each the median over the rounds. A configuration that does not settle (our process dies, or the master
 * never holds every VIP) is still measured if its processes live, and flagged; the run goes on. Results: bench/results/scale-latest.md and .json (every sample)
 * for the default run; any other goes to scale-partial-<what it selected>.md and .json (e.g.
 * scale-partial-counts-1-rounds-3.md).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { codeRevision } from './revision.js';
import { median, rotated } from './stats.js';
import {
  asDeployed,
  clockTicksPerSecond,
  cpuPercentFromNs,
  cpuPercent,
  growthPerInstance,
  ratiosByRound,
  readCmdline,
  readRssByKind,
  RSS_KINDS,
  type RssKind,
  sampleTree,
  type TreeSample,
} from './cpu.js';
import { type KeepalivedHandle, keepalivedConf, Lab, LAB_PREFIX, labAvailable, listNamespaces, tools } from '../test/interop/lab.js';
import { startVrrp, type VrrpProcess } from '../test/interop/vrrp-process.js';
import { helper } from './probes.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(repo, 'bench/results/scale-latest.md');

/** 'floor': bench/advert-sender.c, the least a master can be (master seat only; see FLOOR). */
type Impl = 'keepalived' | 'vrrp' | 'floor';
type Seat = 'master' | 'backup';
/** Which implementation sits in which seat. */
interface Config {
  master: Impl;
  backup: Impl;
}
/**
 * The floor: the master seat held by bench/advert-sender.c, a C program that only sends the same adverts on one
 * timer (its VIPs added with `ip addr`), beside the same keepalived backup. On this machine a master's CPU is mostly
 * the kernel's — the wake-up, and the advert's delivery to the peer that veth runs in the sender's time — so this
 * row is what any implementation pays at least in that seat, measured in the same run as keepalived and ours.
 */
const FLOOR: Config = { master: 'floor', backup: 'keepalived' };
const CONFIGS: readonly Config[] = [
  { master: 'keepalived', backup: 'keepalived' },
  { master: 'vrrp', backup: 'keepalived' },
  { master: 'keepalived', backup: 'vrrp' },
  FLOOR,
];
const SEATS: readonly Seat[] = ['master', 'backup'];
const HOST: Record<Seat, string> = { master: 'a', backup: 'b' };
const PRIORITY: Record<Seat, number> = { master: 150, backup: 100 };
/**
 * Default time between "settled" and the window: lets startup garbage, JIT and the first GARP bursts pass. 15 s, not
 * the 3 s it was: our process spends its first 10–20 s compiling (V8's tiers, on its platform threads) and in the
 * memory reducer's first full GCs, which shrink the young generation the start grew — one instance costs 1.1–1.5 %
 * of a core in a window that starts 3 s after settling and 0.3–0.7 % after 10 s (per-thread run time in 10 s
 * windows), and 255 masters hold ~100 MB for their first 15–20 s and 89–90 MB after. The window is meant to show
 * what a daemon costs while it runs; keepalived has no such phase, and gets the same warm-up.
 */
const DEFAULT_WARMUP_S = 15;
const SAMPLE_EVERY_MS = 1_000;
/** Rounds by default: the fewest whose median a single odd window cannot move (see the file comment). */
const DEFAULT_ROUNDS = 3;
const TARGET_CPU_RATIO = 1.0;
const TARGET_RSS_GROWTH_KB = 20;

const configLabel = (c: Config): string => `${c.master}→${c.backup}`;

// ---------------------------------------------------------------------------------------------------------------
// command line

interface Options {
  counts: number[];
  /** Times every configuration runs; rows read the median (see the file comment). */
  rounds: number;
  seconds: number;
  /** Between "settled" and the window, s (see DEFAULT_WARMUP_S). */
  warmupS: number;
  intervalMs: number;
  /** The build whose cli.js runs our side (default: this repository's dist/). */
  dist: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { counts: [1, 50, 200, 255], rounds: DEFAULT_ROUNDS, seconds: 30, warmupS: DEFAULT_WARMUP_S, intervalMs: 100, dist: join(repo, 'dist') };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--counts': {
        options.counts = [...new Set(value().split(',').map(Number))].sort((a, b) => a - b);
        if (options.counts.some((n) => !Number.isInteger(n) || n < 1 || n > 255)) usage('--counts: whole numbers 1…255');
        break;
      }
      case '--rounds': {
        options.rounds = Number(value());
        if (!Number.isInteger(options.rounds) || options.rounds < 1) usage('--rounds: a whole number, at least 1');
        break;
      }
      case '--seconds': {
        options.seconds = Number(value());
        if (!(options.seconds >= 1)) usage('--seconds must be at least 1');
        break;
      }
      case '--warmup': {
        options.warmupS = Number(value());
        if (!(options.warmupS >= 0)) usage('--warmup must be 0 or more seconds');
        break;
      }
      case '--interval-ms': {
        options.intervalMs = Number(value());
        if (!Number.isInteger(options.intervalMs) || options.intervalMs < 10 || options.intervalMs % 10 !== 0) usage('--interval-ms: a multiple of 10 ms');
        break;
      }
      case '--dist':
        options.dist = resolve(value());
        break;
      case '--help':
      case '-h':
        usage();
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  return options;
}

function usage(problem?: string): never {
  const text =
    'usage: npm run bench:scale [-- [--counts 1,50,200,255] [--rounds 3] [--seconds 30] [--warmup 15] [--interval-ms 100]]\n' +
    '  --counts L        instance counts per process, comma-separated, 1…255 (default 1,50,200,255)\n' +
    `  --rounds R        runs of every configuration; rows read the median (default ${DEFAULT_ROUNDS})\n` +
    '  --seconds S       measurement window per configuration (default 30)\n' +
    `  --warmup S        wait between settled and the window (default ${DEFAULT_WARMUP_S})\n` +
    '  --interval-ms MS  advert interval of every instance (default 100)\n' +
    "  --dist DIR        run another build's DIR/cli.js on our side (default: this repository's dist/)\n";
  process.stderr.write(problem === undefined ? text : `${problem}\n${text}`);
  process.exit(problem === undefined ? 0 : 2);
}

// ---------------------------------------------------------------------------------------------------------------
// one seat

const vipOf = (lab: Lab, vrid: number): string => `198.18.${lab.n}.${vrid}`;
const vrids = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);

interface Router {
  impl: Impl;
  seat: Seat;
  /** The pid whose tree is measured (keepalived: its VRRP child). */
  pid(): number | undefined;
  /** keepalived's parent, for the record. */
  parentPid(): number | undefined;
  /** VRIDs this router currently reports in `state`. */
  inState(state: 'master' | 'backup'): Set<number>;
  /** State changes so far, each with the wall-clock time it reached us. */
  transitions(): { atMs: number; vrid: number; to: string }[];
  alive(): boolean;
  describe(): string;
  errors(): string[];
}

function keepalivedRouter(lab: Lab, handle: KeepalivedHandle, seat: Seat): Router {
  const transitions = (): { atMs: number; vrid: number; to: string }[] =>
    handle.log.flatMap((line) => {
      const match = /\(VI_(\d+)\) Entering (\w+) STATE/.exec(line.text);
      return match === null ? [] : [{ atMs: line.atMs, vrid: Number(match[1]), to: match[2]!.toLowerCase() }];
    });
  return {
    impl: 'keepalived',
    seat,
    pid: () => handle.vrrpPid(),
    parentPid: () => handle.pid,
    inState(state) {
      const current = new Map<number, string>();
      for (const t of transitions()) current.set(t.vrid, t.to);
      return new Set([...current].filter(([, to]) => to === state).map(([vrid]) => vrid));
    },
    transitions,
    alive: () => !handle.exited,
    describe: () => `keepalived in ${handle.host}:${handle.lines.slice(-10).map((l) => `\n  | ${l}`).join('')}`,
    errors: () => [],
  };
}

/** Finds the `vrrp run` process in a lab host: the one node process there whose command line runs dist/cli.js. */
function ourPid(lab: Lab, host: string): number | undefined {
  const result = spawnSync(tools.ip!, ['netns', 'pids', lab.host(host).ns], { encoding: 'utf8' });
  const pids = (result.stdout ?? '').split(/\s+/).filter(Boolean).map(Number);
  // Any build's cli.js (--dist names a directory of any name).
  return pids.find((pid) => / \S*\/cli\.js run /.test(` ${readCmdline(pid) ?? ''} `));
}

function ourRouter(lab: Lab, vrrp: VrrpProcess, seat: Seat): Router {
  let pid: number | undefined;
  const transitions = (): { atMs: number; vrid: number; to: string }[] =>
    vrrp.events.filter((e) => e.event === 'stateChange').map((e) => ({ atMs: e.atMs, vrid: Number(e.vrid), to: String(e.to) }));
  return {
    impl: 'vrrp',
    seat,
    pid() {
      pid ??= ourPid(lab, HOST[seat]);
      return pid;
    },
    parentPid: () => undefined,
    inState(state) {
      const current = new Map<number, string>();
      for (const t of transitions()) current.set(t.vrid, t.to);
      return new Set([...current].filter(([, to]) => to === state).map(([vrid]) => vrid));
    },
    transitions,
    alive: () => vrrp.exitCode === null,
    describe: () => vrrp.describe().split('\n').slice(-15).join('\n'),
    errors: () => vrrp.events.filter((e) => e.event === 'error').map((e) => `${String(e.code)}: ${String(e.message)}`),
  };
}

async function startRouter(lab: Lab, impl: Impl, seat: Seat, count: number, options: Options): Promise<Router> {
  const { intervalMs } = options;
  const host = HOST[seat];
  const priority = PRIORITY[seat];
  if (impl === 'floor') {
    if (seat !== 'master') throw new Error('the floor (bench/advert-sender.c) only sits in the master seat');
    return startFloor(lab, count, options);
  }
  if (impl === 'keepalived') {
    const conf = keepalivedConf({
      routerId: host,
      instances: vrids(count).map((vrid) => ({
        name: `VI_${vrid}`,
        vrid,
        priority,
        version: 3,
        advertIntervalS: intervalMs / 1000,
        vips: [`${vipOf(lab, vrid)}/32`],
        // Quiet: no second GARP burst 5 s after a takeover, as in the interop scenarios.
        extra: ['garp_master_delay 0'],
      })),
    });
    const handle = await lab.startKeepalived(host, conf, { readyTimeoutMs: 30_000 });
    return keepalivedRouter(lab, handle, seat);
  }
  const instances = vrids(count).map((vrid) => ({
    name: `vr${vrid}`,
    interface: 'eth0',
    vrid,
    priority,
    version: 3,
    advertIntervalMs: intervalMs,
    virtualAddresses: [`${vipOf(lab, vrid)}/32`],
    garp: { repeat: 3, delayMs: 0 },
  }));
  const vrrp = startVrrp(lab, host, { instances }, { cli: join(options.dist, 'cli.js') });
  // A process that starts slowly (many instances, a busy peer) but lives is still measured: the settle check flags it.
  await vrrp.waitFor((e) => e.event === 'started', 30_000).catch((error: unknown) => {
    if (vrrp.exitCode !== null) throw error;
    process.stderr.write(`    vrrp in ${host}: no "started" after 30 s, going on (it is alive)\n`);
  });
  return ourRouter(lab, vrrp, seat);
}

/**
 * Starts bench/advert-sender.c in the master seat: its N VIPs added with `ip addr` (as a master would hold them, and
 * as the settle check looks for them), then the sender, whose pid is the measured tree (lab.spawn: setpriv and ip
 * exec it, one pid throughout).
 */
async function startFloor(lab: Lab, count: number, options: Options): Promise<Router> {
  const host = lab.host(HOST.master);
  const batch = join(lab.tmpDir, 'floor-vips.batch');
  writeFileSync(batch, vrids(count).map((vrid) => `addr add ${vipOf(lab, vrid)}/32 dev ${host.ifname}\n`).join(''));
  await lab.exec(HOST.master, [tools.ip!, '-batch', batch], { check: true });
  const prefix = vipOf(lab, 0).replace(/\.0$/, '');
  const child = lab.spawn(HOST.master, [helper('advert-sender'), host.ifname, host.ipv4, String(options.intervalMs), String(PRIORITY.master), String(count), prefix]);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ready = await pollUntil(() => output.includes('ready') || child.exitCode !== null, 10_000);
  if (!ready || child.exitCode !== null) throw new Error(`advert-sender did not start: ${output.trim() || 'no output'}`);
  const all = new Set(vrids(count));
  return {
    impl: 'floor',
    seat: 'master',
    pid: () => child.pid,
    parentPid: () => undefined,
    inState: (state) => (state === 'master' ? all : new Set()),
    transitions: () => [],
    alive: () => child.exitCode === null && child.signalCode === null,
    describe: () => `advert-sender in ${host.name}: ${output.trim().split('\n').slice(-5).join(' | ')}`,
    errors: () => [],
  };
}

/** How many of the N VIPs a host holds on eth0. */
async function vipsHeld(lab: Lab, seat: Seat, count: number): Promise<number> {
  const held = new Set(await lab.addresses(HOST[seat]));
  return vrids(count).filter((vrid) => held.has(vipOf(lab, vrid))).length;
}

/** Polls `check` every 100 ms until it returns true; false after `timeoutMs`. */
async function pollUntil(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// one configuration

interface SeatResult {
  impl: Impl;
  pid?: number;
  /** CPU of the measured tree over the window, % of one core, from clock ticks. */
  cpuPercent?: number;
  /** The same from the threads' run time (schedstat; bench/cpu.ts, "Exact CPU"). */
  cpuExactPercent?: number;
  /** Median of the per-second RSS readings, KiB. */
  rssKb?: number;
  rssMaxKb?: number;
  /** Where the measured process's resident pages lay at the window's end, kB by kind of mapping (bench/cpu.ts). */
  rssByKindKb?: Record<RssKind, number>;
  /** keepalived's parent (supervisor) over the same window. */
  parent?: { cpuPercent?: number; cpuExactPercent?: number; rssKb?: number };
  /** State changes inside the window (0 expected). */
  transitionsInWindow: number;
  /**
   * Packets the seat's eth0 sent per second over the window (its tx_packets counter): a master's adverts (count ×
   * 1000 / interval) make nearly all of them. The CPU comparison assumes both sides of a seat send as many: this
   * shows it.
   */
  txPacketsPerS?: number;
  samples: TreeSample[];
  parentSamples?: TreeSample[];
  errors: string[];
}

interface Run {
  count: number;
  config: Config;
  /** 1…rounds. */
  round: number;
  settled: boolean;
  /** Why not settled, or what went wrong. */
  problem?: string;
  settleMs?: number;
  windowMs?: number;
  vipsAtEnd?: { master: number; backup: number };
  seats: Partial<Record<Seat, SeatResult>>;
}

function summarizeSamples(samples: TreeSample[]): { cpuPercent?: number; cpuExactPercent?: number; rssKb?: number; rssMaxKb?: number } {
  if (samples.length < 2) return {};
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const rss = samples.map((s) => s.rssKb);
  return {
    cpuPercent: cpuPercent(last.ticks - first.ticks, clockTicksPerSecond(), last.atMs - first.atMs),
    cpuExactPercent: cpuPercentFromNs(last.runNs - first.runNs, last.atMs - first.atMs),
    rssKb: median(rss),
    rssMaxKb: Math.max(...rss),
  };
}

async function runConfig(count: number, config: Config, round: number, options: Options): Promise<Run> {
  const run: Run = { count, config, round, settled: false, seats: {} };
  const lab = await Lab.create({ hosts: [HOST.master, HOST.backup] });
  try {
    const t0 = performance.now();
    // Master seat first, alone, so that it wins every VRID without a preemption round.
    const master = await startRouter(lab, config.master, 'master', count, options);
    const settleTimeoutMs = 30_000 + count * 100;
    const masterUp = await pollUntil(async () => !master.alive() || (await vipsHeld(lab, 'master', count)) === count, settleTimeoutMs);
    if (!master.alive()) throw new Error(`${config.master} in the master seat exited while starting\n${master.describe()}`);
    const backup = await startRouter(lab, config.backup, 'backup', count, options);
    const settled =
      masterUp &&
      (await pollUntil(
        async () =>
          !backup.alive() ||
          !master.alive() ||
          (backup.inState('backup').size === count &&
            master.inState('master').size === count &&
            (await vipsHeld(lab, 'master', count)) === count &&
            (await vipsHeld(lab, 'backup', count)) === 0),
        settleTimeoutMs,
      )) &&
      backup.alive() &&
      master.alive();
    run.settleMs = performance.now() - t0;
    if (!settled) {
      const [m, b] = [await vipsHeld(lab, 'master', count), await vipsHeld(lab, 'backup', count)];
      run.problem =
        `not settled after ${(run.settleMs / 1000).toFixed(1)} s: master seat holds ${m}/${count} VIPs and reports ${master.inState('master').size} master, ` +
        `backup seat holds ${b} VIPs and reports ${backup.inState('backup').size} backup` +
        (master.alive() ? '' : `; ${config.master} in the master seat exited`) +
        (backup.alive() ? '' : `; ${config.backup} in the backup seat exited`);
    }
    run.settled = settled;
    await sleep(options.warmupS * 1000);

    const routers: Record<Seat, Router> = { master, backup };
    const roots = Object.fromEntries(SEATS.map((seat) => [seat, routers[seat].alive() ? routers[seat].pid() : undefined])) as Record<Seat, number | undefined>;
    const parents = Object.fromEntries(SEATS.map((seat) => [seat, routers[seat].parentPid()])) as Record<Seat, number | undefined>;
    const samples: Record<Seat, TreeSample[]> = { master: [], backup: [] };
    const parentSamples: Record<Seat, TreeSample[]> = { master: [], backup: [] };
    const take = (): void => {
      for (const seat of SEATS) {
        const root = roots[seat];
        const sample = root === undefined ? undefined : sampleTree(root);
        if (sample !== undefined) samples[seat].push(sample);
        const parent = parents[seat];
        // keepalived's parent alone: its tree would count the VRRP child twice.
        const parentSample = parent === undefined ? undefined : sampleTree(parent);
        if (parentSample !== undefined) {
          const child = sample?.pids ?? [];
          const own = sampleSingle(parentSample, child.length > 0 ? sample : undefined);
          parentSamples[seat].push(own);
        }
      }
    };
    const txBefore = await txPackets(lab);
    const windowStart = Date.now();
    const started = performance.now();
    take();
    for (let i = 1; i * SAMPLE_EVERY_MS <= options.seconds * 1000; i += 1) {
      // Aligned to the window's start, so that sampling drift does not stretch the window.
      await sleep(Math.max(0, started + i * SAMPLE_EVERY_MS - performance.now()));
      take();
    }
    const windowEnd = Date.now();
    run.windowMs = windowEnd - windowStart;
    const txAfter = await txPackets(lab);
    const byKind = Object.fromEntries(SEATS.map((seat) => [seat, roots[seat] === undefined ? undefined : readRssByKind(roots[seat])])) as Record<Seat, Record<RssKind, number> | undefined>;
    run.vipsAtEnd = { master: await vipsHeld(lab, 'master', count), backup: await vipsHeld(lab, 'backup', count) };
    for (const seat of SEATS) {
      const router = routers[seat];
      const summary = summarizeSamples(samples[seat]);
      const parentSummary = summarizeSamples(parentSamples[seat]);
      run.seats[seat] = {
        impl: router.impl,
        ...(roots[seat] === undefined ? {} : { pid: roots[seat] }),
        ...summary,
        ...(byKind[seat] === undefined ? {} : { rssByKindKb: byKind[seat] }),
        ...(parents[seat] === undefined ? {} : { parent: { cpuPercent: parentSummary.cpuPercent, cpuExactPercent: parentSummary.cpuExactPercent, rssKb: parentSummary.rssKb } }),
        transitionsInWindow: router.transitions().filter((t) => t.atMs >= windowStart && t.atMs <= windowEnd).length,
        ...packetRate(txBefore[seat], txAfter[seat]),
        samples: samples[seat],
        ...(parents[seat] === undefined ? {} : { parentSamples: parentSamples[seat] }),
        errors: router.errors(),
      };
      if (!router.alive()) run.problem = `${run.problem === undefined ? '' : `${run.problem}; `}${router.impl} in the ${seat} seat exited during the window`;
    }
  } catch (error) {
    run.problem = error instanceof Error ? error.message.split('\n').slice(0, 12).join('\n    ') : String(error);
  } finally {
    await lab.destroy();
  }
  return run;
}

/** Each seat's eth0 tx_packets counter, read in its namespace, with when it was read; undefined where unreadable. */
async function txPackets(lab: Lab): Promise<Record<Seat, { packets: number; atMs: number } | undefined>> {
  const read = async (seat: Seat): Promise<{ packets: number; atMs: number } | undefined> => {
    try {
      const result = await lab.exec(HOST[seat], ['cat', '/sys/class/net/eth0/statistics/tx_packets'], { check: true });
      const packets = Number(result.stdout.trim());
      return Number.isFinite(packets) ? { packets, atMs: performance.now() } : undefined;
    } catch {
      return undefined;
    }
  };
  return { master: await read('master'), backup: await read('backup') };
}

/** Packets per second between two readings of a counter, as a SeatResult field (none when either is missing). */
function packetRate(before: { packets: number; atMs: number } | undefined, after: { packets: number; atMs: number } | undefined): { txPacketsPerS?: number } {
  if (before === undefined || after === undefined || after.atMs <= before.atMs) return {};
  return { txPacketsPerS: (after.packets - before.packets) / ((after.atMs - before.atMs) / 1000) };
}

/** Packets each seat sent per second, medians over the rounds, per count and configuration: equal rates make the CPU comparison fair. */
function rateTable(runs: Run[], counts: number[]): string {
  const rows: string[][] = [];
  const rate = (value: number | undefined): string => (value === undefined ? '–' : value.toFixed(1));
  for (const count of counts) {
    for (const config of CONFIGS) {
      const mine = runs.filter((r) => r.count === count && r.config === config);
      const median = (seat: Seat): number | undefined => medianOf(mine.map((r) => r.seats[seat]?.txPacketsPerS));
      rows.push([String(count), configLabel(config), rate(median('master')), rate(median('backup'))]);
    }
  }
  return table(['count', 'configuration', 'master seat packets sent/s', 'backup seat packets sent/s'], rows);
}

/** A parent's own figures: its tree minus its child's tree (sampled at nearly the same instant). */
function sampleSingle(tree: TreeSample, child: TreeSample | undefined): TreeSample {
  if (child === undefined) return tree;
  return {
    atMs: tree.atMs,
    ticks: tree.ticks - child.ticks,
    runNs: tree.runNs - child.runNs,
    rssKb: tree.rssKb - child.rssKb,
    pids: tree.pids.filter((pid) => !child.pids.includes(pid)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// report

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const pct = (value: number | undefined): string => (value === undefined ? '–' : `${value.toFixed(2)} %`);
const mb = (kb: number | undefined): string => (kb === undefined ? '–' : (kb / 1024).toFixed(1));
const yesNo = (ok: boolean | undefined): string => (ok === undefined ? '–' : ok ? 'yes' : 'NO');

/** A seat's figures over the rounds: each the median over the rounds that have it. */
interface SeatSummary {
  cpuPercent?: number;
  cpuExactPercent?: number;
  rssKb?: number;
}

interface Row {
  count: number;
  seat: Seat;
  keepalived?: SeatSummary;
  ours?: SeatSummary;
  /** ours / keepalived from clock ticks, per round (same round's baseline), then the median. */
  ratio?: number;
  /** The same from run time: the one judged against the target (bench/cpu.ts, "Exact CPU"). */
  exactRatio?: number;
  /** The per-round run-time ratios the median was taken of, in round order. */
  exactRatios: number[];
  /** The floor in this seat (master only: bench/advert-sender.c, see FLOOR), medians over the rounds. */
  floor?: SeatSummary;
  /** floor / keepalived from run time, per round against the same round's baseline, then the median. */
  floorRatio?: number;
  /** The per-round floor / keepalived run-time ratios, in round order. */
  floorRatios: number[];
  growthKb?: number;
  keepalivedGrowthKb?: number;
  notes: string[];
}

/** The median of the defined values, or undefined when there are none. */
function medianOf(values: readonly (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? undefined : median(known);
}

function summarizeSeat(results: readonly (SeatResult | undefined)[]): SeatSummary | undefined {
  const present = results.filter((r): r is SeatResult => r !== undefined);
  if (present.length === 0) return undefined;
  const summary: SeatSummary = {};
  const cpu = medianOf(present.map((r) => r.cpuPercent));
  const exact = medianOf(present.map((r) => r.cpuExactPercent));
  const rss = medianOf(present.map((r) => r.rssKb));
  if (cpu !== undefined) summary.cpuPercent = cpu;
  if (exact !== undefined) summary.cpuExactPercent = exact;
  if (rss !== undefined) summary.rssKb = rss;
  return summary;
}

function buildRows(runs: Run[], counts: number[], rounds: number): Row[] {
  const find = (count: number, config: Config, round: number): Run | undefined =>
    runs.find((r) => r.count === count && r.config === config && r.round === round);
  const roundList = Array.from({ length: rounds }, (_, i) => i + 1);
  const baseline = CONFIGS[0]!;
  const oursIn = (seat: Seat): Config => CONFIGS.find((c) => c[seat] === 'vrrp')!;
  const reference = counts[0]!;
  const rows: Row[] = [];
  for (const count of counts) {
    for (const seat of SEATS) {
      const kaRuns = roundList.map((round) => find(count, baseline, round));
      const ourRuns = roundList.map((round) => find(count, oursIn(seat), round));
      const keepalived = summarizeSeat(kaRuns.map((r) => r?.seats[seat]));
      const ours = summarizeSeat(ourRuns.map((r) => r?.seats[seat]));
      const refOurs = summarizeSeat(roundList.map((round) => find(reference, oursIn(seat), round)?.seats[seat]));
      const refKa = summarizeSeat(roundList.map((round) => find(reference, baseline, round)?.seats[seat]));
      // Per round, against the baseline of the same round: the machine's load of those minutes hits both alike.
      const figure = (r: Run | undefined, pick: (result: SeatResult) => number | undefined): number | undefined => {
        const result = r?.seats[seat];
        return result === undefined ? undefined : pick(result);
      };
      const perRound = (pick: (result: SeatResult) => number | undefined): number[] =>
        ratiosByRound(
          ourRuns.map((r) => figure(r, pick)),
          kaRuns.map((r) => figure(r, pick)),
        );
      const exactRatios = perRound((r) => r.cpuExactPercent);
      const floorRuns = seat === 'master' ? roundList.map((round) => find(count, FLOOR, round)) : [];
      const floor = summarizeSeat(floorRuns.map((r) => r?.seats[seat]));
      const floorRatios = ratiosByRound(
        floorRuns.map((r) => figure(r, (result) => result.cpuExactPercent)),
        kaRuns.map((r) => figure(r, (result) => result.cpuExactPercent)),
      );
      const floorRatio = medianOf(floorRatios);
      const notes: string[] = [];
      for (const [label, list] of [
        ['keepalived→keepalived', kaRuns],
        [configLabel(oursIn(seat)), ourRuns],
        [configLabel(FLOOR), floorRuns],
      ] as const) {
        for (const r of list) {
          if (r === undefined) continue;
          const tag = rounds > 1 ? `${label} (round ${r.round})` : label;
          if (r.problem !== undefined) notes.push(`${tag}: ${r.problem.split('\n')[0]}`);
          const flaps = SEATS.map((s) => r.seats[s]?.transitionsInWindow ?? 0).reduce((a, b) => a + b, 0);
          if (flaps > 0) notes.push(`${tag}: ${flaps} state changes in the window`);
          const errors = SEATS.flatMap((s) => r.seats[s]?.errors ?? []);
          if (errors.length > 0) notes.push(`${tag}: ${errors.length} error events (first: ${errors[0]})`);
        }
      }
      const ticksRatios = perRound((r) => r.cpuPercent);
      // A round whose keepalived read 0 (or whose seat was not measured) has no ratio: the median is of fewer rounds
      // than the header says, and that is said (found by review: a median of two read as one of three).
      for (const [label, used] of [
        ['ratio (ticks)', ticksRatios.length],
        ['ratio (run time)', exactRatios.length],
      ] as const) {
        if (used < rounds) notes.push(`${label}: of ${used} round${used === 1 ? '' : 's'}, not ${rounds} (the others have no ratio: keepalived read 0, or a seat was not measured)`);
      }
      const ticksRatio = medianOf(ticksRatios);
      const exactRatio = medianOf(exactRatios);
      const growthKb = ours?.rssKb !== undefined && refOurs?.rssKb !== undefined ? growthPerInstance(ours.rssKb, count, refOurs.rssKb, reference) : undefined;
      const keepalivedGrowthKb =
        keepalived?.rssKb !== undefined && refKa?.rssKb !== undefined ? growthPerInstance(keepalived.rssKb, count, refKa.rssKb, reference) : undefined;
      rows.push({
        count,
        seat,
        ...(keepalived === undefined ? {} : { keepalived }),
        ...(ours === undefined ? {} : { ours }),
        ...(ticksRatio === undefined ? {} : { ratio: ticksRatio }),
        ...(exactRatio === undefined ? {} : { exactRatio }),
        exactRatios,
        ...(floor === undefined ? {} : { floor }),
        ...(floorRatio === undefined ? {} : { floorRatio }),
        floorRatios,
        ...(growthKb === undefined ? {} : { growthKb }),
        ...(keepalivedGrowthKb === undefined ? {} : { keepalivedGrowthKb }),
        notes,
      });
    }
  }
  return rows;
}

/** "min–max" of the per-round ratios, or "–" with fewer than two. */
function spread(values: readonly number[]): string {
  if (values.length < 2) return '–';
  return `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
}

function resultTable(rows: Row[], reference: number, rounds: number): string {
  const of = rounds > 1 ? `, median of ${rounds}` : '';
  return table(
    [
      'count',
      'side',
      `keepalived CPU (ticks${of})`,
      'ours CPU (ticks)',
      'ratio (ticks)',
      'keepalived CPU (run time)',
      'ours CPU (run time)',
      'ratio (run time)',
      ...(rounds > 1 ? ['ratio range (run time)'] : []),
      'floor CPU (run time)',
      'floor / keepalived',
      'keepalived RSS MB',
      'ours RSS MB',
      `ours RSS growth KB/instance (vs N=${reference})`,
      `keepalived RSS growth KB/instance`,
      `CPU ratio ≤ ${TARGET_CPU_RATIO.toFixed(1)}`,
      `growth ≤ ${TARGET_RSS_GROWTH_KB} KB`,
    ],
    rows.map((row) => [
      String(row.count),
      row.seat,
      pct(row.keepalived?.cpuPercent),
      pct(row.ours?.cpuPercent),
      row.ratio === undefined ? '–' : row.ratio.toFixed(2),
      pct(row.keepalived?.cpuExactPercent),
      pct(row.ours?.cpuExactPercent),
      row.exactRatio === undefined ? '–' : row.exactRatio.toFixed(2),
      ...(rounds > 1 ? [spread(row.exactRatios)] : []),
      pct(row.floor?.cpuExactPercent),
      row.floorRatio === undefined ? '–' : row.floorRatio.toFixed(2),
      mb(row.keepalived?.rssKb),
      mb(row.ours?.rssKb),
      row.growthKb === undefined ? '–' : row.growthKb.toFixed(1),
      row.keepalivedGrowthKb === undefined ? '–' : row.keepalivedGrowthKb.toFixed(1),
      yesNo(row.exactRatio === undefined ? undefined : row.exactRatio <= TARGET_CPU_RATIO),
      yesNo(row.growthKb === undefined ? undefined : row.growthKb <= TARGET_RSS_GROWTH_KB),
    ]),
  );
}

/**
 * Where our RSS lies, by kind of mapping, at each count and seat (medians over the rounds of the smaps reading at the
 * window's end), each with its growth per instance against the smallest count: which kind an instance costs.
 */
function kindTable(runs: Run[], counts: number[]): string {
  const reference = counts[0]!;
  const oursIn = (seat: Seat): Config => CONFIGS.find((c) => c[seat] === 'vrrp')!;
  const kb = (count: number, seat: Seat, kind: RssKind | 'total'): number | undefined =>
    medianOf(
      runs
        .filter((r) => r.count === count && r.config === oursIn(seat))
        .map((r) => r.seats[seat]?.rssByKindKb)
        .map((k) => (k === undefined ? undefined : kind === 'total' ? RSS_KINDS.reduce((sum, each) => sum + k[each], 0) : k[kind])),
    );
  const rows: string[][] = [];
  for (const count of counts) {
    for (const seat of SEATS) {
      const cell = (kind: RssKind | 'total'): string => {
        const here = kb(count, seat, kind);
        if (here === undefined) return '–';
        const base = kb(reference, seat, kind);
        const growth = count === reference || base === undefined ? undefined : growthPerInstance(here, count, base, reference);
        return growth === undefined ? `${here}` : `${here} (${growth >= 0 ? '+' : ''}${growth.toFixed(1)})`;
      };
      rows.push([String(count), seat, cell('total'), ...RSS_KINDS.map((kind) => cell(kind))]);
    }
  }
  return table(['count', 'side', 'all', ...RSS_KINDS], rows);
}

/** The peer of each of our configurations, beside its baseline figure (medians over the rounds): a check that the comparison was fair. */
function peerTable(runs: Run[], counts: number[]): string {
  const rows: string[][] = [];
  for (const count of counts) {
    for (const config of CONFIGS.slice(1)) {
      const peerSeat: Seat = config.master === 'keepalived' ? 'master' : 'backup';
      const peer = summarizeSeat(runs.filter((r) => r.count === count && r.config === config).map((r) => r.seats[peerSeat]));
      const base = summarizeSeat(runs.filter((r) => r.count === count && r.config === CONFIGS[0]).map((r) => r.seats[peerSeat]));
      rows.push([String(count), configLabel(config), `keepalived ${peerSeat}`, pct(peer?.cpuExactPercent), pct(base?.cpuExactPercent), mb(peer?.rssKb), mb(base?.rssKb)]);
    }
  }
  return table(['count', 'configuration', 'peer', 'peer CPU (run time)', 'same seat in keepalived→keepalived', 'peer RSS MB', 'baseline RSS MB'], rows);
}

function machineFacts(dist: string): { node: string; keepalived: string; kernel: string; cpu: string; cores: number; memoryGb: number; clockTicks: number; revision: string } {
  const version = spawnSync(tools.keepalived!, ['--version'], { encoding: 'utf8' });
  const keepalived = `${version.stdout ?? ''}${version.stderr ?? ''}`.split('\n')[0]?.trim() || 'keepalived: unknown version';
  const cpu = cpus();
  return {
    node: process.version,
    keepalived,
    kernel: release(),
    cpu: `${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
    cores: cpu.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    clockTicks: clockTicksPerSecond(),
    revision: codeRevision(repo, dist),
  };
}

/**
 * The code measured: for this repository's dist/, the commit and whether src/ differed from it (dist/ is built from
 * the work tree); for another build, its directory and, when it is a git checkout, its commit.
 */

// ---------------------------------------------------------------------------------------------------------------
// main

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  asDeployed(); // the `vrrp run` measured must not believe npm started it (bench/cpu.ts)
  if (!labAvailable.ok) {
    process.stderr.write(`bench:scale cannot run here: ${labAvailable.reason ?? 'lab unavailable'}\n`);
    return 1;
  }
  if (!existsSync(join(options.dist, 'cli.js'))) {
    process.stderr.write(`${join(options.dist, 'cli.js')} is missing: run \`npm run build\` first\n`);
    return 1;
  }
  const facts = machineFacts(options.dist);
  const startedAt = new Date();
  const started = performance.now();
  const total = options.counts.length * CONFIGS.length * options.rounds;
  process.stderr.write(
    `bench:scale: ${total} configurations (counts ${options.counts.join(', ')}; ${options.rounds} round${options.rounds === 1 ? '' : 's'}; ${options.seconds} s each; adverts ${options.intervalMs} ms; ` +
      `node ${facts.node}, ${facts.keepalived}, kernel ${facts.kernel}, ${facts.cores} cores)\n`,
  );
  const runs: Run[] = [];
  let done = 0;
  // Round after round (not each configuration R times in a row): a slow drift of the machine's load then falls on
  // every configuration and count alike.
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const count of options.counts) {
      // Each round starts one configuration further on, so that being first after a count's change (a fresh lab of
      // another size) does not always fall on the keepalived baseline.
      for (const config of rotated(CONFIGS, round - 1)) {
        done += 1;
        const label = `[${String(done).padStart(String(total).length)}/${total}] round ${round} N=${String(count).padStart(3)} ${configLabel(config).padEnd(21)}`;
        const t0 = performance.now();
        const run = await runConfig(count, config, round, options);
        runs.push(run);
        const seat = (s: Seat): string => {
          const r = run.seats[s];
          return r === undefined ? `${s} –` : `${s} ${r.impl} ${pct(r.cpuPercent)} (run time ${pct(r.cpuExactPercent)}) ${mb(r.rssKb)} MB`;
        };
        process.stderr.write(
          `${label}: ${seat('master')}, ${seat('backup')}` +
            `${run.settled ? '' : ' (NOT SETTLED)'} (${((performance.now() - t0) / 1000).toFixed(1)} s)` +
            `${run.problem === undefined ? '' : `\n    ${run.problem}`}\n`,
        );
      }
    }
  }
  const totalS = (performance.now() - started) / 1000;
  const leftovers = listNamespaces().filter((name) => name.startsWith(`${LAB_PREFIX}${process.pid}-`));
  const reference = options.counts[0]!;
  const rows = buildRows(runs, options.counts, options.rounds);
  const results = resultTable(rows, reference, options.rounds);
  const peers = peerTable(runs, options.counts);
  const rates = rateTable(runs, options.counts);
  const kinds = kindTable(runs, options.counts);
  const notes = rows.flatMap((row) => row.notes.map((note) => `- N=${row.count} ${row.seat}: ${note}`));
  const uniqueNotes = [...new Set(notes)];

  const factsLine = `node ${facts.node} · ${facts.keepalived} · kernel ${facts.kernel} · ${facts.cpu} · ${facts.memoryGb} GB · CLK_TCK ${facts.clockTicks}`;
  const codeLine = `vrrp ${facts.revision}`;
  const runLine =
    `counts ${options.counts.join(' / ')}, ${options.rounds} round${options.rounds === 1 ? '' : 's'}, ${options.seconds} s window per configuration, adverts ${options.intervalMs} ms, ` +
    `${total} configurations in ${(totalS / 60).toFixed(1)} min, started ${startedAt.toISOString()}`;
  const report = [
    '',
    `machine: ${factsLine}`,
    `code:    ${codeLine}`,
    `run:     ${runLine}`,
    '',
    results,
    '  CPU: % of one core over the window (keepalived: its VRRP child; ours: the `vrrp run` process, all threads); RSS: median VmRSS.',
    '  Each figure the median over the rounds; a ratio is taken per round against the same round\'s baseline, then its median.',
    '  ratio –: keepalived used less than one clock tick in the window (no ratio to speak of; lengthen --seconds).',
    '  floor: bench/advert-sender.c in the master seat (the same adverts from a C program that does nothing else): the least a master pays here.',
    '',
    `our RSS by kind of mapping at the window's end, kB (growth KB/instance vs N=${reference}):`,
    kinds,
    '',
    'peers (keepalived beside our process, and the same seat in the baseline):',
    peers,
    ...(uniqueNotes.length > 0 ? ['', 'notes:', ...uniqueNotes] : []),
    ...(leftovers.length > 0 ? ['', `LEAK: namespaces left behind: ${leftovers.join(', ')}`] : []),
    '',
    `total run time: ${totalS.toFixed(1)} s`,
    '',
  ].join('\n');
  process.stdout.write(report);

  const markdown = [
    '# Scale benchmark: latest run',
    '',
    'Generated by `npm run bench:scale` (bench/scale.ts); do not edit by hand.',
    '',
    `- Machine: ${factsLine}`,
    `- Code: ${codeLine}`,
    `- Run: ${runLine}`,
    `- Setup: per count N and configuration, a fresh lab of two hosts; one process per host runs N VRRPv3 IPv4 instances (VRIDs 1…N, one VIP 198.18.<lab>.<vrid>/32 each), master seat priority ${PRIORITY.master}, backup seat ${PRIORITY.backup}. Configurations: keepalived→keepalived (baseline), vrrp→keepalived (ours the master), keepalived→vrrp (ours the backup), and floor→keepalived: the master seat held by bench/advert-sender.c, a C program that only sends the same adverts in one sendmmsg per interval on one timer (its VIPs added with \`ip addr\`), the least any master pays on this machine.`,
    `- Measured once settled (master seat holds all N VIPs, backup seat reports BACKUP for all N and holds none) and ${options.warmupS} s of warm-up: CPU over the window in % of one core, twice: from clock ticks (utime + stime of the process tree, /proc/<pid>/stat) and from run time (the scheduler's nanoseconds of every thread of the tree, /proc/<pid>/task/<tid>/schedstat); one tick is 0.033 % of a core over 30 s, so the target is judged on run time; RSS = median of per-second VmRSS readings. keepalived: its VRRP child (the parent only supervises; its figures are in the JSON); ours: the \`vrrp run\` node process with all its threads.`,
    `- Rounds: every configuration ran ${options.rounds} time${options.rounds === 1 ? '' : 's'}, round after round; each figure below is the median over the rounds, a ratio is taken per round against that round's baseline and then its median is judged (the range: its lowest and highest round). Why: one window of one instance moves with the machine's other load (bench/scale.ts, file comment).`,
    `- Targets: CPU ratio ours / keepalived (run time) ≤ ${TARGET_CPU_RATIO.toFixed(1)} in the same seat; our RSS growth ≤ ${TARGET_RSS_GROWTH_KB} KB per instance, relative to N=${reference}.`,
    '',
    results,
    '',
    `Our RSS by kind of mapping (/proc/<pid>/smaps at the window's end, median over the rounds; kB, and in brackets the growth per instance against N=${reference} in KB): code — compiled at run time (V8's JIT); anonymous — V8's heaps, thread stacks, the malloc arenas of threads after the first; brk — the first malloc arena; executable — node's own file; libraries — every other file, our addon among them; other — the kernel's ([stack], [vdso]).`,
    '',
    kinds,
    '',
    'Peers (a fairness check: keepalived beside our process against the same seat in the baseline):',
    '',
    peers,
    '',
    `Packets each seat sent per second over the window (its eth0's tx_packets; a master's adverts, count × ${1000 / options.intervalMs}/s, make nearly all of them): the CPU comparison holds only where both implementations in a seat sent as many.`,
    '',
    rates,
    ...(uniqueNotes.length > 0 ? ['', 'Notes:', '', ...uniqueNotes] : []),
    '',
  ].join('\n');
  mkdirSync(join(repo, 'bench/results'), { recursive: true });
  // Only the default run (every count, the default window, warm-up, interval and build) replaces the report
  // docs/benchmarks.md and the README quote; any other goes beside it (a `--counts 1` run once replaced it).
  const defaults = parseArgs([]);
  const full =
    options.counts.join(',') === defaults.counts.join(',') &&
    options.rounds === defaults.rounds &&
    options.seconds === defaults.seconds &&
    options.warmupS === defaults.warmupS &&
    options.intervalMs === defaults.intervalMs &&
    options.dist === defaults.dist;
  // A partial run is named for what it selected: docs/benchmarks.md quotes several, and each used to overwrite the
  // one before under a single name.
  const selection = [
    `counts-${options.counts.join('-')}`,
    `rounds-${options.rounds}`,
    ...(options.seconds === defaults.seconds ? [] : [`seconds-${options.seconds}`]),
    ...(options.warmupS === defaults.warmupS ? [] : [`warmup-${options.warmupS}`]),
    ...(options.intervalMs === defaults.intervalMs ? [] : [`interval-${options.intervalMs}ms`]),
    ...(options.dist === defaults.dist ? [] : ['other-build']),
  ].join('-');
  const target = full ? RESULTS : RESULTS.replace('latest.md', `partial-${selection}.md`);
  writeFileSync(target, markdown);
  const raw = { facts, startedAt: startedAt.toISOString(), options, warmupMs: options.warmupS * 1000, sampleEveryMs: SAMPLE_EVERY_MS, runs, rows: rows.map(({ keepalived: _k, ours: _o, ...rest }) => rest) };
  writeFileSync(target.replace(/\.md$/, '.json'), `${JSON.stringify(raw, null, 1)}\n`);
  console.log(`results written to ${target} (samples: ${target.replace(/\.md$/, '.json')})`);
  if (leftovers.length > 0) return 1;
  return runs.every((run) => run.problem !== undefined && Object.keys(run.seats).length === 0) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench:scale: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
