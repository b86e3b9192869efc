/**
 * Preflight: says in plain words what this machine lacks to run VRRP, and how to fix each thing. It reads files
 * and asks the kernel; it changes nothing.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { getInterface, getInterfaceAddresses, pickPrimaryAddress } from './interfaces.js';
import { loadNetlink } from './native.js';
import { hasCapability, NEEDED_CAPABILITIES, readCapabilities, type CapabilitySets, type NeededCapability } from './capabilities.js';
import { loadPacketAddon } from './packet-socket.js';
import { errnoName, loadAddon } from './addon.js';
import { canCreateIn, chooseMarkerDir, MARKER_DIR_FIX } from './vip/markers.js';

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
  /**
   * When a capability is missing: how to grant CAP_NET_RAW and CAP_NET_ADMIN without root, best first — a systemd
   * unit, then container flags, and `setcap` on the node binary last, with its cost. {@link formatDoctorReport}
   * prints it after the checks.
   */
  advice?: string;
}

/**
 * How to grant the two capabilities and nothing else, best first. A systemd unit confines them to one service and
 * one user; a container to one container; `setcap` on node hands them to every script any user runs with it.
 */
export const RUN_WITHOUT_ROOT_ADVICE = [
  'How to run VRRP without root, with only CAP_NET_RAW and CAP_NET_ADMIN (vrrp\'s docs/running-without-root.md):',
  '  1. systemd (best): in the [Service] section of the unit that runs your app or `vrrp run`',
  '       User=vrrp',
  '       AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN',
  '       CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN',
  '       NoNewPrivileges=yes',
  '       RuntimeDirectory=vrrp',
  '       RuntimeDirectoryPreserve=yes',
  '     (create the user first: useradd --system --no-create-home --shell /usr/sbin/nologin vrrp)',
  '  2. a container: host network, and only these two capabilities, e.g.',
  '       docker run --network host --cap-drop ALL --cap-add NET_RAW --cap-add NET_ADMIN …',
  '     (Kubernetes: hostNetwork: true, securityContext.capabilities: { drop: [ALL], add: [NET_RAW, NET_ADMIN] });',
  '     Docker gives --cap-add capabilities to uid 0 of the container only, not to a --user: run `vrrp doctor` inside it',
  '  3. last resort: setcap cap_net_raw,cap_net_admin+ep "$(readlink -f "$(command -v node)")"',
  '     — this gives both rights to every Node.js script that any user on this host runs with that binary, makes Node',
  '     ignore NODE_OPTIONS (secure mode), and is lost silently when node is upgraded',
].join('\n');

/**
 * Runs every check; pass `interface` (and `family`) to check the interface VRRP will use, and `vmac` for what a
 * VMAC needs (docs/vmac.md).
 */
export async function doctor(options: { interface?: string; family?: 'ipv4' | 'ipv6'; vmac?: boolean } = {}): Promise<DoctorReport> {
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
      ? {
          name: 'addon',
          status: 'ok',
          message: `native addon loaded (${addon.origin.kind === 'prebuilt' ? `prebuilt for ${addon.origin.tag}` : 'built from source'}): VRRP sockets, engine timer, gratuitous ARP / unsolicited NA available`,
        }
      : {
          name: 'addon',
          status: 'error',
          message: `native addon unavailable (${addon.reason}): no VRRP sockets on Linux`,
          fix: 'install python3, make and a C compiler, then `npm rebuild vrrp --foreground-scripts` (on npm 11+, `npm install-scripts approve vrrp` first); docs/installing.md',
        },
  );

  const caps = readCapabilities();
  const missing: string[] = [];
  for (const cap of NEEDED_CAPABILITIES) {
    const check = checkCapability(cap, caps);
    if (check.status !== 'ok') missing.push(cap.name);
    add(check);
  }
  add(checkMarkerDir());
  if (addon.ok) add(checkKernelSilence(options.family === 'ipv6' ? 6 : 4));

  for (const [key, path] of [
    ['net.ipv4.ip_nonlocal_bind', '/proc/sys/net/ipv4/ip_nonlocal_bind'],
    ['net.ipv6.ip_nonlocal_bind', '/proc/sys/net/ipv6/ip_nonlocal_bind'],
  ] as const) {
    if (options.family && !key.includes(options.family === 'ipv4' ? 'ipv4' : 'ipv6')) continue;
    const value = readTrimmed(path);
    add(
      value === '1'
        ? { name: key, status: 'ok', message: `${key} = 1: services on the backup can bind the VIP before they own it` }
        : { name: key, status: 'warning', message: `${key} = ${value ?? 'unknown'}: a service on the backup (HAProxy, say) cannot bind the VIP until this node is master`, fix: `sysctl -w ${key}=1, and persist it: echo '${key} = 1' > /etc/sysctl.d/90-vrrp-${key.split('.')[1]}-nonlocal-bind.conf` },
    );
  }

  if (options.vmac === true) {
    if (options.family !== 'ipv6') add(checkVmacReversePath(readTrimmed('/proc/sys/net/ipv4/conf/all/rp_filter')));
    if (addon.ok) add(checkVmacGuard());
  }
  if (options.interface) add(await checkInterface(options.interface, options.family ?? 'ipv4'));
  return { ok: checks.every((check) => check.status !== 'error'), checks, ...(missing.length > 0 ? { advice: RUN_WITHOUT_ROOT_ADVICE } : {}) };
}

