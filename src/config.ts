/**
 * The user-facing configuration of a `VrrpInstance`: its schema (zod), its defaults, and the resolved form the
 * rest of the library works with. Validation reports every problem at once, each with its path, because a user
 * fixing a config one error per run is a user lost.
 */
import { z } from 'zod';
// Declares the globals our public types name, for apps whose lib / @types/node lack them (src/globals.ts).
import './globals.js';
import type { AddressFamily, VrrpVersion } from './core/advertisement.js';
import { canonicalIp, formatIp, parseIp, parseIpPrefix, type ParsedIp, type ParsedIpPrefix } from './core/ip-address.js';
import type { V3Ipv4ChecksumMode } from './core/codec.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { checkLogger, type VrrpLogger } from './logger.js';
import { commandArgv } from './trackers/command-line.js';

/** A check run by a `function` tracker: true (or a promise of true) means healthy. */
export type TrackerCheck = (signal: AbortSignal) => boolean | Promise<boolean>;

/** Fields every tracker type shares, with keepalived's `vrrp_script` meaning and defaults. */
export interface TrackerCommonConfig {
  /** Unique name within the instance; shows up in events. */
  name: string;
  /** How often the check runs, in ms (default 1000; keepalived's `interval`). */
  intervalMs?: number;
  /** How long one check may take before it counts as failed, in ms (default: `intervalMs`). */
  timeoutMs?: number;
  /** Priority adjustment −253…253 (default 0: a failing check puts the instance in Fault). */
  weight?: number;
  /** Consecutive failures before an up tracker counts as down (default 1). */
  fall?: number;
  /** Consecutive successes before a down tracker counts as up (default 1). */
  rise?: number;
  /** Flip the sign of the adjustment; with weight 0, fault while the check succeeds (default false). */
  reverse?: boolean;
  /**
   * Start as failed instead of unknown (default false; keepalived's `init_fail`): a weight-0 tracker faults the
   * instance from the start instead of holding it in `initialize`, a weighted one adjusts as failed, and it takes
   * `rise` successes to come up.
   */
  initFail?: boolean;
}

/** A tracker whose check is a function in the app: `{ type: 'function', name, check, … }`. */
export interface FunctionTrackerConfig extends TrackerCommonConfig {
  /** Tracker type. */
  type: 'function';
  /** The check; it receives an AbortSignal that fires on timeout or stop. A throw counts as a failure. */
  check: TrackerCheck;
}

/**
 * A tracker of the app's own responsiveness: `{ type: 'eventLoopLag', thresholdMs, … }`. The engine measures how
 * long the main thread has not answered (on the engine thread, where a blocked main thread cannot hide it); past
 * `thresholdMs` the tracker is down, so a truly wedged app gives up the VIP (weight 0: fault; a negative weight:
 * a lower priority) while a merely busy one keeps it. Off unless configured.
 */
export interface EventLoopLagTrackerConfig extends Omit<TrackerCommonConfig, 'name' | 'timeoutMs' | 'initFail'> {
  /** Tracker type. */
  type: 'eventLoopLag';
  /** Name (default `eventLoopLag`). */
  name?: string;
  /** The main thread counts as wedged once it has not answered for this long, in ms (10…600000). */
  thresholdMs: number;
  /**
   * How often the engine looks, in ms (5…600000; default `thresholdMs / 4`, at least 5): a few looks per threshold,
   * so that a wedge is seen within about a quarter of it past the threshold.
   */
  intervalMs?: number;
}

/**
 * A command run every `intervalMs`: exit status 0 means up (keepalived's `vrrp_script`). An array is spawned as is
 * (no shell); a string is split into words the way keepalived splits `script "…"` (quotes group, backslash escapes,
 * no shell: see src/trackers/command-line.ts). Runs never overlap; at `timeoutMs` the command's whole process group
 * gets SIGTERM, then SIGKILL.
 */
export interface ExecTrackerConfig extends TrackerCommonConfig {
  /** Tracker type. */
  type: 'exec';
  /** `['/usr/bin/killall', '-0', 'haproxy']`, or `'killall -0 haproxy'`. */
  command: string | string[];
  /**
   * Run as this user: `name`, `name:group`, `uid` or `uid:gid`, names looked up in /etc/passwd and /etc/group
   * (keepalived's `user`). Switching user needs root. Default: this process's user.
   */
  user?: string;
}

/** Up when a TCP connection to `host:port` opens within `timeoutMs`. */
export interface TcpTrackerConfig extends TrackerCommonConfig {
  /** Tracker type. */
  type: 'tcp';
  /** Host name or address. */
  host: string;
  /** TCP port, 1…65535. */
  port: number;
}

/** Up when an HTTP(S) GET of `url` answers with a status in range (and a body that matches) within `timeoutMs`. */
export interface HttpTrackerConfig extends TrackerCommonConfig {
  /** Tracker type. */
  type: 'http';
  /** `http://…` or `https://…`. Redirects are not followed: a 3xx is judged as any status. */
  url: string;
  /** Accepted status: one code or an inclusive `[min, max]` (default `[200, 299]`). */
  status?: number | [number, number];
  /** The body must contain this substring, or match it when written `/regex/flags`. */
  bodyMatch?: string;
}

/**
 * Up when the number of running processes that match is within `[quorum, quorumMax]` (keepalived's
 * `track_process`), read from /proc every `intervalMs`. Give at least one of `process`, `command`, `args`,
 * `pidFile`; every one given must match. Zombies do not count.
 */
export interface ProcessTrackerConfig extends Omit<TrackerCommonConfig, 'weight'> {
  /** Tracker type. */
  type: 'process';
  /**
   * Priority adjustment −254…254 (default 0: a failing check puts the instance in Fault); keepalived's
   * `track_process` range, summed with the other trackers' as given, as keepalived sums it.
   */
  weight?: number;
  /** The process name exactly as in /proc/PID/comm (at most 15 characters), e.g. `haproxy`. */
  process?: string;
  /**
   * The program as the process was started, exactly: the first word of /proc/PID/cmdline, e.g. `/usr/sbin/haproxy`
   * (keepalived's `process` with `full_command`). Its arguments are not looked at unless `params` or `paramMatch`
   * ask.
   */
  command?: string;
  /** The arguments after `command` to look for, compared by `paramMatch` (keepalived's `process CMD PARAM…`). */
  params?: string[];
  /**
   * How `params` are compared (keepalived's `param_match`): `exact` (default when `params` are given) — the same
   * arguments and no more, so `exact` without `params` means none; `partial` — the process's first arguments are
   * `params`; `initial` — as `partial`, but its last one need only start with the last of `params`.
   */
  paramMatch?: 'exact' | 'partial' | 'initial';
  /** The whole command line exactly, its arguments joined by single spaces (/proc/PID/cmdline). */
  args?: string;
  /** A file holding the PID of the one process to look at. */
  pidFile?: string;
  /** Fewest matching processes for up (default 1). */
  quorum?: number;
  /** Most matching processes for up (default: no limit). */
  quorumMax?: number;
}

/**
 * The integer in a file, times `weight`, is the priority adjustment (keepalived's `track_file`), read every
 * `intervalMs`. With weight 0 a non-zero value faults the instance; a product below −253 faults it too. As in
 * keepalived, a missing or empty file, or one that does not start with a number, counts as 0.
 */
export interface FileTrackerConfig extends Omit<TrackerCommonConfig, 'weight'> {
  /** Tracker type. */
  type: 'file';
  /** The file to read. */
  path: string;
  /** Multiplies the value read, −254…254 (default 1, as keepalived's `track_file`). */
  weight?: number;
}

/** Another interface's link (keepalived's `track_interface`): up while it is administratively up and running. */
export interface InterfaceTrackerConfig extends TrackerCommonConfig {
  /** Tracker type. */
  type: 'interface';
  /** The interface to watch, e.g. `eth1` (the kernel counts its 15 in bytes). */
  interface: string;
}

/** Any tracker configuration. */
export type TrackerConfig =
  | FunctionTrackerConfig
  | EventLoopLagTrackerConfig
  | ExecTrackerConfig
  | TcpTrackerConfig
  | HttpTrackerConfig
  | ProcessTrackerConfig
  | FileTrackerConfig
  | InterfaceTrackerConfig;

/** The type names of the trackers. */
export type TrackerType = TrackerConfig['type'];

/** VRRPv2 authentication (RFC 3768 §5.3.6). */
export type AuthenticationConfig =
  | {
      /** No authentication data (keepalived without `authentication`). */
      type: 'none';
    }
  | {
      /** A clear-text password in every advert (`auth_type PASS`): guards against misconfiguration, not attack. */
      type: 'simple';
      /** Up to 8 characters (`auth_pass`). */
      password: string;
    };

