/**
 * The master as heard (`router.master`, `masterChange` actions, the `master` of a transition) and the report of a
 * master we outrank (`lowerMasterHeard`): what the app learns about who serves the addresses.
 *
 * The rule under test for both: an action only when something changed. A backup hears its master every interval
 * (10 times a second at 100 ms): the same master again must cost no action; likewise a master answering a rival
 * it outranks reports it once per episode, not per packet.
 *
 * The router is the helpers' v3 router at priority 100 on 192.0.2.10, 1 s adverts, Master_Down_Interval 3609.375 ms.
 */
import { describe, expect, it } from 'vitest';
import { HIGHER_PEER, LOWER_PEER, advertFrom, makeConfig, peerAsMaster, selfAsMaster, startedBackup, startedMaster, transitionsOf, typesOf } from './helpers.js';
import type { RouterAction } from '../../src/core/router.js';

const config = makeConfig();
/** Master_Down_Interval of a priority-50 router with 1 s adverts: 3 × 1000 + (256 − 50) × 1000 / 256. */
const LOW_PEER_DOWN_MS = 3000 + ((256 - 50) * 1000) / 256;

const masterChanges = (actions: readonly RouterAction[]): RouterAction[] => actions.filter((action) => action.type === 'masterChange');
const lowerHeard = (actions: readonly RouterAction[]): RouterAction[] => actions.filter((action) => action.type === 'lowerMasterHeard');

describe('a backup learns the master from its advertisements', () => {
  // Given a backup that just started, then it knows no master.
  it('knows no master before the first advertisement', () => {
    const router = startedBackup(config);
    expect(router.master).toBeUndefined();
  });

  // Given a backup, when the same master advertises 50 times (every 100 ms), then exactly one masterChange comes
  // out, at the first advert.
  it('reports the same master once, not per packet', () => {
    const router = startedBackup(config);
    const all: RouterAction[] = [];
    for (let i = 0; i < 50; i++) all.push(...router.handle(advertFrom(config, HIGHER_PEER, 200), 100 + i * 100));
    expect(all).toEqual([{ type: 'masterChange', master: peerAsMaster(HIGHER_PEER, 200) }]);
  });

  // Given a backup that knows 192.0.2.20 at 200, when that master's priority drops to 150, then another router
  // advertises, then the first one's v3 interval changes: each is one masterChange with the new values.
  it('reports a new priority, a new address and a new interval', () => {
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), 1000);
    expect(router.handle(advertFrom(config, HIGHER_PEER, 150), 2000)).toEqual([{ type: 'masterChange', master: peerAsMaster(HIGHER_PEER, 150) }]);
    expect(router.handle(advertFrom(config, LOWER_PEER, 150), 3000)).toEqual([{ type: 'masterChange', master: peerAsMaster(LOWER_PEER, 150) }]);
    const slower = advertFrom(config, LOWER_PEER, 150, { advertIntervalMs: 2000 });
    expect(router.handle(slower, 4000)).toEqual([{ type: 'masterChange', master: peerAsMaster(LOWER_PEER, 150, 2000) }]);
  });

  // Given a backup that knows 192.0.2.20, when 192.0.2.20 resigns (priority 0), then the master is unknown: one
  // masterChange without a master.
  it('forgets a master that resigns with priority 0', () => {
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), 1000);
    expect(router.handle(advertFrom(config, HIGHER_PEER, 0), 2000)).toEqual([{ type: 'masterChange' }]);
    expect(router.master).toBeUndefined();
  });

  // Given a backup that knows 192.0.2.20, when another router (192.0.2.5) sends priority 0, then the known master
  // stays: a router that is not our master leaving changes nothing we know.
  it("keeps its master when another router's priority 0 arrives", () => {
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), 1000);
    expect(masterChanges(router.handle(advertFrom(config, LOWER_PEER, 0), 2000))).toEqual([]);
    expect(router.master).toEqual(peerAsMaster(HIGHER_PEER, 200));
  });
});

describe('transitions carry the master known in the new state', () => {
  // Given a backup that heard 192.0.2.20, when its Master_Down_Timer runs out, then the transition to Master names
  // this router at its priority, and there is no separate masterChange.
  it('a takeover names ourselves', () => {
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), 1000);
    const actions = router.handle({ type: 'timeout' }, 1000 + 3000 + ((256 - 100) * 1000) / 256);
    expect(transitionsOf(actions)[0]?.master).toEqual(selfAsMaster(config));
    expect(masterChanges(actions)).toEqual([]);
    expect(router.master).toEqual(selfAsMaster(config));
  });

  // Given a master, when a link goes down (fault) and, on another router, when it stops, then the transition
  // carries no master: in Fault and Initialize we hear no one.
  it('fault and stop leave the master unknown', () => {
    const faulted = startedMaster(config);
    const fault = faulted.router.handle({ type: 'link', up: false }, faulted.masterSinceMs + 10);
    expect(transitionsOf(fault)).toEqual([{ type: 'transition', from: 'master', to: 'fault', reason: 'link-down' }]);
    expect(faulted.router.master).toBeUndefined();
    const stopped = startedMaster(config);
    const stop = stopped.router.handle({ type: 'stop' }, stopped.masterSinceMs + 10);
    expect(transitionsOf(stop)).toEqual([{ type: 'transition', from: 'master', to: 'initialize', reason: 'stopped' }]);
    expect(stopped.router.master).toBeUndefined();
  });

  // Given a master that was preempted by 192.0.2.20 at 200, when the same master advertises again, then nothing
  // is reported: the transition already named it.
  it('a preempting master is named by the transition, not again by its next advert', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const yielded = router.handle(advertFrom(config, HIGHER_PEER, 200), masterSinceMs + 100);
    expect(transitionsOf(yielded)[0]?.master).toEqual(peerAsMaster(HIGHER_PEER, 200));
    expect(router.handle(advertFrom(config, HIGHER_PEER, 200), masterSinceMs + 1100)).toEqual([]);
  });
});

