// @ts-check
/**
 * The tutorial's keepalived node as a Node.js app: the VRRP side of an HAProxy load balancer, with the tutorial's
 * health check run as a command, as keepalived runs it.
 *
 * keepalived.conf (see keepalived.conf beside this file)      →  here
 *   vrrp_script chk_haproxy { script "killall -0 haproxy"      →  trackers: [{ type: 'exec', name: 'chk_haproxy',
 *                             interval 2; weight 2 }           →    command: 'killall -0 haproxy', intervalMs: 2000, weight: 2 }]
 *   interface eth0, virtual_router_id 51, priority 101         →  interface, vrid: 51, priority (VRRP_PRIORITY)
 *   state MASTER                                               →  nothing: keepalived 2.2.7 starts a non-owner outside a
 *                                                                 sync group as BACKUP, as we start every instance
 *   virtual_ipaddress { 192.168.1.100 }                        →  virtualAddresses (VRRP_VIP)
 *   (keepalived's defaults: vrrp_version 2, advert_int 1)      →  version: 2, advertIntervalMs: 1000
 *
 * Run as root (or with CAP_NET_RAW + CAP_NET_ADMIN) on each load balancer, beside HAProxy:
 *   VRRP_PRIORITY=101 node app.js        # lb1
 *   VRRP_PRIORITY=100 node app.js        # lb2
 * Environment: VRRP_INTERFACE (eth0), VRRP_VIP (192.168.1.100), VRRP_PRIORITY (101), VRRP_NAME (Instance0).
 * Prints one JSON line per event; SIGTERM / SIGINT stop it cleanly (priority 0 sent, VIP removed).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { VrrpInstance } from 'vrrp';

const env = process.env;

/** `killall` comes with psmisc; where it is missing, `pidof` (sysvinit-utils / procps) says the same thing. */
const onPath = (/** @type {string} */ name) =>
  (env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
const check = onPath('killall') ? 'killall -0 haproxy' : 'pidof haproxy';

const vrrp = new VrrpInstance({
  name: env.VRRP_NAME ?? 'Instance0',
  interface: env.VRRP_INTERFACE ?? 'eth0',
  vrid: 51,
  priority: Number(env.VRRP_PRIORITY ?? 101),
  version: 2,
  advertIntervalMs: 1000,
  virtualAddresses: [env.VRRP_VIP ?? '192.168.1.100'],
  trackers: [{ type: 'exec', name: 'chk_haproxy', command: check, intervalMs: 2000, weight: 2 }],
});

/** @param {string} event @param {Record<string, unknown>} fields */
const print = (event, fields) => process.stdout.write(`${JSON.stringify({ event, name: vrrp.config.name, ...fields, time: new Date().toISOString() })}\n`);

vrrp.on('stateChange', (e) => print('stateChange', { from: e.from, to: e.to, reason: e.reason, priority: vrrp.effectivePriority, ...(e.peer ? { peer: e.peer } : {}) }));
vrrp.on('priorityChange', (e) => print('priorityChange', { from: e.from, to: e.to }));
vrrp.on('trackerChange', (e) => print('trackerChange', { tracker: e.name, from: e.from, to: e.to, reason: e.reason }));
vrrp.on('error', (e) => print('error', { code: e.code, message: e.message }));

let stopping = false;
for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await vrrp.stop();
    print('stopped', {});
    process.exit(0);
  });
}

await vrrp.start();
print('started', { state: vrrp.state, priority: vrrp.effectivePriority, check });
