/**
 * The keepalived tutorial our users come from (told in examples/seed-scenario.js), exactly as `npm run demo` runs it:
 * VRRPv2, advert 1 s, VIP 192.168.1.100, VRID 51, priorities 101/100, chk_haproxy every 2 s with weight 2, both
 * nodes configured `state MASTER` (both start as backups, as keepalived starts them). Times below follow from RFC 3768 §6.1:
 * Master_Down_Interval = 3 × 1 s + (256 − priority)/256 s, with a one-way latency of 0.3 ms on the wire.
 */
import { describe, expect, it } from 'vitest';
import { runSeedScenario } from '../../examples/seed-scenario.js';

const skewMs = (priority: number): number => ((256 - priority) * 1000) / 256;
const latencyMs = 0.3;

async function scenario() {
  const result = await runSeedScenario();
  const all = (node: string, what: RegExp) => result.timeline.filter((entry) => entry.node === node && what.test(entry.what));
  const at = (node: string, what: RegExp) => all(node, what)[0];
  return { ...result, at, all };
}

describe('seed scenario: two HAProxy hosts, both configured MASTER', () => {
  it('elects lb1 (103 with its check) even though both were configured MASTER', async () => {
    // given both nodes start as backups, as keepalived starts `state MASTER` below 255, checks passing (103 vs 102)
    // when lb1's Master_Down_Timer (3 intervals + skew) runs out first
    // then lb1 is master at 3 s + skew(103), and lb2 never becomes master before the check fails
    const { at, timeline } = await scenario();
    expect(at('lb1', /backup → master/)?.atMs).toBe(3000 + skewMs(103));
    const lb2FirstMaster = timeline.find((e) => e.node === 'lb2' && /→ master/.test(e.what));
    expect(lb2FirstMaster?.atMs).toBeGreaterThan(10_000);
  });

  it('moves the VIP to lb2 when lb1\'s HAProxy dies: 103 → 101 < 102', async () => {
    // given lb1 master at 103; when its check fails at the 12 s run (HAProxy died at 10 s)
    // then lb1 drops to 101, lb2 (102) discards lb1's adverts and takes over one Master_Down_Interval after the
    // last advert it accepted (lb1's periodic advert at 11.598 s), and lb1 yields on lb2's first advert
    const { at } = await scenario();
    expect(at('lb1', /priority 103 → 101/)?.atMs).toBe(12_000);
    const lastAccepted = 3000 + skewMs(103) + 8 * 1000 + latencyMs;
    const takeover = lastAccepted + 3000 + skewMs(102);
    expect(at('lb2', /backup → master/)?.atMs).toBeCloseTo(takeover, 9);
    expect(at('lb1', /master → backup \(higher-priority-advertisement\)/)?.atMs).toBeCloseTo(takeover + latencyMs, 9);
  });

  it('preempts back to lb1 once its HAProxy recovers: 103 > 102', async () => {
    // given lb2 master at 102, lb1 backup at 101; when lb1's check passes again (run at 24 s)
    // then lb1 is at 103, discards lb2's lower adverts and takes over at its last accepted advert + MDI(103)
    const { at, all } = await scenario();
    expect(all('lb1', /priority 101 → 103/).map((e) => e.atMs)).toEqual([0, 24_000]); // start, then recovery
    const lb2Master = at('lb2', /backup → master/)?.atMs ?? NaN;
    const lastAccepted = lb2Master + 8 * 1000 + latencyMs; // lb2's periodic advert just before 24 s
    expect(all('lb1', /backup → master/)[1]?.atMs).toBeCloseTo(lastAccepted + 3000 + skewMs(103), 9);
  });

  it('ends with the VIP on exactly one host, lb1, and the app hooks told each host its role', async () => {
    const { timeline } = await scenario();
    expect(timeline.find((e) => e.node === 'world' && /^VIP/.test(e.what))?.what).toBe('VIP 192.168.1.100 is on lb1; masters: lb1');
    const hooks = timeline.filter((e) => /hook onMaster/.test(e.what)).map((e) => e.node);
    expect(hooks).toEqual(['lb1', 'lb2', 'lb1']);
  });
});
