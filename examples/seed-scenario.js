// @ts-check
/**
 * The tutorial our users come from ("high availability for Linux load balancers with keepalived"), run on the
 * simulated network in virtual time: two HAProxy hosts, VIP 192.168.1.100, VRID 51, priorities 101 and 100, a
 * `chk_haproxy` check every 2 s with weight 2 — and, as in the tutorial, BOTH configured with `state MASTER`.
 *
 * keepalived.conf                           →  VrrpInstance config
 *   vrrp_script chk_haproxy { interval 2      →  trackers: [{ type: 'function', name: 'chk_haproxy',
 *                             weight 2 }      →               intervalMs: 2000, weight: 2, check }]
 *   state MASTER                              →  initialState: 'backup': keepalived 2.2.7 starts a non-owner outside
 *                                                a sync group as BACKUP (`vrrp import-keepalived` does the same)
 *   virtual_router_id 51, priority 101        →  vrid: 51, priority: 101
 *   virtual_ipaddress { 192.168.1.100 }       →  virtualAddresses: ['192.168.1.100']
 *   (keepalived's default vrrp_version 2, advert_int 1)  →  version: 2, advertIntervalMs: 1000
 *
 * Run: npm run demo
 */
import { pathToFileURL } from 'node:url';
import { SimNetwork } from 'vrrp/testing';

/**
 * Runs the scenario and returns its timeline.
 * @param {{ print?: (line: string) => void, seed?: number }} [options]
 */
export async function runSeedScenario(options = {}) {
  const print = options.print ?? (() => {});
  const net = new SimNetwork({ seed: options.seed ?? 51, latencyMs: 0.3 });
  /** Stands in for `killall -0 haproxy` on each host. */
  const haproxyRunning = { lb1: true, lb2: true };
  /** @type {{ atMs: number, node: string, what: string }[]} */
  const timeline = [];
  /** @param {string} node @param {string} what */
  const log = (node, what) => {
    const atMs = net.clock.now();
    timeline.push({ atMs, node, what });
    print(`${(atMs / 1000).toFixed(3).padStart(8)} s  ${node.padEnd(5)}  ${what}`);
  };

  /** @param {'lb1' | 'lb2'} name @param {number} priority @param {string} address */
  const addLoadBalancer = (name, priority, address) => {
    const instance = net.addNode(
      {
        name,
        interface: 'eth0',
        vrid: 51,
        version: 2,
        advertIntervalMs: 1000,
        priority,
        initialState: 'backup', // the tutorial's copy-paste slip, both saying MASTER, starts as keepalived starts it
        virtualAddresses: ['192.168.1.100'],
        trackers: [{ type: 'function', name: 'chk_haproxy', intervalMs: 2000, weight: 2, check: () => haproxyRunning[name] }],
      },
      { address, start: false },
    );
    instance.on('stateChange', (e) => log(name, `${e.from} → ${e.to} (${e.reason}) at priority ${instance.effectivePriority}`));
    instance.on('priorityChange', (e) => log(name, `priority ${e.from} → ${e.to}`));
    // The app's part: PostgreSQL runs as a hot standby on both hosts all along; the master promotes it.
    instance.onMaster(async () => log(name, 'hook onMaster: VIP 192.168.1.100 is here — promote the PostgreSQL standby'));
    instance.onBackup(async () => log(name, 'hook onBackup: keep PostgreSQL following the new primary'));
    return instance;
  };

  const lb1 = addLoadBalancer('lb1', 101, '192.168.1.11');
  const lb2 = addLoadBalancer('lb2', 100, '192.168.1.12');
  print('Two load balancers start, both configured as MASTER — which keepalived starts as BACKUP — (priority 101 and 100, chk_haproxy weight 2):');
  await Promise.all([lb1.start(), lb2.start()]);
  await net.advance(10_000);

  log('world', 'HAProxy on lb1 dies (killall -0 haproxy now fails there)');
  haproxyRunning.lb1 = false;
  await net.advance(12_000);

  log('world', 'HAProxy on lb1 is back');
  haproxyRunning.lb1 = true;
  await net.advance(12_000);

  /** @param {import('vrrp').VrrpInstance} instance */
  const holder = (instance) => net.node(instance).vips.addresses.has('192.168.1.100');
  log('world', `VIP 192.168.1.100 is on ${holder(lb1) ? 'lb1' : holder(lb2) ? 'lb2' : 'nobody'}; masters: ${net.masters().map((i) => i.config.name).join(', ')}`);
  await net.stopAll();
  return { timeline, net, lb1, lb2 };
}

// Run, not imported. pathToFileURL escapes the path: a '#', '?' or '%' in it made `file://${path}` another URL.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  const { net } = await runSeedScenario({ print: (line) => console.log(line) });
  console.log(`\n${(net.clock.now() / 1000).toFixed(0)} s of protocol simulated in ${(performance.now() - started).toFixed(0)} ms of real time.`);
}
