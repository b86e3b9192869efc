/**
 * Stall benchmark: does VRRP inside a Node.js app survive the app blocking its own main thread, and how regular are
 * its adverts meanwhile — beside keepalived, its peer, on the same segment and in the same run.
 *
 *   npm run bench:stall [-- [--minutes 10] [--seed N] [--dist DIR]]
 *
 * A benchmark, not a test: it never fails on figures. One lab: host `app` runs bench/fixtures/stall-app.mjs, an app
 * that embeds our library (`new VrrpInstance(config)` from dist/index.js, four instances in one process), host
 * `peer` runs one keepalived with the opposite priorities, and a third host, `client`, captures every advert with
 * ONE tcpdump:
 *
 *   VRID 1  10 ms adverts   app master (150), keepalived backup (100)
 *   VRID 2  10 ms adverts   keepalived master (150), app backup (100)
 *   VRID 3  100 ms adverts  app master (150), keepalived backup (100)
 *   VRID 4  100 ms adverts  keepalived master (150), app backup (100)
 *
 * Once all four settled, the app blocks its main thread for a random 50–2000 ms (uniform, seeded: the seed is
 * printed and `--seed` replays the same stalls), runs free for 1 s, and again, for `--minutes` (default 10). Measured
 * over that window:
 * - spurious transitions, target 0 on both sides: ours from the app's `stateChange` lines, keepalived's from its
 *   `(VI_n) Entering … STATE` log lines (every transition after settling is spurious: nothing else changes — but
 *   for our backup's takeover after keepalived's master fell silent on the wire for a whole Master_Down_Interval,
 *   which the capture shows and RFC 9568 asks for: bench/stats.ts, transitionVerdict);
 * - advert interval jitter per VRID: the intervals between consecutive adverts from the VRID's designated master
 *   (priority > 0), minus the nominal interval, p50 / p99 / max in ms, ours (VRIDs 1, 3) beside keepalived's
 *   (VRIDs 2, 4) at the same interval. A master that lost its role sends nothing until it regains it: that gap is
 *   one (large) interval, as a client of the VIP would feel it.
 *
 * Why this way: one tcpdump on a third host timestamps every advert on one clock, outside both senders, so
 * neither side's own scheduling (the stalled thread least of all) can flatter its figures; keepalived in the same
 * lab, same run and same advert intervals is the reference for what the segment and the machine allow. Its
 * instances run in one process as ours do. Results: bench/results/stall-latest.md and .json (every stall, every
 * transition, every interval's summary).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { masterDownIntervalMs } from '../src/core/timers.js';
import { codeRevision } from './revision.js';
import { mulberry32, transitionVerdict } from './stats.js';
import { asDeployed, intervalJitter, jitterSummary, type WireTakeover, wireTakeovers } from './cpu.js';
import { eachLine, type KeepalivedHandle, keepalivedConf, Lab, LAB_PREFIX, labAvailable, listNamespaces, Notifier, tools, waitUntil } from '../test/interop/lab.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(repo, 'bench/results/stall-latest.md');
const APP = join(repo, 'bench/fixtures/stall-app.mjs');

type Impl = 'vrrp' | 'keepalived';
interface Vrid {
  vrid: number;
  intervalMs: number;
  master: Impl;
}
const VRIDS: readonly Vrid[] = [
  { vrid: 1, intervalMs: 10, master: 'vrrp' },
  { vrid: 2, intervalMs: 10, master: 'keepalived' },
  { vrid: 3, intervalMs: 100, master: 'vrrp' },
  { vrid: 4, intervalMs: 100, master: 'keepalived' },
];
const MASTER_PRIORITY = 150;
const BACKUP_PRIORITY = 100;
const BLOCK_MIN_MS = 50;
const BLOCK_MAX_MS = 2_000;
const FREE_MS = 1_000;
/** The app calls itself settled once every instance is in its expected state and none changed for this long. */
const SETTLE_QUIET_MS = 1_000;
const SETTLE_TIMEOUT_MS = 30_000;
const priorityOf = (impl: Impl, v: Vrid): number => (v.master === impl ? MASTER_PRIORITY : BACKUP_PRIORITY);

// ---------------------------------------------------------------------------------------------------------------
// command line

