/**
 * What `vrrp run`'s reload (SIGHUP) does with each instance and sync group, decided before anything changes: which
 * running instances it keeps (reconfigured in place), removes, adds, and restarts because their sync group changed.
 * Pure: no instance is started, stopped or reconfigured here (see src/cli-commands.ts, `reloadRun`).
 */
import { resolveConfig, type ResolvedConfig, type ResolvedSyncGroupConfig } from './config.js';
import type { VrrpInstance } from './instance.js';
import type { ResolvedRunConfig } from './run-config.js';

/** One instance's entry in the new file. */
type Entry = ResolvedRunConfig['instances'][number];

/** What a reload does with each instance and sync group. */
export interface ReloadPlan {
  /** Running instances the new file has too (by virtual router), each with its new entry: reconfigured in place. */
  kept: { instance: VrrpInstance; entry: Entry }[];
  /** Running instances the new file does not have: stopped. */
  removed: VrrpInstance[];
  /** Entries of the new file that no running instance is: made and started. */
  added: Entry[];
  /**
   * Running instances the new file has too, but in a sync group that changed (or that they join or leave): a
   * group's members are fixed for its life, so these stop and start again, from their new entry, in their new group.
   */
  restarted: { instance: VrrpInstance; entry: Entry }[];
  /** Names of the running file's sync groups that go: removed, or changed (made again from the new file). */
  groupsRemoved: string[];
  /** The new file's sync groups to make: added, or changed. */
  groupsAdded: ResolvedSyncGroupConfig[];
}

/**
 * Matches the running instances with the new file's, as keepalived 2.2.7's reload does (vrrp_exist): by the
 * virtual router — interface, address family and VRID — not by name, so a renamed instance is kept. A sync group
 * changed — added, removed, other members or names, or a member that is another virtual router now — is made again,
 * and its kept members are restarted into it (keepalived keeps their state; see docs/keepalived.md).
 */
export function planReload(running: readonly VrrpInstance[], runningConfig: ResolvedRunConfig, next: ResolvedRunConfig): ReloadPlan {
  // A VMAC changed (made, dropped, renamed, moved to send on its base) is another virtual router here, as for
  // VrrpInstance.reconfigure: removed and added, so the old VMAC is deleted and the new one made.
  const key = (config: Pick<ResolvedConfig, 'interface' | 'family' | 'vrid' | 'vmac'>): string => `${config.interface} ${config.family} ${config.vrid} ${JSON.stringify(config.vmac ?? null)}`;
  const unmatched = new Map(running.map((instance) => [key(instance.config), instance]));
  const kept: ReloadPlan['kept'] = [];
  const added: Entry[] = [];
  for (const entry of next.instances) {
    const identity = key(resolveConfig(entry.config));
    const instance = unmatched.get(identity);
    if (instance === undefined) {
      added.push(entry);
      continue;
    }
    unmatched.delete(identity);
    kept.push({ instance, entry });
  }
  const removed = [...unmatched.values()];
  // A group is the same only if its definition is (notify scripts aside: they may change; members in any order)
  // and each of its members is the same running instance under the same name: a name that belongs to an instance
  // removed, added or renamed (two kept instances may swap names) changes the groups it is in.
  const moved = new Set([
    ...removed.map((instance) => instance.config.name),
    ...added.map((entry) => entry.name),
    ...kept.filter(({ instance, entry }) => instance.config.name !== entry.name).flatMap(({ instance, entry }) => [instance.config.name, entry.name]),
  ]);
  const definition = (group: ResolvedSyncGroupConfig): string => JSON.stringify({ ...group, members: [...group.members].sort(), notify: undefined });
  const before = new Map(runningConfig.groups.map((group) => [group.name, group]));
  const after = new Map(next.groups.map((group) => [group.name, group]));
  const same = (name: string): boolean => {
    const old = before.get(name);
    const now = after.get(name);
    return old !== undefined && now !== undefined && definition(old) === definition(now) && !old.members.some((member) => moved.has(member));
  };
  const groupsRemoved = [...before.keys()].filter((name) => !same(name));
  const groupsAdded = next.groups.filter((group) => !same(group.name));
  const leaving = new Set(groupsRemoved.flatMap((name) => before.get(name)?.members ?? []));
  const joining = new Set(groupsAdded.flatMap((group) => group.members));
  const restarted = kept.filter(({ instance, entry }) => leaving.has(instance.config.name) || joining.has(entry.name));
  return { kept: kept.filter((one) => !restarted.includes(one)), removed, added, restarted, groupsRemoved, groupsAdded };
}
