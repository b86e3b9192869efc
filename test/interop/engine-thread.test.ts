/**
 * The engine thread beside keepalived 2.2.7: an app that blocks its main thread for seconds costs no advert, no
 * takeover and no VIP change; its events and hooks arrive afterwards, in order. An `eventLoopLag` tracker makes a
 * truly wedged app give the VIP up. A dead engine thread is reported and leaves no VIP. And 255 instances per
 * family share one socket per interface and family in one process, electing correctly beside keepalived.
 *
 * Our side is the embedded-app fixture (test/interop/fixtures/embedded-instance.mjs) as users get it — no adapters,
 * so the engine runs on its thread — or `vrrp run` for the scale test.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepalivedConf, Lab, labAvailable, poll, requireLab } from './lab.js';
import { keepalivedSide, ourConfig, vipOf } from './scenario.js';
import { startVrrp, type VrrpEvent } from './vrrp-process.js';
import { requestStatus } from '../../src/control.js';

requireLab();

const transitions = (events: readonly VrrpEvent[]): string[] => events.filter((e) => e.event === 'stateChange').map((e) => String(e.to));
const hooks = (events: readonly VrrpEvent[]): string[] => events.filter((e) => e.event === 'hook').map((e) => String(e.state));
const masterLines = (lines: readonly string[]): number => lines.filter((line) => /Entering MASTER STATE/.test(line)).length;

describe.skipIf(!labAvailable.ok)('the engine thread beside keepalived', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'] });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  const holdsVip = async (host: string): Promise<boolean> => (await lab.addresses(host)).includes(vipOf(lab));

  // Given our embedded master (150, 100 ms adverts) and keepalived backup (100)
  // when the app blocks its main thread for 2 s
  // then keepalived never becomes master (no advert was missed) and we still hold the VIP.
  it('a master whose app blocks its main thread for 2 s stays master', async () => {
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 100 }));
    await ka.waitForLog(/Entering MASTER STATE/, 5000); // so that we hear it as master before we preempt it
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }), { embedded: true, flags: ['--block-master', '2000'] });
    await us.waitForState('master', 5000);
    await us.waitFor((e) => e.event === 'blocking', 5000);
    const from = ka.lines.length; // keepalived, started first, may have been master until we preempted it
    await us.waitFor((e) => e.event === 'unblocked', 8000);
    await sleep(300);
    expect(masterLines(ka.lines.slice(from)), ka.lines.slice(-10).join('\n')).toBe(0);
    expect(transitions(us.events)).toEqual(['backup', 'master']);
    expect(await holdsVip('us')).toBe(true);
    expect(await holdsVip('ka')).toBe(false);
    expect(await us.stop(), us.describe()).toBe(0);
    // Counters cross from the engine thread: about 10 adverts a second for the run, priority 0 at the stop.
    const stats = (us.events.find((e) => e.event === 'stopped')?.stats ?? {}) as Record<string, number>;
    expect(stats.advertisementsSent).toBeGreaterThan(20);
    expect(stats.priorityZeroSent).toBe(1);
    expect(stats.masterTransitions).toBe(1);
    // Who leads crosses from the engine thread too: keepalived heard as master first, then ourselves from our
    // takeover (term 1, on the event and on the instance), then nobody once stopped.
    const kaMaster = { address: lab.host('ka').ipv4, priority: 100, advertIntervalMs: 100, self: false };
    const usMaster = { address: lab.host('us').ipv4, priority: 150, advertIntervalMs: 100, self: true };
    const masterChanges = us.events.filter((e) => e.event === 'masterChange').map((e) => e.to);
    expect(masterChanges, us.describe()).toEqual([kaMaster, usMaster, null]);
    expect(us.events.find((e) => e.event === 'stateChange' && e.to === 'master')).toMatchObject({ term: 1, instanceTerm: 1 });
  });

  // Given the same pair, when our link is cut and restored while the app's main thread is blocked
  // then the engine goes to fault, back to backup and preempts back to master — all during the block, the VIP
  // back on our host before the app wakes — and the app then receives the three events and their hooks in order.
  it('transitions during a 3 s block happen on time; events and hooks arrive afterwards, in order', async () => {
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 100 }));
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }), { embedded: true, flags: ['--block-master', '3000'] });
    await us.waitForState('master', 5000);
    const blocking = await us.waitFor((e) => e.event === 'blocking', 5000);
    await lab.linkDown('us', 'host');
    await ka.waitForLog(/Entering MASTER STATE/, 2000);
    await lab.linkUp('us', 'host');
    // Our preemption, seen by keepalived, while our app is still blocked.
    await ka.waitForLog(/Entering BACKUP STATE/, 2000, ka.lines.findIndex((line) => /Entering MASTER STATE/.test(line)));
    await lab.waitForAddress('us', vipOf(lab), { timeoutMs: 1500 });
    expect(us.events.some((e) => e.event === 'unblocked'), 'the app was still blocked when the VIP came back').toBe(false);
    const unblocked = await us.waitFor((e) => e.event === 'unblocked', 5000);
    await us.waitFor((e) => e.event === 'hook' && e.state === 'master', 3000, us.events.indexOf(unblocked));
    const after = us.events.slice(us.events.indexOf(blocking));
    expect(transitions(after)).toEqual(['fault', 'backup', 'master']);
    expect(hooks(after)).toEqual(['fault', 'backup', 'master']);
    // Every one of them reached the app after it woke.
    for (const event of after.filter((e) => e.event === 'stateChange' || e.event === 'hook')) expect(event.atMs).toBeGreaterThanOrEqual(unblocked.atMs);
    await us.stop();
  });

  // Given keepalived master (150) and our embedded backup (100), when the app blocks its main thread for 2 s
  // then we never take over: the engine kept hearing the adverts.
  it('a backup whose app blocks its main thread never takes over from a live master', async () => {
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 150 }));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 100 }), { embedded: true, flags: ['--block', '2000'] });
    await us.waitFor((e) => e.event === 'unblocked', 8000);
    await sleep(500);
    expect(transitions(us.events)).toEqual(['backup']);
    expect(await holdsVip('us')).toBe(false);
    await us.stop();
  });

  // Given our master with an eventLoopLag tracker (weight 0, threshold 500 ms), when the app wedges its main
  // thread for 2 s, then the engine faults (priority 0) and keepalived takes the VIP during the wedge; once the app
  // answers again we recover and preempt back.
  it('an eventLoopLag tracker makes a wedged app give up mastership', async () => {
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 100 }));
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }), { embedded: true, flags: ['--lag-tracker', '500', '--block-master', '2000'] });
    await us.waitForState('master', 5000);
    await us.waitFor((e) => e.event === 'blocking', 5000);
    await ka.waitForLog(/Entering MASTER STATE/, 1500);
    await lab.waitForAddress('ka', vipOf(lab), { timeoutMs: 1000 });
    expect(us.events.some((e) => e.event === 'unblocked'), 'keepalived took over only after the block').toBe(false);
    const unblocked = await us.waitFor((e) => e.event === 'unblocked', 5000);
    await us.waitForState('master', 5000, us.events.indexOf(unblocked));
    expect(transitions(us.events)).toEqual(['backup', 'master', 'fault', 'backup', 'master']);
    await us.stop();
  });

  // Given two instances of ours as masters (VRIDs 51 and 52, each with its VIP) beside keepalived backups
  // when the engine thread dies of an uncaught exception
  // then each instance reports engine_failed and ends its run, both VIPs leave our host (removed from the main
  // thread, as the markers tell), and keepalived takes both over.
  /** Keepalived backups of VRIDs 51 and 52 (started first), and our embedded app with masters of both and `flags`. */
  const BLACKHOLE = '10.79.0.0/16';
  /** us's address on eth1 (see twoMastersBesideKeepalived). */
  const ON_ETH1 = '10.98.0.1';
  const onEth1 = async (): Promise<string[]> => {
    const { stdout } = await lab.exec('us', ['ip', '-j', '-4', 'addr', 'show', 'dev', 'eth1']);
    return (JSON.parse(stdout) as { addr_info: { local: string }[] }[]).flatMap((link) => link.addr_info.map((a) => a.local));
  };
  /** The blackhole routes of ours on us (`ip -j route` names their protocol by number). */
  const blackholes = async (): Promise<string[]> => {
    const { stdout } = await lab.exec('us', ['ip', '-j', 'route', 'show', 'type', 'blackhole', 'proto', '112']);
    return (JSON.parse(stdout) as { dst: string }[]).map((route) => route.dst);
  };
  const twoMastersBesideKeepalived = async (flags: string[]) => {
    const second = lab.ipv4(101);
    const ka = await lab.startKeepalived(
      'ka',
      keepalivedConf({
        routerId: 'ka',
        instances: [
          { name: 'VI', vrid: 51, priority: 100, advertIntervalS: 0.1, vips: [`${vipOf(lab)}/24`], extra: ['garp_master_delay 0'] },
          { name: 'VJ', vrid: 52, priority: 100, advertIntervalS: 0.1, vips: [`${second}/24`], extra: ['garp_master_delay 0'] },
        ],
      }),
    );
    // us holds a route too, and an address on another interface (eth1, a veth pair inside its namespace): the main
    // thread removes them with the VIPs when the engine thread dies.
    await lab.exec('us', ['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p']);
    await lab.exec('us', ['ip', 'link', 'set', 'eth1', 'up']);
    await lab.exec('us', ['ip', 'link', 'set', 'eth1p', 'up']);
    const one = { ...ourConfig(lab, 'us', { priority: 150 }), virtualRoutes: [{ to: BLACKHOLE, type: 'blackhole' }], excludedAddresses: [{ address: `${ON_ETH1}/32`, dev: 'eth1' }] };
    const two = { ...ourConfig(lab, 'us', { priority: 150, vrid: 52 }), name: 'us2', virtualAddresses: [`${second}/24`] };
    return { ka, second, us: startVrrp(lab, 'us', { instances: [one, two] }, { embedded: true, flags }) };
  };

  it('a dead engine thread is reported on every instance and leaves no VIP', async () => {
    const { ka, second, us } = await twoMastersBesideKeepalived(['--kill-engine']);
    // Looked for before the kill, which comes once us has been master for 1 s: after it, the route may be gone.
    await poll('us master: its route', async () => ((await blackholes()).includes(BLACKHOLE) ? true : undefined), 8000);
    expect(await onEth1(), 'us master: its address on eth1').toEqual([ON_ETH1]);
    await us.waitFor((e) => e.event === 'killing-engine', 8000);
    const mark = ka.lines.length; // keepalived, started first, was master until we preempted it
    expect(await lab.addresses('us')).toEqual(expect.arrayContaining([vipOf(lab), second]));
    await us.waitFor((e) => e.event === 'error' && e.code === 'engine_failed' && e.name === 'us', 5000);
    const failed = await us.waitFor((e) => e.event === 'error' && e.code === 'engine_failed' && e.name === 'us2', 5000);
    expect(String(failed.message)).toMatch(/engine thread died \(injected engine thread crash\)/);
    await lab.waitForAddress('us', vipOf(lab), { present: false, timeoutMs: 2000 });
    await lab.waitForAddress('us', second, { present: false, timeoutMs: 2000 });
    await us.waitFor((e) => e.event === 'stateChange' && e.to === 'initialize' && e.name === 'us2', 2000);
    await us.waitFor((e) => e.event === 'stateChange' && e.to === 'initialize' && e.name === 'us', 2000);
    expect(await blackholes(), 'after the death: no route left').toEqual([]);
    expect(await onEth1(), 'after the death: nothing left on eth1').toEqual([]);
    await ka.waitForLog(/\(VI\) Entering MASTER STATE/, 2000, mark);
    await ka.waitForLog(/\(VJ\) Entering MASTER STATE/, 2000, mark);
    await us.stop();
  });

  // Given the same two masters beside keepalived, each started again from its engine_failed handler (as an app would)
  // when the engine thread dies
  // then both start again on a new engine thread, become master again with their VIPs, and the process lives on
  // until stopped. The host's count of running engines once went to -2 at the death, so the new thread was left
  // unref'd and the process exited under the restarted instances; and a start did not wait for the dead thread's
  // VIP clean-up, whose transition to initialize then landed in the new run.
  it('instances started again after the engine thread died run on a new thread and keep the process alive', async () => {
    const { second, us } = await twoMastersBesideKeepalived(['--kill-engine', '--restart-after-kill']);
    const killed = await us.waitFor((e) => e.event === 'killing-engine', 8000);
    const from = us.events.indexOf(killed);
    for (const name of ['us', 'us2']) {
      await us.waitFor((e) => e.event === 'restarted' && e.name === name, 8000, from);
      await us.waitFor((e) => e.event === 'stateChange' && e.to === 'master' && e.name === name, 8000, from);
    }
    // Each run ends before the next begins: after the death, initialize, then backup, then master, per instance.
    for (const name of ['us', 'us2']) {
      const after = us.events.slice(from).filter((e) => e.event === 'stateChange' && e.name === name).map((e) => String(e.to));
      expect(after, us.describe()).toEqual(['initialize', 'backup', 'master']);
    }
    expect(await lab.addresses('us')).toEqual(expect.arrayContaining([vipOf(lab), second]));
    await sleep(1500);
    expect(us.exitCode, us.describe()).toBeNull();
    expect(await us.stop(), us.describe()).toBe(0);
    expect(us.events.some((e) => e.event === 'stopped')).toBe(true);
  });

  // Given our instance, started
  // when the app stops and starts it five times
  // then the engine thread's host has one engine registered: the running one. Each start makes an engine, and the
  // host once kept every one (with its counters' slot and whatever its events' closure held) for the process's life.
  it('an instance stopped and started again leaves no engine of an ended run registered', async () => {
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }), { embedded: true, flags: ['--cycles', '5'] });
    const cycled = await us.waitFor((e) => e.event === 'cycled', 15_000);
    expect(cycled, us.describe()).toMatchObject({ cycles: 5, registeredEngines: 1 });
    expect(await us.stop(), us.describe()).toBe(0);
  });

  // Given our instance with a weight-0 tracker whose first check never ends, so that start() waits in initialize
  // when the engine thread dies 1 s into that start
  // then start() rejects with engine_failed instead of waiting forever, and stop() then returns.
  it('a start still waiting for its first transition when the engine thread dies rejects with engine_failed', async () => {
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }), { embedded: true, flags: ['--kill-engine-while-starting'] });
    await us.waitFor((e) => e.event === 'killing-engine', 8000);
    const ended = await us.waitFor((e) => e.event === 'start-rejected' || e.event === 'started', 5000);
    expect(ended, us.describe()).toMatchObject({ event: 'start-rejected', code: 'engine_failed' });
    await us.waitFor((e) => e.event === 'stopped', 5000);
    expect(await holdsVip('us')).toBe(false);
    expect(await us.stop(), us.describe()).toBe(0);
  });
});

