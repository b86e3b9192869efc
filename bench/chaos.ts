/**
 * Chaos: three nodes — our `vrrp run`, our library embedded in an app, and keepalived — share two VRIDs (IPv4 and
 * IPv6) in a namespace lab, and a seeded random schedule kills, freezes, restarts, cuts, partitions, fails the
 * trackers of and stalls them; after each event settles, the VIPs, the client's view and the processes are checked.
 *
 *   npm run chaos [-- [--events 500] [--seed N] [--advert-ms 100] [--garp-refresh-ms 1000] [--lease-check on|off]
 *                    [--lease-ms 2000] [--schedule kind:node,… [--repeat N]] [--strict] [--logs DIR] [--dist DIR]]
 *
 * The model, the schedule and the checks are described in test/interop/chaos/schedule.ts and harness.ts; a CI-sized
 * run is test/interop/chaos.test.ts. The seed is printed, and `--seed N --events M` replays a schedule (the same
 * events in the same order; the machine's timing is its own). Results: bench/results/chaos-latest.md and .json.
 * Exit status 1 when any check failed (a failing seed is a finding: replay it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeRevision } from './revision.js';
import { LAB_PREFIX, labAvailable, listNamespaces, tools } from '../test/interop/lab.js';
import { type ChaosResult, KNOWN_BUGS, type KnownBug, runChaos, summarizeRun } from '../test/interop/chaos/harness.js';
import { EVENT_KINDS, generateSchedule, NODE_KIND, NODES, parseSchedule } from '../test/interop/chaos/schedule.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(repo, 'bench/results/chaos-latest.md');

interface Options {
  events: number;
  seed: number;
  advertMs: number;
  leaseCheck: boolean;
  leaseMs: number;
  garpRefreshMs: number;
  strict: boolean;
  logDir?: string;
  /** A hand-written schedule (instead of a seeded one), run `repeat` times. */
  schedule?: string;
  repeat: number;
  dist: string;
}

