/**
 * Sync groups in virtual time: two hosts, A (priority 200) and B (100), each with an outside (VRID 1) and an
 * inside (VRID 2) instance in one VrrpGroup. One member's trouble on A must move both VIPs to B, and recovery must
 * bring both back; the group's own state and events follow its members.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { vrrpWarningsDuring } from '../support/warnings.js';
import type { VrrpConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { VrrpGroup, type GroupStateChangeEvent } from '../../src/group.js';
import type { VrrpInstance } from '../../src/instance.js';
import { SimNetwork } from '../../src/testing/index.js';

const OUTSIDE_VIP = '203.0.113.10';
const INSIDE_VIP = '10.0.0.10';

interface Host {
  outside: VrrpInstance;
  inside: VrrpInstance;
  group: VrrpGroup;
  events: string[];
}

let net: SimNetwork;

afterEach(async () => {
  await net?.stopAll();
});

/**
 * A host with its two members, a check on the outside member (and, with `insideHealth`, one on the inside member)
 * that the test can fail, and its group.
 */
function host(name: string, priority: number, index: number, health: { ok: boolean }, insideHealth?: { ok: boolean }): Host {
  const base = { interface: 'eth0', priority, advertIntervalMs: 1000 } satisfies Partial<VrrpConfig>;
  const outside = net.addNode(
    {
      ...base,
      name: `${name}_OUTSIDE`,
      vrid: 1,
      virtualAddresses: [OUTSIDE_VIP],
      trackers: [{ type: 'function', name: 'chk_db', intervalMs: 500, check: () => health.ok }],
    },
    { address: `192.0.2.${index}`, start: false },
  );
  const inside = net.addNode(
    {
      ...base,
      name: `${name}_INSIDE`,
      vrid: 2,
      virtualAddresses: [INSIDE_VIP],
      ...(insideHealth ? { trackers: [{ type: 'function' as const, name: 'chk_inside', intervalMs: 500, check: () => insideHealth.ok }] } : {}),
    },
    { address: `192.0.2.${index + 10}`, start: false },
  );
  const group = new VrrpGroup(name, [outside, inside]);
  const events: string[] = [];
  group.on('stateChange', (event: GroupStateChangeEvent) => events.push(`${event.from}→${event.to} ${event.reason} ${event.member}${event.detail ? ` (${event.detail})` : ''}`));
  return { outside, inside, group, events };
}

const vipsOf = (instance: VrrpInstance): string[] => [...net.node(instance).vips.addresses].map((vip) => vip.split('/')[0] ?? vip);
const holder = (vip: string): string[] => net.nodes.filter((node) => vipsOf(node.instance).includes(vip)).map((node) => node.name);

async function startAll(...hosts: Host[]): Promise<void> {
  const started = Promise.all(hosts.map((h) => h.group.start()));
  await net.advance(10);
  await started;
}