/** Configuration of one VRRP instance (one virtual router on one interface). */
export interface VrrpConfig {
  /** Name used in logs and events (default `vrid-<vrid>`). */
  name?: string;
  /** Network interface, e.g. `eth0` (the kernel counts its 15 in bytes). */
  interface: string;
  /** Virtual Router Identifier, 1…255. */
  vrid: number;
  /** Base priority 1…255 (default 100); 255 means this host owns the virtual addresses. */
  priority?: number;
  /** VRRP version, 2 or 3 (default 3). */
  version?: 2 | 3;
  /** Advertisement interval in ms (default 1000). v2: whole seconds; v3: multiples of 10 ms, 10…40950. */
  advertIntervalMs?: number;
  /** Virtual addresses, `ip` or `ip/prefix` (or `{ address, label }`), all IPv4 or all IPv6. */
  virtualAddresses: (string | VirtualAddressConfig)[];
  /**
   * Addresses held with mastership as `virtualAddresses` are — added, announced, leased, removed with them — but
   * left out of the advertisements: keepalived's `virtual_ipaddress_excluded`. Of either family (an IPv6 address
   * beside an IPv4 instance's, as dual-stack keepalived configs have), since the advertisement never carries them.
   * Default none.
   */
  excludedAddresses?: (string | VirtualAddressConfig)[];
  /**
   * Routes a master installs after its addresses are up and removes before they go: keepalived's `virtual_routes`
   * (see docs/keepalived.md). Of either family. Default none.
   */
  virtualRoutes?: VirtualRouteConfig[];
  /**
   * Policy routing rules a master installs after its routes and removes before them: keepalived's `virtual_rules`
   * (see docs/keepalived.md). Default none.
   */
  virtualRules?: VirtualRuleConfig[];
  /** Preempt a lower-priority master (default true). */
  preempt?: boolean;
  /** Wait this long after first hearing a lower-priority master before preempting it, in ms (default 0). */
  preemptDelayMs?: number;
  /** Starting wish, like keepalived's `state`; never decides the election (see docs/protocol.md). */
  initialState?: 'backup' | 'master';
  /** Send advertisements to these addresses instead of the multicast group (default: multicast). */
  unicastPeers?: string[];
  /** Source address of advertisements (default: the interface's primary address, as the transport finds it). */
  primaryAddress?: string;
  /**
   * A virtual MAC interface (keepalived's `use_vmac`): a macvlan on `interface` with the virtual router MAC address
   * of RFC 9568 §7.3 (00-00-5E-00-01-VRID for IPv4, 00-00-5E-00-02-VRID for IPv6), made at start in every state,
   * which holds the VIPs and sends the adverts, ARP and NA — so hosts and switches never have to learn a new MAC when
   * the master changes. `true` for the defaults. Linux only; see docs/vmac.md. Default: none (the interface's own MAC).
   */
  vmac?: boolean | VmacConfig;
  /** VRRPv2 authentication (default none). */
  authentication?: AuthenticationConfig;
  /** VRRPv3 over IPv4 checksum on send: with the pseudo-header (keepalived, FRR; default) or without (RFC 9568). */
  v3Ipv4Checksum?: V3Ipv4ChecksumMode;
  /** Accept only checksums made in the `v3Ipv4Checksum` mode (default false: accept either). */
  strictChecksum?: boolean;
  /** Health checks that adjust the priority or put the instance in Fault. */
  trackers?: TrackerConfig[];
  /** Longest time one hook may run before it is reported as timed out, in ms (default 30000). */
  hookTimeoutMs?: number;
  /** Gratuitous ARP / unsolicited NA on becoming master (keepalived's `garp_master_*`). */
  garp?: GarpConfig;
  /**
   * Kernel lifetime of the VIPs while master, renewed by the engine, in ms (default 5000; rounded up to whole
   * seconds): if the process dies or freezes, the kernel removes its VIPs within about this long. 0 turns leases
   * off (the VIPs then stay until removed, as keepalived's do). See docs/linux.md, "VIP leases".
   */
  vipLeaseMs?: number;
  /**
   * Where the instance logs (library only, not in a `vrrp run` file): a pino logger, or any object with `trace`,
   * `debug`, `info`, `warn`, `error` (each called as `(fields, message)`) and `child`. The instance logs through
   * `logger.child({ instance: name, vrid })`. Default: silent, or `util.debuglog('vrrp')` with `NODE_DEBUG=vrrp`.
   * Not part of the resolved config (a logger cannot cross to the engine thread). See docs/observability.md.
   */
  logger?: VrrpLogger;
}

/**
 * A virtual address with options: an IPv4 label (keepalived's `label`), e.g. `{ address: '10.0.0.1/24', label:
 * 'eth0:vip' }`, or another interface to hold it on (keepalived's `dev`), e.g. `{ address: '10.1.0.1/24', dev:
 * 'eth1' }`.
 */
export interface VirtualAddressConfig {
  /** `ip` or `ip/prefix`. */
  address: string;
  /** IPv4 address label (≤ 15 characters, conventionally `<interface>:<suffix>`). */
  label?: string;
  /**
   * The interface the master holds it on, when not the instance's own (keepalived's `dev`): a two-legged router's
   * address on its other side. Advertised or not as its list says; added, announced, leased and watched on that
   * interface, after the instance's own. That interface going down is not tracked unless an `interface` tracker says
   * so (the keepalived.conf importer adds one, as keepalived tracks it unless `no_track`).
   */
  dev?: string;
}

/**
 * A route that follows mastership, as `ip route add` would make it: `{ to: '10.9.0.0/24', via: '10.0.0.254' }`,
 * `{ to: '0.0.0.0/0', via: '10.0.0.1', table: 100 }`, `{ to: '10.8.0.0/16', type: 'blackhole' }`.
 */
export interface VirtualRouteConfig {
  /** Destination `ip/prefix` with its host bits zero (an address alone is a host route), or `default` given `via` or `src`. */
  to: string;
  /** Gateway (keepalived's `via` / `gw`); same family as `to`. */
  via?: string;
  /** Outgoing interface (`dev`); default none, the kernel picks it from `via`, as keepalived leaves it. */
  dev?: string;
  /** Preferred source address (`src`), usually a virtual address; same family as `to`. */
  src?: string;
  /** Metric (`metric`, `priority`), 0…4294967295 (default 0; for IPv6 the kernel makes 0 1024, and so does this). */
  metric?: number;
  /** Routing table, 1…4294967295 (default 254, `main`). */
  table?: number;
  /** Scope (default as `ip route` chooses: `link` for a unicast route without `via`, `global` otherwise). */
  scope?: VirtualRouteScope;
  /** Route type (default `unicast`); the others need neither `via` nor `dev`. */
  type?: VirtualRouteType;
}

/** Scopes of a virtual route, named as `ip route` names them. */
export type VirtualRouteScope = 'global' | 'site' | 'link' | 'host';

/** Types of a virtual route, named as `ip route` names them. */
export type VirtualRouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

/** A virtual route, parsed: addresses canonical, defaults filled in. */
export interface VirtualRoute {
  /** The route's family, from its destination. */
  family: AddressFamily;
  /** Destination network address, canonical text. */
  to: string;
  /** Destination prefix length. */
  prefixLength: number;
  /** Gateway, canonical, if any. */
  via: string | undefined;
  /** Outgoing interface, if any. */
  dev: string | undefined;
  /** Preferred source, canonical, if any. */
  src: string | undefined;
  /** Metric. */
  metric: number;
  /** Routing table. */
  table: number;
  /** Scope. */
  scope: VirtualRouteScope;
  /** Type. */
  type: VirtualRouteType;
}

/**
 * A policy routing rule that follows mastership, as `ip rule add` would make it: `{ from: '10.0.0.100', table: 100,
 * priority: 100 }`, `{ fwmark: 7, table: 7, priority: 101 }`, `{ to: '10.8.0.0/16', action: 'blackhole', priority: 102 }`.
 */
export interface VirtualRuleConfig {
  /** Source prefix to match (`from`); an address alone is one host. Default any. */
  from?: string;
  /** Destination prefix to match (`to`). Default any. */
  to?: string;
  /** Input interface to match (`iif`, `dev`). */
  iif?: string;
  /** Output interface to match (`oif`). */
  oif?: string;
  /** Firewall mark to match (`fwmark`), 0…4294967295. */
  fwmark?: number;
  /** Mask of the mark (`fwmark N/MASK`); default all ones. Only with `fwmark`. */
  fwmask?: number;
  /** Match what the selectors do not match (`not`). Default false. */
  invert?: boolean;
  /**
   * Preference (`priority`, `preference`, `order`), 0…4294967295. Required: the kernel would pick one, and a
   * removal that names none removes the first rule of any preference that matches (keepalived gives one too).
   */
  priority: number;
  /** Routing table to look up (`table`, `lookup`), 1…4294967295; exactly one of `table` and `action`. */
  table?: number;
  /** What to do instead of a lookup; exactly one of `table` and `action`. */
  action?: VirtualRuleAction;
  /** Family, when neither `from` nor `to` tells it (default `ipv4`, as `ip rule`). */
  family?: AddressFamily;
}

/** Rule actions other than a table lookup, named as `ip rule` names them. */
export type VirtualRuleAction = 'blackhole' | 'unreachable' | 'prohibit';

