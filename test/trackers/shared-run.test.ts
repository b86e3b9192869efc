/**
 * sharedRun (src/trackers/shared-run.ts): one run of a check serves every instance tracking it, as keepalived runs a
 * vrrp_script once per interval for all of them. On a stand-in probe and a clock the test moves; the last test
 * shows it on real exec trackers through createProbe.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { createProbe, type InstanceTrackerConfig } from '../../src/trackers/index.js';
import { sharedRun } from '../../src/trackers/shared-run.js';
import type { ProbeResult } from '../../src/trackers/types.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('shared-run');
afterAll(() => tmp.remove());

let keys = 0;
const never = new AbortController().signal;

/**
 * A probe whose runs the test settles by hand; it records each run's signal. An aborted run settles at once, or —
 * `slowKill` — only when the test settles it (a command still in its SIGTERM grace).
 */
function standIn(slowKill = false): { probe: (signal: AbortSignal) => Promise<ProbeResult>; runs: { signal: AbortSignal; settle: (result: ProbeResult) => void }[] } {
  const runs: { signal: AbortSignal; settle: (result: ProbeResult) => void }[] = [];
  return {
    runs,
    probe: (signal) =>
      new Promise<ProbeResult>((resolve) => {
        runs.push({ signal, settle: resolve });
        if (!slowKill) signal.addEventListener('abort', () => resolve({ up: false, reason: 'killed after it was aborted' }), { once: true });
      }),
  };
}

/** A timer the test fires by hand. */
function handTimer(): { setTimer: (ms: number, callback: () => void) => () => void; fire: () => void } {
  const due: (() => void)[] = [];
  return {
    setTimer: (_ms, callback) => {
      due.push(callback);
      return () => due.splice(due.indexOf(callback), 1);
    },
    fire: () => {
      for (const callback of due.splice(0)) callback();
    },
  };
}

