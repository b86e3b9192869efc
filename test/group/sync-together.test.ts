/**
 * Sync group members change state together (keepalived's vrrp_sync_group), in virtual time: two hosts, A (200)
 * and B (100), each with an outside (VRID 1) and an inside (VRID 2) member in one VrrpGroup. A member that goes
 * master takes the others with it, a master member that goes backup takes the other masters with it, a member
 * that faults makes the others resign at once, and the group goes master only when every member would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { VrrpConfig } from '../../src/config.js';
import { VrrpGroup } from '../../src/group.js';
import type { StateChangeEvent, VrrpInstance } from '../../src/instance.js';
import { SimNetwork } from '../../src/testing/index.js';

const OUTSIDE_VIP = '203.0.113.10';
const INSIDE_VIP = '10.0.0.10';

interface Host {
  outside: VrrpInstance;
  inside: VrrpInstance;
  group: VrrpGroup;
  /** Every member transition: `[atMs, member, from>to, reason]`. */
  changes: [number, string, string, string][];
}

let net: SimNetwork;

afterEach(async () => {
  await net?.stopAll();
});

/** A host with its two members and its group; `outsideCheck` is the outside member's weight-0 (or `weight`) check. */
function host(name: string, priority: number, index: number, outsideCheck: { ok: boolean; weight?: number }, start = false): Host {
  const base = { interface: 'eth0', priority, advertIntervalMs: 1000 } satisfies Partial<VrrpConfig>;
  const outside = net.addNode(
    {
      ...base,
      name: `${name}_OUTSIDE`,
      vrid: 1,
      virtualAddresses: [OUTSIDE_VIP],
      trackers: [{ type: 'function', name: 'chk', intervalMs: 500, weight: outsideCheck.weight ?? 0, check: () => outsideCheck.ok }],
    },
    { address: `192.0.2.${index}`, start: false },
  );
  const inside = net.addNode({ ...base, name: `${name}_INSIDE`, vrid: 2, virtualAddresses: [INSIDE_VIP] }, { address: `192.0.2.${index + 10}`, start: false });
  const group = new VrrpGroup(name, [outside, inside]);
  const changes: Host['changes'] = [];
  for (const member of [outside, inside]) {
    member.on('stateChange', (event: StateChangeEvent) => changes.push([net.clock.now(), member.config.name, `${event.from}>${event.to}`, event.reason]));
  }
  if (start) void group.start();
  return { outside, inside, group, changes };
}

const vipsOf = (instance: VrrpInstance): string[] => [...net.node(instance).vips.addresses].map((vip) => vip.split('/')[0] ?? vip);
const holder = (vip: string): string[] => net.nodes.filter((node) => vipsOf(node.instance).includes(vip)).map((node) => node.name);
const states = (h: Host): string[] => [h.outside.state, h.inside.state, h.group.state];

async function startAll(...hosts: Host[]): Promise<void> {
  const started = Promise.all(hosts.map((h) => h.group.start()));
  await net.advance(10);
  await started;
}