describe.skipIf(!labAvailable.ok)('process exit with the engine thread running', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'] });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  // Given our master (150, 100 ms adverts) beside a keepalived backup (100)
  // when the app calls process.exit(0) without stopping its instance
  // then the process exits 0 (no crash), our VIP is gone, and keepalived takes over because it heard our priority 0
  // (its log says so).
  it('process.exit() stops the instances first: priority 0 sent, VIP removed, clean exit', async () => {
    const ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 100 }));
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }), { embedded: true, flags: ['--exit-when-master'] });
    const mark = ka.lines.length;
    await us.waitFor((e) => e.event === 'exiting', 8000);
    // Our instance sends priority 0 only when it stops: the line can only be the exit's. keepalived's MASTER after it
    // (not its own start's, before we preempted it) is the takeover it caused.
    const zero = await ka.waitForLog(/received priority 0 advertisement/i, 2000, mark);
    await ka.waitForLog(/Entering MASTER STATE/, 2000, ka.lines.lastIndexOf(zero));
    expect(await lab.addresses('us')).not.toContain(vipOf(lab));
    expect(await us.stop(), us.describe()).toBe(0);
  });
});

describe.skipIf(!labAvailable.ok)('255 instances per family in one process beside keepalived', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'], ipv6: true });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  // Given 255 IPv4 and 255 IPv6 instances (VRIDs 1…255 in each family) in one `vrrp run`, and keepalived with the
  // same 510, where we have the higher priority on even VRIDs and keepalived on odd ones
  // when the elections settle
  // then each side holds exactly its half of the 510 VIPs.
  it('510 instances elect correctly: each side holds exactly its half', async () => {
    const vrids = Array.from({ length: 255 }, (_, i) => i + 1);
    const v4 = (vrid: number): string => `198.51.100.${vrid}`;
    const v6 = (vrid: number): string => `2001:db8:ffff::${vrid.toString(16)}`;
    const ours = (vrid: number): boolean => vrid % 2 === 0;
    const instances = vrids.flatMap((vrid) => [
      { name: `v4-${vrid}`, interface: 'eth0', vrid, priority: ours(vrid) ? 150 : 100, advertIntervalMs: 1000, virtualAddresses: [`${v4(vrid)}/32`], garp: { repeat: 1, delayMs: 0 } },
      { name: `v6-${vrid}`, interface: 'eth0', vrid, priority: ours(vrid) ? 150 : 100, advertIntervalMs: 1000, virtualAddresses: [`${v6(vrid)}/128`], garp: { repeat: 1, delayMs: 0 } },
    ]);
    const ka = await lab.startKeepalived(
      'ka',
      keepalivedConf({
        routerId: 'ka',
        instances: vrids.flatMap((vrid) => [
          { name: `V4_${vrid}`, vrid, priority: ours(vrid) ? 100 : 150, advertIntervalS: 1, vips: [`${v4(vrid)}/32`], extra: ['garp_master_delay 0'] },
          { name: `V6_${vrid}`, vrid, priority: ours(vrid) ? 100 : 150, advertIntervalS: 1, vips: [`${v6(vrid)}/128`], extra: ['garp_master_delay 0'] },
        ]),
      }),
      { readyTimeoutMs: 20_000 },
    );
    const us = startVrrp(lab, 'us', { instances });
    await us.waitFor((e) => e.event === 'started', 30_000);
    const expected = (host: 'us' | 'ka'): string[] =>
      vrids.filter((vrid) => (host === 'us') === ours(vrid)).flatMap((vrid) => [v4(vrid), v6(vrid)]).sort();
    const held = async (host: 'us' | 'ka'): Promise<string[]> =>
      (await lab.addresses(host)).filter((a) => a.startsWith('198.51.100.') || a.startsWith('2001:db8:ffff::')).sort();
    // Settled: both sides hold their halves (Master_Down_Interval at 1 s adverts is about 3.6 s).
    const deadline = Date.now() + 30_000;
    let lastUs: string[] = [];
    let lastKa: string[] = [];
    while (Date.now() < deadline) {
      [lastUs, lastKa] = await Promise.all([held('us'), held('ka')]);
      if (lastUs.length === 255 && lastKa.length === 255) break;
      await sleep(500);
    }
    expect(lastUs).toEqual(expected('us'));
    expect(lastKa).toEqual(expected('ka'));
    // Stable: a few seconds later nothing moved, and neither side logged a transition since.
    const kaMark = ka.lines.length;
    const usMark = us.events.length;
    await sleep(3000);
    expect(await held('us')).toEqual(expected('us'));
    expect(await held('ka')).toEqual(expected('ka'));
    expect(ka.lines.slice(kaMark).filter((line) => /Entering \w+ STATE/.test(line))).toEqual([]);
    expect(us.events.slice(usMark).filter((e) => e.event === 'stateChange')).toEqual([]);
    // Every one of our 254 masterships (127 even VRIDs per family) was announced to the app.
    expect(us.events.filter((e) => e.event === 'stateChange' && e.to === 'master')).toHaveLength(254);
    // And each instance's counters are its own (the engines' counters share slabs of memory with the main thread,
    // src/engine/host.ts): every master sent and became master once; every backup neither sent nor became master.
    const status = await requestStatus(us.controlSocket as string);
    const counters = (name: string, key: string): unknown => status.instances.find((i) => i.name === name)?.counters[key];
    const wrong = instances.filter(({ name, vrid }) =>
      ours(vrid)
        ? !((counters(name, 'advertisementsSent') as number) > 0 && counters(name, 'vrrpv3StatisticsMasterTransitions') === 1)
        : !(counters(name, 'advertisementsSent') === 0 && counters(name, 'vrrpv3StatisticsMasterTransitions') === 0 && (counters(name, 'vrrpv3StatisticsRcvdAdvertisements') as number) > 0),
    );
    expect(wrong.map(({ name }) => `${name}: ${JSON.stringify(status.instances.find((i) => i.name === name)?.counters)}`)).toEqual([]);
    await us.stop(20_000);
  }, 120_000);
});
