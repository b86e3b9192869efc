/**
 * Chaos, CI-sized: our `vrrp run`, our library embedded in an app and keepalived 2.2.7 share VRID 51 (IPv4) and
 * VRID 52 (IPv6) in one namespace lab, and a seeded random schedule of 50 events — kill -9, SIGSTOP / SIGCONT,
 * clean restarts, link cuts, partitions, tracker failures, main-thread stalls — hits random nodes. After each event
 * settles (the VIP holders unchanged and no transition for 3 × Master_Down_Interval), every live node holds exactly
 * what the election says, the client reaches each VIP on the right node, and no process crashed or logged an error.
 * How: test/interop/chaos/harness.ts and schedule.ts. The long run is `npm run chaos` (bench/chaos.ts).
 *
 * Adverts every 100 ms (Master_Down_Interval ≤ 384 ms, a 1.15 s quiet window), VIP leases of 2 s, a GARP / NA
 * refresh every second: 50 events take about 1.5 minutes. 50, not more: the whole suite must stay well under 15
 * minutes on a 2-CPU machine (100 events took 184 s of its 807 s); `npm run chaos` runs hundreds.
 * The seed is random and printed; `CHAOS_SEED=N` replays a schedule, `CHAOS_EVENTS=M` sizes it, and
 * `CHAOS_LEASE_CHECK=on|off` switches the check that a killed or frozen node of ours holds no VIP past its lease;
 * `CHAOS_DIST=DIR` runs another build than dist/; `CHAOS_STRICT=1` fails on the known bugs of ours too (KNOWN_BUGS
 * in chaos/harness.ts: open bugs this run found, recorded and printed but not failed on until their fixes land).
 */
import { describe, expect, it } from 'vitest';
import { labAvailable, requireLab } from './lab.js';
import { type EventRecord, runChaos, summarizeRun } from './chaos/harness.js';
import {
  applicable,
  applyEvent,
  clientTarget,
  EVENT_KINDS,
  expectedHolding,
  generateSchedule,
  impairments,
  parseSchedule,
  initialWorld,
  NODES,
  VRIDS,
  type World,
} from './chaos/schedule.js';

requireLab();

/** The schedule's length in `npm test` (see the file comment for why 50). */
const CI_EVENTS = 50;
const EVENTS = Number(process.env.CHAOS_EVENTS ?? CI_EVENTS);
const SEED = process.env.CHAOS_SEED === undefined ? (Date.now() ^ Math.floor(Math.random() * 0x1_0000_0000)) >>> 0 : Number(process.env.CHAOS_SEED);
const LEASE_CHECK = (process.env.CHAOS_LEASE_CHECK ?? 'on') === 'on';
const LEASE_MS = 2_000;
const ADVERT_MS = 100;
const DIST = process.env.CHAOS_DIST;
/** Known bugs of ours (KNOWN_BUGS in chaos/harness.ts) fail the test too. */
const STRICT = process.env.CHAOS_STRICT === '1';
/** Past this, no further event starts and the lab is torn down before the test's own timeout (420 s). */
const BUDGET_MS = Number(process.env.CHAOS_BUDGET_MS ?? 360_000);

describe('the chaos schedule', () => {
  // Given a seed, when the schedule is drawn twice, then it is the same: a seed replays.
  it('is a pure function of the seed', () => {
    expect(generateSchedule(42, 200)).toEqual(generateSchedule(42, 200));
    expect(generateSchedule(42, 200)).not.toEqual(generateSchedule(43, 200));
  });

  // Given many seeds, then every event is applicable where it is drawn, at most two impairments are ever alive,
  // every kind of event occurs, and the schedule ends with every node whole.
  it('draws only applicable events, every kind, and ends whole', () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 50; seed += 1) {
      const schedule = generateSchedule(seed, 100);
      expect(schedule.length).toBeGreaterThanOrEqual(100);
      let world = initialWorld();
      for (const event of schedule) {
        expect(applicable(world, event.kind, event.node), `seed ${seed} #${event.index} ${event.kind} ${event.node}`).toBe(true);
        world = applyEvent(world, event);
        expect(impairments(world).length).toBeLessThanOrEqual(2);
        kinds.add(event.kind);
        if (event.kind === 'stall') expect(event.stallMs).toBeGreaterThanOrEqual(200);
      }
      expect(impairments(world)).toEqual([]);
    }
    expect([...kinds].sort()).toEqual([...EVENT_KINDS].sort());
  });

  // A hand-written schedule (bench/chaos.ts --schedule) is checked as it is read: only events that can happen.
  it('reads a hand-written schedule and refuses impossible events', () => {
    expect(parseSchedule('partition:app,heal:app', 2).map((e) => `${e.index} ${e.kind} ${e.node}`)).toEqual([
      '1 partition app',
      '2 heal app',
      '3 partition app',
      '4 heal app',
    ]);
    expect(parseSchedule('stall:app:700')[0]?.stallMs).toBe(700);
    expect(() => parseSchedule('sigcont:cli')).toThrow(/cannot happen/);
    expect(() => parseSchedule('kill9:cli,stall:cli')).toThrow(/cannot happen/);
    expect(() => parseSchedule('explode:cli')).toThrow(/unknown event/);
  });

  // The expected holders: the highest effective priority on the client's side, a partitioned node alone holds
  // what it is eligible for, fault holds nothing, dead and frozen nodes are the lease check's business.
  it('expects one holder per side of the segment, by effective priority', () => {
    const [v4, v6] = VRIDS;
    const whole = initialWorld();
    expect(expectedHolding(whole, v4!)).toEqual({ cli: false, app: true, ka: false });
    expect(expectedHolding(whole, v6!)).toEqual({ cli: false, app: false, ka: true });
    const world: World = { ...whole, app: { ...whole.app, trackerFailed: true }, ka: { ...whole.ka, trackerFailed: true } };
    // v4: app faults (weight 0), so cli (120) serves; v6: ka 150 − 60 = 90 and app 100 − 60 = 40, so cli (120) again.
    expect(clientTarget(world, v4!)).toBe('cli');
    expect(clientTarget(world, v6!)).toBe('cli');
    const split: World = { ...whole, app: { ...whole.app, attached: false }, ka: { ...whole.ka, proc: 'frozen' } };
    expect(expectedHolding(split, v4!)).toEqual({ cli: true, app: true, ka: undefined });
    expect(expectedHolding(split, v6!)).toEqual({ cli: true, app: true, ka: undefined });
    const cut: World = { ...whole, cli: { ...whole.cli, link: false }, app: { ...whole.app, proc: 'dead' }, ka: { ...whole.ka, proc: 'dead' } };
    expect(expectedHolding(cut, v4!)).toEqual({ cli: false, app: undefined, ka: undefined });
    expect(clientTarget(cut, v4!)).toBeUndefined();
    expect(NODES).toEqual(['cli', 'app', 'ka']);
  });
});

