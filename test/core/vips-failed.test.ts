/**
 * A master whose addresses could not be added (the `vips` input): it faults rather than claim a mastership without
 * them, with priority 0 so a peer serves at once, and comes back through Backup when told to try again.
 */
import { describe, expect, it } from 'vitest';
import { makeConfig, sentPriorities, startedBackup, startedMaster, transitionsOf, typesOf } from './helpers.js';

const config = makeConfig({ version: 3, priority: 100, advertIntervalMs: 1000 });

describe('the vips input', () => {
  // Given a master, when told its VIPs are down, then it sends priority 0, removes what it added and faults with
  // reason 'vip-failed'.
  it('faults a master with priority 0 and reason vip-failed', () => {
    const { router, masterSinceMs } = startedMaster(config);
    const actions = router.handle({ type: 'vips', up: false }, masterSinceMs);
    expect(sentPriorities(actions)).toEqual([0]);
    expect(typesOf(actions)).toEqual(['send', 'removeVips', 'transition']);
    expect(transitionsOf(actions)[0]).toMatchObject({ from: 'master', to: 'fault', reason: 'vip-failed' });
    expect(router.nextDeadline()).toBeUndefined();
  });

  // Given a faulted router, when told to try again, then it starts over as Backup ('fault-cleared').
  it('leaves fault through backup when told the VIPs may be tried again', () => {
    const { router, masterSinceMs } = startedMaster(config);
    router.handle({ type: 'vips', up: false }, masterSinceMs);
    const actions = router.handle({ type: 'vips', up: true }, masterSinceMs + 1000);
    expect(transitionsOf(actions)[0]).toMatchObject({ from: 'fault', to: 'backup', reason: 'fault-cleared' });
    expect(router.state).toBe('backup');
  });

  // Given a router faulted for its addresses whose link then goes down, when the addresses may be tried again,
  // then it stays in fault: the link is still down.
  it('stays in fault until both the link and the addresses are back', () => {
    const router = startedBackup(config);
    router.handle({ type: 'vips', up: false }, 10);
    const actions = router.handle({ type: 'link', up: false }, 20);
    expect(transitionsOf(actions)).toEqual([]);
    router.handle({ type: 'vips', up: true }, 30);
    expect(router.state).toBe('fault');
  });

  // Given a backup, when told its addresses cannot be held, then it faults too (it could not serve as master).
  it('faults a backup told its addresses cannot be held', () => {
    const router = startedBackup(config);
    const actions = router.handle({ type: 'vips', up: false }, 10);
    expect(transitionsOf(actions)[0]).toMatchObject({ from: 'backup', to: 'fault', reason: 'vip-failed' });
  });
});