interface Options {
  minutes: number;
  seed: number;
  /** The build whose index.js the app loads (default: this repository's dist/). */
  dist: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { minutes: 10, seed: (Date.now() ^ Math.floor(Math.random() * 0x1_0000_0000)) >>> 0, dist: join(repo, 'dist') };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--minutes': {
        options.minutes = Number(value());
        if (!(options.minutes > 0)) usage('--minutes must be positive');
        break;
      }
      case '--seed': {
        options.seed = Number(value());
        if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffff_ffff) usage('--seed: a whole number 0…4294967295');
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

/**
 * The stalls of a run, drawn here from `seed` (uniform in BLOCK_MIN_MS…BLOCK_MAX_MS): as many as the window can
 * hold (each stall follows FREE_MS of free running), so one seed replays the same stalls.
 */
function stallDurations(seed: number, minutes: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: Math.ceil((minutes * 60_000) / FREE_MS) + 1 }, () => Math.round(BLOCK_MIN_MS + random() * (BLOCK_MAX_MS - BLOCK_MIN_MS)));
}

function usage(problem?: string): never {
  const text =
    'usage: npm run bench:stall [-- [--minutes 10] [--seed N] [--dist DIR]]\n' +
    '  --minutes M  measurement window after settling (default 10; fractions allowed)\n' +
    '  --seed N     seed of the stalls (default: random, printed)\n' +
    "  --dist DIR   the app loads another build's DIR/index.js (default: this repository's dist/)\n";
  process.stderr.write(problem === undefined ? text : `${problem}\n${text}`);
  process.exit(problem === undefined ? 0 : 2);
}

// ---------------------------------------------------------------------------------------------------------------
// the app

interface AppEvent {
  event: string;
  /** The app's wall-clock time of the event (ms since the epoch). */
  t: number;
  [field: string]: unknown;
}

interface App {
  events: AppEvent[];
  stderr(): string;
  exited(): boolean;
  waitFor(event: string, timeoutMs: number): Promise<AppEvent>;
  stop(timeoutMs?: number): Promise<void>;
}