describe('VrrpGroup members change state together', () => {
  // Given A master of both VRIDs and B backup of both; when A's outside check (weight 0) fails
  // then A's inside member resigns in the same instant (priority 0, VIP removed) though its own election is
  // unchanged, and B's two members become master in the same instant, each VIP moving within Skew_Time.
  it("a member's fault on the master moves both members on both nodes at once", async () => {
    net = new SimNetwork({ seed: 21 });
    const checkA = { ok: true };
    const a = host('A', 200, 1, checkA);
    const b = host('B', 100, 2, { ok: true });
    await startAll(a, b);
    await net.advance(5000);
    expect([states(a), states(b)]).toEqual([['master', 'master', 'master'], ['backup', 'backup', 'backup']]);
    const faultAt = net.trace.length;

    checkA.ok = false;
    await net.advance(1500);
    const since = (h: Host, at: number): Host['changes'] => h.changes.filter(([ms]) => ms >= at);
    const t0 = net.trace[faultAt]?.atMs ?? 0;
    const aMoves = since(a, t0);
    // The inside member left master the moment the outside one faulted, moved by the group (then held in fault).
    expect(aMoves.map(([, member, move, reason]) => `${member} ${move} ${reason}`)).toEqual([
      'A_OUTSIDE master>fault tracker-down',
      'A_INSIDE master>backup sync-group',
      'A_INSIDE backup>fault tracker-down',
    ]);
    expect(aMoves[1]?.[0]).toBe(aMoves[0]?.[0]);
    // Both A members sent priority 0, so both B members ran out their Skew_Time: the first waits as backup for
    // the second, and when the second's timer fires the group makes both master in the same instant.
    const bMasters = since(b, t0).filter(([, , move]) => move === 'backup>master');
    expect(bMasters.map(([, member]) => member).sort()).toEqual(['B_INSIDE', 'B_OUTSIDE']);
    expect(bMasters[1]?.[0]).toBe(bMasters[0]?.[0]);
    expect((bMasters[0]?.[0] ?? Infinity) - (aMoves[0]?.[0] ?? 0)).toBeLessThan(1000); // Skew_Time, not 3 s
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['B_OUTSIDE'], ['B_INSIDE']]);
    const zeros = net.trace.slice(faultAt).filter((entry) => entry.kind === 'send' && entry.node.startsWith('A_') && / prio 0\b|priority 0\b/.test(entry.detail));
    expect(new Set(zeros.map((entry) => entry.node))).toEqual(new Set(['A_OUTSIDE', 'A_INSIDE']));

    // Recovery: A's members leave fault together and take both VIPs back together (preempt).
    checkA.ok = true;
    await net.advance(6000);
    expect([states(a), states(b)]).toEqual([['master', 'master', 'master'], ['backup', 'backup', 'backup']]);
    const aBack = since(a, t0).filter(([, , move]) => move === 'backup>master');
    expect(aBack.map(([, member]) => member).sort()).toEqual(['A_INSIDE', 'A_OUTSIDE']);
    expect(aBack[1]?.[0]).toBe(aBack[0]?.[0]);
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['A_OUTSIDE'], ['A_INSIDE']]);
  });

  // Given A master of both; when the inside network between A and B is cut (both links up)
  // then B's inside member, no longer hearing A, wishes to take over but stays backup: its outside sibling still
  // hears A. keepalived does the same; a lone instance would go master and split the group's VIPs.
  it('a member that stops hearing its peer stays backup while its sibling hears a master', async () => {
    net = new SimNetwork({ seed: 22 });
    const a = host('A', 200, 1, { ok: true });
    const b = host('B', 100, 2, { ok: true });
    await startAll(a, b);
    await net.advance(5000);
    net.partition([a.inside], [b.inside]);
    await net.advance(10_000);
    expect([states(a), states(b)]).toEqual([['master', 'master', 'master'], ['backup', 'backup', 'backup']]);
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['A_OUTSIDE'], ['A_INSIDE']]);
    expect(b.changes.filter(([, , move]) => move.endsWith('>master'))).toEqual([]);
  });

  // Given B alone, master of both; the inside network between A and B cut; when A (200) starts
  // then A's outside member preempts B's, A's inside member (hearing nobody) wishes too, A goes master as a group;
  // B's outside member hears the higher priority and becomes backup, taking B's inside master — which never hears
  // A — to backup with it: no VIP is held twice.
  it('a master member that hears a higher priority takes the other masters to backup', async () => {
    net = new SimNetwork({ seed: 23 });
    const b = host('B', 100, 2, { ok: true }, true);
    await net.advance(5000);
    expect(states(b)).toEqual(['master', 'master', 'master']);
    const a = host('A', 200, 1, { ok: true });
    net.partition([a.inside], [b.inside]);
    void a.group.start();
    await net.advance(6000);
    expect([states(a), states(b)]).toEqual([['master', 'master', 'master'], ['backup', 'backup', 'backup']]);
    expect(b.changes.filter(([, , move]) => move === 'master>backup').map(([, member, , reason]) => `${member} ${reason}`)).toEqual([
      'B_OUTSIDE higher-priority-advertisement',
      'B_INSIDE sync-group',
    ]);
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['A_OUTSIDE'], ['A_INSIDE']]);
  });

  // Given A master of both; when A's outside member loses priority below B's by a weighted check (no fault)
  // then nothing moves: B's outside member wishes to preempt, its inside sibling does not, and a group goes master
  // only when every member would (keepalived ignores members' weights in a sync group for this reason).
  it('one member outranked alone moves no member', async () => {
    net = new SimNetwork({ seed: 24 });
    const checkA = { ok: true, weight: -150 };
    const a = host('A', 200, 1, checkA);
    const b = host('B', 100, 2, { ok: true });
    await startAll(a, b);
    await net.advance(5000);
    checkA.ok = false;
    await net.advance(10_000);
    expect(a.outside.effectivePriority).toBe(50);
    expect([states(a), states(b)]).toEqual([['master', 'master', 'master'], ['backup', 'backup', 'backup']]);
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['A_OUTSIDE'], ['A_INSIDE']]);
  });

  // Given B's inside member wishing to take over (cut from A's) but held back by its outside sibling; when that
  // sibling is stopped alone; then the wish is granted: a stopped member holds no one back — and the group's state
  // follows the member still running (master), as its holds and its link already judge only running members.
  it('a member that stops no longer holds back its sibling', async () => {
    net = new SimNetwork({ seed: 26 });
    const a = host('A', 200, 1, { ok: true });
    const b = host('B', 100, 2, { ok: true });
    await startAll(a, b);
    await net.advance(5000);
    net.partition([a.inside], [b.inside]);
    await net.advance(5000);
    expect(states(b)).toEqual(['backup', 'backup', 'backup']);
    const stopping = b.outside.stop();
    await net.advance(10);
    await stopping;
    await net.advance(10);
    expect([b.outside.state, b.inside.state]).toEqual(['initialize', 'master']);
    expect(holder(INSIDE_VIP).sort()).toEqual(['A_INSIDE', 'B_INSIDE']); // two segments now, one master on each
    expect(b.group.state, 'the group kept the state its stopped member had').toBe('master');
    expect(b.group.status().state).toBe('master');
  });

  // Given B's group master with one member stopped and the other master; when that other member stops too
  // then the group stops (initialize, a `stop` event): with no member running there is no state to follow.
  it('a group whose running members all stop is stopped', async () => {
    net = new SimNetwork({ seed: 27 });
    const b = host('B', 100, 2, { ok: true });
    await startAll(b);
    await net.advance(5000);
    expect(states(b)).toEqual(['master', 'master', 'master']);
    const groupChanges: string[] = [];
    b.group.on('stateChange', ({ from, to, reason }) => groupChanges.push(`${from}>${to} ${reason}`));
    await Promise.all([b.outside.stop(), net.advance(10)]);
    expect(states(b)).toEqual(['initialize', 'master', 'master']);
    await Promise.all([b.inside.stop(), net.advance(10)]);
    expect(states(b)).toEqual(['initialize', 'initialize', 'initialize']);
    expect(groupChanges).toEqual(['master>initialize stopped']);
  });

  // Given B's group with one member stopped and the other master; when the stopped member starts again
  // then the group waits for it (no change while it starts), and it joins its sibling as master: the group stays
  // master throughout, and every member is master again.
  it('a member started again joins the state its group follows', async () => {
    net = new SimNetwork({ seed: 28 });
    const b = host('B', 100, 2, { ok: true });
    await startAll(b);
    await net.advance(5000);
    await Promise.all([b.outside.stop(), net.advance(10)]);
    const groupChanges: string[] = [];
    b.group.on('stateChange', ({ from, to, reason }) => groupChanges.push(`${from}>${to} ${reason}`));
    await Promise.all([b.outside.start(), net.advance(10)]);
    await net.advance(5000);
    expect(states(b)).toEqual(['master', 'master', 'master']);
    expect(groupChanges).toEqual([]);
  });

  // Given instances given adapters (SimNetwork's) and one on the default Linux adapters
  // then the group refuses them: their engines run on different threads.
  it('refuses members whose engines run on different threads', async () => {
    net = new SimNetwork({ seed: 25 });
    const sim = net.addNode({ name: 'S', interface: 'eth0', vrid: 5, virtualAddresses: ['10.9.9.7'] }, { address: '192.0.2.60', start: false });
    const { VrrpInstance } = await import('../../src/instance.js');
    const linux = new VrrpInstance({ name: 'L', interface: 'eth0', vrid: 6, virtualAddresses: ['10.9.9.6'] });
    expect(() => new VrrpGroup('G', [sim, linux])).toThrow(/members: mixes instances given adapters with instances on the default ones/);
  });
});

