/**
 * Tests of the app's failover logic (run-on-master.ts) with vitest and `vrrp/testing`: two real `VrrpInstance`s on
 * a simulated LAN, in virtual time. Nothing here needs root or a network, and a minute of protocol runs in a few
 * milliseconds. Copy this file's shape into your app: a fake of your service that records what happened, a
 * `SimNetwork`, and assertions about where your service runs after each failure you care about.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { VrrpConfig, VrrpInstance } from 'vrrp';
import { SimNetwork, type VirtualClock } from 'vrrp/testing';
import { runOnMaster, type Service } from './run-on-master.js';

const VIP = '10.0.0.100';

/**
 * A stand-in for the real service: it records starts and stops, and takes `startupMs` of virtual time to start —
 * without looking at the signal, as many real services cannot be interrupted while they start.
 */
class FakeService implements Service {
  running = false;
  readonly history: string[] = [];
  /** The terms it was started for. */
  readonly terms: number[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly startupMs = 0,
  ) {}

  async start(_signal: AbortSignal, term: number): Promise<void> {
    this.history.push(`start ${this.clock.now()}`);
    this.terms.push(term);
    if (this.startupMs > 0) await new Promise<void>((resolve) => this.clock.setTimer(this.startupMs, resolve));
    this.running = true;
  }

  async stop(): Promise<void> {
    if (this.running) this.history.push(`stop ${this.clock.now()}`);
    this.running = false;
  }
}

interface Node {
  instance: VrrpInstance;
  service: FakeService;
  /** What the app's own health check (a function tracker) answers. */
  healthy: boolean;
}

let net: SimNetwork;
afterEach(async () => {
  await net.stopAll();
});

/** Two nodes, `a` (priority 200) and `b` (100), each running `runOnMaster` with its own fake service. */
function cluster(options: { seed?: number; loss?: number; startupMs?: number } = {}): { a: Node; b: Node } {
  net = new SimNetwork({ seed: options.seed ?? 1, latencyMs: 1, loss: options.loss ?? 0 });
  const add = (name: string, priority: number, address: string): Node => {
    const node = { healthy: true } as Node;
    const config: VrrpConfig = {
      name,
      interface: 'eth0',
      vrid: 7,
      priority,
      advertIntervalMs: 1000,
      virtualAddresses: [VIP],
      // The app's own check: weight -150 takes a unhealthy a (200) below b (100), so b takes over.
      trackers: [{ type: 'function', name: 'app-health', intervalMs: 1000, weight: -150, check: () => node.healthy }],
    };
    node.instance = net.addNode(config, { address });
    node.service = new FakeService(net.clock, options.startupMs);
    runOnMaster(node.instance, node.service);
    return node;
  };
  return { a: add('a', 200, '10.0.0.1'), b: add('b', 100, '10.0.0.2') };
}

/** The one thing the app promises: once transitions have settled, the service runs where the VIP is, and nowhere else. */
function expectServiceWithVip(nodes: Node[]): void {
  for (const node of nodes) {
    const holdsVip = net.node(node.instance).vips.addresses.has(VIP);
    net.assert(node.service.running === holdsVip, `${node.instance.config.name}: service running ${node.service.running}, VIP held ${holdsVip}`);
  }
}