/** The report as text, one line per check, with the fix indented under each problem. */
export function formatDoctorReport(report: DoctorReport): string {
  const mark = { ok: '✔', warning: '!', error: '✘' } as const;
  const lines = report.checks.flatMap((check) => [`${mark[check.status]} ${check.name}: ${check.message}`, ...(check.fix ? [`    fix: ${check.fix}`] : [])]);
  lines.push(report.ok ? 'ready for VRRP' : 'not ready: fix the ✘ lines above');
  if (report.advice !== undefined) lines.push('', report.advice);
  return lines.join('\n');
}

function checkNetlink(): DoctorCheck {
  try {
    loadNetlink();
    return { name: 'netlink', status: 'ok', message: 'the netlink module loads: link and address events and reads' };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      name: 'netlink',
      status: 'error',
      message: `the netlink module (an optional dependency) does not load: no link and address events or reads on Linux (${detail})`,
      fix: 'npm install netlink@0.3.0 (and on npm 11+: npm install-scripts approve netlink)',
    };
  }
}

/**
 * Whether a settled backup's silence can be kept by the kernel (docs/linux.md, "Kernel silence timers"): loads the
 * eBPF program and its maps without attaching them. Without them VRRP works the same at some more CPU, so their
 * absence is a warning; `probe` returns 0 or the errno the kernel refused with.
 */