describe('VrrpGroup', () => {
  // Given A (200) and B (100), each a group of an outside and an inside instance
  // when A's outside check fails, then recovers
  // then A's inside instance faults with it and B takes both VIPs; on recovery A takes both back.
  it("one member's tracker fails: every member faults, the peer group takes all VIPs, and recovery brings them back", async () => {
    net = new SimNetwork({ seed: 7 });
    const healthA = { ok: true };
    const a = host('A', 200, 1, healthA);
    const b = host('B', 100, 2, { ok: true });
    await startAll(a, b);
    await net.advance(5000);
    net.assert(a.group.state === 'master' && b.group.state === 'backup', `A ${a.group.state}, B ${b.group.state}`);
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['A_OUTSIDE'], ['A_INSIDE']]);

    healthA.ok = false;
    await net.advance(600);
    // The inside member is healthy: it is in fault only because the group holds it there.
    expect([a.outside.state, a.inside.state]).toEqual(['fault', 'fault']);
    expect(a.group.isHolding(a.inside)).toBe(true);
    expect(a.group.state).toBe('fault');
    // A master that faults sends priority 0: B takes over after its skew time, not a whole Master_Down_Interval.
    await net.advance(1000);
    expect([b.outside.state, b.inside.state, b.group.state]).toEqual(['master', 'master', 'master']);
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['B_OUTSIDE'], ['B_INSIDE']]);

    healthA.ok = true;
    await net.advance(600);
    expect([a.outside.state, a.inside.state, a.group.state]).toEqual(['backup', 'backup', 'backup']);
    expect(a.group.isHolding(a.inside)).toBe(false);
    await net.advance(5000);
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['A_OUTSIDE'], ['A_INSIDE']]);
    // The group's events name the member whose transition completed the change; only the fault's is predictable.
    expect(a.events.map((line) => (line.includes('member-fault') ? line : line.replace(/ A_\w+$/, '')))).toEqual([
      'initialize→backup members-backup',
      'backup→master members-master',
      'master→fault member-fault A_OUTSIDE (tracker-down: chk_db)',
      'fault→backup members-backup',
      'backup→master members-master',
    ]);
    expect(b.events.map((line) => line.split(' ')[0])).toEqual(['initialize→backup', 'backup→master', 'master→backup']);
  });

  // Given A's members with app listeners that throw at every trackerChange and stateChange, registered before the
  // group was made (eventemitter3 stops at a listener that throws)
  // when A's outside check fails
  // then the group still hears it: A's inside member is held in fault, and B takes both VIPs.
  it('hears its members past app listeners that throw', async () => {
    net = new SimNetwork({ seed: 7 });
    const healthA = { ok: true };
    const base = { interface: 'eth0', priority: 200, advertIntervalMs: 1000 } satisfies Partial<VrrpConfig>;
    const outside = net.addNode(
      { ...base, name: 'A_OUTSIDE', vrid: 1, virtualAddresses: [OUTSIDE_VIP], trackers: [{ type: 'function', name: 'chk_db', intervalMs: 500, check: () => healthA.ok }] },
      { address: '192.0.2.1', start: false },
    );
    const inside = net.addNode({ ...base, name: 'A_INSIDE', vrid: 2, virtualAddresses: [INSIDE_VIP] }, { address: '192.0.2.11', start: false });
    const thrown: string[] = [];
    for (const member of [outside, inside]) {
      member.on('error', (error) => thrown.push(error.code));
      member.on('trackerChange', () => {
        throw new Error('app bug');
      });
      member.on('stateChange', () => {
        throw new Error('app bug');
      });
    }
    const a = { outside, inside, group: new VrrpGroup('A', [outside, inside]), events: [] };
    const b = host('B', 100, 2, { ok: true });
    await startAll(a, b);
    await net.advance(5000);
    expect([a.group.state, b.group.state]).toEqual(['master', 'backup']);
    healthA.ok = false;
    await net.advance(1600);
    expect([outside.state, inside.state, a.group.isHolding(inside)]).toEqual(['fault', 'fault', true]);
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['B_OUTSIDE'], ['B_INSIDE']]);
    expect(new Set(thrown), 'the app listeners\' throws are reported').toEqual(new Set(['listener_failed']));
  });

  // Given A master of both; when A's inside link goes down (a fault the group sees only as a transition), then up
  // then A's outside member faults with it and B serves both; on link up both come back to A.
  it("a member's link down faults the group; link up brings the VIPs back", async () => {
    net = new SimNetwork({ seed: 11 });
    const a = host('A', 200, 1, { ok: true });
    const b = host('B', 100, 2, { ok: true });
    await startAll(a, b);
    await net.advance(5000);
    net.setLink(a.inside, false);
    // A cut link says nothing to the peer: B's inside member waits out its Master_Down_Interval (about 3.2 s).
    await net.advance(4000);
    expect([a.outside.state, a.inside.state, a.group.state]).toEqual(['fault', 'fault', 'fault']);
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['B_OUTSIDE'], ['B_INSIDE']]);
    // The inside member is not held: its link is what keeps it in fault, and its recovery must show.
    expect([a.group.isHolding(a.outside), a.group.isHolding(a.inside)]).toEqual([true, false]);
    expect(a.events.at(-1)).toBe('master→fault member-fault A_INSIDE (link-down)');
    net.setLink(a.inside, true);
    await net.advance(6000);
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['A_OUTSIDE'], ['A_INSIDE']]);
    expect(a.group.state).toBe('master');
  });

  // Given A's outside check failing (so the inside member is held); when the inside link goes down while held —
  // which the group cannot see — and the outside check recovers
  // then the release finds the inside member still in fault, holds the outside member again, and B keeps both
  // VIPs all along; once the link is back, A takes both.
  it('a fault that began while held is found at release, and the group faults again', async () => {
    net = new SimNetwork({ seed: 12 });
    const healthA = { ok: true };
    const a = host('A', 200, 1, healthA);
    const b = host('B', 100, 2, { ok: true });
    await startAll(a, b);
    await net.advance(5000);
    healthA.ok = false;
    await net.advance(2000);
    net.setLink(a.inside, false);
    await net.advance(1000);
    const heldAt = net.trace.length;
    healthA.ok = true;
    await net.advance(3000);
    expect([a.outside.state, a.inside.state, a.group.state]).toEqual(['fault', 'fault', 'fault']);
    expect(a.group.isHolding(a.outside)).toBe(true);
    // A never claimed a VIP meanwhile: the outside member went to backup for a moment, which sends nothing.
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['B_OUTSIDE'], ['B_INSIDE']]);
    const sentByA = net.trace.slice(heldAt).filter((entry) => entry.kind === 'send' && entry.node.startsWith('A_'));
    expect(sentByA).toEqual([]);
    expect(a.events.at(-1)).toBe('master→fault member-fault A_OUTSIDE (tracker-down: chk_db)');
    net.setLink(a.inside, true);
    await net.advance(6000);
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP), a.group.state]).toEqual([['A_OUTSIDE'], ['A_INSIDE'], 'master']);
  });

  // Given both of A's members faulty by their own checks; when the outside check recovers first
  // then the outside member stays in fault (no backup in between) until the inside check recovers too.
  it('a member that recovers first stays in fault while another member is faulty', async () => {
    net = new SimNetwork({ seed: 13 });
    const outsideOk = { ok: true };
    const insideOk = { ok: true };
    const a = host('A', 200, 1, outsideOk, insideOk);
    const b = host('B', 100, 2, { ok: true });
    const outsideStates: string[] = [];
    a.outside.on('stateChange', (event) => outsideStates.push(event.to));
    await startAll(a, b);
    await net.advance(5000);
    outsideOk.ok = false;
    insideOk.ok = false;
    await net.advance(1000);
    outsideOk.ok = true;
    await net.advance(3000);
    expect([a.outside.state, a.inside.state, a.group.state]).toEqual(['fault', 'fault', 'fault']);
    insideOk.ok = true;
    await net.advance(6000);
    expect(outsideStates).toEqual(['backup', 'master', 'fault', 'backup', 'master']);
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['A_OUTSIDE'], ['A_INSIDE']]);
  });

  // Given a member whose weight-0 check starts failed (initFail); when the groups start
  // then the other member starts in fault too, and B serves both VIPs from the start.
  it('a member faulty at startup holds the others from their first transition', async () => {
    net = new SimNetwork({ seed: 14 });
    const a = host('A', 200, 1, { ok: false });
    const b = host('B', 100, 2, { ok: true });
    const insideStates: string[] = [];
    a.inside.on('stateChange', (event) => insideStates.push(event.to));
    await startAll(a, b);
    await net.advance(5000);
    expect([a.outside.state, a.inside.state, a.group.state]).toEqual(['fault', 'fault', 'fault']);
    expect(insideStates).not.toContain('master');
    expect([holder(OUTSIDE_VIP), holder(INSIDE_VIP)]).toEqual([['B_OUTSIDE'], ['B_INSIDE']]);
  });

  // Given a running group; when it stops; then every member stops and the group emits stop (state initialize).
  it('stops with its members', async () => {
    net = new SimNetwork({ seed: 15 });
    const a = host('A', 200, 1, { ok: true });
    await startAll(a);
    await net.advance(5000);
    const stopped: GroupStateChangeEvent[] = [];
    a.group.on('stop', (event) => stopped.push(event));
    const stopping = a.group.stop();
    await net.advance(10);
    await stopping;
    expect([a.outside.state, a.inside.state, a.group.state]).toEqual(['initialize', 'initialize', 'initialize']);
    expect(stopped).toMatchObject([{ from: 'master', to: 'initialize', reason: 'stopped' }]);
  });

  // Given a group 'master' listener that throws and nobody listening for the group's 'error'
  // then the failure is a process warning (eventemitter3 drops an unheard 'error'), not silence.
  it("turns a group error nobody listens for into a process warning", async () => {
    net = new SimNetwork({ seed: 17 });
    const a = host('A', 200, 1, { ok: true });
    a.group.on('master', () => {
      throw new Error('listener kaput');
    });
    const warnings = await vrrpWarningsDuring(async () => {
      await startAll(a);
      await net.advance(5000);
    });
    expect(a.group.state).toBe('master');
    expect(warnings.map((warning) => warning.code)).toEqual(['VRRP_LISTENER_FAILED']);
    expect(warnings[0]?.message).toContain('listener kaput');
  });

  // Given a member's onMaster hook that stops the whole group and awaits it (hookTimeoutMs 30 s, the default)
  // when the group becomes master
  // then the group's stop settles within the same second, every member stopped, and no hook is reported late.
  it("group.stop() called from a member's hook does not wait on that hook", async () => {
    net = new SimNetwork({ seed: 19 });
    const a = host('A', 200, 1, { ok: true });
    const reported: string[] = [];
    a.inside.on('hookError', (event) => reported.push(event.error.code));
    let stopSettled = false;
    a.inside.onMaster(async () => {
      await a.group.stop();
      stopSettled = true;
    });
    await startAll(a);
    await net.advance(5000);
    expect(stopSettled, "group.stop() from the member's hook is still waiting (on that hook)").toBe(true);
    expect([a.outside.state, a.inside.state, a.group.state]).toEqual(['initialize', 'initialize', 'initialize']);
    await net.advance(60_000);
    expect(reported).toEqual([]);
  });

  // Given a group 'master' listener that throws, and a group 'error' listener that throws too
  // then the second failure is a process warning naming both, not dropped without a word.
  it("turns a group 'error' listener that throws into a process warning", async () => {
    net = new SimNetwork({ seed: 17 });
    const a = host('A', 200, 1, { ok: true });
    a.group.on('master', () => {
      throw new Error('listener kaput');
    });
    a.group.on('error', () => {
      throw new Error('error listener kaput');
    });
    const warnings = await vrrpWarningsDuring(async () => {
      await startAll(a);
      await net.advance(5000);
    });
    expect(a.group.state).toBe('master');
    expect(warnings.map((warning) => warning.code), "the group's throwing error listener passed unseen").toEqual(['VRRP_LISTENER_FAILED']);
    expect(warnings[0]?.message).toMatch(/error listener threw: error listener kaput/);
    expect(warnings[0]?.message).toContain('listener kaput');
  });

  // Given a member of group A, when it is reconfigured with a tracker named like the group's hidden hold
  // (`sync_group:A`), then the reconfiguration is refused naming that tracker, as the group's constructor refuses it:
  // the member would read the group's hold as its own tracker and stay in fault for good.
  it("refuses a member's reconfiguration with a tracker named like the group's hold", async () => {
    net = new SimNetwork({ seed: 18 });
    const a = host('A', 200, 1, { ok: true });
    await startAll(a);
    await net.advance(5000);
    const config = { interface: 'eth0', name: 'A_INSIDE', vrid: 2, priority: 200, virtualAddresses: [INSIDE_VIP] };
    const reconfiguring = a.inside.reconfigure({ ...config, trackers: [{ type: 'function', name: 'sync_group:A', check: () => true }] });
    const error = await reconfiguring.catch((caught: unknown) => caught);
    expect(error, 'the reconfiguration was accepted').toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([{ path: 'trackers.0.name', message: "is the name of its sync group's hold (sync_group:A): rename the tracker" }]);
    expect([a.inside.state, a.inside.config.trackers]).toEqual(['master', []]);
  });

  // Given instances already running, in another group, or listed twice; then the group refuses them, naming each.
  it('refuses running members, members of another group and repeated members', async () => {
    net = new SimNetwork({ seed: 16 });
    const running = net.addNode({ name: 'R', interface: 'eth0', vrid: 3, virtualAddresses: ['10.9.9.9'] }, { address: '192.0.2.50' });
    const x = net.addNode({ name: 'X', interface: 'eth0', vrid: 4, virtualAddresses: ['10.9.9.8'] }, { address: '192.0.2.51', start: false });
    await net.advance(10);
    new VrrpGroup('G1', [x]);
    expect(() => new VrrpGroup('G2', [running, x, running])).toThrow(/members\.0: R is running[\s\S]*members\.1: X is already in sync group G1[\s\S]*members\.2: R is listed twice/);
  });
});