describe('a member reconfigured (VrrpInstance.reconfigure)', () => {
  // Given A master of both VRIDs and B backup of both; when A's inside member is reconfigured (priority 190, 2 s
  // adverts) while its group is master
  // then no member on either host moves, A's group stays master, B hears the new interval, and the group still works
  // after it: A's outside check failing moves both of A's members and both of B's, as before the change.
  it('keeps its group master, and the group still moves together after it', async () => {
    net = new SimNetwork({ seed: 22 });
    const checkA = { ok: true };
    const a = host('A', 200, 1, checkA);
    const b = host('B', 100, 2, { ok: true });
    await startAll(a, b);
    await net.advance(5000);
    const before = [a.changes.length, b.changes.length];
    const groupChanges: string[] = [];
    a.group.on('stateChange', ({ from, to }) => groupChanges.push(`${from}>${to}`));
    // The inside member's configuration as host() made it, with the two changes.
    const reconfigured = a.inside.reconfigure({ interface: 'eth0', name: 'A_INSIDE', vrid: 2, virtualAddresses: [INSIDE_VIP], priority: 190, advertIntervalMs: 2000 });
    await net.advance(0);
    await reconfigured;
    await net.advance(8000);
    expect([a.changes.slice(before[0]), b.changes.slice(before[1]), groupChanges]).toEqual([[], [], []]);
    expect([states(a), states(b)]).toEqual([['master', 'master', 'master'], ['backup', 'backup', 'backup']]);
    expect(b.inside.master).toMatchObject({ priority: 190, advertIntervalMs: 2000 });

    checkA.ok = false;
    await net.advance(3000);
    expect(states(a)).toEqual(['fault', 'fault', 'fault']);
    expect(states(b)).toEqual(['master', 'master', 'master']);
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['B_OUTSIDE'], ['B_INSIDE']]);
  });
});