describe('sharedRun', () => {
  it('has a call made while a run is under way wait for that run instead of starting another', async () => {
    const { probe, runs } = standIn();
    let nowMs = 0;
    const shared = sharedRun(`k${++keys}`, { windowMs: 1000, timeoutMs: 60_000, now: () => nowMs }, probe);
    const first = shared(never);
    nowMs = 10;
    const second = shared(never);
    runs[0]?.settle({ up: true, reason: 'exit code 0' });
    expect({ runs: runs.length, results: await Promise.all([first, second]) }).toEqual({ runs: 1, results: [{ up: true, reason: 'exit code 0' }, { up: true, reason: 'exit code 0' }] });
  });

  it("gives another instance's call within the window the last result, and starts a new run once the window has passed", async () => {
    const { probe, runs } = standIn();
    let nowMs = 0;
    const key = `k${++keys}`;
    const [mine, other] = [sharedRun(key, { windowMs: 1000, timeoutMs: 60_000, now: () => nowMs }, probe), sharedRun(key, { windowMs: 1000, timeoutMs: 60_000, now: () => nowMs }, probe)];
    const first = mine(never);
    runs[0]?.settle({ up: false, reason: 'exit code 1' });
    await first;
    nowMs = 999;
    expect(await other(never)).toEqual({ up: false, reason: 'exit code 1' });
    expect(runs).toHaveLength(1);
    nowMs = 1000;
    const third = other(never);
    expect(runs).toHaveLength(2);
    runs[1]?.settle({ up: true, reason: 'exit code 0' });
    expect(await third).toEqual({ up: true, reason: 'exit code 0' });
  });

  // An instance on a virtual clock checks many times within a real millisecond: each of its checks is a run.
  it('never hands one instance the same result twice, however close its checks come', async () => {
    const { probe, runs } = standIn();
    const shared = sharedRun(`k${++keys}`, { windowMs: 1000, timeoutMs: 60_000, now: () => 0 }, probe);
    const first = shared(never);
    runs[0]?.settle({ up: true, reason: 'exit code 0' });
    await first;
    void shared(never);
    expect(runs).toHaveLength(2);
  });

  it('keeps the run going for the others when one caller stops waiting', async () => {
    const { probe, runs } = standIn();
    const shared = sharedRun(`k${++keys}`, { windowMs: 1000, timeoutMs: 60_000, now: () => 0 }, probe);
    const stopping = new AbortController();
    const leaving = shared(stopping.signal);
    const staying = shared(never);
    stopping.abort();
    expect(await leaving).toEqual({ up: false, reason: 'aborted; the run goes on for the other instances tracking it' });
    expect(runs[0]?.signal.aborted).toBe(false);
    runs[0]?.settle({ up: true, reason: 'exit code 0' });
    expect(await staying).toEqual({ up: true, reason: 'exit code 0' });
  });

  it('aborts the run when its last caller stops waiting, and settles that caller with the aborted run', async () => {
    const { probe, runs } = standIn();
    const shared = sharedRun(`k${++keys}`, { windowMs: 1000, timeoutMs: 60_000, now: () => 0 }, probe);
    const stopping = new AbortController();
    const only = shared(stopping.signal);
    stopping.abort();
    expect(await only).toEqual({ up: false, reason: 'killed after it was aborted' });
    expect(runs[0]?.signal.aborted).toBe(true);
    // A call after that starts afresh instead of joining the killed run.
    void shared(never);
    expect(runs).toHaveLength(2);
  });

  // A hung command with several instances waiting: each instance's own timeout left it running for the others, and
  // their next checks joined it again — nobody ever killed it, and every check timed out.
  it('aborts a run at its own deadline, however many callers still wait for it', async () => {
    const { probe, runs } = standIn();
    const timer = handTimer();
    const key = `k${++keys}`;
    const timing = { windowMs: 1000, timeoutMs: 500, now: () => 0, setTimer: timer.setTimer };
    const waiting = [sharedRun(key, timing, probe)(never), sharedRun(key, timing, probe)(never)];
    timer.fire(); // the run's deadline
    expect(runs[0]?.signal.aborted).toBe(true);
    expect(await Promise.all(waiting)).toEqual([
      { up: false, reason: 'killed after it was aborted' },
      { up: false, reason: 'killed after it was aborted' },
    ]);
  });

  it('starts no run while the last one is still being killed: runs never overlap', async () => {
    const { probe, runs } = standIn(true);
    const timer = handTimer();
    const key = `k${++keys}`;
    const timing = { windowMs: 1000, timeoutMs: 500, now: () => 0, setTimer: timer.setTimer };
    const [first, second] = [sharedRun(key, timing, probe), sharedRun(key, timing, probe)];
    void first(never);
    timer.fire(); // aborted, but what it ran has not ended yet
    const next = second(never);
    await Promise.resolve();
    expect(runs).toHaveLength(1);
    runs[0]?.settle({ up: false, reason: 'killed (SIGTERM) after it was aborted' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toHaveLength(2);
    runs[1]?.settle({ up: true, reason: 'exit code 0' });
    expect(await next).toEqual({ up: true, reason: 'exit code 0' });
  });

  // An instance started (or a test begun) after a run began checks for itself: a result from before it existed
  // could be of another world (a flag file a previous test left).
  it("gives no caller the result of a run that started before it existed", async () => {
    const { probe, runs } = standIn();
    let nowMs = 0;
    const key = `k${++keys}`;
    const timing = { windowMs: 1000, timeoutMs: 60_000, now: () => nowMs };
    const first = sharedRun(key, timing, probe)(never);
    runs[0]?.settle({ up: true, reason: 'exit code 0' });
    await first;
    nowMs = 10;
    const later = sharedRun(key, timing, probe);
    nowMs = 20;
    void later(never);
    expect(runs).toHaveLength(2);
  });

  it('never shares between two keys', () => {
    const { probe, runs } = standIn();
    void sharedRun(`k${++keys}`, { windowMs: 1000, timeoutMs: 60_000, now: () => 0 }, probe)(never);
    void sharedRun(`k${++keys}`, { windowMs: 1000, timeoutMs: 60_000, now: () => 0 }, probe)(never);
    expect(runs).toHaveLength(2);
  });
});

describe('exec trackers of two instances', () => {
  // Given two instances' exec trackers of the same vrrp_script (same name, command, interval, timeout)
  // when both check at once
  // then the command runs once and both get its result.
  it('run the same check once for both', async () => {
    const log = join(tmp.dir, 'runs');
    writeFileSync(log, '');
    const { trackers } = resolveConfig({
      interface: 'eth0',
      vrid: 1,
      virtualAddresses: ['192.0.2.1'],
      trackers: [{ type: 'exec', name: 'chk', command: ['sh', '-c', `echo run >> '${log}'`], intervalMs: 60_000 }],
    });
    const tracker = trackers[0] as InstanceTrackerConfig;
    const host = { interfaceLink: async () => ({ up: true, reason: 'up' }), procRoot: '/proc' };
    const results = await Promise.all([createProbe(tracker, host)(never), createProbe(tracker, host)(never)]);
    expect({ results, runs: readFileSync(log, 'utf8').split('\n').filter(Boolean).length }).toEqual({ results: [{ up: true, reason: 'exit code 0' }, { up: true, reason: 'exit code 0' }], runs: 1 });
  });
});
