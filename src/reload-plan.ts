/**
 * What `vrrp run`'s reload (SIGHUP) does with each instance, decided before anything changes: which running
 * instances it keeps (reconfigured in place), removes and adds, and whether the new file can be applied at all.
 * Pure: no instance is started, stopped or reconfigured here (see src/cli-commands.ts, `reloadRun`).
 */
import { resolveConfig } from './config.js';
import type { VrrpInstance } from './instance.js';
import type { ResolvedRunConfig } from './run-config.js';

/** What a reload does with each instance: the running ones it keeps (with their new entry), removes, and adds. */
export interface ReloadPlan {
  /** Running instances the new file has too (by virtual router), each with its new entry. */
  kept: { instance: VrrpInstance; entry: ResolvedRunConfig['instances'][number] }[];
  /** Running instances the new file does not have. */
  removed: VrrpInstance[];
  /** Entries of the new file that no running instance is. */
  added: ResolvedRunConfig['instances'];
}

/**
 * Matches the running instances with the new file's, as keepalived 2.2.7's reload does (vrrp_exist): by the
 * virtual router — interface, address family and VRID — not by name, so a renamed instance is kept.
 */
export function planReload(running: readonly VrrpInstance[], next: ResolvedRunConfig): ReloadPlan {
  const key = (config: { interface: string; family: string; vrid: number }): string => `${config.interface} ${config.family} ${config.vrid}`;
  const unmatched = new Map(running.map((instance) => [key(instance.config), instance]));
  const plan: ReloadPlan = { kept: [], removed: [], added: [] };
  for (const entry of next.instances) {
    const identity = key(resolveConfig(entry.config));
    const instance = unmatched.get(identity);
    if (instance === undefined) {
      plan.added.push(entry);
      continue;
    }
    unmatched.delete(identity);
    plan.kept.push({ instance, entry });
  }
  plan.removed.push(...unmatched.values());
  return plan;
}

/**
 * Why a reload cannot be applied, if it cannot: a sync group's membership is fixed for the run (its members'
 * configurations may change, but not which instances they are), so a group added, removed, renamed, or with other
 * members — or a member that would be another virtual router — needs a restart.
 */
export function groupChange(running: ResolvedRunConfig, next: ResolvedRunConfig, plan: ReloadPlan): string | undefined {
  const shape = (config: ResolvedRunConfig): string => JSON.stringify(config.groups.map((group) => ({ ...group, notify: undefined })));
  if (shape(running) !== shape(next)) return 'the sync groups changed: a reload cannot add, remove or change a sync group; restart vrrp run to apply it';
  const members = new Set(next.groups.flatMap((group) => group.members));
  for (const instance of plan.removed) {
    if (members.has(instance.config.name)) return `sync group member ${instance.config.name} would be another virtual router (interface, family or VRID changed): restart vrrp run to apply it`;
  }
  for (const { instance, entry } of plan.kept) {
    if (instance.config.name !== entry.name && (members.has(entry.name) || members.has(instance.config.name))) return `sync group member ${instance.config.name} would be renamed ${entry.name}: restart vrrp run to apply it`;
  }
  return undefined;
}