describe('a member reconfigured while its group waits or holds', () => {
  // Given A (100) backup of both and B (200) master of both; when B's inside member stops (priority 0), so that
  // A's inside wishes to go master while A's outside still hears B's outside — and then A's outside is reconfigured
  // then A's inside still waits: the group does not go half master while its sibling is handed over (before, the
  // handover let the sibling leave the group, which granted the wish: A_INSIDE master, A_OUTSIDE backup).
  it('keeps its place in the group while its engine is replaced: no wish is granted in between', async () => {
    net = new SimNetwork({ seed: 5 });
    const a = host('A', 100, 1, { ok: true });
    const b = host('B', 200, 2, { ok: true });
    await startAll(a, b);
    await net.advance(6000);
    await Promise.all([b.inside.stop(), net.advance(0)]);
    await net.advance(6000);
    expect(states(a)).toEqual(['backup', 'backup', 'backup']);
    const reconfigured = a.outside.reconfigure({
      interface: 'eth0',
      name: 'A_OUTSIDE',
      vrid: 1,
      priority: 101,
      advertIntervalMs: 1000,
      virtualAddresses: [OUTSIDE_VIP],
      trackers: [{ type: 'function', name: 'chk', intervalMs: 500, weight: 0, check: () => true }],
    });
    await net.advance(0);
    await reconfigured;
    await net.advance(10_000);
    expect(states(a)).toEqual(['backup', 'backup', 'backup']);
    expect(holder(INSIDE_VIP)).toEqual([]);
  });

  // Given A whose outside member's weight-0 check fails, so that the group holds its inside member in fault; when
  // the outside member is reconfigured without that check
  // then the group lets go: both members leave fault and, with no peer, go master (before, the group kept the
  // removed check's status and held both in fault for good).
  it('lets go once the tracker that faulted its member is gone', async () => {
    net = new SimNetwork({ seed: 6 });
    const a = host('A', 100, 1, { ok: false });
    await startAll(a);
    await net.advance(3000);
    expect(states(a)).toEqual(['fault', 'fault', 'fault']);
    const reconfigured = a.outside.reconfigure({ interface: 'eth0', name: 'A_OUTSIDE', vrid: 1, priority: 100, advertIntervalMs: 1000, virtualAddresses: [OUTSIDE_VIP] });
    await net.advance(0);
    await reconfigured;
    await net.advance(10_000);
    expect(states(a)).toEqual(['master', 'master', 'master']);
  });
});
