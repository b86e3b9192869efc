/**
 * The two capabilities VRRP needs on Linux, read from /proc/self/status: for `doctor()`, and for the errors of a
 * process that lacks them, which name what is missing instead of saying "needs root".
 */
import { readFileSync } from 'node:fs';

/** A capability VRRP needs: its name, its bit, Docker's short name, and what it is for. */
export interface NeededCapability {
  /** Its name in capabilities(7). */
  name: 'CAP_NET_RAW' | 'CAP_NET_ADMIN';
  /** Its bit in the capability sets. */
  bit: number;
  /** Docker's name for it (`--cap-add`). */
  short: 'NET_RAW' | 'NET_ADMIN';
  /** What VRRP needs it for. */
  why: string;
}

/** CAP_NET_RAW (13) and CAP_NET_ADMIN (12), and nothing else: no root uid, no file access rights. */
export const NEEDED_CAPABILITIES: readonly NeededCapability[] = [
  { name: 'CAP_NET_RAW', bit: 13, short: 'NET_RAW', why: 'the raw VRRP sockets and the gratuitous ARP / unsolicited NA frames (AF_PACKET)' },
  { name: 'CAP_NET_ADMIN', bit: 12, short: 'NET_ADMIN', why: 'adding and removing the virtual addresses (rtnetlink), and the 1 MiB receive buffer (SO_RCVBUFFORCE)' },
];

/** A process's capability sets. */
export interface CapabilitySets {
  /** CapEff of /proc/self/status: what the process may do now. */
  effective: bigint;
  /** CapBnd: what anything started from here could ever gain. */
  bounding: bigint;
}

/** Parses the `CapEff` and `CapBnd` lines of a /proc/PID/status text; undefined without `CapEff`. */
export function parseCapabilities(status: string): CapabilitySets | undefined {
  const field = (name: string): bigint | undefined => {
    const hex = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1];
    return hex === undefined ? undefined : BigInt(`0x${hex}`);
  };
  const effective = field('CapEff');
  return effective === undefined ? undefined : { effective, bounding: field('CapBnd') ?? effective };
}

/** This thread's capability sets; undefined where /proc cannot tell. */
export function readCapabilities(): CapabilitySets | undefined {
  try {
    return parseCapabilities(readFileSync('/proc/thread-self/status', 'utf8'));
  } catch {
    try {
      return parseCapabilities(readFileSync('/proc/self/status', 'utf8'));
    } catch {
      return undefined;
    }
  }
}

/** Whether `sets` has `capability` in its effective set. */
export function hasCapability(sets: CapabilitySets, capability: NeededCapability): boolean {
  return (sets.effective & (1n << BigInt(capability.bit))) !== 0n;
}

/**
 * For an error that the kernel answered EPERM / EACCES where `needed` is required: which of the two capabilities
 * this process lacks, and where to learn how to grant them; or, with both present, that something else refused.
 */
export function missingCapabilitiesHint(needed: NeededCapability['name'], sets: CapabilitySets | undefined = readCapabilities()): string {
  if (sets === undefined) return `needs ${needed}`;
  const missing = NEEDED_CAPABILITIES.filter((capability) => !hasCapability(sets, capability)).map((capability) => capability.name);
  if (!missing.includes(needed)) return `refused although ${needed} is present (a security module or a seccomp filter?)`;
  const uid = process.geteuid?.();
  return `this process${uid === undefined ? '' : ` (uid ${uid})`} lacks ${missing.join(' and ')}; \`vrrp doctor\` says how to grant ${missing.length === 1 ? 'it' : 'them'} without root`;
}