/** A virtual rule, parsed: prefixes canonical, the family known. */
export interface VirtualRule {
  /** The rule's family. */
  family: AddressFamily;
  /** Source network, if any. */
  from: VirtualRuleNetwork | undefined;
  /** Destination network, if any. */
  to: VirtualRuleNetwork | undefined;
  /** Input interface, if any. */
  iif: string | undefined;
  /** Output interface, if any. */
  oif: string | undefined;
  /** Firewall mark, if any. */
  fwmark: number | undefined;
  /** Mask of the mark, if any. */
  fwmask: number | undefined;
  /** Inverted match. */
  invert: boolean;
  /** Preference. */
  priority: number;
  /** Table looked up; undefined when `action` is set. */
  table: number | undefined;
  /** What is done instead of a lookup; undefined when `table` is set. */
  action: VirtualRuleAction | undefined;
}

/** A network a virtual rule matches. */
export interface VirtualRuleNetwork {
  /** Network address, canonical text. */
  address: string;
  /** Prefix length. */
  prefixLength: number;
}

/** A virtual MAC interface's options (see {@link VrrpConfig.vmac}). */
export interface VmacConfig {
  /**
   * Its interface name (≤ 15 bytes). Default: `vrrp.<VRID>`, or the first free of `vrrp6.<VRID>` (IPv6),
   * `vrrp1.<VRID>`, `vrrp2.<VRID>`… when an interface has that name (the other family's VMAC, say) — keepalived's
   * names; and without a name, a VMAC of this VRID and family on `interface` that is there already (a crashed run's)
   * is taken whatever its name.
   */
  name?: string;
  /**
   * Send and receive the adverts on `interface` itself, not on the VMAC (keepalived's `vmac_xmit_base`): they then
   * carry the interface's own MAC; the VIPs, ARP and NA stay on the VMAC. Needed with `unicastPeers`. Default false.
   */
  xmitBase?: boolean;
}

/** A {@link VmacConfig} with its default filled in. */
export interface ResolvedVmacConfig {
  /** See {@link VmacConfig.name}; undefined: chosen at start. */
  name: string | undefined;
  /** See {@link VmacConfig.xmitBase}. */
  xmitBase: boolean;
}

/** Announcement knobs, with keepalived's defaults. */
export interface GarpConfig {
  /**
   * Frames per address sent at once on becoming master (default 5; `garp_master_repeat`). 0 turns the gratuitous
   * ARP / unsolicited NA off altogether — no burst at a takeover, no second burst, no refresh — so that clients and
   * switches learn the move only from the new master's own traffic; keepalived 2.2.7 reads 0 as 1 (as does
   * `vrrp import-keepalived`).
   */
  repeat?: number;
  /** Delay before a second burst, in ms; 0 disables it (default 5000; `garp_master_delay`). */
  delayMs?: number;
  /** Re-announce every this many ms while master; 0 disables it (default 0; `garp_master_refresh`). */
  refreshMs?: number;
}

/** A virtual address, parsed. */
export interface VirtualAddress {
  /** Canonical address text. */
  address: string;
  /** Prefix length (32 or 128 when none was given). */
  prefixLength: number;
  /** Address family. */
  family: AddressFamily;
  /** IPv4 label, if configured. */
  label?: string;
  /** The interface it goes on when not the instance's own (`dev` given and different); absent: the instance's. */
  dev?: string;
}

/** A tracker configuration with every default filled in. */
export type ResolvedTrackerConfig =
  | ResolvedFunctionTrackerConfig
  | ResolvedEventLoopLagTrackerConfig
  | ResolvedExecTrackerConfig
  | ResolvedTcpTrackerConfig
  | ResolvedHttpTrackerConfig
  | ResolvedProcessTrackerConfig
  | ResolvedFileTrackerConfig
  | ResolvedInterfaceTrackerConfig;

/** A tracker of type `T` with its defaults filled in; the fields in `Optional` stay optional. */
type Resolved<T extends { timeoutMs?: number }, Optional extends keyof T = never> = Required<Omit<T, 'timeoutMs' | Optional>> &
  Pick<T, Optional> & { timeoutMs: number };

/** A `function` tracker with every default filled in. */
export type ResolvedFunctionTrackerConfig = Resolved<FunctionTrackerConfig>;

/** An `eventLoopLag` tracker with every default filled in (`intervalMs`: how often the engine looks). */
export type ResolvedEventLoopLagTrackerConfig = Required<EventLoopLagTrackerConfig>;

/** An `exec` tracker with defaults filled in; `argv` is what runs (see {@link ExecTrackerConfig.command}). */
export type ResolvedExecTrackerConfig = Resolved<ExecTrackerConfig, 'user'> & {
  /** The command as run: the argv given, or the string split as keepalived splits `script "…"`. */
  argv: string[];
};

/** A `tcp` tracker with defaults filled in. */
export type ResolvedTcpTrackerConfig = Resolved<TcpTrackerConfig>;

/** An `http` tracker with defaults filled in; `status` is always a `[min, max]` range. */
export type ResolvedHttpTrackerConfig = Resolved<Omit<HttpTrackerConfig, 'status'>, 'bodyMatch'> & {
  /** The accepted status codes, `[min, max]` inclusive (one code `c` becomes `[c, c]`). */
  status: [number, number];
};

/** A `process` tracker with defaults filled in (no `quorumMax`: no upper limit). */
export type ResolvedProcessTrackerConfig = Resolved<ProcessTrackerConfig, 'process' | 'command' | 'params' | 'paramMatch' | 'args' | 'pidFile' | 'quorumMax'>;

/** A `file` tracker with defaults filled in; `valued` tells the core that its reading, not up/down, adjusts. */
export type ResolvedFileTrackerConfig = Resolved<FileTrackerConfig> & {
  /** Always true: the core adjusts by the value read times the weight, not by up/down. */
  valued: true;
};

/** An `interface` tracker with defaults filled in. */
export type ResolvedInterfaceTrackerConfig = Resolved<InterfaceTrackerConfig>;

/** A validated configuration with every default filled in. */
export interface ResolvedConfig {
  /** See {@link VrrpConfig.name}. */
  name: string;
  /** See {@link VrrpConfig.interface}. */
  interface: string;
  /** See {@link VrrpConfig.vrid}. */
  vrid: number;
  /** See {@link VrrpConfig.priority}. */
  priority: number;
  /** See {@link VrrpConfig.version}. */
  version: VrrpVersion;
  /** Address family of the instance, from its virtual addresses. */
  family: AddressFamily;
  /** See {@link VrrpConfig.advertIntervalMs}. */
  advertIntervalMs: number;
  /** Parsed virtual addresses. */
  virtualAddresses: VirtualAddress[];
  /** Parsed {@link VrrpConfig.excludedAddresses} (empty when none). */
  excludedAddresses: VirtualAddress[];
  /** Every address a master holds: `virtualAddresses`, then `excludedAddresses` — what the VIP manager is given. */
  heldAddresses: VirtualAddress[];
  /** Parsed {@link VrrpConfig.virtualRoutes} (empty when none). */
  virtualRoutes: VirtualRoute[];
  /** Parsed {@link VrrpConfig.virtualRules} (empty when none). */
  virtualRules: VirtualRule[];
  /** See {@link VrrpConfig.preempt}. */
  preempt: boolean;
  /** See {@link VrrpConfig.preemptDelayMs}. */
  preemptDelayMs: number;
  /** See {@link VrrpConfig.initialState}. */
  initialState: 'backup' | 'master' | undefined;
  /** Canonical unicast peers. */
  unicastPeers: string[];
  /** Canonical primary address, if configured. */
  primaryAddress: string | undefined;
  /** See {@link VrrpConfig.vmac}; undefined: none. */
  vmac: ResolvedVmacConfig | undefined;
  /** See {@link VrrpConfig.authentication}. */
  authentication: AuthenticationConfig;
  /** See {@link VrrpConfig.v3Ipv4Checksum}. */
  v3Ipv4Checksum: V3Ipv4ChecksumMode;
  /** See {@link VrrpConfig.strictChecksum}. */
  strictChecksum: boolean;
  /** Trackers with defaults. */
  trackers: ResolvedTrackerConfig[];
  /** See {@link VrrpConfig.hookTimeoutMs}. */
  hookTimeoutMs: number;
  /** Announcement knobs with defaults filled in. */
  garp: Required<GarpConfig>;
  /** See {@link VrrpConfig.vipLeaseMs}. */
  vipLeaseMs: number;
}

const int = (min: number, max: number) =>
  z.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const nonEmpty = () => z.string({ error: 'must be a string' }).min(1, 'must not be empty');
const utf8 = new TextEncoder();
/**
 * A Linux interface name: the kernel's limit is IFNAMSIZ - 1 = 15 bytes. The length check counts characters (what
 * the generated docs can say); the refinement catches the names of 15 characters or fewer that are longer in bytes.
 */
const interfaceName = (error: string) =>
  z
    .string({ error })
    .min(1, 'must not be empty')
    .max(15, 'must be at most 15 bytes (IFNAMSIZ)')
    .refine((name) => name.length > 15 || utf8.encode(name).length <= 15, 'must be at most 15 bytes (IFNAMSIZ)');