describe('a master that hears a master it outranks (a healed split brain)', () => {
  // Given a master at 100, when a priority-50 master advertises, then after the answer and the announce comes one
  // lowerMasterHeard with its address, priority and interval.
  it('reports the outranked master after answering it', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const actions = router.handle(advertFrom(config, LOWER_PEER, 50), masterSinceMs + 100);
    expect(typesOf(actions)).toEqual(['send', 'announce', 'lowerMasterHeard']);
    expect(lowerHeard(actions)).toEqual([{ type: 'lowerMasterHeard', src: LOWER_PEER, priority: 50, advertIntervalMs: 1000 }]);
  });

  // Given a master whose rival cannot hear it (a one-way partition) and keeps advertising every second for 20 s,
  // then the rival is reported once, though each of its adverts is still answered.
  it('reports a rival that keeps advertising once per episode, not per packet', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const all: RouterAction[] = [];
    for (let i = 1; i <= 20; i++) all.push(...router.handle(advertFrom(config, LOWER_PEER, 50), masterSinceMs + i * 1000 - 500));
    expect(lowerHeard(all)).toHaveLength(1);
    expect(all.filter((action) => action.type === 'announce')).toHaveLength(20);
  });

  // Given a reported rival, when it is silent for just under its Master_Down_Interval and then advertises, then it
  // is the same episode; when it is then silent for longer than that interval, its next advert is a new episode.
  it('reports the rival again after it was silent for its Master_Down_Interval', () => {
    const { router, masterSinceMs } = startedMaster(config);
    let t = masterSinceMs + 100;
    router.handle(advertFrom(config, LOWER_PEER, 50), t);
    t += LOW_PEER_DOWN_MS;
    expect(lowerHeard(router.handle(advertFrom(config, LOWER_PEER, 50), t)), 'silent for exactly the interval').toEqual([]);
    t += LOW_PEER_DOWN_MS + 1;
    expect(lowerHeard(router.handle(advertFrom(config, LOWER_PEER, 50), t))).toHaveLength(1);
  });

  // Given a reported rival at 50, when it advertises 60, and then another router advertises, then each is a new
  // report: a new priority or address is news.
  it('reports a new priority or a new address of the rival', () => {
    const { router, masterSinceMs } = startedMaster(config);
    router.handle(advertFrom(config, LOWER_PEER, 50), masterSinceMs + 100);
    expect(lowerHeard(router.handle(advertFrom(config, LOWER_PEER, 60), masterSinceMs + 200))).toHaveLength(1);
    expect(lowerHeard(router.handle(advertFrom(config, HIGHER_PEER, 60), masterSinceMs + 300))).toHaveLength(1);
  });

  // Given a master that reported a rival, lost mastership and won it back, when the rival is heard again at once,
  // then it is reported again: a new mastership starts a new episode.
  it('starts a new episode with each mastership', () => {
    const { router, masterSinceMs } = startedMaster(config);
    router.handle(advertFrom(config, LOWER_PEER, 50), masterSinceMs + 100);
    router.handle(advertFrom(config, HIGHER_PEER, 200), masterSinceMs + 200); // → backup
    router.handle(advertFrom(config, HIGHER_PEER, 0), masterSinceMs + 300); // it resigns: we take over at Skew_Time
    router.handle({ type: 'timeout' }, router.nextDeadline() ?? Infinity);
    expect(router.state).toBe('master');
    expect(lowerHeard(router.handle(advertFrom(config, LOWER_PEER, 50), masterSinceMs + 1000))).toHaveLength(1);
  });

  // Given a master at 100 on 192.0.2.10, when a higher-priority or an equal-priority higher-address master
  // advertises, then it yields and reports no rival: it is the one outranked.
  it('does not report a master that outranks it', () => {
    const { router, masterSinceMs } = startedMaster(config);
    expect(lowerHeard(router.handle(advertFrom(config, HIGHER_PEER, 100), masterSinceMs + 100))).toEqual([]);
    expect(router.state).toBe('backup');
  });
});
