/**
 * Master state: "If an ADVERTISEMENT is received" and "If a Shutdown event is received" (RFC 9568 §6.4.3,
 * RFC 3768 §6.4.3).
 *
 * The master under test is a non-owner at priority 100 (primary 192.0.2.10, 1 s adverts) that became Master by
 * letting its first Master_Down_Timer run out at T = 3609.375; its Adver_Timer is then due at T + 1000.
 */
import { describe, it, expect } from 'vitest';
import {
  HIGHER_PEER,
  LOWER_PEER,
  advertFrom,
  makeConfig,
  peerAsMaster,
  sentPriorities,
  startedMaster,
  transitionsOf,
  typesOf,
} from './helpers.js';

const config = makeConfig({ version: 3, priority: 100, advertIntervalMs: 1000 });

describe('a higher-priority advertisement', () => {
  // Given a master at 100, when a priority-200 advert arrives (here from a lower address: priority wins first),
  // then it removes the VIPs and only then reports Backup.
  it('makes the master remove its VIPs, then transition to Backup', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const actions = router.handle(advertFrom(config, LOWER_PEER, 200), masterSinceMs + 100);
    expect(typesOf(actions)).toEqual(['removeVips', 'transition']);
    expect(router.state).toBe('backup');
  });

  // Given a master at 100, when a priority-200 advert arrives from 192.0.2.5,
  // then the transition names the reason 'higher-priority-advertisement', the new master as peer, and that master
  // as the one now known.
  it("reports reason 'higher-priority-advertisement' with the sender as peer", () => {
    const { router, masterSinceMs } = startedMaster(config);
    const actions = router.handle(advertFrom(config, LOWER_PEER, 200), masterSinceMs + 100);
    expect(transitionsOf(actions)).toEqual([
      { type: 'transition', from: 'master', to: 'backup', reason: 'higher-priority-advertisement', peer: LOWER_PEER, master: peerAsMaster(LOWER_PEER, 200) },
    ]);
  });

  // Given a master at 100, when it yields to a higher master at t,
  // then it sends nothing (no priority 0: it is not leaving, it lost) and arms a full Master_Down_Timer at
  // t + 3 × 1000 + 156 × 1000 / 256.
  it('arms a full Master_Down_Timer from the instant it yields', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const t = masterSinceMs + 100;
    router.handle(advertFrom(config, HIGHER_PEER, 200), t);
    expect(router.nextDeadline()).toBe(t + 3000 + ((256 - 100) * 1000) / 256);
  });

  // Given a v3 master advertising every 1000 ms, when a higher master advertising 2000 ms wins at t,
  // then "Set Master_Adver_Interval to Adver Interval contained in the ADVERTISEMENT": the down timer is
  // t + 3 × 2000 + 156 × 2000 / 256.
  it("adopts the new master's interval for its down timer (v3)", () => {
    const { router, masterSinceMs } = startedMaster(config);
    const t = masterSinceMs + 100;
    router.handle(advertFrom(config, HIGHER_PEER, 200, { advertIntervalMs: 2000 }), t);
    expect(router.masterAdverIntervalMs).toBe(2000);
    expect(router.nextDeadline()).toBe(t + 3 * 2000 + ((256 - 100) * 2000) / 256);
  });

  // Given a master at 100, when the address owner (255) advertises,
  // then the master yields.
  it("yields to the address owner's priority 255", () => {
    const { router, masterSinceMs } = startedMaster(config);
    router.handle(advertFrom(config, LOWER_PEER, 255), masterSinceMs + 100);
    expect(router.state).toBe('backup');
  });
});

