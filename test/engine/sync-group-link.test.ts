/**
 * The sync group's link (src/engine/sync-group.ts) when a member's step throws: the other members are still told,
 * and the failure reaches the caller. On bare members, no engine. (That the notices queued behind a failure are
 * handled at once, not at the next notice, has no test: replayed later they lead to the same states.)
 */
import { describe, expect, it } from 'vitest';
import type { RouterInput } from '../../src/core/router.js';
import { syncGroupLink, type SyncMember } from '../../src/engine/sync-group.js';

type SyncInput = Extract<RouterInput, { type: 'sync' }>;

/** A member that records what the link told it, and throws on its first sync when `fails`. */
function member(fails = false): SyncMember & { told: SyncInput[] } {
  const told: SyncInput[] = [];
  let failed = false;
  return {
    told,
    sync(input) {
      told.push(input);
      if (fails && !failed) {
        failed = true;
        throw new Error('step failed');
      }
    },
  };
}

let groups = 0;

/** A fresh link with every member joined and in Backup. */
function backupGroup(...members: SyncMember[]): ReturnType<typeof syncGroupLink> {
  const link = syncGroupLink(`sync-group-link-test-${++groups}`);
  for (const each of members) {
    link.join(each);
    link.transition(each, 'initialize', 'backup', 'startup');
  }
  return link;
}

describe('sync group link when a member throws', () => {
  it('still forces the members after the one that threw, and throws its error to the caller', () => {
    const leader = member();
    const failing = member(true);
    const after = member();
    const link = backupGroup(leader, failing, after);
    expect(() => link.transition(leader, 'backup', 'master', 'master-down-timer-expired')).toThrow('step failed');
    expect({ failing: failing.told, after: after.told }).toEqual({ failing: [{ type: 'sync', to: 'master' }], after: [{ type: 'sync', to: 'master' }] });
  });

});

describe('a member handed off to a new engine (VrrpInstance.reconfigure)', () => {
  // Given A and B master, when B is handed off and A then hears a higher priority (master → backup), then the group
  // moves B's place to backup too, and B's new engine gets that word — resuming master forces nobody back to master.
  it('keeps the word a master missed, and a resumed master forces nobody', () => {
    const a = member();
    const b = member();
    const link = backupGroup(a, b);
    link.transition(a, 'backup', 'master', 'master-down-timer-expired');
    link.transition(b, 'backup', 'master', 'sync-group');
    link.handOff(b, 'eth0 ipv4 2');
    link.transition(a, 'master', 'backup', 'higher-priority-advertisement');
    const successor = member();
    const word = link.join(successor, 'eth0 ipv4 2', true);
    expect(word).toEqual({ type: 'sync', to: 'backup', resign: false });
    link.transition(successor, 'initialize', 'master', 'reconfigured');
    expect(a.told).toEqual([]); // not forced back to master by the resumed mastership
  });

  // Given a group in backup, when B is handed off, A goes master (B's place is made master) and then A leaves master,
  // then B's place goes back to backup with the rest: the word B's new engine gets is the last, `backup`.
  it('moves the stand-in with the group, so the last word is the one kept', () => {
    const a = member();
    const b = member();
    const link = backupGroup(a, b);
    link.handOff(b, 'eth0 ipv4 2');
    link.transition(a, 'backup', 'master', 'master-down-timer-expired');
    link.transition(a, 'master', 'backup', 'higher-priority-advertisement');
    expect(link.join(member(), 'eth0 ipv4 2', true)).toEqual({ type: 'sync', to: 'backup', resign: false });
  });

  // Given B handed off while A waits with a wish to go master, when nothing else happens, then A's wish is not
  // granted: B's place still counts (it neither wishes nor is master), as B did.
  it('does not grant a sibling’s wish while the place is kept', () => {
    const a = member();
    const b = member();
    const link = backupGroup(a, b);
    link.handOff(b, 'eth0 ipv4 2');
    link.wish(a, true);
    expect(a.told).toEqual([]);
  });

  // Given B handed off while A wishes, when a plain start (not a resumed one) joins under B's key, then the new
  // member takes the kept place fresh (no word for it) and, in Initialize, still holds A's wish back.
  it('gives the kept place up when a plain start comes instead of the resumed engine', () => {
    const a = member();
    const b = member();
    const link = backupGroup(a, b);
    link.handOff(b, 'eth0 ipv4 2');
    link.wish(a, true);
    expect(link.join(member(), 'eth0 ipv4 2', false)).toBeUndefined();
    // The new member is in initialize (neither wishing nor master): the wish waits for it, as for any start.
    expect(a.told).toEqual([]);
  });
});
