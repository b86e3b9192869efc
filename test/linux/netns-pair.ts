/**
 * Two network namespaces of a test's own, `<prefix>-<pid>-a` and `-b`, joined by a veth pair whose ends are `eth0`
 * in each: the segment the Linux socket tests run on. Only addresses inside these namespaces are used.
 *
 * Cleanup: {@link NetnsPair.destroy} (call it in afterAll) and, should the run die first, on process exit; and at
 * creation, namespaces of this prefix whose owner process is dead are deleted.
 */
import { execFileSync } from 'node:child_process';

/** Runs a command and returns its stdout; throws with its stderr on failure. */
export const run = (command: string, args: string[]): string => execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Runs a command inside namespace `ns`. */
export const inNs = (ns: string, command: string, ...args: string[]): string => run('ip', ['netns', 'exec', ns, command, ...args]);

/** Options of {@link createNetnsPair}. */
export interface NetnsPairOptions {
  /** Namespace name prefix, e.g. `vrrpp` (names are `<prefix>-<pid>-a|b`). */
  prefix: string;
  /** Second octet of 10.<n>.0.0/24 and the <n> of 2001:db8:<n>::/64 (A is .1 / ::1, B is .2 / ::2). */
  subnet: number;
  /** eth0's MAC in A and in B. */
  macs: readonly [string, string];
}

/** A created pair. */
export interface NetnsPair {
  /** Namespace names. */
  readonly a: string;
  readonly b: string;
  /** Deletes both namespaces (idempotent). */
  destroy(): void;
}

/**
 * Creates the pair: eth0 up in each with its MAC, IPv6 DAD off (the link-local is usable at once), lo up, and the
 * IPv4 and IPv6 addresses of the subnet.
 */
export function createNetnsPair({ prefix, subnet, macs }: NetnsPairOptions): NetnsPair {
  const a = `${prefix}-${process.pid}-a`;
  const b = `${prefix}-${process.pid}-b`;
  const destroy = (): void => {
    for (const ns of [a, b]) {
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {
        // Already gone (or never created): nothing to clean.
      }
    }
  };
  process.once('exit', destroy);
  deleteOrphaned(prefix);
  run('ip', ['netns', 'add', a]);
  run('ip', ['netns', 'add', b]);
  // Created directly inside the namespaces: the veth never exists in the host namespace, even for a moment.
  const vethA = `${prefix.slice(-2)}${process.pid}a`.slice(0, 15);
  const vethB = `${prefix.slice(-2)}${process.pid}b`.slice(0, 15);
  run('ip', ['link', 'add', vethA, 'netns', a, 'type', 'veth', 'peer', 'name', vethB, 'netns', b]);
  for (const [ns, veth, mac, last] of [[a, vethA, macs[0], '1'], [b, vethB, macs[1], '2']] as const) {
    run('ip', ['-n', ns, 'link', 'set', veth, 'name', 'eth0', 'address', mac]);
    inNs(ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.eth0.accept_dad=0');
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    run('ip', ['-n', ns, 'addr', 'add', `10.${subnet}.0.${last}/24`, 'dev', 'eth0']);
    run('ip', ['-n', ns, 'addr', 'add', `2001:db8:${subnet}::${last}/64`, 'dev', 'eth0', 'nodad']);
  }
  return { a, b, destroy };
}

/** Namespaces left behind by a run that was killed before its afterAll: this prefix, owner pid no longer alive. */
function deleteOrphaned(prefix: string): void {
  const pattern = new RegExp(`^(${prefix}-(\\d+)-[ab])\\b`);
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const match = pattern.exec(line);
    if (match === null) continue;
    try {
      process.kill(Number(match[2]), 0);
    } catch {
      run('ip', ['netns', 'del', match[1]!]);
    }
  }
}