describe('an equal-priority advertisement: the higher primary address wins', () => {
  // Given a master at 100 on 192.0.2.10, when priority 100 arrives from 192.0.2.20,
  // then it removes the VIPs and becomes Backup with reason 'equal-priority-higher-address', peer 192.0.2.20.
  it('from a higher address makes the master yield', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 100), masterSinceMs + 100);
    expect(typesOf(actions)).toEqual(['removeVips', 'transition']);
    expect(transitionsOf(actions)).toEqual([
      { type: 'transition', from: 'master', to: 'backup', reason: 'equal-priority-higher-address', peer: HIGHER_PEER, master: peerAsMaster(HIGHER_PEER, 100) },
    ]);
  });

  // Given a master at 100 on 192.0.2.10, when priority 100 arrives from 192.0.2.5,
  // then it stays Master, answering at once with its own advertisement and re-announcing its VIPs, and reports
  // the master it outranks (lowerMasterHeard).
  it('from a lower address is answered with an advertisement and an announce', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const actions = router.handle(advertFrom(config, LOWER_PEER, 100), masterSinceMs + 100);
    expect(typesOf(actions)).toEqual(['send', 'announce', 'lowerMasterHeard']);
    expect(sentPriorities(actions)).toEqual([100]);
    expect(router.state).toBe('master');
  });

  // Given a master whose primary address is 10.0.0.1, when priority 100 arrives from 192.0.2.1,
  // then it yields: addresses compare as unsigned bytes (0xc0 > 0x0a), not as signed numbers.
  it('compares addresses as unsigned integers in network byte order', () => {
    const low = makeConfig({ priority: 100, primaryAddress: '10.0.0.1' });
    const { router, masterSinceMs } = startedMaster(low);
    router.handle(advertFrom(low, '192.0.2.1', 100), masterSinceMs + 100);
    expect(router.state).toBe('backup');
  });

  // Given an IPv6 v3 master on fe80::10, when priority 100 arrives from fe80::8000,
  // then it yields to the higher link-local address.
  it('breaks the tie on IPv6 link-local addresses too', () => {
    const v6 = makeConfig({
      family: 'ipv6',
      primaryAddress: 'fe80::10',
      destinations: ['ff02::12'],
      virtualAddresses: ['2001:db8::100'],
    });
    const { router, masterSinceMs } = startedMaster(v6);
    const actions = router.handle(advertFrom(v6, 'fe80::8000', 100), masterSinceMs + 100);
    expect(transitionsOf(actions)).toEqual([
      {
        type: 'transition',
        from: 'master',
        to: 'backup',
        reason: 'equal-priority-higher-address',
        peer: 'fe80::8000',
        master: peerAsMaster('fe80::8000', 100),
      },
    ]);
  });
});

describe('a lower-priority advertisement', () => {
  // Given a master at 100, when a priority-50 advert arrives at t,
  // then in that same call it answers with an advertisement at its own priority (RFC 9568 §6.4.3) and re-announces,
  // and only then reports the healed split (lowerMasterHeard).
  it('is answered at once with an advertisement and an announce', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 50), masterSinceMs + 100);
    expect(typesOf(actions)).toEqual(['send', 'announce', 'lowerMasterHeard']);
    expect(sentPriorities(actions)).toEqual([100]);
  });

  // Given a master at 100, when a priority-50 advert arrives,
  // then it stays Master.
  it('leaves the master in Master', () => {
    const { router, masterSinceMs } = startedMaster(config);
    router.handle(advertFrom(config, HIGHER_PEER, 50), masterSinceMs + 100);
    expect(router.state).toBe('master');
  });

  // Given a master whose Adver_Timer is due at T + 1000, when it answers a lower-priority advert at T + 400,
  // then the Adver_Timer keeps its rhythm: still due at T + 1000.
  it('does not move the Adver_Timer', () => {
    const { router, masterSinceMs } = startedMaster(config);
    router.handle(advertFrom(config, HIGHER_PEER, 50), masterSinceMs + 400);
    expect(router.nextDeadline()).toBe(masterSinceMs + 1000);
  });

  // Given a master frozen (SIGSTOP) from T + 100 to T + 5100 while a priority-50 peer took over and advertised every
  // second, when the four adverts that waited in its socket are read at T + 5100 (each dated at its arrival, its
  // age the rest), then only the first is answered (one advertisement, one announce): an answer sent after an
  // advert arrived answers it already. Answering each sent them all at once — on a link cut during the freeze,
  // each one an error event before the link event put the instance in fault (chaos seed 3244800387).
  it('that waited in a backlog is answered once for the whole backlog', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const readAtMs = masterSinceMs + 5100;
    const answers = [1100, 2100, 3100, 4100].map((arrivedMs) => {
      const arrivedAtMs = masterSinceMs + arrivedMs;
      return router.handle({ ...advertFrom(config, HIGHER_PEER, 50), ageMs: readAtMs - arrivedAtMs }, arrivedAtMs);
    });
    expect(answers.map(typesOf)).toEqual([['send', 'announce', 'lowerMasterHeard'], [], [], []]);
    expect(router.state).toBe('master');
  });

  // Given the same frozen master whose overdue Adver_Timer is stepped first at the thaw (T + 5100), then the backlog
  // (dated at its arrivals, before that step), when fresh adverts arrive a second apart afterwards
  // then each fresh one is answered: the backlog's answer counts as made when it was read (T + 5100), not later by
  // the backlog's age counted again on a time already clamped to the thaw.
  it('answers the adverts that come after a backlog read past an overdue timer', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const readAtMs = masterSinceMs + 5100;
    router.handle({ type: 'timeout' }, readAtMs);
    for (const arrivedMs of [1100, 2100, 3100, 4100]) {
      const arrivedAtMs = masterSinceMs + arrivedMs;
      router.handle({ ...advertFrom(config, HIGHER_PEER, 50), ageMs: readAtMs - arrivedAtMs }, arrivedAtMs);
    }
    const fresh = [5600, 6600, 7600].map((arrivedMs) => typesOf(router.handle({ ...advertFrom(config, HIGHER_PEER, 50), ageMs: 0.1 }, masterSinceMs + arrivedMs)));
    expect(fresh.map((types) => types.includes('send'))).toEqual([true, true, true]);
  });

  // Given a master that answered a lower-priority advert read at once, when the next one arrives an interval later
  // (and is read at once), then it is answered too: a one-way partition still gets an answer per advert.
  it('is answered again when it arrived after the previous answer', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const first = router.handle({ ...advertFrom(config, HIGHER_PEER, 50), ageMs: 0.2 }, masterSinceMs + 100);
    const second = router.handle({ ...advertFrom(config, HIGHER_PEER, 50), ageMs: 0.2 }, masterSinceMs + 1100);
    expect(typesOf(first)).toEqual(['send', 'announce', 'lowerMasterHeard']);
    expect(typesOf(second)).toEqual(['send', 'announce']);
  });
});