const flag = () => z.boolean({ error: 'must be true or false' });

/** The fields every tracker type shares (keepalived's `vrrp_script` defaults); `weight` as given. */
const trackerFields = (weight: z.ZodDefault<z.ZodNumber> = int(-253, 253).default(0)) => ({
  name: nonEmpty(),
  intervalMs: int(1, 86_400_000).default(1000),
  timeoutMs: int(1, 86_400_000).optional(),
  weight,
  fall: int(1, 1_000_000).default(1),
  rise: int(1, 1_000_000).default(1),
  reverse: flag().default(false),
  initFail: flag().default(false),
});

const TRACKER_TYPES = ['function', 'eventLoopLag', 'exec', 'tcp', 'http', 'process', 'file', 'interface'] as const;

const trackerSchema = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        type: z.literal('function'),
        ...trackerFields(),
        check: z.custom<TrackerCheck>((value) => typeof value === 'function', { message: 'must be a function' }),
      })
      .strict(),
    z
      .object({
        type: z.literal('eventLoopLag'),
        name: nonEmpty().default('eventLoopLag'),
        thresholdMs: int(10, 600_000),
        intervalMs: int(5, 600_000).optional(),
        weight: int(-253, 253).default(0),
        fall: int(1, 1_000_000).default(1),
        rise: int(1, 1_000_000).default(1),
        reverse: flag().default(false),
      })
      .strict(),
    z
      .object({
        type: z.literal('exec'),
        ...trackerFields(),
        command: z.union([z.string(), z.array(z.string({ error: 'must be a string' }))], {
          error: "must be a command line string or an argv array (['/bin/true'])",
        }),
        user: userSpec().optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('tcp'),
        ...trackerFields(),
        host: nonEmpty(),
        port: int(1, 65_535),
      })
      .strict(),
    z
      .object({
        type: z.literal('http'),
        ...trackerFields(),
        url: nonEmpty(),
        status: z.union([int(100, 599), z.tuple([int(100, 599), int(100, 599)])], { error: 'must be a status code or [min, max]' }).default([200, 299]),
        bodyMatch: z.string({ error: 'must be a string' }).optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('process'),
        // keepalived's track_process takes ±254 too (vrrp_tprocess_weight_handler), and sums it as given. Refusing it
        // refused working keepalived.conf files (found by review).
        ...trackerFields(int(-254, 254).default(0)),
        // The kernel keeps 15 bytes of a process name (TASK_COMM_LEN); a longer name could never match.
        process: nonEmpty().max(15, 'must be at most 15 characters (the kernel keeps no more of a name); match a longer one with args').optional(),
        command: nonEmpty().optional(),
        params: z.array(z.string()).optional(),
        paramMatch: z.enum(['exact', 'partial', 'initial']).optional(),
        args: nonEmpty().optional(),
        pidFile: nonEmpty().optional(),
        quorum: int(0, 1_000_000).default(1),
        quorumMax: int(0, 1_000_000).optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('file'),
        // keepalived: weight defaults to 1 and may be ±254, so that a −1 in the file can fault a priority-254 node.
        ...trackerFields(int(-254, 254).default(1)),
        path: nonEmpty(),
      })
      .strict(),
    z
      .object({
        type: z.literal('interface'),
        ...trackerFields(),
        interface: interfaceName('must be a string'),
      })
      .strict(),
  ],
  { error: `unknown tracker type (known: ${TRACKER_TYPES.map((type) => `'${type}'`).join(', ')})` },
).superRefine((tracker, ctx) => {
  // Part of the schema, so that these are listed together with every other problem of the config in one run.
  for (const { path, message } of trackerProblems(tracker)) ctx.addIssue({ code: 'custom', path, message });
});

type ParsedTracker = z.output<typeof trackerSchema>;

/** What is wrong with a tracker whose fields each parsed: problems between fields, each with its path in the tracker. */
function trackerProblems(tracker: ParsedTracker): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  switch (tracker.type) {
    case 'exec': {
      const split = commandArgv(tracker.command);
      if (!split.ok) problems.push({ path: ['command'], message: split.error });
      break;
    }
    case 'http': {
      let url: URL | undefined;
      try {
        url = new URL(tracker.url);
      } catch {
        problems.push({ path: ['url'], message: `"${tracker.url}" is not a URL` });
      }
      if (url && url.protocol !== 'http:' && url.protocol !== 'https:') {
        problems.push({ path: ['url'], message: `must be http:// or https://, not ${url.protocol}//` });
      }
      if (Array.isArray(tracker.status) && tracker.status[0] > tracker.status[1]) {
        problems.push({ path: ['status'], message: `[${tracker.status[0]}, ${tracker.status[1]}] is empty: min must not exceed max` });
      }
      const bodyMatch = tracker.bodyMatch === undefined ? undefined : bodyMatchProblem(tracker.bodyMatch);
      if (bodyMatch) problems.push({ path: ['bodyMatch'], message: bodyMatch });
      break;
    }
    case 'process':
      if (tracker.process === undefined && tracker.command === undefined && tracker.args === undefined && tracker.pidFile === undefined) {
        problems.push({ path: [], message: 'must give process, command, args or pidFile (what to look for)' });
      }
      // Arguments are compared after the program they belong to, as keepalived does.
      if (tracker.params !== undefined && tracker.command === undefined) problems.push({ path: ['params'], message: 'needs command (the program whose arguments these are)' });
      if (tracker.paramMatch !== undefined && tracker.command === undefined) problems.push({ path: ['paramMatch'], message: 'needs command (the program whose arguments it compares)' });
      if (tracker.quorumMax !== undefined && tracker.quorumMax < tracker.quorum) {
        problems.push({ path: ['quorumMax'], message: `must be at least quorum (${tracker.quorum})` });
      }
      break;
    default:
      break;
  }
  return problems;
}

/** A tracker that passed the schema, with its defaults filled in and its derived fields computed. */
function resolveTracker(tracker: ParsedTracker): ResolvedTrackerConfig {
  switch (tracker.type) {
    case 'function':
    case 'tcp':
    case 'process':
    case 'interface':
      return withTimeout(tracker);
    case 'eventLoopLag':
      // Looking four times per threshold bounds how late a wedge is noticed to a quarter of the threshold.
      return { ...tracker, intervalMs: tracker.intervalMs ?? Math.max(5, Math.floor(tracker.thresholdMs / 4)) };
    case 'exec': {
      const split = commandArgv(tracker.command);
      // The schema refused a command that does not split; this is never the empty fallback.
      return { ...withTimeout(tracker), argv: split.ok ? split.argv : [] };
    }
    case 'http':
      return { ...withTimeout(tracker), status: typeof tracker.status === 'number' ? [tracker.status, tracker.status] : tracker.status };
    case 'file':
      return { ...withTimeout(tracker), valued: true };
  }
}

/** keepalived's `timeout` defaults to the script's `interval`: a check may take up to the time until the next. */
function withTimeout<T extends { intervalMs: number; timeoutMs?: number | undefined }>(tracker: T): T & { timeoutMs: number } {
  return { ...tracker, timeoutMs: tracker.timeoutMs ?? tracker.intervalMs };
}

