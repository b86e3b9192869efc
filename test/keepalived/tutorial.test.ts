/**
 * The tutorial our users come from (test/keepalived/fixtures/tutorial-{master,backup}.conf, docs/keepalived.md): its two keepalived.conf files import to
 * what the tutorial means — VRID 51, VIP 192.168.1.100, priorities 101 / 100, `chk_haproxy` running
 * `killall -0 haproxy` every 2 s with weight 2 — and, run on the simulated network, behave as the tutorial says:
 * the 101 node serves, loses the VIP when HAProxy dies there, and takes it back when HAProxy returns.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { VrrpConfig } from '../../src/config.js';
import { importKeepalivedConf, type ImportedInstanceConfig, type KeepalivedImport } from '../../src/keepalived/index.js';
import { SimNetwork } from '../../src/testing/index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const master = (): KeepalivedImport => importKeepalivedConf(fixture('tutorial-master.conf'));
const backup = (): KeepalivedImport => importKeepalivedConf(fixture('tutorial-backup.conf'));
const instance = (result: KeepalivedImport): ImportedInstanceConfig => {
  expect(result.config.instances).toHaveLength(1);
  return result.config.instances[0] as ImportedInstanceConfig;
};

describe("the tutorial's keepalived.conf", () => {
  // Given the master's config; then one instance Instance0 on eth0, VRID 51, priority 101, the VIP; its state MASTER
  // starts as keepalived 2.2.7 starts it outside a sync group: as a backup.
  it('imports the master as Instance0 on eth0: VRID 51, priority 101, VIP 192.168.1.100, starting as keepalived does (backup)', () => {
    expect(instance(master())).toMatchObject({
      name: 'Instance0',
      interface: 'eth0',
      vrid: 51,
      priority: 101,
      virtualAddresses: ['192.168.1.100'],
      initialState: 'backup',
    });
  });

  // Given the backup's config (which also says state MASTER); then it differs from the master's in priority only.
  it('imports the backup identically but for priority 100', () => {
    const { priority, ...rest } = instance(backup());
    const { priority: masterPriority, ...masterRest } = instance(master());
    expect([priority, masterPriority]).toEqual([100, 101]);
    expect(rest).toEqual(masterRest);
  });

  // Given vrrp_script chk_haproxy; then an exec tracker that runs killall -0 haproxy every 2000 ms with weight 2.
  it('imports chk_haproxy as an exec tracker: killall -0 haproxy every 2000 ms, weight 2', () => {
    expect(instance(master()).trackers).toEqual([
      { type: 'exec', name: 'chk_haproxy', command: 'killall -0 haproxy', intervalMs: 2000, timeoutMs: 2000, weight: 2, fall: 1, rise: 1, reverse: false, initFail: false },
    ]);
  });

  // Given nothing said about version, interval or announcements; then keepalived's defaults are written out.
  it("writes out keepalived's defaults: VRRPv2, 1 s adverts, preemption, 5 gratuitous ARPs and 5 more after 5 s", () => {
    expect(instance(master())).toMatchObject({
      version: 2,
      advertIntervalMs: 1000,
      preempt: true,
      preemptDelayMs: 0,
      unicastPeers: [],
      authentication: { type: 'none' },
      garp: { repeat: 5, delayMs: 5000, refreshMs: 0 },
    });
  });

  // Given the tutorial as written; then no errors, and two warnings: which user runs the check, and how state MASTER
  // starts.
  it('imports without errors; the warnings say who runs the script and how state MASTER starts', () => {
    const result = master();
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((warning) => warning.message)).toEqual([
      expect.stringMatching(/^scripts run as the user running vrrp/),
      expect.stringMatching(/state MASTER below priority 255 outside a sync group starts as BACKUP in keepalived 2\.2\.7/),
    ]);
    expect(result.warnings[0]?.path).toMatch(/tutorial-master\.conf:1$/);
  });
});

describe("the tutorial's configs, run in virtual time", () => {
  let net: SimNetwork | undefined;
  afterEach(async () => {
    await net?.stopAll();
    net = undefined;
  });

  // Given both imported configs on the simulated network, each exec tracker standing in for `killall -0 haproxy`
  // on its host; when HAProxy dies on the 101 node and later comes back; then the VIP goes to the 100 node (102 > 101)
  // and back (103 > 102), exactly as the tutorial explains.
  it('serves from the 101 node, fails over when its HAProxy dies, and fails back when it returns', async () => {
    net = new SimNetwork({ seed: 51, latencyMs: 0.3 });
    const haproxyRunning = { lb1: true, lb2: true };
    const add = (name: 'lb1' | 'lb2', imported: ImportedInstanceConfig, address: string) => {
      const { notify: _notify, trackers, ...rest } = imported;
      const config: VrrpConfig = {
        ...rest,
        name,
        trackers: trackers.map((tracker) => {
          if (tracker.type !== 'exec') throw new Error(`unexpected tracker ${tracker.type}`);
          const { type: _type, command: _command, user: _user, ...common } = tracker;
          return { ...common, type: 'function' as const, check: () => haproxyRunning[name] };
        }),
      };
      return net?.addNode(config, { address });
    };
    const lb1 = add('lb1', instance(master()), '192.168.1.11');
    const lb2 = add('lb2', instance(backup()), '192.168.1.12');
    await net.advance(10_000);
    expect(net.masters()).toEqual([lb1]);
    expect(lb1?.effectivePriority).toBe(103);

    haproxyRunning.lb1 = false;
    await net.advance(12_000);
    expect(net.masters()).toEqual([lb2]);

    haproxyRunning.lb1 = true;
    await net.advance(12_000);
    expect(net.masters()).toEqual([lb1]);
  });
});