export function checkKernelSilence(family: 4 | 6, probe: (family: 4 | 6) => number = (f) => loadAddon().kernelSilenceProbe(f), env: NodeJS.ProcessEnv = process.env): DoctorCheck {
  const name = 'kernel silence timers';
  if (env.VRRP_KERNEL_SILENCE === '0') {
    return { name, status: 'ok', message: 'turned off (VRRP_KERNEL_SILENCE=0): a settled backup wakes before each possible silence of its master instead' };
  }
  let errno: number;
  try {
    errno = probe(family);
  } catch (error) {
    return { name, status: 'warning', message: `cannot ask the kernel: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (errno === 0) return { name, status: 'ok', message: 'available: a settled backup wakes when its master falls silent, and every 2 s, not before each possible silence' };
  const code = errnoName(errno);
  if (code === 'EPERM' || code === 'EACCES') {
    return {
      name,
      status: 'warning',
      message: `unavailable (${code}: CAP_BPF missing): a settled backup wakes before each possible silence of its master — the same timing, more CPU`,
      fix: 'optional: grant CAP_BPF as well (AmbientCapabilities= and CapabilityBoundingSet= of a systemd unit, or --cap-add BPF); docs/running-without-root.md',
    };
  }
  return {
    name,
    status: 'warning',
    message: `unavailable (${code}: this kernel, ${release()}, refuses the program; BPF timers need 5.15 or later): a settled backup wakes before each possible silence of its master — the same timing, more CPU`,
    fix: 'optional: a kernel of 5.15 or later',
  };
}

/** A VMAC's adverts are dropped by strict reverse-path filtering: `net.ipv4.conf.all.rp_filter` must not be 1. */
export function checkVmacReversePath(allRpFilter: string | undefined): DoctorCheck {
  const name = 'vmac rp_filter';
  if (allRpFilter !== '1') return { name, status: 'ok', message: `net.ipv4.conf.all.rp_filter = ${allRpFilter ?? 'unknown'}: a VMAC hears the adverts` };
  return {
    name,
    status: 'error',
    message: 'net.ipv4.conf.all.rp_filter = 1 (strict): it drops every advert a VMAC receives, and an instance with vmac refuses to start',
    fix: "sysctl -w net.ipv4.conf.all.rp_filter=0 (or 2), raising each interface's own rp_filter where strict filtering is wanted, and persist it in /etc/sysctl.d/; docs/vmac.md",
  };
}

/**
 * Whether a VMAC's guard can load here (docs/vmac.md, "What a backup's VMAC must not send"): without it a VMAC works,
 * but its IGMP / MLD reports and router solicitations leave with its MAC, so its absence is a warning. `probe` returns
 * 0 or the errno the kernel refused with; `kernel` is this kernel's release (tcx needs 6.6).
 */
export function checkVmacGuard(probe: () => number = () => loadAddon().vmacGuardProbe(), kernel: string = release()): DoctorCheck {
  const name = 'vmac guard';
  let errno: number;
  try {
    errno = probe();
  } catch (error) {
    return { name, status: 'warning', message: `cannot ask the kernel: ${error instanceof Error ? error.message : String(error)}` };
  }
  const [major = 0, minor = 0] = kernel.split(/[.-]/).map(Number);
  const tcx = major > 6 || (major === 6 && minor >= 6);
  if (errno === 0 && tcx) return { name, status: 'ok', message: "available: a VMAC's reports leave with the base's MAC and its router solicitations not at all" };
  const cost = "a VMAC's IGMP / MLD reports and router solicitations leave with its MAC, and a switch may take a backup for the master until the master's next advert";
  if (errno === 0) return { name, status: 'warning', message: `unavailable (this kernel, ${kernel}, has no tcx; it came in 6.6): ${cost}`, fix: 'optional: a kernel of 6.6 or later' };
  const code = errnoName(errno);
  if (code === 'EPERM' || code === 'EACCES') {
    return { name, status: 'warning', message: `unavailable (${code}: CAP_BPF missing): ${cost}`, fix: 'optional: grant CAP_BPF as well (AmbientCapabilities= and CapabilityBoundingSet= of a systemd unit, or --cap-add BPF); docs/running-without-root.md' };
  }
  return { name, status: 'warning', message: `unavailable (${code}: this kernel, ${kernel}, refuses the program): ${cost}`, fix: 'optional: a kernel of 6.6 or later' };
}

function checkCapability(cap: NeededCapability, caps: CapabilitySets | undefined): DoctorCheck {
  const mask = 1n << BigInt(cap.bit);
  if (caps === undefined) {
    return { name: cap.name, status: 'error', message: `cannot read this process's capabilities (/proc/self/status); ${cap.name} is needed for ${cap.why}`, fix: 'run on Linux with /proc mounted' };
  }
  if (hasCapability(caps, cap)) return { name: cap.name, status: 'ok', message: `${cap.name} present` };
  const uid = process.geteuid?.();
  const bounded = (caps.bounding & mask) === 0n;
  return {
    name: cap.name,
    status: 'error',
    message:
      `${cap.name} missing (uid ${uid ?? '?'}): needed for ${cap.why}` +
      (bounded ? `; the bounding set lacks it too, so nothing started from here can gain it (a container without --cap-add ${cap.short}?)` : ''),
    fix: `grant ${cap.name} to the service that runs VRRP, and nothing more: a systemd unit's AmbientCapabilities= first (below)`,
  };
}

function checkMarkerDir(): DoctorCheck {
  const choice = chooseMarkerDir({ env: process.env, uid: process.geteuid?.(), writable: canCreateIn });
  if (choice.dir !== undefined) {
    const how = choice.source === '/run/vrrp' ? '' : ` (${choice.source})`;
    return { name: 'markers', status: 'ok', message: `VIP markers go to ${choice.dir}${how}: a crashed run's VIPs are removed when it starts again` };
  }
  return {
    name: 'markers',
    status: 'warning',
    message: `no directory for the VIP markers: ${choice.problem}; VIPs that a crashed run leaves up will not be removed when it starts again`,
    fix: MARKER_DIR_FIX,
  };
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

function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