/** Why a `bodyMatch` cannot be used, or undefined: a `/regex/flags` must compile. */
function bodyMatchProblem(bodyMatch: string): string | undefined {
  const regex = /^\/(.*)\/([a-z]*)$/s.exec(bodyMatch);
  if (!regex) return undefined;
  try {
    new RegExp(regex[1] ?? '', regex[2]);
    return undefined;
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
}

/** A list of virtual addresses: `ip`, `ip/prefix` or `{ address, label, dev }` (virtualAddresses, excludedAddresses). */
const addressList = z.array(
  z.union(
    [
      z.string(),
      z
        .object({
          address: z.string({ error: 'must be a string' }),
          // In bytes, as the kernel counts it (IFA_LABEL, IFNAMSIZ): 15 characters of another alphabet are more.
          label: z
            .string({ error: 'must be a string' })
            .min(1, 'must not be empty')
            .max(15, 'must be at most 15 bytes (IFNAMSIZ)')
            .refine((label) => label.length > 15 || utf8.encode(label).length <= 15, 'must be at most 15 bytes (IFNAMSIZ)')
            .optional(),
          dev: interfaceName('must be a string (e.g. "eth1")').optional(),
        })
        .strict(),
    ],
    { error: "must be 'ip', 'ip/prefix' or { address, label, dev }" },
  ),
  { error: 'must be an array of addresses' },
);

/** One virtual route as given; the addresses are checked with the other fields (crossCheck). */
const routeSchema = z
  .object({
    to: z.string({ error: 'must be a string' }),
    via: z.string({ error: 'must be a string' }).optional(),
    dev: interfaceName('must be a string (e.g. "eth0")').optional(),
    src: z.string({ error: 'must be a string' }).optional(),
    metric: int(0, 0xffffffff).default(0),
    table: int(1, 0xffffffff).default(254),
    // Not 'nowhere': the kernel refuses it for a route it is to install ("Invalid scope").
    scope: z.enum(['global', 'site', 'link', 'host'], { error: "must be 'global', 'site', 'link' or 'host'" }).optional(),
    type: z.enum(['unicast', 'blackhole', 'unreachable', 'prohibit'], { error: "must be 'unicast', 'blackhole', 'unreachable' or 'prohibit'" }).default('unicast'),
  })
  .strict();

/** One virtual rule as given; the prefixes are checked with the other fields (crossCheck). */
const ruleSchema = z
  .object({
    from: z.string({ error: 'must be a string' }).optional(),
    to: z.string({ error: 'must be a string' }).optional(),
    iif: interfaceName('must be a string (e.g. "eth0")').optional(),
    oif: interfaceName('must be a string (e.g. "eth0")').optional(),
    fwmark: int(0, 0xffffffff).optional(),
    fwmask: int(0, 0xffffffff).optional(),
    invert: z.boolean({ error: 'must be true or false' }).default(false),
    priority: int(0, 0xffffffff),
    table: int(1, 0xffffffff).optional(),
    action: z.enum(['blackhole', 'unreachable', 'prohibit'], { error: "must be 'blackhole', 'unreachable' or 'prohibit'" }).optional(),
    family: z.enum(['ipv4', 'ipv6'], { error: "must be 'ipv4' or 'ipv6'" }).optional(),
  })
  .strict();

const schema = z
  .object({
    name: z.string({ error: 'must be a string' }).min(1, 'must not be empty').optional(),
    interface: interfaceName('must be a string (e.g. "eth0")'),
    vrid: int(1, 255),
    priority: int(1, 255).default(100),
    version: z.union([z.literal(2), z.literal(3)], { error: 'must be 2 or 3' }).default(3),
    advertIntervalMs: int(10, 255_000).default(1000),
    virtualAddresses: addressList.min(1, 'must list at least one address').max(255, 'must list at most 255 addresses'),
    excludedAddresses: addressList.max(255, 'must list at most 255 addresses').default([]),
    virtualRoutes: z.array(routeSchema, { error: 'must be an array of routes' }).max(255, 'must list at most 255 routes').default([]),
    virtualRules: z.array(ruleSchema, { error: 'must be an array of rules' }).max(255, 'must list at most 255 rules').default([]),
    preempt: z.boolean({ error: 'must be true or false' }).default(true),
    preemptDelayMs: int(0, 3_600_000).default(0),
    initialState: z.enum(['backup', 'master'], { error: "must be 'backup' or 'master'" }).optional(),
    unicastPeers: z.array(z.string({ error: 'must be a string' }), { error: 'must be an array of addresses' }).default([]),
    primaryAddress: z.string({ error: 'must be a string' }).optional(),
    vmac: z
      .union([flag(), z.object({ name: interfaceName('must be a string').optional(), xmitBase: flag().optional() }).strict()], {
        error: 'must be true, false or { name?, xmitBase? }',
      })
      .optional(),
    authentication: z
      .discriminatedUnion(
        'type',
        [
          z.object({ type: z.literal('none') }).strict(),
          z.object({ type: z.literal('simple'), password: z.string({ error: 'must be a string' }) }).strict(),
        ],
        { error: "type must be 'none' or 'simple'" },
      )
      .default({ type: 'none' }),
    v3Ipv4Checksum: z.enum(['pseudo-header', 'rfc9568'], { error: "must be 'pseudo-header' or 'rfc9568'" }).default('pseudo-header'),
    strictChecksum: z.boolean({ error: 'must be true or false' }).default(false),
    trackers: z.array(trackerSchema, { error: 'must be an array' }).default([]),
    hookTimeoutMs: int(1, 86_400_000).default(30_000),
    // The range's own messages name the 0 too: zod reports the number branch's issue, not the union's error.
    vipLeaseMs: z
      .union(
        [
          z.literal(0),
          z
            .number({ error: 'must be a number' })
            .int('must be a whole number')
            .min(1000, 'must be 0 (leases off) or at least 1000')
            .max(86_400_000, 'must be 0 (leases off) or at most 86400000'),
        ],
        { error: 'must be 0 (leases off) or a whole number of ms from 1000 to 86400000' },
      )
      .default(5000),
    garp: z
      .object({
        repeat: int(0, 255).default(5),
        delayMs: int(0, 3_600_000).default(5000),
        refreshMs: int(0, 86_400_000).default(0),
      })
      .strict()
      .default({ repeat: 5, delayMs: 5000, refreshMs: 0 }),
  })
  .strict();

type Parsed = z.output<typeof schema>;

/**
 * The fields of a config that parsed, each on its own: what the checks between fields can still look at when the
 * schema refused another field. A tracker list keeps its indexes (a refused tracker is a hole), so that a
 * problem found there carries the tracker's path.
 */
type PartlyParsed = Partial<Omit<Parsed, 'trackers'>> & { trackers?: (ParsedTracker | undefined)[] };

/** Parses each top-level field of a config that failed the schema on its own, keeping those that pass. */
function parseFieldByField(config: unknown): PartlyParsed {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return {};
  const record = config as Record<string, unknown>;
  const parsed: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    const result = (field as z.ZodType).safeParse(record[key]);
    if (result.success) parsed[key] = result.data;
    else if (key === 'trackers' && Array.isArray(record.trackers)) {
      parsed.trackers = record.trackers.map((tracker) => {
        const one = trackerSchema.safeParse(tracker);
        return one.success ? one.data : undefined;
      });
    }
  }
  return parsed as PartlyParsed;
}

/** What the checks between fields derive: the fields of the resolved config that need more than the schema. */
interface CrossChecked {
  virtualAddresses: VirtualAddress[];
  excludedAddresses: VirtualAddress[];
  virtualRoutes: VirtualRoute[];
  virtualRules: VirtualRule[];
  family: AddressFamily;
  unicastPeers: string[];
  primaryAddress: string | undefined;
  trackers: ResolvedTrackerConfig[];
}

/**
 * Checks that need several fields at once; each pushes an issue with the path of the field to fix. A check whose
 * fields did not all parse is skipped (their own problems are listed already); what it derives is used only when
 * every field parsed and no issue was pushed.
 */
