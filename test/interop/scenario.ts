/**
 * One VRRP instance described once and rendered twice: as our config (JSON for `vrrp run`) and as a keepalived
 * `vrrp_instance`, so that both sides of an interop test agree on VRID, version, interval, VIPs, unicast and auth.
 */
import { keepalivedConf, type Lab } from './lab.js';

/** The shared description. */
export interface Side {
  vrid?: number;
  priority: number;
  version?: 2 | 3;
  /** Advert interval in ms (v2: whole seconds). */
  intervalMs?: number;
  family?: 'ipv4' | 'ipv6';
  /** Unicast: the peer host's name (its global address is used on both sides). */
  unicastPeer?: string;
  password?: string;
  preempt?: boolean;
  /** Unicast: leave our `primaryAddress` out, so the library must find the address it really sends from. */
  derivePrimary?: boolean;
}

/** The VIP of every scenario: index 100 of the lab's subnet. */
export function vipOf(lab: Lab, family: 'ipv4' | 'ipv6' = 'ipv4'): string {
  return family === 'ipv4' ? lab.ipv4(100) : lab.ipv6(100);
}

function vipWithPrefix(lab: Lab, family: 'ipv4' | 'ipv6'): string {
  return family === 'ipv4' ? `${vipOf(lab)}/24` : `${vipOf(lab, 'ipv6')}/64`;
}

function addressOf(lab: Lab, host: string, family: 'ipv4' | 'ipv6'): string {
  const h = lab.host(host);
  const address = family === 'ipv4' ? h.ipv4 : h.ipv6;
  if (!address) throw new Error(`host ${host} has no ${family} address (create the lab with ipv6: true)`);
  return address;
}

/** Our side, as the JSON config of `vrrp run`. */
export function ourConfig(lab: Lab, host: string, side: Side): Record<string, unknown> {
  const family = side.family ?? 'ipv4';
  const config: Record<string, unknown> = {
    name: host,
    interface: 'eth0',
    vrid: side.vrid ?? 51,
    priority: side.priority,
    version: side.version ?? 3,
    advertIntervalMs: side.intervalMs ?? 100,
    virtualAddresses: [vipWithPrefix(lab, family)],
    garp: { repeat: 3, delayMs: 0 },
  };
  if (side.preempt === false) config.preempt = false;
  if (side.password) config.authentication = { type: 'simple', password: side.password };
  if (side.unicastPeer) {
    config.unicastPeers = [addressOf(lab, side.unicastPeer, family)];
    if (!side.derivePrimary) config.primaryAddress = addressOf(lab, host, family);
  }
  return config;
}

/** The keepalived side, as a whole keepalived.conf. */
export function keepalivedSide(lab: Lab, host: string, side: Side): string {
  const family = side.family ?? 'ipv4';
  const extra: string[] = [];
  if (side.password) extra.push('authentication {', '  auth_type PASS', `  auth_pass ${side.password}`, '}');
  if (side.unicastPeer) extra.push(`unicast_src_ip ${addressOf(lab, host, family)}`, 'unicast_peer {', `  ${addressOf(lab, side.unicastPeer, family)}`, '}');
  // Quiet and quick: no second GARP burst 5 s later, which would muddy outage measurements.
  extra.push('garp_master_delay 0');
  return keepalivedConf({
    routerId: host,
    instances: [
      {
        name: 'VI',
        vrid: side.vrid ?? 51,
        priority: side.priority,
        version: side.version ?? 3,
        advertIntervalS: (side.intervalMs ?? 100) / 1000,
        vips: [vipWithPrefix(lab, family)],
        ...(side.preempt === false ? { nopreempt: true } : {}),
        extra,
      },
    ],
  });
}
