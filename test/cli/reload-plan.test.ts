/**
 * What `vrrp run`'s reload decides before it changes anything (src/reload-plan.ts): running instances are matched
 * with the new file's by their virtual router — interface, family, VRID — as keepalived's reload matches them, and
 * a file that changes a sync group's membership is refused as a whole. No instance is started here.
 */
import { describe, expect, it } from 'vitest';
import { VrrpInstance } from '../../src/instance.js';
import { groupChange, planReload } from '../../src/reload-plan.js';
import { resolveRunConfig } from '../../src/run-config.js';

const instance = (name: string, vrid: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, interface: 'eth0', vrid, virtualAddresses: [`192.0.2.${vrid}/24`], ...extra });
/** The running side: instances made from a file (never started). */
const running = (file: Record<string, unknown>): VrrpInstance[] => resolveRunConfig(file).instances.map((entry) => new VrrpInstance(entry.config));
const names = (list: readonly (VrrpInstance | { name: string })[]): string[] => list.map((one) => ('config' in one ? one.config.name : one.name));

describe('planReload', () => {
  // Given VI_1 (51) and VI_2 (52) running, when the new file has VI_1 changed, no VI_2 and a new VI_3 (53),
  // then VI_1 is kept with its new entry, VI_2 removed, VI_3 added.
  it('keeps, removes and adds by virtual router', () => {
    const now = running({ instances: [instance('VI_1', 51), instance('VI_2', 52)] });
    const plan = planReload(now, resolveRunConfig({ instances: [instance('VI_1', 51, { priority: 140 }), instance('VI_3', 53)] }));
    expect({ kept: names(plan.kept.map((k) => k.instance)), removed: names(plan.removed), added: names(plan.added) }).toEqual({ kept: ['VI_1'], removed: ['VI_2'], added: ['VI_3'] });
    expect(plan.kept[0]?.entry.config.priority).toBe(140);
  });

  // Given VI_1 on VRID 51, when the new file calls VRID 51 "web", then it is the same virtual router: kept, renamed.
  it('keeps a renamed instance, as keepalived does', () => {
    const plan = planReload(running({ instances: [instance('VI_1', 51)] }), resolveRunConfig({ instances: [instance('web', 51)] }));
    expect([names(plan.kept.map((k) => k.instance)), plan.kept[0]?.entry.name, plan.removed, plan.added]).toEqual([['VI_1'], 'web', [], []]);
  });

  // Given VI_1 on VRID 51, when the new file moves VI_1 to VRID 61 or to another interface, then it is another
  // virtual router: the old one is removed and the new one added, whatever its name.
  it('removes and adds an instance whose VRID or interface changed', () => {
    const now = running({ instances: [instance('VI_1', 51), instance('VI_2', 52)] });
    const plan = planReload(now, resolveRunConfig({ instances: [instance('VI_1', 61), instance('VI_2', 52, { interface: 'eth1' })] }));
    expect({ kept: plan.kept.length, removed: names(plan.removed), added: names(plan.added) }).toEqual({ kept: 0, removed: ['VI_1', 'VI_2'], added: ['VI_1', 'VI_2'] });
  });
});

describe('groupChange', () => {
  const group = (members: string[]): Record<string, unknown> => ({ name: 'G', members });
  const file = (instances: Record<string, unknown>[], groups: Record<string, unknown>[]): Record<string, unknown> => ({ instances, groups });

  // Given a group G of VI_1 and VI_2, when only the members' priorities change, then the reload may go on.
  it('accepts new configurations of the same members', () => {
    const raw = file([instance('VI_1', 51), instance('VI_2', 52)], [group(['VI_1', 'VI_2'])]);
    const before = resolveRunConfig(raw);
    const after = resolveRunConfig(file([instance('VI_1', 51, { priority: 140 }), instance('VI_2', 52, { priority: 140 })], [group(['VI_1', 'VI_2'])]));
    expect(groupChange(before, after, planReload(running(raw), after))).toBeUndefined();
  });

  // Given the same group, when the new file drops VI_2 from it (or adds a group), then the reload is refused, saying why.
  it('refuses a change of membership', () => {
    const raw = file([instance('VI_1', 51), instance('VI_2', 52)], [group(['VI_1', 'VI_2'])]);
    const before = resolveRunConfig(raw);
    const after = resolveRunConfig(file([instance('VI_1', 51), instance('VI_2', 52)], [group(['VI_1'])]));
    expect(groupChange(before, after, planReload(running(raw), after))).toMatch(/sync groups changed/);
  });

  // Given the same group, when VI_2 keeps its name but moves to VRID 62 (another virtual router), then the reload
  // is refused: the group would lose a member it runs.
  it('refuses a member that would be another virtual router', () => {
    const raw = file([instance('VI_1', 51), instance('VI_2', 52)], [group(['VI_1', 'VI_2'])]);
    const before = resolveRunConfig(raw);
    const after = resolveRunConfig(file([instance('VI_1', 51), instance('VI_2', 62)], [group(['VI_1', 'VI_2'])]));
    expect(groupChange(before, after, planReload(running(raw), after))).toMatch(/VI_2 would be another virtual router/);
  });
});