function crossCheck(parsed: PartlyParsed, issues: ConfigIssue[]): CrossChecked {
  // One address in both lists would be added twice and removed once; the list it was first in is named.
  const seen = new Map<string, string>();
  const addresses = (field: 'virtualAddresses' | 'excludedAddresses'): VirtualAddress[] => {
    const parsedList: VirtualAddress[] = [];
    (parsed[field] ?? []).forEach((entry, index) => {
      const text = typeof entry === 'string' ? entry : entry.address;
      const label = typeof entry === 'string' ? undefined : entry.label;
      // The instance's own interface named is the same as none: one spelling, so the engine groups by it alone.
      const dev = typeof entry === 'string' || entry.dev === parsed.interface ? undefined : entry.dev;
      const prefix = parseIpPrefix(text);
      if (!prefix) {
        issues.push({ path: `${field}.${index}`, message: `"${text}" is not an IPv4/IPv6 address or address/prefix` });
        return;
      }
      const address = canonicalIp(text.split('/')[0] ?? '') ?? text;
      const first = seen.get(address);
      if (first === field) issues.push({ path: `${field}.${index}`, message: `${address} is listed twice` });
      else if (first !== undefined) issues.push({ path: `${field}.${index}`, message: `${address} is in ${first} too: list it once` });
      else seen.set(address, field);
      if (label !== undefined && prefix.family === 'ipv6') {
        issues.push({ path: `${field}.${index}.label`, message: 'labels exist for IPv4 addresses only' });
      }
      const vip: VirtualAddress = { address, prefixLength: prefix.prefixLength, family: prefix.family };
      if (label !== undefined) vip.label = label;
      if (dev !== undefined) vip.dev = dev;
      parsedList.push(vip);
    });
    return parsedList;
  };
  const virtualAddresses = addresses('virtualAddresses');
  // Of either family: they are never advertised, so the instance's family does not bind them.
  const excludedAddresses = addresses('excludedAddresses');
  // Unknown when no address parsed: the checks against the instance's family are skipped then.
  const knownFamily = virtualAddresses[0]?.family;
  const family = knownFamily ?? 'ipv4';
  virtualAddresses.forEach((vip, index) => {
    if (vip.family !== family) {
      issues.push({ path: `virtualAddresses.${index}`, message: `${vip.address} is ${vip.family} but the first address is ${family}: one family per instance is advertised (list the other family's in excludedAddresses)` });
    }
  });
  if (parsed.version === 2) {
    if (knownFamily === 'ipv6') issues.push({ path: 'version', message: 'VRRPv2 carries IPv4 only (RFC 3768); use version 3 for IPv6' });
    if (parsed.advertIntervalMs !== undefined && parsed.advertIntervalMs % 1000 !== 0) {
      issues.push({ path: 'advertIntervalMs', message: 'VRRPv2 advertises whole seconds: must be a multiple of 1000' });
    }
  } else if (parsed.version === 3) {
    if (parsed.advertIntervalMs !== undefined && (parsed.advertIntervalMs % 10 !== 0 || parsed.advertIntervalMs > 40_950)) {
      issues.push({ path: 'advertIntervalMs', message: 'VRRPv3 advertises centiseconds: must be a multiple of 10 from 10 to 40950' });
    }
    if (parsed.authentication !== undefined && parsed.authentication.type !== 'none') {
      issues.push({ path: 'authentication', message: 'VRRPv3 has no authentication (RFC 9568 §9); remove it or use version 2' });
    }
  }
  if (parsed.authentication?.type === 'simple') {
    const { password } = parsed.authentication;
    // RFC 3768 §5.3.10: up to 8 octets of text; keepalived truncates longer ones silently, we refuse instead.
    if (!/^[\x21-\x7e]{1,8}$/.test(password)) {
      issues.push({ path: 'authentication.password', message: 'must be 1 to 8 printable ASCII characters' });
    }
  }
  const unicastPeers: string[] = [];
  (parsed.unicastPeers ?? []).forEach((text, index) => {
    const ip = parseIp(text);
    if (!ip) issues.push({ path: `unicastPeers.${index}`, message: `"${text}" is not an IP address` });
    else if (knownFamily !== undefined && ip.family !== family) issues.push({ path: `unicastPeers.${index}`, message: `${text} is ${ip.family} but the virtual addresses are ${family}` });
    else unicastPeers.push(canonicalIp(text) ?? text);
  });
  let primaryAddress: string | undefined;
  if (parsed.primaryAddress !== undefined) {
    const ip = parseIp(parsed.primaryAddress);
    if (!ip) issues.push({ path: 'primaryAddress', message: `"${parsed.primaryAddress}" is not an IP address` });
    else if (knownFamily !== undefined && ip.family !== family) issues.push({ path: 'primaryAddress', message: `${parsed.primaryAddress} is ${ip.family} but the virtual addresses are ${family}` });
    else primaryAddress = canonicalIp(parsed.primaryAddress);
  }
  const names = new Set<string>();
  const trackers: ResolvedTrackerConfig[] = [];
  (parsed.trackers ?? []).forEach((tracker, index) => {
    if (tracker === undefined) return;
    if (names.has(tracker.name)) issues.push({ path: `trackers.${index}.name`, message: `"${tracker.name}" is used by another tracker` });
    names.add(tracker.name);
    if (parsed.priority === 255 && tracker.weight !== 0) {
      // keepalived refuses this too: the owner's priority is fixed at 255 (RFC 9568 §5.2.4).
      issues.push({ path: `trackers.${index}.weight`, message: 'an address owner (priority 255) cannot have weighted trackers; use weight 0 or a lower priority' });
    }
    trackers.push(resolveTracker(tracker));
  });
  const virtualRoutes = routes(parsed.virtualRoutes ?? [], issues);
  const virtualRules = rules(parsed.virtualRules ?? [], issues);
  if (parsed.vmac !== undefined && parsed.vmac !== false) {
    const vmac = resolveVmac(parsed.vmac) as ResolvedVmacConfig;
    if (vmac.name !== undefined) {
      // The kernel's own test of a name (dev_valid_name), which keepalived's parser repeats.
      if (vmac.name === '.' || vmac.name === '..' || /[/:\s]/.test(vmac.name)) issues.push({ path: 'vmac.name', message: 'must not be "." or ".." or hold "/", ":" or whitespace (the kernel refuses such a name)' });
      else if (vmac.name === parsed.interface) issues.push({ path: 'vmac.name', message: `is the instance's interface: the VMAC is an interface of its own on ${parsed.interface}` });
    }
    if (unicastPeers.length > 0 && !vmac.xmitBase) {
      issues.push({ path: 'vmac.xmitBase', message: 'must be true with unicastPeers: unicast adverts go from the interface itself (keepalived turns vmac_xmit_base on for them)' });
    }
    // The other family's excluded addresses stay on the interface itself, as keepalived leaves them: an IPv4 VMAC has
    // IPv6 turned off, and the MAC is the family's own.
    for (const vip of excludedAddresses) if (vip.family !== family && vip.dev === undefined) vip.dev = parsed.interface as string;
  }
  return { virtualAddresses, excludedAddresses, virtualRoutes, virtualRules, family, unicastPeers, primaryAddress, trackers };
}

/**
 * Checks and canonicalizes the virtual rules: one family per rule, prefixes without host bits, exactly one of a
 * table and an action, a mask only with a mark — what `ip rule` would refuse or read otherwise — and a rule listed
 * twice, which the kernel refuses (EEXIST) at every takeover.
 */
function rules(list: readonly z.output<typeof ruleSchema>[], issues: ConfigIssue[]): VirtualRule[] {
  const resolved: VirtualRule[] = [];
  const keys = new Map<string, number>();
  list.forEach((rule, index) => {
    const path = `virtualRules.${index}`;
    const problems = issues.length;
    const prefix = (field: 'from' | 'to'): ParsedIpPrefix | undefined => {
      const text = rule[field];
      if (text === undefined || text === 'all') return undefined;
      const parsed = parseIpPrefix(text);
      if (!parsed) {
        issues.push({ path: `${path}.${field}`, message: `"${text}" is not an IPv4/IPv6 address or address/prefix` });
        return undefined;
      }
      const network = networkOf(parsed.bytes, parsed.prefixLength);
      if (!network.every((byte, i) => byte === parsed.bytes[i])) {
        issues.push({ path: `${path}.${field}`, message: `${text} has host bits set: the network is ${formatIp(network)}/${parsed.prefixLength}` });
      }
      return parsed;
    };
    const from = prefix('from');
    const to = prefix('to');
    const family = from?.family ?? to?.family ?? rule.family ?? 'ipv4';
    for (const [field, parsed] of [['from', from], ['to', to]] as const) {
      if (parsed && parsed.family !== family) issues.push({ path: `${path}.${field}`, message: `${rule[field]} is ${parsed.family} but the rule is ${family}` });
    }
    if (rule.family !== undefined && (from ?? to) !== undefined && (from ?? to)?.family !== rule.family) {
      issues.push({ path: `${path}.family`, message: `is ${rule.family} but the rule's prefixes are ${(from ?? to)?.family}` });
    }
    if ((rule.table === undefined) === (rule.action === undefined)) {
      issues.push({ path, message: 'needs exactly one of table (look it up) and action (blackhole, unreachable, prohibit)' });
    }
    if (rule.fwmask !== undefined && rule.fwmark === undefined) issues.push({ path: `${path}.fwmask`, message: 'a mask needs a fwmark' });
    if (issues.length > problems) return;
    const network = (parsed: ParsedIpPrefix | undefined) => (parsed === undefined ? undefined : Object.freeze({ address: formatIp(parsed.bytes), prefixLength: parsed.prefixLength }));
    const resolvedRule: VirtualRule = Object.freeze({
      family,
      from: network(from),
      to: network(to),
      iif: rule.iif,
      oif: rule.oif,
      fwmark: rule.fwmark,
      fwmask: rule.fwmask,
      invert: rule.invert,
      priority: rule.priority,
      table: rule.table,
      action: rule.action,
    });
    // Compared as the kernel stores it: canonical prefixes (10.0.0.100 is 10.0.0.100/32), and a mark's missing
    // mask as the all-ones one the kernel gives it (as src/linux/vip/routing-watch.ts reads it back).
    const key = formatVirtualRule({ ...resolvedRule, fwmask: rule.fwmark === undefined ? undefined : (rule.fwmask ?? (rule.fwmark !== 0 ? 0xffffffff : 0)) });
    const first = keys.get(key);
    if (first !== undefined) issues.push({ path, message: `${formatVirtualRule(resolvedRule)} is virtualRules.${first} too: list it once` });
    else keys.set(key, index);
    resolved.push(resolvedRule);
  });
  return resolved;
}

/** A virtual rule as `ip rule` words, for messages: `from 10.0.0.100 lookup 100 pref 100`. */
export function formatVirtualRule(rule: VirtualRule): string {
  const words: string[] = [];
  if (rule.invert) words.push('not');
  const prefix = (network: VirtualRuleNetwork): string =>
    network.prefixLength === (rule.family === 'ipv4' ? 32 : 128) ? network.address : `${network.address}/${network.prefixLength}`;
  words.push(`from ${rule.from === undefined ? 'all' : prefix(rule.from)}`);
  if (rule.to !== undefined) words.push(`to ${prefix(rule.to)}`);
  if (rule.fwmark !== undefined) words.push(`fwmark ${rule.fwmark}${rule.fwmask === undefined ? '' : `/${rule.fwmask}`}`);
  if (rule.iif !== undefined) words.push(`iif ${rule.iif}`);
  if (rule.oif !== undefined) words.push(`oif ${rule.oif}`);
  words.push(rule.action ?? `lookup ${rule.table}`);
  words.push(`pref ${rule.priority}`);
  return `${rule.family === 'ipv6' ? '-6 ' : ''}${words.join(' ')}`;
}

