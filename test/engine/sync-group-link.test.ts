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