describe('runOnMaster: the service runs on the VRRP master only', () => {
  it('starts on the elected master and nowhere else', async () => {
    const { a, b } = cluster();
    await net.advance(5_000);
    expect(net.masters()).toEqual([a.instance]);
    expect(a.service.running).toBe(true);
    expect(b.service.running).toBe(false);
    expect(b.service.history).toEqual([]);
  });

  it('moves to the backup when the master crashes, within Master_Down_Interval, and back when it returns', async () => {
    const { a, b } = cluster();
    await net.advance(5_000);
    const crashAt = net.clock.now();
    await net.kill(a.instance);
    await net.advance(5_000);
    expect(b.service.running).toBe(true);
    expect(a.service.running).toBe(false);
    // RFC 9568: Master_Down_Interval = 3 × 1000 ms + skew (256 − 100) / 256 × 1000 ms = 3609.375 ms after the last advert.
    const startedAt = Number(b.service.history[0]?.split(' ')[1]);
    expect(startedAt - crashAt).toBeLessThanOrEqual(3609.375 + 1);

    await net.revive(a.instance); // a preempts: higher priority
    await net.advance(5_000);
    expect(net.masters()).toEqual([a.instance]);
    expectServiceWithVip([a, b]);
    // Each mastership started it with a newer term: work stamped with the old one can be refused.
    expect(a.service.terms).toHaveLength(2);
    expect(a.service.terms[1]).toBeGreaterThan(a.service.terms[0] as number);
  });

  it("moves when the app's own health check fails on the master", async () => {
    const { a, b } = cluster();
    await net.advance(5_000);
    a.healthy = false; // 200 − 150 = 50: below b, which takes over once a's adverts stop counting (≤ 3.6 s)
    await net.advance(5_000);
    expect(net.masters()).toEqual([b.instance]);
    expectServiceWithVip([a, b]);
    a.healthy = true; // back to 200: a preempts b, again once b's adverts stop counting for it (≤ 3.3 s)
    await net.advance(5_000);
    expect(net.masters()).toEqual([a.instance]);
    expectServiceWithVip([a, b]);
  });

  it('leaves the service stopped when the mastership ends while it is still starting', async () => {
    const { a, b } = cluster({ startupMs: 3_000 });
    await net.advance(10_000); // a is master, its service started (3 s of start-up)
    a.healthy = false;
    await net.advance(5_000); // b has taken over and its service is starting
    expect(b.service.history).toHaveLength(1);
    expect(b.service.running).toBe(false);
    net.setLink(b.instance, false); // b faults 1 s into its start-up; a takes over again
    await net.advance(10_000);
    expect(net.masters()).toEqual([a.instance]);
    expectServiceWithVip([a, b]);
  });

  it('leaves the service stopped when the instance stops while it is still starting', async () => {
    const { a, b } = cluster({ startupMs: 3_000 });
    await net.advance(1_500); // a is master at 3.2 s (no peer heard): its service starts then, for 3 s
    await net.advance(2_000);
    expect(a.service.history).toHaveLength(1);
    expect(a.service.running).toBe(false);
    await net.kill(a.instance); // the instance stops (its 'stop' event) while the start is in progress
    await net.advance(10_000);
    expect(a.service.running).toBe(false);
    expect(b.service.running).toBe(true);
  });

  it('runs on both sides of a partition — VRRP cannot prevent that — and on one once it heals', async () => {
    const { a, b } = cluster();
    await net.advance(5_000);
    net.partition([a.instance], [b.instance]);
    await net.advance(5_000);
    // Each side thinks the other is dead: two masters, two services. Anything that must not run twice needs a
    // fence of its own (a lock in the database the service writes to, say).
    expect(a.service.running && b.service.running).toBe(true);
    net.heal();
    await net.advance(3_000);
    expectServiceWithVip([a, b]);
    expect(b.service.running).toBe(false);
  });

  it('ends with the service exactly where the VIP is after a random storm of failures (seeded)', async () => {
    const { a, b } = cluster({ seed: 20_250_917, loss: 0.2, startupMs: 700 });
    const nodes = [a, b];
    for (let step = 0; step < 40; step++) {
      const node = nodes[Math.floor(net.random() * nodes.length)] as Node;
      const roll = net.random();
      if (roll < 0.3) node.healthy = !node.healthy;
      else if (roll < 0.6) net.setLink(node.instance, net.random() < 0.5);
      else if (roll < 0.8) await net.kill(node.instance);
      else await net.revive(node.instance);
      await net.advance(Math.floor(net.random() * 4_000));
    }
    // Calm again: everyone alive, healthy, linked; then give the protocol and the hooks time to settle.
    net.loss = 0;
    for (const node of nodes) {
      node.healthy = true;
      net.setLink(node.instance, true);
      await net.revive(node.instance);
    }
    await net.advance(10_000);
    net.assert(net.masters().length === 1, 'one master');
    expectServiceWithVip(nodes);
  });
});
