/**
 * Preflight: says in plain words what this machine lacks to run VRRP, and how to fix each thing. It reads files
 * and asks the kernel; it changes nothing.
 */
import { readFileSync } from 'node:fs';
import { getInterface, getInterfaceAddresses, pickPrimaryAddress } from './interfaces.js';
import { loadNetlink } from './native.js';
import { loadPacketAddon } from './packet-socket.js';

/** One check's outcome. */
export interface DoctorCheck {
  /** Short name, e.g. `addon`. */
  name: string;
  /** `ok`, or how bad it is: `error` stops VRRP from working, `warning` degrades it. */
  status: 'ok' | 'error' | 'warning';
  /** What was found, in plain words. */
  message: string;
  /** What to do about it (absent when ok). */
  fix?: string;
}

/** The whole report; `ok` is false when any check is an error. */
export interface DoctorReport {
  /** No errors (warnings allowed). */
  ok: boolean;
  /** Every check, in order. */
  checks: DoctorCheck[];
}

const CAP_NET_ADMIN = 12;
const CAP_NET_RAW = 13;

/** Runs every check; pass `interface` (and `family`) to check the interface VRRP will use. */
export async function doctor(options: { interface?: string; family?: 'ipv4' | 'ipv6' } = {}): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const add = (check: DoctorCheck): void => {
    checks.push(check);
  };
  if (process.platform !== 'linux') {
    add({ name: 'platform', status: 'error', message: `this is ${process.platform}; the VRRP adapters need Linux`, fix: 'run on Linux, or pass your own adapters to VrrpInstance' });
    return { ok: false, checks };
  }
  add({ name: 'platform', status: 'ok', message: 'Linux' });

  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const nodeOk = major > 20 || (major === 20 && minor >= 19);
  add(nodeOk ? { name: 'node', status: 'ok', message: `Node.js ${process.versions.node}` } : { name: 'node', status: 'error', message: `Node.js ${process.versions.node} is too old`, fix: 'use Node.js 20.19 or newer' });

  add(checkNetlink());
  const addon = loadPacketAddon();
  add(
    addon.ok
      ? { name: 'addon', status: 'ok', message: 'native addon built: VRRP sockets, engine timer, gratuitous ARP / unsolicited NA available' }
      : {
          name: 'addon',
          status: 'error',
          message: `native addon unavailable (${addon.reason}): no VRRP sockets on Linux`,
          fix: 'reinstall vrrp with build tools present (python3, make, a C compiler) and, on npm 11+, `npm install-scripts approve vrrp`',
        },
  );

  const caps = effectiveCapabilities();
  for (const [cap, bit, why] of [
    ['CAP_NET_RAW', CAP_NET_RAW, 'raw VRRP sockets and ARP frames'],
    ['CAP_NET_ADMIN', CAP_NET_ADMIN, 'adding and removing the virtual addresses'],
  ] as const) {
    const has = caps === undefined ? undefined : (caps & (1n << BigInt(bit))) !== 0n;
    add(
      has
        ? { name: cap, status: 'ok', message: `${cap} present` }
        : { name: cap, status: 'error', message: has === undefined ? `cannot read capabilities (needed: ${cap} for ${why})` : `${cap} missing: needed for ${why}`, fix: `run as root, or grant it: setcap cap_net_raw,cap_net_admin+ep "$(readlink -f "$(command -v node)")" (or AmbientCapabilities=${cap} in a systemd unit)` },
    );
  }

  for (const [key, path] of [
    ['net.ipv4.ip_nonlocal_bind', '/proc/sys/net/ipv4/ip_nonlocal_bind'],
    ['net.ipv6.ip_nonlocal_bind', '/proc/sys/net/ipv6/ip_nonlocal_bind'],
  ] as const) {
    if (options.family && !key.includes(options.family === 'ipv4' ? 'ipv4' : 'ipv6')) continue;
    const value = readTrimmed(path);
    add(
      value === '1'
        ? { name: key, status: 'ok', message: `${key} = 1: services on the backup can bind the VIP before they own it` }
        : { name: key, status: 'warning', message: `${key} = ${value ?? 'unknown'}: a service on the backup (HAProxy, say) cannot bind the VIP until this node is master`, fix: `sysctl -w ${key}=1, and persist it: echo '${key} = 1' > /etc/sysctl.d/90-vrrp.conf` },
    );
  }

  if (options.interface) add(await checkInterface(options.interface, options.family ?? 'ipv4'));
  return { ok: checks.every((check) => check.status !== 'error'), checks };
}

/** The report as text, one line per check, with the fix indented under each problem. */
export function formatDoctorReport(report: DoctorReport): string {
  const mark = { ok: '✔', warning: '!', error: '✘' } as const;
  const lines = report.checks.flatMap((check) => [`${mark[check.status]} ${check.name}: ${check.message}`, ...(check.fix ? [`    fix: ${check.fix}`] : [])]);
  lines.push(report.ok ? 'ready for VRRP' : 'not ready: fix the ✘ lines above');
  return lines.join('\n');
}

function checkNetlink(): DoctorCheck {
  try {
    loadNetlink();
    return { name: 'netlink', status: 'ok', message: 'netlink loads' };
  } catch (error) {
    return { name: 'netlink', status: 'error', message: error instanceof Error ? error.message : String(error), fix: 'npm install netlink@0.3.0 (and on npm 11+: npm install-scripts approve netlink)' };
  }
}

async function checkInterface(ifname: string, family: 'ipv4' | 'ipv6'): Promise<DoctorCheck> {
  try {
    const link = await getInterface(ifname);
    if (!link) return { name: 'interface', status: 'error', message: `interface ${ifname} does not exist`, fix: 'check the name with `ip link`' };
    if (!link.adminUp || !link.running) {
      return { name: 'interface', status: 'error', message: `${ifname} is ${link.adminUp ? 'up but has no carrier' : 'down'}`, fix: `ip link set ${ifname} up, and check the cable / peer` };
    }
    const primary = pickPrimaryAddress(await getInterfaceAddresses(link.index, family), family, new Set());
    if (!primary) {
      const what = family === 'ipv4' ? 'an IPv4 address' : 'an IPv6 link-local address';
      return { name: 'interface', status: 'error', message: `${ifname} has no ${what} to send VRRP from`, fix: `give ${ifname} ${what}` };
    }
    return { name: 'interface', status: 'ok', message: `${ifname} is up; VRRP will send from ${primary}` };
  } catch (error) {
    return { name: 'interface', status: 'error', message: `cannot read ${ifname}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function effectiveCapabilities(): bigint | undefined {
  const status = readTrimmed('/proc/self/status');
  const hex = status ? /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] : undefined;
  return hex === undefined ? undefined : BigInt(`0x${hex}`);
}

function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