/**
 * Checks and canonicalizes the virtual routes: what the kernel would refuse (host bits in the destination, a family
 * mixed within one route, a unicast route with nowhere to go) is refused here with the field to fix, and a route
 * listed twice (same destination, table and metric: the kernel's key) too.
 */
function routes(list: readonly z.output<typeof routeSchema>[], issues: ConfigIssue[]): VirtualRoute[] {
  const resolved: VirtualRoute[] = [];
  const keys = new Map<string, number>();
  list.forEach((route, index) => {
    const path = `virtualRoutes.${index}`;
    const problems = issues.length;
    const via = route.via === undefined ? undefined : parseIp(route.via);
    const src = route.src === undefined ? undefined : parseIp(route.src);
    if (route.via !== undefined && !via) issues.push({ path: `${path}.via`, message: `"${route.via}" is not an IP address` });
    if (route.src !== undefined && !src) issues.push({ path: `${path}.src`, message: `"${route.src}" is not an IP address` });
    let to: ParsedIpPrefix | undefined;
    if (route.to === 'default') {
      const family = via?.family ?? src?.family;
      if (family === undefined) issues.push({ path: `${path}.to`, message: "'default' needs via or src to tell its family: write 0.0.0.0/0 or ::/0" });
      else to = { ...(parseIp(family === 'ipv4' ? '0.0.0.0' : '::') as ParsedIp), prefixLength: 0 };
    } else {
      to = parseIpPrefix(route.to);
      if (!to) issues.push({ path: `${path}.to`, message: `"${route.to}" is not an IPv4/IPv6 address or address/prefix` });
    }
    if (to) {
      const network = networkOf(to.bytes, to.prefixLength);
      if (!network.every((byte, i) => byte === to.bytes[i])) {
        issues.push({ path: `${path}.to`, message: `${route.to} has host bits set: the network is ${formatIp(network)}/${to.prefixLength}` });
      }
      for (const [field, address] of [['via', via], ['src', src]] as const) {
        if (address && address.family !== to.family) issues.push({ path: `${path}.${field}`, message: `${route[field]} is ${address.family} but the route is ${to.family}` });
      }
    }
    if (route.type === 'unicast' && route.via === undefined && route.dev === undefined) {
      issues.push({ path, message: 'a unicast route needs via or dev (or a type: blackhole, unreachable, prohibit)' });
    }
    if (route.type !== 'unicast' && (route.via !== undefined || route.dev !== undefined)) {
      issues.push({ path: `${path}.type`, message: `${route.type === 'unreachable' ? 'an' : 'a'} ${route.type} route goes nowhere: it takes neither via nor dev` });
    }
    if (issues.length > problems || !to) return;
    const text = formatIp(to.bytes);
    // The kernel stores an IPv6 route of metric 0 at 1024 (IP6_RT_PRIO_USER); said so here, a removal names the
    // metric the route has — one left out matches the first route of any metric.
    const metric = to.family === 'ipv6' && route.metric === 0 ? 1024 : route.metric;
    const key = `${text}/${to.prefixLength} table ${route.table} metric ${metric}`;
    const first = keys.get(key);
    if (first !== undefined) issues.push({ path: `${path}.to`, message: `${key} is virtualRoutes.${first} too: list it once` });
    else keys.set(key, index);
    resolved.push(
      Object.freeze({
        family: to.family,
        to: text,
        prefixLength: to.prefixLength,
        via: via === undefined ? undefined : formatIp(via.bytes),
        dev: route.dev,
        src: src === undefined ? undefined : formatIp(src.bytes),
        metric,
        table: route.table,
        // iproute2's choice when no scope is given: a unicast route without a gateway reaches a link.
        scope: route.scope ?? (route.type === 'unicast' && via === undefined ? 'link' : 'global'),
        type: route.type,
      }),
    );
  });
  return resolved;
}

/** A virtual route as `ip route` words, for messages: `10.9.0.0/24 via 10.0.0.254 table 100`. */
export function formatVirtualRoute(route: VirtualRoute): string {
  const words = [route.type === 'unicast' ? '' : `${route.type} `, `${route.to}/${route.prefixLength}`];
  if (route.via !== undefined) words.push(` via ${route.via}`);
  if (route.dev !== undefined) words.push(` dev ${route.dev}`);
  if (route.src !== undefined) words.push(` src ${route.src}`);
  if (route.table !== 254) words.push(` table ${route.table}`);
  if (route.metric !== 0) words.push(` metric ${route.metric}`);
  return words.join('');
}

/** The network of `bytes`/`prefixLength`: the host bits cleared. */
function networkOf(bytes: Uint8Array, prefixLength: number): Uint8Array {
  const network = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefixLength - 8 * i));
    network[i] = (bytes[i] as number) & ((0xff00 >> bits) & 0xff);
  }
  return network;
}

/** Address-syntax problems found in a config that failed the schema (best effort: only string entries). */
function addressIssues(config: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (typeof config !== 'object' || config === null) return issues;
  const record = config as Record<string, unknown>;
  for (const [field, parse] of [['virtualAddresses', parseIpPrefix], ['excludedAddresses', parseIpPrefix], ['unicastPeers', parseIp]] as const) {
    const list = record[field];
    if (!Array.isArray(list)) continue;
    list.forEach((entry, index) => {
      const text = typeof entry === 'object' && entry !== null && 'address' in entry ? (entry as { address: unknown }).address : entry;
      const path = text === entry ? `${field}.${index}` : `${field}.${index}.address`;
      if (typeof text === 'string' && !parse(text)) issues.push({ path, message: `"${text}" is not a valid address` });
    });
  }
  return issues;
}

/** `vmac` as given (true, false, options or nothing) with its defaults filled in; undefined: no VMAC. */
function resolveVmac(vmac: boolean | VmacConfig | undefined): ResolvedVmacConfig | undefined {
  if (vmac === undefined || vmac === false) return undefined;
  if (vmac === true) return Object.freeze({ name: undefined, xmitBase: false });
  return Object.freeze({ name: vmac.name, xmitBase: vmac.xmitBase ?? false });
}

/**
 * Validates a configuration and fills in defaults. Throws {@link ConfigError} listing every problem with its path.
 */
export function resolveConfig(config: unknown): ResolvedConfig {
  if (typeof config === 'object' && config !== null && 'logger' in config) return resolveWithLogger(config as Record<string, unknown>);
  const result = schema.safeParse(config);
  if (!result.success) {
    const issues: ConfigIssue[] = result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message,
    }));
    // The schema stops before the checks between fields; run those on the fields that parsed, and the address
    // syntax on whatever is there, so that one run lists everything (not two problems now and four after the fix).
    const reported = new Set(issues.map((issue) => issue.path));
    const more: ConfigIssue[] = [...addressIssues(config)];
    crossCheck(parseFieldByField(config), more);
    for (const issue of more) {
      if (reported.has(issue.path)) continue;
      reported.add(issue.path);
      issues.push(issue);
    }
    throw new ConfigError(issues);
  }
  const issues: ConfigIssue[] = [];
  const checked = crossCheck(result.data, issues);
  if (issues.length > 0) throw new ConfigError(issues);
  const parsed = result.data;
  // Frozen: the resolved configuration is read by the engine and the adapters, never changed.
  for (const vip of [...checked.virtualAddresses, ...checked.excludedAddresses]) Object.freeze(vip);
  Object.freeze(checked.virtualAddresses);
  Object.freeze(checked.excludedAddresses);
  return {
    name: parsed.name ?? `vrid-${parsed.vrid}`,
    interface: parsed.interface,
    vrid: parsed.vrid,
    priority: parsed.priority,
    version: parsed.version,
    family: checked.family,
    advertIntervalMs: parsed.advertIntervalMs,
    virtualAddresses: checked.virtualAddresses,
    excludedAddresses: checked.excludedAddresses,
    heldAddresses: Object.freeze([...checked.virtualAddresses, ...checked.excludedAddresses]) as VirtualAddress[],
    virtualRoutes: Object.freeze(checked.virtualRoutes) as VirtualRoute[],
    virtualRules: Object.freeze(checked.virtualRules) as VirtualRule[],
    preempt: parsed.preempt,
    preemptDelayMs: parsed.preemptDelayMs,
    initialState: parsed.initialState,
    unicastPeers: checked.unicastPeers,
    primaryAddress: checked.primaryAddress,
    vmac: resolveVmac(parsed.vmac),
    authentication: parsed.authentication,
    v3Ipv4Checksum: parsed.v3Ipv4Checksum,
    strictChecksum: parsed.strictChecksum,
    trackers: checked.trackers,
    hookTimeoutMs: parsed.hookTimeoutMs,
    garp: parsed.garp,
    vipLeaseMs: parsed.vipLeaseMs,
  };
}

/**
 * {@link resolveConfig} of a config with a `logger`: the logger is checked apart and left out of the result — it
 * holds functions, and the resolved config is plain data that crosses to the engine thread (the instance keeps the
 * logger; src/logger.ts). Its problems join the others in one {@link ConfigError}.
 */
