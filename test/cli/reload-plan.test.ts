/**
 * What `vrrp run`'s reload decides before it changes anything (src/reload-plan.ts): running instances are matched
 * with the new file's by their virtual router — interface, family, VRID — as keepalived's reload matches them, and
 * the members of a sync group that changes are restarted into it (a group's members are fixed for its life). No
 * instance is started here.
 */
import { describe, expect, it } from 'vitest';
import { VrrpInstance } from '../../src/instance.js';
import { planReload } from '../../src/reload-plan.js';
import { resolveRunConfig } from '../../src/run-config.js';

const instance = (name: string, vrid: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, interface: 'eth0', vrid, virtualAddresses: [`192.0.2.${vrid}/24`], ...extra });
const group = (name: string, members: string[]): Record<string, unknown> => ({ name, members });
const names = (list: readonly (VrrpInstance | { name: string })[]): string[] => list.map((one) => ('config' in one ? one.config.name : one.name));

/** The plan from running `before` (its instances made, never started) to `after`, in names. */
function plan(before: Record<string, unknown>, after: Record<string, unknown>) {
  const running = resolveRunConfig(before);
  const result = planReload(
    running.instances.map((entry) => new VrrpInstance(entry.config)),
    running,
    resolveRunConfig(after),
  );
  return {
    kept: names(result.kept.map((one) => one.instance)),
    removed: names(result.removed),
    added: names(result.added),
    restarted: result.restarted.map((one) => one.entry.name),
    groupsRemoved: result.groupsRemoved,
    groupsAdded: result.groupsAdded.map((one) => one.name),
    raw: result,
  };
}

describe('planReload: instances', () => {
  // Given VI_1 (51) and VI_2 (52) running, when the new file has VI_1 changed, no VI_2 and a new VI_3 (53),
  // then VI_1 is kept with its new entry, VI_2 removed, VI_3 added.
  it('keeps, removes and adds by virtual router', () => {
    const result = plan({ instances: [instance('VI_1', 51), instance('VI_2', 52)] }, { instances: [instance('VI_1', 51, { priority: 140 }), instance('VI_3', 53)] });
    expect({ kept: result.kept, removed: result.removed, added: result.added, restarted: result.restarted }).toEqual({ kept: ['VI_1'], removed: ['VI_2'], added: ['VI_3'], restarted: [] });
    expect(result.raw.kept[0]?.entry.config.priority).toBe(140);
  });

  // Given VI_1 on VRID 51, when the new file calls VRID 51 "web", then it is the same virtual router: kept, renamed.
  it('keeps a renamed instance, as keepalived does', () => {
    const result = plan({ instances: [instance('VI_1', 51)] }, { instances: [instance('web', 51)] });
    expect([result.kept, result.raw.kept[0]?.entry.name, result.removed, result.added]).toEqual([['VI_1'], 'web', [], []]);
  });

  // Given VI_1 on VRID 51, when the new file moves VI_1 to VRID 61 or to another interface, then it is another
  // virtual router: the old one is removed and the new one added, whatever its name.
  it('removes and adds an instance whose VRID or interface changed', () => {
    const result = plan({ instances: [instance('VI_1', 51), instance('VI_2', 52)] }, { instances: [instance('VI_1', 61), instance('VI_2', 52, { interface: 'eth1' })] });
    expect({ kept: result.kept, removed: result.removed, added: result.added }).toEqual({ kept: [], removed: ['VI_1', 'VI_2'], added: ['VI_1', 'VI_2'] });
  });
});