function startApp(lab: Lab, options: Options): App {
  const host = lab.host('app');
  const config = {
    instances: VRIDS.map((v) => ({
      name: `vr${v.vrid}`,
      interface: 'eth0',
      vrid: v.vrid,
      priority: priorityOf('vrrp', v),
      version: 3,
      advertIntervalMs: v.intervalMs,
      virtualAddresses: [`${lab.ipv4(100 + v.vrid)}/24`],
      garp: { repeat: 3, delayMs: 0 },
    })),
    expect: VRIDS.map((v) => (v.master === 'vrrp' ? 'master' : 'backup')),
    stallsMs: stallDurations(options.seed, options.minutes),
    freeMs: FREE_MS,
    settleQuietMs: SETTLE_QUIET_MS,
  };
  const configPath = join(lab.tmpDir, 'stall-app.json');
  writeFileSync(configPath, JSON.stringify(config));
  const child = lab.spawn(host.name, [process.execPath, APP, options.dist, configPath]);
  const events: AppEvent[] = [];
  const notifier = new Notifier();
  let stderr = '';
  let exited = false;
  eachLine(child.stdout!, (line) => {
    try {
      events.push(JSON.parse(line) as AppEvent);
    } catch {
      stderr += `[stdout] ${line}\n`;
    }
    notifier.notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<void>((resolveExit) =>
    child.once('exit', () => {
      exited = true;
      notifier.notify();
      resolveExit();
    }),
  );
  const tail = (): string => `${events.slice(-10).map((e) => `\n  | ${JSON.stringify(e)}`).join('')}${stderr === '' ? '' : `\n  stderr: ${stderr.trim().split('\n').slice(-10).join('\n  ')}`}`;
  return {
    events,
    stderr: () => stderr,
    exited: () => exited,
    async waitFor(event, timeoutMs) {
      const found = await waitUntil(
        () => events.find((e) => e.event === event) ?? (exited ? new Error(`the app exited before "${event}":${tail()}`) : undefined),
        notifier.subscribe,
        timeoutMs,
        () => `the app never printed "${event}":${tail()}`,
      );
      if (found instanceof Error) throw found;
      return found;
    },
    async stop(timeoutMs = 10_000) {
      if (exited) return;
      child.kill('SIGTERM');
      // A stall in progress delays the SIGTERM handler by up to BLOCK_MAX_MS.
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// one run

interface Transition {
  side: Impl;
  vrid: number;
  /** ms since the epoch: the app's clock for ours, arrival of the log line for keepalived's. */
  atMs: number;
  to: string;
  detail?: string;
}

interface VridResult {
  vrid: number;
  intervalMs: number;
  master: Impl;
  adverts: number;
  jitter?: { p50: number; p99: number; max: number; count: number };
  /** The smallest interval minus nominal (negative: an advert early). */
  minJitterMs?: number;
  /** Intervals above 3 × nominal: a backup's Master_Down_Interval is about that long. */
  gapsOver3x: number;
  transitions: { vrrp: number; keepalived: number };
  /** The designated backup's takeovers as the capture shows them (see wireTakeovers), and its Master_Down_Interval. */
  backupTakeovers: WireTakeover[];
  masterDownIntervalMs: number;
}

interface Result {
  seed: number;
  settledAt: number;
  windowEnd: number;
  windowMs: number;
  keepalivedSettled: boolean;
  stalls: { atMs: number; ms: number }[];
  blockedMs: number;
  vrids: VridResult[];
  transitions: Transition[];
  appErrors: string[];
  appStats?: unknown;
}

function keepalivedTransitions(ka: KeepalivedHandle): Transition[] {
  return ka.log.flatMap((line) => {
    const match = /\(VI_(\d+)\) Entering (\w+) STATE/.exec(line.text);
    return match === null ? [] : [{ side: 'keepalived' as const, vrid: Number(match[1]), atMs: line.atMs, to: match[2]!.toLowerCase(), detail: line.text.trim() }];
  });
}

async function runOnce(options: Options): Promise<Result> {
  const lab = await Lab.create({ hosts: ['app', 'peer'], client: true });
  try {
    const appIp = lab.host('app').ipv4;
    const peerIp = lab.host('peer').ipv4;
    const capture = await lab.capture('client', 'ip proto 112');
    const conf = keepalivedConf({
      routerId: 'peer',
      instances: VRIDS.map((v) => ({
        name: `VI_${v.vrid}`,
        vrid: v.vrid,
        priority: priorityOf('keepalived', v),
        version: 3,
        advertIntervalS: v.intervalMs / 1000,
        vips: [`${lab.ipv4(100 + v.vrid)}/24`],
        extra: ['garp_master_delay 0'],
      })),
    });
    const ka = await lab.startKeepalived('peer', conf);
    const app = startApp(lab, options);
    const settled = await app.waitFor('settled', SETTLE_TIMEOUT_MS);
    const settledAt = settled.t;
    // keepalived's side of the election: the last transition of each instance is the expected one.
    const kaState = (): Map<number, string> => {
      const state = new Map<number, string>();
      for (const t of keepalivedTransitions(ka)) state.set(t.vrid, t.to);
      return state;
    };
    const keepalivedSettled = VRIDS.every((v) => kaState().get(v.vrid) === (v.master === 'keepalived' ? 'master' : 'backup'));
    process.stderr.write(
      `bench:stall: settled at ${new Date(settledAt).toISOString()} (keepalived ${keepalivedSettled ? 'settled' : `NOT settled: ${JSON.stringify([...kaState()])}`}); ` +
        `stalls ${BLOCK_MIN_MS}–${BLOCK_MAX_MS} ms every ${FREE_MS} ms of free time, seed ${options.seed}, for ${options.minutes} min\n`,
    );
    const windowMs = options.minutes * 60_000;
    const started = performance.now();
    for (let minute = 1; performance.now() - started < windowMs; minute += 1) {
      await sleep(Math.min(60_000, windowMs - (performance.now() - started)));
      if (app.exited()) throw new Error(`the app exited during the window:\n${app.stderr().split('\n').slice(-15).join('\n')}`);
      const ours = app.events.filter((e) => e.event === 'stateChange' && e.t > settledAt).length;
      const theirs = keepalivedTransitions(ka).filter((t) => t.atMs > settledAt).length;
      process.stderr.write(
        `  ${((performance.now() - started) / 60_000).toFixed(1)} min: ${app.events.filter((e) => e.event === 'blocking').length} stalls, transitions ours ${ours}, keepalived ${theirs}, ${capture.packets.length} adverts captured\n`,
      );
    }
    // The same wall clock as the app's `t` and tcpdump's timestamps.
    const windowEnd = performance.timeOrigin + performance.now();
    await app.stop();
    await ka.stop();
    await capture.stop();

    const inWindow = (atMs: number): boolean => atMs > settledAt && atMs <= windowEnd;
    const transitions: Transition[] = [
      ...app.events
        .filter((e) => e.event === 'stateChange' && inWindow(e.t))
        .map((e) => ({ side: 'vrrp' as const, vrid: Number(e.vrid), atMs: e.t, to: String(e.to), detail: String(e.reason) })),
      ...keepalivedTransitions(ka).filter((t) => inWindow(t.atMs)),
    ].sort((a, b) => a.atMs - b.atMs);
    const stalls = app.events.filter((e) => e.event === 'blocking' && inWindow(e.t)).map((e) => ({ atMs: e.t, ms: Number(e.ms) }));
    const vrids = VRIDS.map((v): VridResult => {
      const src = v.master === 'vrrp' ? appIp : peerIp;
      const backupSrc = v.master === 'vrrp' ? peerIp : appIp;
      const both = capture.packets
        .filter((p) => p.vrid === v.vrid && (p.src === src || p.src === backupSrc) && p.prio > 0 && inWindow(p.timeMs))
        .map((p) => ({ timeMs: p.timeMs, fromBackup: p.src === backupSrc }));
      const times = both.filter((p) => !p.fromBackup).map((p) => p.timeMs);
      const jitter = intervalJitter(times, v.intervalMs);
      const summary = jitterSummary(jitter);
      return {
        vrid: v.vrid,
        intervalMs: v.intervalMs,
        master: v.master,
        adverts: times.length,
        ...(summary === undefined ? {} : { jitter: summary, minJitterMs: Math.min(...jitter) }),
        gapsOver3x: jitter.filter((j) => j + v.intervalMs > 3 * v.intervalMs).length,
        transitions: {
          vrrp: transitions.filter((t) => t.side === 'vrrp' && t.vrid === v.vrid).length,
          keepalived: transitions.filter((t) => t.side === 'keepalived' && t.vrid === v.vrid).length,
        },
        backupTakeovers: wireTakeovers(both),
        masterDownIntervalMs: masterDownIntervalMs(3, BACKUP_PRIORITY, v.intervalMs),
      };
    });
    const appErrors = app.events.filter((e) => e.event === 'error').map((e) => `vr${String(e.vrid)}: ${String(e.code)}: ${String(e.message)}`);
    const stopped = app.events.find((e) => e.event === 'stopped');
    return {
      seed: options.seed,
      settledAt,
      windowEnd,
      windowMs: windowEnd - settledAt,
      keepalivedSettled,
      stalls,
      blockedMs: stalls.reduce((sum, s) => sum + s.ms, 0),
      vrids,
      transitions,
      appErrors,
      ...(stopped === undefined ? {} : { appStats: stopped.stats }),
    };
  } finally {
    await lab.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// report

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const ms = (value: number | undefined): string => (value === undefined ? '–' : `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`);
const jitterCell = (r: VridResult | undefined): string =>
  r?.jitter === undefined ? '–' : `${ms(r.jitter.p50)} / ${ms(r.jitter.p99)} / ${ms(r.jitter.max)}`;

function jitterTable(result: Result): string {
  const intervals = [...new Set(VRIDS.map((v) => v.intervalMs))];
  return table(
    ['advert', 'ours: VRID', 'ours: interval − nominal p50 / p99 / max (ms)', 'ours: adverts', 'keepalived: VRID', 'keepalived: p50 / p99 / max (ms)', 'keepalived: adverts'],
    intervals.map((intervalMs) => {
      const ours = result.vrids.find((r) => r.intervalMs === intervalMs && r.master === 'vrrp');
      const theirs = result.vrids.find((r) => r.intervalMs === intervalMs && r.master === 'keepalived');
      return [
        `${intervalMs} ms`,
        String(ours?.vrid ?? '–'),
        jitterCell(ours),
        `${ours?.adverts ?? 0}${ours !== undefined && ours.gapsOver3x > 0 ? ` (${ours.gapsOver3x} gaps > 3×)` : ''}`,
        String(theirs?.vrid ?? '–'),
        jitterCell(theirs),
        `${theirs?.adverts ?? 0}${theirs !== undefined && theirs.gapsOver3x > 0 ? ` (${theirs.gapsOver3x} gaps > 3×)` : ''}`,
      ];
    }),
  );
}

function transitionTable(result: Result): string {
  return table(
    ['VRID', 'advert', 'master', 'ours (app) transitions', 'keepalived transitions', "backup's takeovers on the wire (master silent, ms)", 'target 0'],
    result.vrids.map((r) => [
      String(r.vrid),
      `${r.intervalMs} ms`,
      r.master === 'vrrp' ? 'ours' : 'keepalived',
      String(r.transitions.vrrp),
      String(r.transitions.keepalived),
      r.backupTakeovers.length === 0 ? '0' : `${r.backupTakeovers.length} (${r.backupTakeovers.map((t) => t.masterSilentMs.toFixed(1)).join(', ')})`,
      transitionVerdict(r),
    ]),
  );
}


// ---------------------------------------------------------------------------------------------------------------
// main

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  asDeployed(); // the `vrrp run` measured must not believe npm started it (bench/cpu.ts)
  if (!labAvailable.ok) {
    process.stderr.write(`bench:stall cannot run here: ${labAvailable.reason ?? 'lab unavailable'}\n`);
    return 1;
  }
  if (!existsSync(join(options.dist, 'index.js'))) {
    process.stderr.write(`${join(options.dist, 'index.js')} is missing: run \`npm run build\` first\n`);
    return 1;
  }
  const version = spawnSync(tools.keepalived!, ['--version'], { encoding: 'utf8' });
  const keepalived = `${version.stdout ?? ''}${version.stderr ?? ''}`.split('\n')[0]?.trim() || 'keepalived: unknown version';
  const cpu = cpus();
  const facts = { node: process.version, keepalived, kernel: release(), cpu: `${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`, cores: cpu.length, revision: codeRevision(repo, options.dist) };
  const startedAt = new Date();
  const started = performance.now();
  process.stderr.write(`bench:stall: seed ${options.seed} (replay with --seed ${options.seed}); ${options.minutes} min; node ${facts.node}, ${facts.keepalived}, kernel ${facts.kernel}\n`);

  let result: Result | undefined;
  let failure: string | undefined;
  try {
    result = await runOnce(options);
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    process.stderr.write(`bench:stall: FAILED ${failure}\n`);
  }
  const totalS = (performance.now() - started) / 1000;
  const leftovers = listNamespaces().filter((name) => name.startsWith(`${LAB_PREFIX}${process.pid}-`));

  const factsLine = `node ${facts.node} · ${facts.keepalived} · kernel ${facts.kernel} · ${facts.cpu}`;
  const codeLine = `vrrp ${facts.revision}`;
  const stallLine =
    result === undefined
      ? ''
      : `${result.stalls.length} stalls of ${BLOCK_MIN_MS}–${BLOCK_MAX_MS} ms (seed ${result.seed}; longest ${Math.max(0, ...result.stalls.map((s) => s.ms))} ms), ` +
        `main thread blocked ${((100 * result.blockedMs) / result.windowMs).toFixed(0)} % of the ${(result.windowMs / 60_000).toFixed(1)} min window` +
        (result.keepalivedSettled ? '' : '; keepalived had NOT settled when the window began');
  const runLine = `started ${startedAt.toISOString()}, ${totalS.toFixed(0)} s in all`;
  const jitter = result === undefined ? '' : jitterTable(result);
  const transitions = result === undefined ? '' : transitionTable(result);
  const listed = (result?.transitions ?? []).slice(0, 40).map((t) => {
    const stall = result!.stalls.filter((s) => s.atMs <= t.atMs).at(-1);
    const since = stall === undefined ? '' : ` (${(t.atMs - stall.atMs).toFixed(0)} ms after the start of a ${stall.ms} ms stall)`;
    return `- ${new Date(t.atMs).toISOString()} ${t.side === 'vrrp' ? 'ours' : 'keepalived'} VRID ${t.vrid} → ${t.to}${t.side === 'vrrp' ? ` (${t.detail})` : ''}${since}`;
  });
  const more = (result?.transitions.length ?? 0) > listed.length ? [`- … ${result!.transitions.length - listed.length} more in the JSON`] : [];
  const errors = [...new Set(result?.appErrors ?? [])];

  const report = [
    '',
    `machine: ${factsLine}`,
    `code:    ${codeLine}`,
    `run:     ${runLine}`,
    ...(result === undefined ? [] : [`stalls:  ${stallLine}`]),
    '',
    ...(result === undefined
      ? [`FAILED: ${failure}`]
      : [
          'spurious transitions after settling:',
          transitions,
          '',
          'advert intervals from the designated master, minus nominal (one tcpdump on the client host):',
          jitter,
          ...(listed.length > 0 ? ['', 'transitions:', ...listed, ...more] : []),
          ...(errors.length > 0 ? ['', 'errors reported by the app:', ...errors.map((e) => `- ${e}`)] : []),
        ]),
    ...(leftovers.length > 0 ? ['', `LEAK: namespaces left behind: ${leftovers.join(', ')}`] : []),
    '',
  ].join('\n');
  process.stdout.write(report);

  const markdown = [
    '# Stall benchmark: latest run',
    '',
    'Generated by `npm run bench:stall` (bench/stall.ts); do not edit by hand.',
    '',
    `- Machine: ${factsLine}`,
    `- Code: ${codeLine}`,
    `- Run: ${runLine}`,
    ...(result === undefined ? [] : [`- Stalls: ${stallLine}`]),
    `- Setup: one lab; host \`app\` runs bench/fixtures/stall-app.mjs (four \`VrrpInstance\`s in one process), host \`peer\` one keepalived with the opposite priorities (${MASTER_PRIORITY} / ${BACKUP_PRIORITY}), host \`client\` one tcpdump. VRIDs 1 and 3 (10 ms, 100 ms): ours master; VRIDs 2 and 4 (10 ms, 100 ms): keepalived master. VRRPv3, IPv4.`,
    `- After all four settled, the app blocks its main thread for a uniform ${BLOCK_MIN_MS}–${BLOCK_MAX_MS} ms, runs free ${FREE_MS} ms, and again (seeded RNG).`,
    '- **Transitions**: every state change after settling (ours: the app\'s `stateChange` events; keepalived: its `Entering … STATE` lines); target 0.',
    '- **Jitter**: intervals between consecutive adverts of the VRID\'s designated master (priority > 0) in the client\'s capture, minus the nominal interval; p50 / p99 by nearest rank; a role lost and regained is one long interval.',
    '',
    ...(result === undefined
      ? [`FAILED: ${failure}`]
      : [
          'Spurious transitions after settling:',
          '',
          transitions,
          '',
          'Advert intervals from the designated master, minus nominal:',
          '',
          jitter,
          ...(listed.length > 0 ? ['', '<details><summary>Transitions</summary>', '', ...listed, ...more, '', '</details>'] : []),
          ...(errors.length > 0 ? ['', 'Errors reported by the app:', '', ...errors.map((e) => `- ${e}`)] : []),
        ]),
    '',
  ].join('\n');
  mkdirSync(join(repo, 'bench/results'), { recursive: true });
  // Only a full run (10 minutes or more) of this repository's build replaces the file the README quotes; a shorter
  // run, or another build's, goes beside it (as bench/failover.ts and bench/scale.ts do).
  const full = options.minutes >= 10 && options.dist === join(repo, 'dist');
  const target = full ? RESULTS : RESULTS.replace('latest.md', 'partial.md');
  writeFileSync(target, markdown);
  const raw = { facts, startedAt: startedAt.toISOString(), options, blockMinMs: BLOCK_MIN_MS, blockMaxMs: BLOCK_MAX_MS, freeMs: FREE_MS, result, failure };
  writeFileSync(target.replace(/\.md$/, '.json'), `${JSON.stringify(raw, null, 1)}\n`);
  console.log(`results written to ${target} (details: ${target.replace(/\.md$/, '.json')})`);
  return result === undefined || leftovers.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench:stall: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
