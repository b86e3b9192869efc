/**
 * `vrrp run`'s config is reported in one round: an unusable `instances` list does not hide what is wrong with the
 * groups and the global settings (a user fixing it would otherwise meet those only on the next run).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { execTrackerUsers, notifyUsers, resolveRunConfig } from '../../src/run-config.js';

describe('resolveRunConfig', () => {
  it('lists the group and global problems beside an empty instances list', () => {
    let error: unknown;
    try {
      resolveRunConfig({ instances: [], groups: [{ name: '', members: ['VI_1'] }], global: { startupDelayMs: -1 } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).issues.map((issue) => issue.path);
    expect(paths).toContain('instances');
    expect(paths).toContain('global.startupDelayMs');
    expect(paths.some((path) => path.startsWith('groups.0.name'))).toBe(true);
    // Members are not judged against an instance list that is not there.
    expect(paths.some((path) => path.startsWith('groups.0.members'))).toBe(false);
  });

  // Given two unnamed instances of VRID 51 on two interfaces (the same default name); then the second's name is
  // refused, naming the first: status, metrics and the event lines tell instances by name.
  it('refuses two instances of one name', () => {
    const instance = (ifname: string) => ({ interface: ifname, vrid: 51, virtualAddresses: ['192.0.2.1'] });
    let error: unknown;
    try {
      resolveRunConfig({ instances: [instance('eth0'), instance('eth1')] });
    } catch (caught) {
      error = caught;
    }
    expect((error as ConfigError).issues).toEqual([{ path: 'instances.1.name', message: '"vrid-51" is the name of instances.0 too: give each instance a name of its own' }]);
  });
});

describe('resolveRunConfig: virtual routers', () => {
  // Given two instances of VRID 51 on eth0, both IPv4; then the second is refused at vrid, naming the first: its
  // start would be refused, and a reload matches instances by interface, family and VRID.
  it('refuses two instances of one interface, family and VRID', () => {
    const instance = (name: string) => ({ name, interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.1'] });
    let error: unknown;
    try {
      resolveRunConfig({ instances: [instance('a'), instance('b')] });
    } catch (caught) {
      error = caught;
    }
    expect((error as ConfigError).issues).toEqual([
      { path: 'instances.1.vrid', message: "VRID 51 (ipv4) on eth0 is instances.0's too: one virtual router, one instance (its start would be refused, and a reload could not tell the two apart)" },
    ]);
  });

  // Given VRID 51 for IPv4 and for IPv6 on one interface, and VRID 51 on two interfaces; then all are accepted.
  it('accepts one VRID in two families or on two interfaces', () => {
    const config = resolveRunConfig({
      instances: [
        { name: 'v4', interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.1'] },
        { name: 'v6', interface: 'eth0', vrid: 51, virtualAddresses: ['2001:db8::1'] },
        { name: 'other', interface: 'eth1', vrid: 51, virtualAddresses: ['192.0.2.2'] },
      ],
    });
    expect(config.instances.map((instance) => instance.name)).toEqual(['v4', 'v6', 'other']);
  });
});

describe('resolveRunConfig: VMAC names', () => {
  // Given two instances naming one VMAC; then the second is refused at vmac.name: its start would replace the first's.
  it('refuses one VMAC name for two instances', () => {
    const instance = (name: string, vrid: number) => ({ name, interface: 'eth0', vrid, virtualAddresses: ['192.0.2.1'], vmac: { name: 'vmac0' } });
    let error: unknown;
    try {
      resolveRunConfig({ instances: [instance('a', 51), instance('b', 52)] });
    } catch (caught) {
      error = caught;
    }
    expect((error as ConfigError).issues).toEqual([{ path: 'instances.1.vmac.name', message: '"vmac0" is the VMAC of instances.0 too: give each VMAC a name of its own' }]);
  });
});

describe('resolveRunConfig: sync group holds', () => {
  // Given VI_1 in group G with a tracker named sync_group:G (the name of G's hidden hold tracker); then the file is
  // refused at the member, as `vrrp run -t` and a reload see it — not only when the group is made at start.
  it("refuses a member's tracker named as its group's hold", () => {
    let error: unknown;
    try {
      resolveRunConfig({
        instances: [{ name: 'VI_1', interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.1'], trackers: [{ type: 'file', name: 'sync_group:G', path: '/tmp/x', weight: 0 }] }],
        groups: [{ name: 'G', members: ['VI_1'] }],
      });
    } catch (caught) {
      error = caught;
    }
    expect((error as ConfigError).issues).toEqual([{ path: 'groups.0.members.0', message: '"VI_1" has a tracker named sync_group:G, the name of the group\'s hold: rename the tracker' }]);
  });
});

describe('notifyUsers', () => {
  // vrrp run says at load, when not root, which users its notify scripts would switch to.
  it('lists the users of every notify config, instances and groups, once each', () => {
    const config = resolveRunConfig({
      instances: [
        { name: 'VI_1', interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.1'], notify: { master: '/x.sh', user: 'keepalived_script', users: { master: 'postgres' } } },
        { name: 'VI_2', interface: 'eth0', vrid: 52, virtualAddresses: ['192.0.2.2'], notify: { backup: '/y.sh', user: 'keepalived_script' } },
        { name: 'VI_3', interface: 'eth0', vrid: 53, virtualAddresses: ['192.0.2.3'] },
      ],
      groups: [{ name: 'G', members: ['VI_1', 'VI_2'], notify: { fault: '/z.sh', user: 'nobody' } }],
    });
    expect(notifyUsers(config).sort()).toEqual(['keepalived_script', 'nobody', 'postgres']);
  });
});

describe('execTrackerUsers', () => {
  // vrrp run judges at load, when not root, the exec trackers it could not run as their users (every check would fail).
  it('lists every exec tracker set to run as a user, with its instance', () => {
    const config = resolveRunConfig({
      instances: [
        {
          name: 'VI_1',
          interface: 'eth0',
          vrid: 51,
          virtualAddresses: ['192.0.2.1'],
          trackers: [
            { type: 'exec', name: 'chk', command: '/bin/true', user: 'root' },
            { type: 'exec', name: 'mine', command: '/bin/true' },
            { type: 'tcp', name: 'port', host: '127.0.0.1', port: 80 },
          ],
        },
        { name: 'VI_2', interface: 'eth0', vrid: 52, virtualAddresses: ['192.0.2.2'], trackers: [{ type: 'exec', name: 'chk2', command: '/bin/true', user: 'nobody:nogroup' }] },
      ],
    });
    expect(execTrackerUsers(config)).toEqual([
      { instance: 'VI_1', tracker: 'chk', user: 'root' },
      { instance: 'VI_2', tracker: 'chk2', user: 'nobody:nogroup' },
    ]);
  });
});