describe('planReload: sync groups', () => {
  const two = [instance('VI_1', 51), instance('VI_2', 52)];

  // Given a group G of VI_1 and VI_2, when only the members' priorities change, then both are kept, G stays.
  it('keeps a group whose members only change their configuration', () => {
    const result = plan({ instances: two, groups: [group('G', ['VI_1', 'VI_2'])] }, { instances: [instance('VI_1', 51, { priority: 140 }), instance('VI_2', 52, { priority: 140 })], groups: [group('G', ['VI_1', 'VI_2'])] });
    expect([result.kept, result.restarted, result.groupsRemoved, result.groupsAdded]).toEqual([['VI_1', 'VI_2'], [], [], []]);
  });

  // Given G of VI_1 and VI_2 and a lone VI_3, when G drops VI_2, then G is made again and both its old members are
  // restarted (VI_1 into the new G, VI_2 alone); VI_3 is kept.
  it('restarts the members of a group whose membership changes', () => {
    const result = plan(
      { instances: [...two, instance('VI_3', 53)], groups: [group('G', ['VI_1', 'VI_2'])] },
      { instances: [...two, instance('VI_3', 53)], groups: [group('G', ['VI_1'])] },
    );
    expect([result.kept, result.restarted, result.groupsRemoved, result.groupsAdded]).toEqual([['VI_3'], ['VI_1', 'VI_2'], ['G'], ['G']]);
  });

  // Given two lone instances, when a new group H takes them both, then they are restarted into it.
  it('restarts instances that join a new group', () => {
    const result = plan({ instances: two }, { instances: two, groups: [group('H', ['VI_1', 'VI_2'])] });
    expect([result.kept, result.restarted, result.groupsRemoved, result.groupsAdded]).toEqual([[], ['VI_1', 'VI_2'], [], ['H']]);
  });

  // Given G of VI_1 and VI_2, when the new file has no groups, then G goes and its members restart alone.
  it('restarts the members of a group that goes', () => {
    const result = plan({ instances: two, groups: [group('G', ['VI_1', 'VI_2'])] }, { instances: two });
    expect([result.kept, result.restarted, result.groupsRemoved, result.groupsAdded]).toEqual([[], ['VI_1', 'VI_2'], ['G'], []]);
  });

  // Given G of VI_1 and VI_2, when VI_2 keeps its name but moves to VRID 62 (another virtual router), then G is
  // made again: VI_2 is removed and added, and VI_1 restarted into the new G.
  it('makes a group again when a member is another virtual router now', () => {
    const result = plan({ instances: two, groups: [group('G', ['VI_1', 'VI_2'])] }, { instances: [instance('VI_1', 51), instance('VI_2', 62)], groups: [group('G', ['VI_1', 'VI_2'])] });
    expect([result.kept, result.removed, result.added, result.restarted, result.groupsRemoved, result.groupsAdded]).toEqual([[], ['VI_2'], ['VI_2'], ['VI_1'], ['G'], ['G']]);
  });

  // Given G with notify scripts, when only its scripts change, then G and its members stay (the scripts follow it).
  it('keeps a group whose notify scripts only change', () => {
    const result = plan(
      { instances: two, groups: [{ ...group('G', ['VI_1', 'VI_2']), notify: { master: '/bin/true' } }] },
      { instances: two, groups: [{ ...group('G', ['VI_1', 'VI_2']), notify: { master: '/bin/false' } }] },
    );
    expect([result.kept, result.restarted, result.groupsRemoved, result.groupsAdded]).toEqual([['VI_1', 'VI_2'], [], [], []]);
  });
});

describe('planReload: names and order', () => {
  // Given a on VRID 1 and b on VRID 2, a in G; when the new file swaps their names (b on 1, a on 2), G [a]
  // then G is made again, and both are restarted: the instance G holds is another virtual router now.
  it('makes a group again when kept instances swap names', () => {
    const result = plan(
      { instances: [instance('a', 1), instance('b', 2)], groups: [group('G', ['a'])] },
      { instances: [instance('b', 1), instance('a', 2)], groups: [group('G', ['a'])] },
    );
    expect([result.kept, result.restarted.sort(), result.groupsRemoved, result.groupsAdded]).toEqual([[], ['a', 'b'], ['G'], ['G']]);
  });

  // Given G of VI_1 and VI_2, when the new file lists them the other way round, then nothing changes.
  it('keeps a group whose members are only listed in another order', () => {
    const two = [instance('VI_1', 51), instance('VI_2', 52)];
    const result = plan({ instances: two, groups: [group('G', ['VI_1', 'VI_2'])] }, { instances: two, groups: [group('G', ['VI_2', 'VI_1'])] });
    expect([result.kept, result.restarted, result.groupsRemoved, result.groupsAdded]).toEqual([['VI_1', 'VI_2'], [], [], []]);
  });

  // Given G of VI_1 and VI_2, when VI_2 goes from the file (and from G), then G is made again: VI_2 removed, VI_1
  // restarted.
  it('makes a group again when a member is removed', () => {
    const result = plan({ instances: [instance('VI_1', 51), instance('VI_2', 52)], groups: [group('G', ['VI_1', 'VI_2'])] }, { instances: [instance('VI_1', 51)], groups: [group('G', ['VI_1'])] });
    expect([result.removed, result.restarted, result.groupsRemoved, result.groupsAdded]).toEqual([['VI_2'], ['VI_1'], ['G'], ['G']]);
  });
});
