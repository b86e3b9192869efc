/**
 * A network namespace of a process's own (`unshare -rn`: a user namespace makes it work without root where the
 * kernel allows it; gone with the process) with a veth pair whose end `eth0` is up and carries 192.168.1.10/24 —
 * for tests that run `vrrp run` or an app without the whole namespace lab. Where such a namespace cannot be made,
 * the tests skip with one loud line, and in CI (`CI=true`) fail instead: a skip there would hide what they check.
 */
import { execFileSync } from 'node:child_process';

/** `sh -c` script: makes eth0 in the new namespace, then execs its arguments (`sh -c OWN_NETNS_SETUP sh cmd…`). */
export const OWN_NETNS_SETUP =
  'ip link add eth0 type veth peer name eth1 && ip link set eth1 up && ip link set eth0 up && ip addr add 192.168.1.10/24 dev eth0 && exec "$@"';

/** The argv that runs `command` in a namespace of its own (see the header). */
export function inOwnNetns(command: readonly string[]): [string, string[]] {
  return ['unshare', ['-rn', 'sh', '-c', OWN_NETNS_SETUP, 'sh', ...command]];
}

let probed: { ok: boolean; reason?: string } | undefined;

/**
 * Whether such a namespace can be made here; says so once on stderr, naming `testFile`, when not. Throws in CI
 * (`CI=true`), where a skip is a failure.
 */
export function ownNetnsAvailable(testFile: string): boolean {
  probed ??= probe();
  if (probed.ok) return true;
  if (process.env.CI === 'true') throw new Error(`${testFile} cannot run in CI: ${probed.reason}`);
  process.stderr.write(`SKIPPED ${testFile}: ${probed.reason}\n`);
  return false;
}

function probe(): { ok: boolean; reason?: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'not Linux' };
  try {
    const [file, args] = inOwnNetns(['true']);
    execFileSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `unshare -rn with a veth pair failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}` };
  }
}

/**
 * Python that sends VRRP packets (argv: hex bytes, count) from 192.168.1.20 — the address a test puts on eth1, the
 * veth peer — with TTL 255, one every 100 ms: a master on the wire beside the process under test.
 */
export const SEND_ADVERTS_FROM_PEER = [
  'import socket, sys, time',
  's = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)',
  's.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)',
  "s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton('192.168.1.20'))",
  "s.bind(('192.168.1.20', 0))",
  'for _ in range(int(sys.argv[2])):',
  "    s.sendto(bytes.fromhex(sys.argv[1]), ('224.0.0.18', 0))",
  '    time.sleep(0.1)',
].join('\n');

/** `nsenter` arguments that enter the user and network namespaces of `pid` (a process started by inOwnNetns). */
export function enterOwnNetns(pid: number | string): string[] {
  return ['-t', String(pid), '-U', '-n', '--preserve-credentials'];
}
