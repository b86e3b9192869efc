/**
 * The core's side of sync groups (src/engine/sync-group.ts decides; the core only wishes and obeys): a `syncGroup`
 * Backup whose Master_Down_Timer fires wishes instead of taking over, drops the wish when it hears a master it does
 * not preempt, and moves on the group's `sync` word. Timings for v3, priority 100, 1 s adverts: Master_Down_Interval
 * 3000 + Skew_Time 609.375 = 3609.375 ms.
 */
import { describe, expect, it } from 'vitest';
import { advertFrom, HIGHER_PEER, makeConfig, sentPriorities, startedBackup, transitionsOf, typesOf } from './helpers.js';

const DOWN_MS = 3609.375;

describe('sync group member (core)', () => {
  // Given a syncGroup backup; when its Master_Down_Timer fires; then it wishes, stays Backup and re-arms the timer.
  it('wishes to take over instead of taking over when its Master_Down_Timer fires', () => {
    const router = startedBackup(makeConfig({ syncGroup: true }));
    const actions = router.handle({ type: 'timeout' }, DOWN_MS);
    expect(actions).toEqual([{ type: 'wantMaster', want: true }]);
    expect(router.state).toBe('backup');
    expect(router.nextDeadline()).toBe(2 * DOWN_MS);
  });

  // Given a wishing member; when its timer fires again; then it says nothing more (one action per change).
  it('wishes once however often its timer fires', () => {
    const router = startedBackup(makeConfig({ syncGroup: true }));
    router.handle({ type: 'timeout' }, DOWN_MS);
    expect(router.handle({ type: 'timeout' }, 2 * DOWN_MS)).toEqual([]);
  });

  // Given a wishing member; when a master it does not preempt advertises; then the wish is withdrawn.
  it('withdraws its wish when it hears a master it does not preempt', () => {
    const config = makeConfig({ syncGroup: true });
    const router = startedBackup(config);
    router.handle({ type: 'timeout' }, DOWN_MS);
    const actions = router.handle(advertFrom(config, HIGHER_PEER, 150), DOWN_MS + 10);
    expect(actions).toContainEqual({ type: 'wantMaster', want: false });
  });

  // Given a wishing member; when the group says master; then it takes over as its own timer would have.
  it('a granted wish takes over with its own timer as the reason', () => {
    const router = startedBackup(makeConfig({ syncGroup: true }));
    router.handle({ type: 'timeout' }, DOWN_MS);
    const actions = router.handle({ type: 'sync', to: 'master' }, DOWN_MS + 1);
    expect(typesOf(actions)).toEqual(['send', 'addVips', 'announce', 'transition']);
    expect(transitionsOf(actions)[0]).toMatchObject({ from: 'backup', to: 'master', reason: 'master-down-timer-expired' });
  });

  // Given a backup that does not wish (it hears a master); when the group says master; then it takes over anyway.
  it('a member made master by the group sends adverts as master and takes its VIPs', () => {
    const config = makeConfig({ syncGroup: true });
    const router = startedBackup(config);
    router.handle(advertFrom(config, HIGHER_PEER, 150), 100);
    const actions = router.handle({ type: 'sync', to: 'master' }, 200);
    expect(sentPriorities(actions)).toEqual([100]);
    expect(typesOf(actions)).toEqual(['send', 'addVips', 'announce', 'transition']);
    expect(transitionsOf(actions)[0]).toMatchObject({ to: 'master', reason: 'sync-group' });
  });

  // Given a syncGroup master; when the group says backup; then it removes its VIPs and goes silent (no priority 0).
  it('a master made backup sends nothing and removes its VIPs', () => {
    const router = startedBackup(makeConfig({ syncGroup: true }));
    router.handle({ type: 'sync', to: 'master' }, 10);
    const actions = router.handle({ type: 'sync', to: 'backup', resign: false }, 20);
    expect(typesOf(actions)).toEqual(['removeVips', 'transition']);
    expect(transitionsOf(actions)[0]).toMatchObject({ from: 'master', to: 'backup', reason: 'sync-group' });
  });

  // Given a syncGroup master; when the group says resign (a sibling faulted); then it sends priority 0 first.
  it('a master told to resign sends priority 0 before removing its VIPs', () => {
    const router = startedBackup(makeConfig({ syncGroup: true }));
    router.handle({ type: 'sync', to: 'master' }, 10);
    const actions = router.handle({ type: 'sync', to: 'backup', resign: true }, 20);
    expect(sentPriorities(actions)).toEqual([0]);
    expect(typesOf(actions)).toEqual(['send', 'removeVips', 'transition']);
  });

  // Given a router outside any group; when told sync master; then it ignores it (its own election rules).
  it('a router outside a sync group ignores the group word', () => {
    const router = startedBackup(makeConfig());
    expect(router.handle({ type: 'sync', to: 'master' }, 10)).toEqual([]);
    expect(router.state).toBe('backup');
  });
});