describe('a priority-0 advertisement: another master is leaving', () => {
  // Given a master, when a priority-0 advert arrives at T + 400,
  // then it sends one advertisement (nothing else) and resets the Adver_Timer to T + 400 + 1000.
  it('is answered with one advertisement and resets the Adver_Timer to now + interval', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 0), masterSinceMs + 400);
    expect(typesOf(actions)).toEqual(['send']);
    expect(sentPriorities(actions)).toEqual([100]);
    expect(router.nextDeadline()).toBe(masterSinceMs + 400 + 1000);
  });
});

describe('our own advertisement looped back', () => {
  // Given a master, when an advert whose source is our own primary address arrives (even with a higher priority),
  // then it is ignored: no answer (which would ping-pong), no transition.
  it('is ignored by the master', () => {
    const { router, masterSinceMs } = startedMaster(config);
    expect(router.handle(advertFrom(config, config.primaryAddress!, 200), masterSinceMs + 100)).toEqual([]);
    expect(router.state).toBe('master');
  });
});

describe('shutdown', () => {
  // Given a master, when it is stopped,
  // then it sends priority 0, removes the VIPs and reports Initialize with reason 'stopped', in that order.
  it('a stopping master sends priority 0, removes its VIPs, then transitions to Initialize', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const actions = router.handle({ type: 'stop' }, masterSinceMs + 100);
    expect(typesOf(actions)).toEqual(['send', 'removeVips', 'transition']);
    expect(sentPriorities(actions)).toEqual([0]);
    expect(transitionsOf(actions)).toEqual([{ type: 'transition', from: 'master', to: 'initialize', reason: 'stopped' }]);
  });

  // Given a master, when it is stopped,
  // then no timer is left running.
  it('a stopped master has no deadline', () => {
    const { router, masterSinceMs } = startedMaster(config);
    router.handle({ type: 'stop' }, masterSinceMs + 100);
    expect(router.nextDeadline()).toBeUndefined();
    expect(router.state).toBe('initialize');
  });

  // Given a master, when it is stopped,
  // then priorityZeroSent reads 1.
  it('counts the priority-0 advertisement', () => {
    const { router, masterSinceMs } = startedMaster(config);
    router.handle({ type: 'stop' }, masterSinceMs + 100);
    expect(router.stats.priorityZeroSent).toBe(1);
  });

  // Given a backup, when it is stopped,
  // then it sends nothing: only the transition to Initialize.
  it('a stopping backup only transitions to Initialize', () => {
    const { router, masterSinceMs } = startedMaster(config);
    router.handle(advertFrom(config, HIGHER_PEER, 200), masterSinceMs + 100);
    const actions = router.handle({ type: 'stop' }, masterSinceMs + 200);
    expect(actions).toEqual([{ type: 'transition', from: 'backup', to: 'initialize', reason: 'stopped' }]);
  });

  // Given a stopped router, when it is stopped again,
  // then nothing happens.
  it('a second stop is a no-op', () => {
    const { router, masterSinceMs } = startedMaster(config);
    router.handle({ type: 'stop' }, masterSinceMs + 100);
    expect(router.handle({ type: 'stop' }, masterSinceMs + 200)).toEqual([]);
  });
});

describe('the Adver_Timer', () => {
  // Given a master at 100, when its Adver_Timer fires twice,
  // then each answer is the same frozen list of its sends (cached, not rebuilt per advert: a master's most common
  // step), each advert is counted, and the timer is reset one interval on.
  it('answers with its cached, frozen sends, counts each advert and resets the timer', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const sentBefore = router.stats.advertisementsSent;
    const first = router.handle({ type: 'timeout' }, masterSinceMs + 1000);
    const second = router.handle({ type: 'timeout' }, masterSinceMs + 2000);
    expect(typesOf(first)).toEqual(['send']);
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(sentPriorities(first)).toEqual([100]);
    expect(router.stats.advertisementsSent - sentBefore).toBe(2);
    expect(router.nextDeadline()).toBe(masterSinceMs + 3000);
  });
});