function resolveWithLogger(config: Record<string, unknown>): ResolvedConfig {
  const { logger, ...rest } = config;
  const loggerIssues: ConfigIssue[] = [];
  checkLogger(logger, 'logger', loggerIssues);
  let resolved: ResolvedConfig;
  try {
    resolved = resolveConfig(rest);
  } catch (error) {
    if (error instanceof ConfigError && loggerIssues.length > 0) throw new ConfigError([...error.issues, ...loggerIssues]);
    throw error;
  }
  if (loggerIssues.length > 0) throw new ConfigError(loggerIssues);
  return resolved;
}

// ---------------------------------------------------------------------------------------------------------------
// Notify scripts and sync groups (keepalived's `notify*` and `vrrp_sync_group`), for `vrrp run` and the library's
// attachNotify / VrrpGroup. Not fields of VrrpConfig: an instance never runs a script by itself.

/**
 * A notify command: a string split into words the way keepalived splits `notify_master "…"` (quotes group,
 * backslash escapes, no shell; see src/trackers/command-line.ts), or an argv array spawned as is.
 */
export type NotifyCommand = string | string[];

/**
 * Notify scripts of an instance or a sync group (keepalived's `notify_master`, `notify_backup`, `notify_fault`,
 * `notify_stop` and `notify`). The scripts of one instance or group run one at a time, in transition order; one
 * whose state was already left when its turn comes is skipped. See src/notify.ts.
 */
export interface NotifyConfig {
  /** Run on becoming master, once the VIPs are up (`notify_master`). */
  master?: NotifyCommand;
  /** Run on becoming backup (`notify_backup`). */
  backup?: NotifyCommand;
  /** Run on entering fault (`notify_fault`). */
  fault?: NotifyCommand;
  /** Run on stop (`notify_stop`). */
  stop?: NotifyCommand;
  /**
   * Run on every transition, after the state's own script, with keepalived's four arguments appended:
   * `INSTANCE`|`GROUP`, the name, `MASTER`|`BACKUP`|`FAULT`|`STOP`, the priority (0 for a group) (`notify`).
   */
  any?: NotifyCommand;
  /**
   * How long one script may run, in ms (default 30000); then its process group gets SIGTERM, and SIGKILL 2 s later.
   * keepalived waits for none but `notify_stop` (1 s).
   */
  timeoutMs?: number;
  /**
   * Run every script as this user: `name`, `name:group`, `uid` or `uid:gid`, names looked up in /etc/passwd and
   * /etc/group (keepalived's `script_user`). Switching user needs root; without it a script that would switch does
   * not run, and its `done` event says why. Default: this process's user.
   */
  user?: string;
  /** A user for one script, over `user` (keepalived's user after a `notify_*` script), e.g. `{ master: 'postgres' }`. */
  users?: NotifyUsers;
}

/** The user each notify script runs as, by script, over {@link NotifyConfig.user}. */
export interface NotifyUsers {
  /** User of the `master` script. */
  master?: string;
  /** User of the `backup` script. */
  backup?: string;
  /** User of the `fault` script. */
  fault?: string;
  /** User of the `stop` script. */
  stop?: string;
  /** User of the `any` script. */
  any?: string;
}

/** The scripts a {@link NotifyConfig} names. */
export type NotifyScript = 'master' | 'backup' | 'fault' | 'stop' | 'any';

/** A {@link NotifyConfig} with each command split into the argv that runs, and the timeout filled in. */
export interface ResolvedNotifyConfig {
  /** See {@link NotifyConfig.master}. */
  master?: string[];
  /** See {@link NotifyConfig.backup}. */
  backup?: string[];
  /** See {@link NotifyConfig.fault}. */
  fault?: string[];
  /** See {@link NotifyConfig.stop}. */
  stop?: string[];
  /** See {@link NotifyConfig.any}. */
  any?: string[];
  /** See {@link NotifyConfig.timeoutMs}. */
  timeoutMs: number;
  /** See {@link NotifyConfig.user}. */
  user?: string;
  /** See {@link NotifyConfig.users}. */
  users?: NotifyUsers;
}

/**
 * A sync group (keepalived's `vrrp_sync_group`): instances that go master, backup and fault together, as
 * keepalived's members do. See src/group.ts for how, and where it still differs from keepalived.
 */
export interface SyncGroupConfig {
  /** The group's name, in events and notify arguments. */
  name: string;
  /** The names of its member instances (each instance in one group at most). */
  members: string[];
  /** Notify scripts of the group (`$1` is `GROUP`, `$4` is 0, as in keepalived). */
  notify?: NotifyConfig;
}

/** A {@link SyncGroupConfig} with its notify resolved. */
export interface ResolvedSyncGroupConfig {
  /** See {@link SyncGroupConfig.name}. */
  name: string;
  /** See {@link SyncGroupConfig.members}. */
  members: string[];
  /** See {@link SyncGroupConfig.notify}; absent when none is configured. */
  notify?: ResolvedNotifyConfig;
}

/** Every notify script, in the order they are written. */
export const NOTIFY_SCRIPTS = ['master', 'backup', 'fault', 'stop', 'any'] as const satisfies readonly NotifyScript[];

/** A user to run a script as, as keepalived writes it (`user[:group]`, names or ids). */
function userSpec() {
  return z.string({ error: 'must be a string' }).regex(/^[^:\s]+(:[^:\s]+)?$/, "must be 'user', 'user:group', 'uid' or 'uid:gid'");
}

const notifyCommandSchema = z.union([z.string(), z.array(z.string({ error: 'must be a string' }))], {
  error: 'must be a command string or an array of strings (argv)',
});

const notifySchema = z
  .object({
    master: notifyCommandSchema.optional(),
    backup: notifyCommandSchema.optional(),
    fault: notifyCommandSchema.optional(),
    stop: notifyCommandSchema.optional(),
    any: notifyCommandSchema.optional(),
    timeoutMs: int(1, 86_400_000).default(30_000),
    user: userSpec().optional(),
    users: z
      .object({ master: userSpec().optional(), backup: userSpec().optional(), fault: userSpec().optional(), stop: userSpec().optional(), any: userSpec().optional() })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((notify, ctx) => {
    // Split here, so that a command that cannot run is a config error listed with the rest, not a failure at the
    // first transition.
    for (const script of NOTIFY_SCRIPTS) {
      const command = notify[script];
      if (command === undefined) continue;
      const split = commandArgv(command);
      if (!split.ok) ctx.addIssue({ code: 'custom', path: [script], message: split.error });
    }
  });

const syncGroupSchema = z
  .object({
    name: nonEmpty(),
    members: z.array(nonEmpty(), { error: 'must be an array of instance names' }).min(1, 'must name at least one instance'),
    notify: notifySchema.optional(),
  })
  .strict()
  .superRefine((group, ctx) => {
    group.members.forEach((member, index) => {
      if (group.members.indexOf(member) !== index) ctx.addIssue({ code: 'custom', path: ['members', index], message: `"${member}" is listed twice` });
    });
  });

/** zod's issues as ours, each path prefixed with `prefix` (e.g. `notify`). */
function schemaIssues(error: z.ZodError, prefix: string): ConfigIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((part) => part !== '').join('.'),
    message: issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message,
  }));
}

function resolvedNotify(parsed: z.output<typeof notifySchema>): ResolvedNotifyConfig {
  const resolved: ResolvedNotifyConfig = { timeoutMs: parsed.timeoutMs };
  if (parsed.user !== undefined) resolved.user = parsed.user;
  if (parsed.users !== undefined) {
    const users = Object.fromEntries(Object.entries(parsed.users).filter(([, user]) => user !== undefined)) as NotifyUsers;
    if (Object.keys(users).length > 0) resolved.users = users;
  }
  for (const script of NOTIFY_SCRIPTS) {
    const command = parsed[script];
    if (command === undefined) continue;
    const split = commandArgv(command);
    if (split.ok) resolved[script] = split.argv;
  }
  return resolved;
}

/**
 * Validates notify scripts and splits each command into its argv. Throws {@link ConfigError} listing every problem;
 * paths start with `prefix` (default `notify`).
 */
export function resolveNotifyConfig(notify: unknown, prefix = 'notify'): ResolvedNotifyConfig {
  const result = notifySchema.safeParse(notify);
  if (!result.success) throw new ConfigError(schemaIssues(result.error, prefix));
  return resolvedNotify(result.data);
}

/**
 * Validates a sync group (name, members, notify). Throws {@link ConfigError} listing every problem; paths start
 * with `prefix` (default: none). Whether the members exist is the caller's to check: it knows the instances.
 */
export function resolveSyncGroupConfig(group: unknown, prefix = ''): ResolvedSyncGroupConfig {
  const result = syncGroupSchema.safeParse(group);
  if (!result.success) throw new ConfigError(schemaIssues(result.error, prefix));
  const { name, members, notify } = result.data;
  return notify === undefined ? { name, members } : { name, members, notify: resolvedNotify(notify) };
}