function usage(problem?: string): never {
  const text =
    'usage: npm run chaos [-- [--events 500] [--seed N] [--advert-ms 100] [--garp-refresh-ms 1000] [--lease-check on|off] [--lease-ms 2000]\n' +
    '                       [--schedule kind:node,… [--repeat N]] [--strict] [--logs DIR] [--dist DIR]]\n' +
    '  --events M        events in the schedule (default 500), plus the restores that end it with every node whole\n' +
    '  --seed N          seed of the schedule (default: random, printed)\n' +
    '  --advert-ms MS    advertisement interval of every instance (default 100)\n' +
    '  --garp-refresh-ms MS  re-announce the VIPs this often while master, whole seconds; 0: off (default 1000)\n' +
    '  --lease-check X   check that a dead or frozen node of ours holds no VIP past its lease (default: on)\n' +
    '  --lease-ms MS     vipLeaseMs given to our instances with the lease check (default 2000)\n' +
    '  --schedule LIST   run these events instead of a seeded schedule: kind:node[:ms],… (partition:app,heal:app)\n' +
    '  --repeat N        run the --schedule list N times (default 1)\n' +
    '  --strict          known bugs of ours (KNOWN_BUGS in test/interop/chaos/harness.ts) fail the run too\n' +
    '  --logs DIR        write every process\'s output to DIR at the end\n' +
    "  --dist DIR        run another build's DIR (default: this repository's dist/)\n";
  process.stderr.write(problem === undefined ? text : `${problem}\n${text}`);
  process.exit(problem === undefined ? 0 : 2);
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    events: 500,
    seed: (Date.now() ^ Math.floor(Math.random() * 0x1_0000_0000)) >>> 0,
    advertMs: 100,
    leaseCheck: true,
    leaseMs: 2_000,
    garpRefreshMs: 1_000,
    strict: false,
    repeat: 1,
    dist: join(repo, 'dist'),
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`${flag} needs a value`);
      return v;
    };
    const whole = (text: string, min: number, max: number): number => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < min || n > max) usage(`${flag}: a whole number ${min}…${max}`);
      return n;
    };
    switch (flag) {
      case '--events':
        options.events = whole(value(), 1, 1_000_000);
        break;
      case '--seed':
        options.seed = whole(value(), 0, 0xffff_ffff);
        break;
      case '--advert-ms':
        options.advertMs = whole(value(), 10, 40_950);
        if (options.advertMs % 10 !== 0) usage('--advert-ms: a multiple of 10 (VRRPv3 counts centiseconds)');
        break;
      case '--lease-check': {
        const v = value();
        if (v !== 'on' && v !== 'off') usage('--lease-check: on or off');
        options.leaseCheck = v === 'on';
        break;
      }
      case '--lease-ms':
        options.leaseMs = whole(value(), 1_000, 3_600_000);
        break;
      case '--garp-refresh-ms':
        options.garpRefreshMs = whole(value(), 0, 3_600_000);
        if (options.garpRefreshMs % 1000 !== 0) usage('--garp-refresh-ms: whole seconds (keepalived counts seconds)');
        break;
      case '--schedule':
        options.schedule = value();
        break;
      case '--repeat':
        options.repeat = whole(value(), 1, 100_000);
        break;
      case '--strict':
        options.strict = true;
        break;
      case '--logs':
        options.logDir = resolve(value());
        break;
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

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const ms = (value: number | undefined): string => (value === undefined ? '–' : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);

function replayCommand(options: Options): string {
  const flags = [
    ...(options.schedule === undefined ? [`--seed ${options.seed}`, `--events ${options.events}`] : [`--schedule ${options.schedule}`, `--repeat ${options.repeat}`]),
    `--advert-ms ${options.advertMs}`,
    `--garp-refresh-ms ${options.garpRefreshMs}`,
    `--lease-check ${options.leaseCheck ? 'on' : 'off'}`,
  ];
  if (options.leaseCheck) flags.push(`--lease-ms ${options.leaseMs}`);
  if (options.strict) flags.push('--strict');
  if (options.dist !== join(repo, 'dist')) flags.push(`--dist ${options.dist}`);
  return `npm run chaos -- ${flags.join(' ')}`;
}

function report(result: ChaosResult, options: Options, facts: Record<string, string>, leftovers: string[]): { text: string; markdown: string } {
  const summary = summarizeRun(result);
  const events = result.records.filter((r) => r.kind !== 'initial').length;
  const kinds = table(
    ['event', 'count', 'what'],
    EVENT_KINDS.filter((kind) => summary.byKind[kind] !== undefined).map((kind) => [kind, String(summary.byKind[kind]), KIND_TEXT[kind] ?? '']),
  );
  const figures = table(
    ['figure', 'p50', 'p99', 'max', 'n'],
    (
      [
        ['apply (the event itself)', summary.apply],
        ['converge (applied → last VIP change or transition)', summary.converge],
        [`settle (converge + ${result.quietMs} ms quiet)`, summary.settle],
        ['client reaches the right node (after settling)', summary.clientReach],
        ['a killed or frozen node of ours: its VIPs gone after', summary.staleGone],
      ] as const
    ).map(([name, s]) => [name, ms(s?.p50), ms(s?.p99), ms(s?.max), String(s?.count ?? 0)]),
  );
  const checks = table(
    ['check', 'passed', 'failed'],
    ['settled', 'holders', 'client', 'processes', 'lease', 'stall']
      .filter((c) => summary.checks[c] !== undefined)
      .map((c) => [c, String(summary.checks[c]!.passed), String(summary.checks[c]!.failed)]),
  );
  const failures = result.failures.map((f) => `- #${f.index} ${f.kind}${f.node === undefined ? '' : ` ${f.node}`}: ${f.check}: ${f.detail.replace(/\n/g, '\n  ')}`);
  // Each known finding once: without the node's incarnation number and the time it had been down.
  const known = [
    ...new Set(
      result.records.flatMap((r) => r.known.filter((k) => !k.startsWith('known bug ')).map((k) => k.replace(/ for [\d.]+ s/, '').replace(/^(cli|app)#\d+/, '$1'))),
    ),
  ];
  const bugs = (Object.keys(summary.knownBugs) as KnownBug[]).map((id) => {
    const events = [...new Set(result.knownBugs.filter((hit) => hit.bug === id).map((hit) => `#${hit.index}`))];
    return `- **${id}** — ${summary.knownBugs[id]} times (events ${events.slice(0, 12).join(', ')}${events.length > 12 ? ', …' : ''}): ${KNOWN_BUGS[id]}`;
  });
  const kaNotes = result.processLogs.ka.filter((line) => line.startsWith('note: ')).map((line) => line.slice(6));
  const verdict =
    result.aborted !== undefined
      ? `ABORTED after ${events} events: ${result.aborted.split('\n')[0]}`
      : result.failures.length === 0
        ? `PASSED: ${events} events, every check passed${bugs.length > 0 ? ` (known bugs seen: ${result.knownBugs.length} times, listed below)` : ''}`
        : `FAILED: ${result.failures.length} failed checks in ${new Set(result.failures.map((f) => f.index)).size} of ${events} events`;
  const lines = [
    `- Machine: ${facts.machine}`,
    `- Code: ${facts.code}`,
    `- Run: ${options.schedule === undefined ? `seed ${result.seed}` : `schedule \`${options.schedule}\` × ${options.repeat}`}, ${events} events, ` +
      `adverts ${result.advertMs} ms, GARP/NA refresh ${result.garpRefreshMs === 0 ? 'off' : `${result.garpRefreshMs} ms`} ` +
      `(quiet window ${result.quietMs} ms = 3 × Master_Down_Interval at the lowest priority, 40), ` +
      `lease check ${result.leaseCheck ? `on (vipLeaseMs ${options.leaseMs})` : 'off'}; ${(result.durationMs / 1000).toFixed(0)} s in all, started ${facts.started}`,
    `- Nodes: ${NODES.map((n) => `\`${n}\` ${NODE_KIND[n]}`).join(', ')}; VRID 51 IPv4 (app 150, cli 120, ka 100; a failed tracker faults), ` +
      'VRID 52 IPv6 (ka 150, cli 120, app 100; a failed tracker −60); VRRPv3, preemption on; a client probes both VIPs over TCP.',
    `- Replay: \`${replayCommand(options)}\``,
  ];
  const text = [
    '',
    ...lines,
    '',
    verdict,
    '',
    kinds,
    '',
    figures,
    '',
    checks,
    ...(failures.length > 0 ? ['', 'failed checks:', ...failures] : []),
    ...(bugs.length > 0 ? ['', 'known bugs of ours (open; not counted as failures, --strict makes them failures):', ...bugs] : []),
    ...(known.length > 0 ? ['', 'known findings (not failures):', ...known.map((k) => `- ${k}`)] : []),
    ...(kaNotes.length > 0 ? ['', 'keepalived said (not failures):', ...kaNotes.map((k) => `- ${k}`)] : []),
    ...(leftovers.length > 0 ? ['', `LEAK: left behind: ${leftovers.join(', ')}`] : []),
    '',
  ].join('\n');
  const markdown = [
    '# Chaos: latest run',
    '',
    'Generated by `npm run chaos` (bench/chaos.ts); do not edit by hand.',
    '',
    ...lines,
    '',
    `**${verdict}**`,
    '',
    'Events by kind:',
    '',
    kinds,
    '',
    'Times per event:',
    '',
    figures,
    '',
    'Checks (after every event, and once after the initial start):',
    '',
    checks,
    ...(failures.length > 0 ? ['', 'Failed checks:', '', ...failures] : []),
    ...(bugs.length > 0 ? ['', 'Known bugs of ours (open; not counted as failures, `--strict` makes them failures):', '', ...bugs] : []),
    ...(known.length > 0 ? ['', 'Known findings (not failures):', '', ...known.map((k) => `- ${k}`)] : []),
    ...(kaNotes.length > 0 ? ['', 'keepalived said (not failures):', '', ...kaNotes.map((k) => `- ${k}`)] : []),
    ...(leftovers.length > 0 ? ['', `LEAK: left behind: ${leftovers.join(', ')}`] : []),
    '',
  ].join('\n');
  return { text, markdown };
}

const KIND_TEXT: Record<string, string> = {
  kill9: 'SIGKILL (keepalived: its VRRP child)',
  start: 'start a killed node again',
  sigstop: 'SIGSTOP (keepalived: its VRRP child)',
  sigcont: 'SIGCONT',
  restart: 'SIGTERM, exit, start again',
  linkDown: '`ip link set eth0 down` on the node',
  linkUp: '… and up (the host address put back)',
  partition: "the node's port leaves the bridge",
  heal: '… and joins it again',
  trackerFail: "the node's tracker file says 1",
  trackerOk: '… and 0',
  stall: "the embedded app blocks its main thread (200–1500 ms)",
};

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (!labAvailable.ok) {
    process.stderr.write(`chaos cannot run here: ${labAvailable.reason ?? 'lab unavailable'}\n`);
    return 1;
  }
  if (!existsSync(join(options.dist, 'index.js'))) {
    process.stderr.write(`${join(options.dist, 'index.js')} is missing: run \`npm run build\` first\n`);
    return 1;
  }
  const version = spawnSync(tools.keepalived!, ['--version'], { encoding: 'utf8' });
  const keepalived = `${version.stdout ?? ''}${version.stderr ?? ''}`.split('\n')[0]?.trim() || 'keepalived: unknown version';
  const cpu = cpus();
  const startedAt = new Date();
  const facts = {
    machine: `node ${process.version} · ${keepalived} · kernel ${release()} · ${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
    code: `vrrp ${codeRevision(repo, options.dist)}`,
    started: startedAt.toISOString(),
  };
  let schedule;
  try {
    schedule = options.schedule === undefined ? generateSchedule(options.seed, options.events) : parseSchedule(options.schedule, options.repeat);
  } catch (error) {
    usage(`--schedule: ${(error as Error).message}`);
  }
  process.stderr.write(
    `chaos: ${options.schedule === undefined ? `seed ${options.seed}` : 'a hand-written schedule'}, ${schedule.length} events (replay: ${replayCommand(options)})\n`,
  );
  const result = await runChaos({
    seed: options.seed,
    schedule,
    advertMs: options.advertMs,
    garpRefreshMs: options.garpRefreshMs,
    strict: options.strict,
    ...(options.logDir === undefined ? {} : { logDir: options.logDir }),
    dist: options.dist,
    leaseCheck: options.leaseCheck,
    leaseMs: options.leaseMs,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const leftovers = [...listNamespaces().filter((name) => name.startsWith(`${LAB_PREFIX}${process.pid}-`)), ...result.leftovers];
  const { text, markdown } = report(result, options, facts, leftovers);
  process.stdout.write(text);
  mkdirSync(join(repo, 'bench/results'), { recursive: true });
  writeFileSync(RESULTS, markdown);
  const raw = { facts, options, schedule, summary: summarizeRun(result), result };
  writeFileSync(RESULTS.replace(/\.md$/, '.json'), `${JSON.stringify(raw, null, 1)}\n`);
  console.log(`results written to ${RESULTS} (details: ${RESULTS.replace(/\.md$/, '.json')})`);
  if (result.failures.length > 0 || result.aborted !== undefined) process.stderr.write(`chaos: replay with: ${replayCommand(options)}\n`);
  return result.failures.length > 0 || result.aborted !== undefined || leftovers.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
