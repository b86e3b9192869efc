/**
 * Convergence on the simulated network, as properties over random clusters and random chaos.
 *
 * Claim (RFC 9568 §6): once the network heals, within Master_Down_Interval (of the best node) plus one
 * Advertisement_Interval there is exactly one master, it has the highest priority, and among equal priorities the
 * highest primary address wins — and it stays that way.
 *
 * Why the address claim holds here: nodes start together, so equal-priority nodes time out at the same instant,
 * all become master, and the master rule (RFC 9568 §6.4.3) makes every one but the highest address yield. A backup
 * that hears an equal priority accepts it (§6.4.2 "greater than or equal"), so after a crash and restart the
 * address claim no longer holds — the second property checks only priority there, as the RFC promises.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { masterDownIntervalMs } from '../../src/core/timers.js';
import type { VrrpInstance } from '../../src/instance.js';
import { SimNetwork } from '../../src/testing/index.js';
import { propertySeed } from '../support/seed.js';

interface Phase {
  intervals: number;
  loss: number;
  /** Bit i set: node i is on side B of a partition (0 or all-ones: no partition). */
  split: number;
  /** Node to crash during this phase (kill property only), or -1. */
  kill: number;
}

const clusterArb = fc.record({
  priorities: fc.array(fc.oneof(fc.constantFrom(100, 110), fc.integer({ min: 1, max: 254 })), { minLength: 2, maxLength: 5 }),
  addressOrder: fc.integer({ min: 0, max: 1_000_000 }),
  advertIntervalMs: fc.constantFrom(50, 100, 300),
  latencyMs: fc.double({ min: 0.05, max: 5, noNaN: true }),
  jitterMs: fc.constantFrom(0, 0.5, 3),
  netSeed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

const phasesArb = (withKills: boolean) =>
  fc.array(
    fc.record({
      intervals: fc.integer({ min: 1, max: 25 }),
      loss: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.7, noNaN: true })),
      split: fc.integer({ min: 0, max: 31 }),
      kill: withKills ? fc.integer({ min: -1, max: 4 }) : fc.constant(-1),
    }),
    { minLength: 1, maxLength: 6 },
  );

type Cluster = { net: SimNetwork; nodes: VrrpInstance[]; priorities: number[]; addresses: string[] };

type ClusterParams = typeof clusterArb extends fc.Arbitrary<infer T> ? T : never;

function buildCluster(c: ClusterParams): Cluster {
  const net = new SimNetwork({ seed: c.netSeed, latencyMs: c.latencyMs, jitterMs: c.jitterMs });
  // A random but deterministic assignment of addresses, so that priority and address order are unrelated.
  const hosts = c.priorities.map((_, i) => 10 + ((i * 37 + c.addressOrder) % 200));
  const unique = hosts.map((h, i) => (hosts.indexOf(h) === i ? h : 220 + i));
  const addresses = unique.map((h) => `10.0.0.${h}`);
  const nodes = c.priorities.map((priority, i) =>
    net.addNode(
      { interface: 'eth0', vrid: 7, priority, advertIntervalMs: c.advertIntervalMs, virtualAddresses: ['10.0.0.250/24'] },
      { address: addresses[i] as string, name: `n${i}` },
    ),
  );
  return { net, nodes, priorities: c.priorities, addresses };
}

/** Index of the node that must win: highest priority, then highest address. */
function expectedWinner(priorities: number[], addresses: string[]): number {
  const key = (i: number): number => (priorities[i] as number) * 1000 + Number((addresses[i] as string).split('.')[3]);
  return priorities.map((_, i) => i).reduce((best, i) => (key(i) > key(best) ? i : best), 0);
}

async function runChaos(cluster: Cluster, phases: Phase[], intervalMs: number): Promise<void> {
  const { net, nodes } = cluster;
  for (const phase of phases) {
    net.heal();
    net.loss = phase.loss;
    const sideB = nodes.filter((_, i) => (phase.split >> i) & 1);
    const sideA = nodes.filter((_, i) => !((phase.split >> i) & 1));
    if (sideA.length > 0 && sideB.length > 0) net.partition(sideA, sideB);
    const victim = nodes[phase.kill];
    if (victim) await net.kill(victim);
    await net.advance(phase.intervals * intervalMs);
    if (victim) await net.revive(victim);
  }
  net.heal();
  net.loss = 0;
}

/** Time the healed network may take: MDI of the winner + one interval + the slowest packet. */
function boundMs(cluster: Cluster, winner: number, intervalMs: number): number {
  const { net } = cluster;
  return masterDownIntervalMs(3, cluster.priorities[winner] as number, intervalMs) + intervalMs + net.latencyMs + net.jitterMs;
}

describe('SimNetwork convergence properties', () => {
  it('after loss and partitions heal, exactly one master: highest priority, ties to the highest address', async () => {
    const seed = propertySeed('convergence/partitions');
    await fc.assert(
      fc.asyncProperty(clusterArb, phasesArb(false), async (c, phases) => {
        const cluster = buildCluster(c);
        const net: SimNetwork = cluster.net;
        const { nodes } = cluster;
        await runChaos(cluster, phases, c.advertIntervalMs);
        const winner = expectedWinner(cluster.priorities, cluster.addresses);
        await net.advance(boundMs(cluster, winner, c.advertIntervalMs));
        const names = (list: VrrpInstance[]): string => list.map((i) => net.node(i).name).join(',');
        net.assert(net.masters().length === 1 && net.masters()[0] === nodes[winner], `expected only n${winner} master, got [${names(net.masters())}]`);
        // and it stays that way: no flapping once healed
        await net.advance(10 * c.advertIntervalMs);
        net.assert(net.masters().length === 1 && net.masters()[0] === nodes[winner], `not stable: masters [${names(net.masters())}]`);
        await net.stopAll();
      }),
      { seed, numRuns: 250 },
    );
  });

  it('after crashes and restarts, exactly one master and it has the highest priority', async () => {
    const seed = propertySeed('convergence/crashes');
    await fc.assert(
      fc.asyncProperty(clusterArb, phasesArb(true), async (c, phases) => {
        const cluster = buildCluster(c);
        const net: SimNetwork = cluster.net;
        await runChaos(cluster, phases, c.advertIntervalMs);
        const top = Math.max(...cluster.priorities);
        const winner = expectedWinner(cluster.priorities, cluster.addresses);
        await net.advance(boundMs(cluster, winner, c.advertIntervalMs));
        const masters = net.masters();
        net.assert(masters.length === 1, `expected one master, got ${masters.length}`);
        net.assert(masters[0]?.effectivePriority === top, `master has priority ${masters[0]?.effectivePriority}, highest is ${top}`);
        await net.stopAll();
      }),
      { seed, numRuns: 150 },
    );
  });
});
