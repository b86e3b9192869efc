/**
 * A master that cannot add its VIPs, on a simulated segment with a peer: it faults with the reason (priority 0 on the
 * wire), the peer takes the VIP over, and once the cause clears our node is back — the VIP on exactly one node all
 * along. Issue 9's "honest VIP state" as the peer sees it; the Linux lab shows the kernel's refusal itself
 * (test/interop/linux-adapters.test.ts) and a VIP removed behind our back coming back (test/interop/vip-lease.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { StateChangeEvent } from '../../src/instance.js';
import { SimNetwork } from '../../src/testing/index.js';

const config = { interface: 'eth0', vrid: 51, advertIntervalMs: 1000, virtualAddresses: ['10.0.0.100/24'] };

function cluster() {
  const net = new SimNetwork({ seed: 1, latencyMs: 0.3 });
  const ours = net.addNode({ ...config, name: 'ours', priority: 150 }, { address: '10.0.0.1' });
  const peer = net.addNode({ ...config, name: 'peer', priority: 100 }, { address: '10.0.0.2' });
  const oursChanges: StateChangeEvent[] = [];
  ours.on('stateChange', (event) => oursChanges.push(event));
  // Every add on our node is refused, as a kernel refuses one without CAP_NET_ADMIN.
  net.node(ours).vips.failing.add = Object.assign(new Error('add 10.0.0.100/24: EPERM'), { code: 'EPERM' });
  ours.on('error', () => {}); // reported: shown in test/instance/events.test.ts
  const holders = (): string[] => net.nodes.filter((node) => node.vips.addresses.has('10.0.0.100')).map((node) => node.name);
  return { net, ours, peer, oursChanges, holders };
}

describe('a master whose VIPs cannot be added, beside a peer', () => {
  // Given our node (150) whose adds are refused and a peer (100), when ours times out first and tries to take over,
  // then it faults with reason vip-failed and the peer serves: the VIP is on the peer only, ours was never master.
  it('faults with the reason and the peer takes the VIP', async () => {
    const { net, ours, peer, oursChanges, holders } = cluster();
    await net.advance(10_000);
    expect(oursChanges.some((event) => event.to === 'fault' && event.reason === 'vip-failed')).toBe(true);
    expect(oursChanges.some((event) => event.to === 'master')).toBe(false);
    expect(peer.state).toBe('master');
    expect(holders()).toEqual(['peer']);
    expect(ours.stats.priorityZeroSent).toBeGreaterThan(0);
  });

  // Given the same, when the cause clears (adds succeed again), then within the backoff (at most 30 s) plus a
  // Master_Down_Interval our node is master again (it preempts: 150 > 100) and the VIP is on ours only.
  it('comes back once the addresses can be added', async () => {
    const { net, ours, peer, holders } = cluster();
    await net.advance(10_000);
    delete net.node(ours).vips.failing.add;
    await net.advance(30_000 + 3_609.375 + 1_000);
    expect(ours.state).toBe('master');
    expect(peer.state).toBe('backup');
    expect(holders()).toEqual(['ours']);
  });

  // Given the same, then at none of the run's 50 ms samples do both nodes hold the VIP (a preemption's handover
  // lasts one wire latency, 0.3 ms, which a sample can miss; a refused node claiming the VIP would show up here).
  it('never has the VIP on both nodes at a 50 ms sample', async () => {
    const { net, ours, holders } = cluster();
    const both: number[] = [];
    for (let ms = 0; ms < 60_000; ms += 50) {
      if (ms === 10_000) delete net.node(ours).vips.failing.add;
      await net.advance(50);
      if (holders().length > 1) both.push(ms);
    }
    expect(both).toEqual([]);
  });
});