describe.skipIf(!labAvailable.ok)('chaos beside keepalived', () => {
  // Given the three nodes settled (app master of VRID 51, keepalived of VRID 52)
  // when the seeded schedule hits random nodes
  // then after every event: the right holders, the client reaches them, no crash, no error logged.
  it(`survives ${EVENTS} seeded random events`, async () => {
    const env = [
      `CHAOS_SEED=${SEED}`,
      ...(EVENTS === CI_EVENTS ? [] : [`CHAOS_EVENTS=${EVENTS}`]),
      ...(LEASE_CHECK ? [] : ['CHAOS_LEASE_CHECK=off']),
      ...(DIST === undefined ? [] : [`CHAOS_DIST=${DIST}`]),
      ...(STRICT ? ['CHAOS_STRICT=1'] : []),
    ];
    const replay = `${env.join(' ')} npx vitest run test/interop/chaos.test.ts`;
    const long =
      `npm run chaos -- --seed ${SEED} --events ${EVENTS} --advert-ms ${ADVERT_MS} ` +
      `--lease-check ${LEASE_CHECK ? `on --lease-ms ${LEASE_MS}` : 'off'}${STRICT ? ' --strict' : ''}${DIST === undefined ? '' : ` --dist ${DIST}`}`;
    process.stderr.write(`chaos: seed ${SEED}, ${EVENTS} events, lease check ${LEASE_CHECK ? 'on' : 'off'} (replay: ${replay}, or ${long})\n`);
    const schedule = generateSchedule(SEED, EVENTS);
    const lines: string[] = [];
    // A runner that dies leaves this worker running on (vitest's forks pool): stop and tear the lab down instead.
    const runnerGone = new AbortController();
    const onDisconnect = (): void => runnerGone.abort(new Error('the test runner went away'));
    process.once('disconnect', onDisconnect);
    const result = await runChaos({
      seed: SEED,
      schedule,
      advertMs: ADVERT_MS,
      leaseCheck: LEASE_CHECK,
      leaseMs: LEASE_MS,
      strict: STRICT,
      budgetMs: BUDGET_MS,
      ...(DIST === undefined ? {} : { dist: DIST }),
      signal: runnerGone.signal,
      log: (line) => lines.push(line),
    }).finally(() => process.off('disconnect', onDisconnect));
    const summary = summarizeRun(result);
    process.stderr.write(
      `chaos: seed ${SEED}: ${result.records.length - 1} events in ${(result.durationMs / 1000).toFixed(0)} s; converge p50 ${summary.converge?.p50 ?? '–'} ms, ` +
        `max ${summary.converge?.max ?? '–'} ms; ${result.failures.length} failed checks; known bugs seen: ${JSON.stringify(summary.knownBugs)}\n`,
    );
    const failed = (record: EventRecord): boolean => record.checks.some((check) => !check.ok);
    const context = `seed ${SEED} — replay: ${replay}\n${lines.filter((_line, i) => result.records[i] === undefined || failed(result.records[i]!)).join('\n')}`;
    expect(result.aborted, context).toBeUndefined();
    expect(
      result.failures.map((f) => `#${f.index} ${f.kind} ${f.node ?? ''}: ${f.check}: ${f.detail}`),
      context,
    ).toEqual([]);
    expect(result.records.length - 1).toBeGreaterThanOrEqual(EVENTS);
    expect(result.leftovers, 'teardown left these behind').toEqual([]);
  }, 420_000);
});
