/**
 * keepalived.conf → `vrrp run` configuration. Gives the statements parsed by `parseKeepalivedConf` keepalived's
 * meaning (keepalived.conf(5); keepalived 2.2.7 read for facts only) and writes it in our shape, with keepalived's
 * defaults spelled out — version 2, 5 gratuitous ARPs, script interval 1 s … — so that the result behaves as the
 * keepalived configuration did whatever our own defaults are.
 *
 * Rules:
 * - Every keyword is applied, or reported: a *warning* (`file:line` and why) when ignoring it leaves the failover
 *   working as configured, an *error* when it would not (addresses or routes that would not move, peers we would
 *   not hear, a value keepalived could not read either). A result with errors must not be run.
 * - Where keepalived silently adjusts a configuration (a fractional VRRPv2 interval rounded, weighted trackers
 *   dropped in a sync group, priority 255 derived from `state MASTER`), the same adjustment is made and reported.
 * - The instance fields are checked with `resolveConfig`, and its complaints are reported at the keepalived line
 *   that set the field.
 */
import { NOTIFY_SCRIPTS, resolveConfig, type AuthenticationConfig, type GarpConfig, type NotifyScript, type VirtualAddressConfig, type VirtualRouteConfig, type VirtualRuleConfig, type VmacConfig, type VrrpConfig } from '../config.js';
import type { AddressFamily } from '../core/advertisement.js';
import { parseIp, parseIpPrefix } from '../core/ip-address.js';
import { ConfigError } from '../errors.js';
import { commandArgv } from '../trackers/command-line.js';
import {
  positionPath,
  splitKeepalivedWords,
  type KeepalivedConf,
  type KeepalivedIssue,
  type KeepalivedPosition,
  type KeepalivedStatement,
} from './parse.js';
import { GLOBAL_DEFS, GLOBAL_DEFS_PREFIXES, INSTANCE, SYNC_GROUP, TOP_LEVEL, type Unsupported } from './unsupported.js';
import { KEEPALIVED_KEYWORDS } from './vocabulary.js';
import { nearest } from '../nearest.js';

/** Fields every imported tracker carries, with keepalived's values made explicit. */
export interface ImportedTrackerCommon {
  /** keepalived's name of the script, process, file or interface (prefixed with its kind if two kinds share it). */
  name: string;
  /** Priority adjustment; 0: a down tracker puts the instance in fault. */
  weight: number;
  /** keepalived's `reverse`. */
  reverse: boolean;
  /** keepalived's `init_fail` (vrrp_script only): the tracker starts down; false elsewhere. */
  initFail: boolean;
  /** Consecutive failures before an up tracker counts as down (keepalived's `fall`; 1 where it has none). */
  fall: number;
  /** Consecutive successes before a down tracker counts as up (keepalived's `rise`; 1 where it has none). */
  rise: number;
}

/** A `vrrp_script`: `command` is run as keepalived runs `script "…"` (split into argv with quotes and escapes, no shell). */
export interface ImportedExecTracker extends ImportedTrackerCommon {
  /** Tracker type. */
  type: 'exec';
  /** The script string, quotes of the configuration removed, to be split into argv (never run by a shell). */
  command: string;
  /** User to run the command as, `name` or `name:group` (`user`, else `script_user`); absent: the user running vrrp. */
  user?: string;
  /** keepalived's `interval`, in ms. */
  intervalMs: number;
  /** keepalived's `timeout` (default: the interval), in ms. */
  timeoutMs: number;
}

/** A `vrrp_track_process`: up while the number of matching processes is within the quorum. */
export interface ImportedProcessTracker extends ImportedTrackerCommon {
  /** Tracker type. */
  type: 'process';
  /** Process name as /proc/PID/comm shows it (keepalived's `process NAME` without parameters). */
  process?: string;
  /** The whole command line, words joined by single spaces (keepalived's `process` with parameters, or `full_command`). */
  args?: string;
  /** Fewest matching processes for up (keepalived's `quorum`, default 1). */
  quorum: number;
  /** Most matching processes for up (keepalived's `quorum_max`; absent: no limit). */
  quorumMax?: number;
}

/** A `track_file`: the integer in the file times the weight adjusts the priority. */
export interface ImportedFileTracker extends ImportedTrackerCommon {
  /** Tracker type. */
  type: 'file';
  /** The file to read. */
  path: string;
}

/** A `track_interface`: another interface's link state. */
export interface ImportedInterfaceTracker extends ImportedTrackerCommon {
  /** Tracker type. */
  type: 'interface';
  /** The interface whose link is tracked. */
  interface: string;
}

/** Any imported tracker. */
export type ImportedTracker = ImportedExecTracker | ImportedProcessTracker | ImportedFileTracker | ImportedInterfaceTracker;

/** Notify scripts, as written in the configuration (a quoted script and its arguments stay one string). */
export interface ImportedNotify {
  /** `notify_master`. */
  master?: string;
  /** `notify_backup`. */
  backup?: string;
  /** `notify_fault`. */
  fault?: string;
  /** `notify_stop`. */
  stop?: string;
  /** `notify`: run on every transition with keepalived's four extra arguments. */
  any?: string;
  /** `script_user` (global_defs): the user every script runs as. */
  user?: string;
  /** The user written after a script (`notify_master "/x.sh" postgres`), by script. */
  users?: Partial<Record<NotifyScript, string>>;
}

/** One `vrrp_instance`, in `VrrpConfig`'s fields plus the tracker and notify shapes `vrrp run` takes. */
export interface ImportedInstanceConfig extends Omit<VrrpConfig, 'name' | 'trackers' | 'notify'> {
  /** The `vrrp_instance` name. */
  name: string;
  /** Health checks, from the instance's and its sync group's `track_*` blocks. */
  trackers: ImportedTracker[];
  /** Notify scripts of the instance. */
  notify?: ImportedNotify;
}

/** One `vrrp_sync_group`: its members change state together. */
export interface ImportedGroupConfig {
  /** The `vrrp_sync_group` name. */
  name: string;
  /** Names of the member instances. */
  members: string[];
  /** Notify scripts of the group. */
  notify?: ImportedNotify;
}

/** Settings of `global_defs` that apply to the process, not to one instance. */
export interface ImportedGlobalConfig {
  /** `router_id`: names this node in notifications and logs. */
  routerId?: string;
  /** `vrrp_startup_delay`: wait this long before starting the instances, in ms. */
  startupDelayMs?: number;
  /** `script_user`: default user of scripts (already copied into each exec tracker without its own `user`, and into every notify config). */
  scriptUser?: string;
}

/** The configuration `vrrp run` takes, converted from keepalived.conf. */
export interface ImportedRunConfig {
  /** The instances, in configuration order. */
  instances: ImportedInstanceConfig[];
  /** The sync groups. */
  groups: ImportedGroupConfig[];
  /** Process-wide settings. */
  global: ImportedGlobalConfig;
}

/** Result of {@link keepalivedToConfig}. */
export interface KeepalivedImport {
  /** The converted configuration; do not run it while `errors` is not empty. */
  config: ImportedRunConfig;
  /** What was ignored or adjusted, with its `file:line` and why. */
  warnings: KeepalivedIssue[];
  /** What cannot be run as configured, with its `file:line` and why. */
  errors: KeepalivedIssue[];
}

type TrackKind = 'script' | 'process' | 'file' | 'interface';

interface TrackRef {
  kind: TrackKind;
  name: string;
  weight?: number;
  reverse?: boolean;
  position: KeepalivedPosition;
  /** Made for a virtual address on that interface (`dev`), not written as a track_interface. */
  forAddress?: boolean;
}

interface ScriptDef {
  position: KeepalivedPosition;
  command?: string;
  user?: string;
  intervalMs: number;
  timeoutMs?: number;
  weight: number;
  reverse: boolean;
  rise: number;
  fall: number;
  initFail: boolean;
  used: boolean;
  /** Its program cannot run here (see {@link KeepalivedConvertOptions.scriptRunnable}): disabled, said once. */
  disabled?: boolean;
}

interface ProcessDef {
  position: KeepalivedPosition;
  process?: string;
  params: string[];
  /** keepalived's param_match: undefined (arguments not compared), or how they are. */
  paramMatch?: 'exact' | 'partial' | 'initial';
  /** Matched on the command line's first word (argv[0]) rather than the kernel's name. */
  fullCommand: boolean;
  weight: number;
  reverse: boolean;
  quorum: number;
  quorumMax?: number;
}

interface FileDef {
  position: KeepalivedPosition;
  path?: string;
  weight: number;
  reverse: boolean;
}

interface GlobalDefaults {
  version?: 2 | 3;
  garp: GarpConfig;
  v3ChecksumAsV2?: boolean;
  /** vmac_prefix: a VMAC without a name is `<prefix>.<VRID>` (keepalived's default prefix: vrrp). */
  vmacPrefix?: string;
  scriptUser?: string;
  /** Whether "notify scripts run as the user running vrrp" was said (once per import). */
  warnedNotifyUser?: boolean;
  /** {@link KeepalivedConvertOptions.scriptUserRefusal}. */
  userRefusal?: ((user: string) => string | undefined) | undefined;
}

interface InstanceDraft {
  name: string;
  position: KeepalivedPosition;
  /** Where each output field was set, to report schema complaints at their line. */
  fieldPositions: Map<string, KeepalivedPosition>;
  interface?: string;
  vrid?: number;
  priority?: number;
  state?: 'master' | 'backup';
  advertMicroseconds?: number;
  version?: 2 | 3;
  nativeIpv6?: KeepalivedPosition;
  virtualAddresses: DraftAddress[];
  /** Its place among the top-level statements, in reading order (see TrackerResolver.resolve). */
  order?: number;
  /** virtual_ipaddress_excluded, as virtualAddresses. */
  excludedAddresses: DraftAddress[];
  /** virtual_routes, one a line. */
  virtualRoutes: VirtualRouteConfig[];
  /** virtual_rules, one a line. */
  virtualRules: VirtualRuleConfig[];
  unicastPeers: string[];
  /**
   * The first keyword that configured unicast (keepalived's VRRP_FLAG_UNICAST_CONFIGURED: unicast_peer, even an
   * empty block, unicast_src_ip, unicast_fault_no_peer, check_unicast_src, old_unicast_checksum).
   */
  unicastConfigured?: { keyword: string; position: KeepalivedPosition };
  /** unicast_fault_no_peer. */
  unicastFaultNoPeer?: KeepalivedPosition;
  /**
   * The address family keepalived knows while it reads the block, from the first virtual address, unicast peer,
   * unicast_src_ip / mcast_src_ip or native_ipv6: a `version 2` after an IPv6 one is ignored there.
   */
  familySoFar?: { family: AddressFamily; position: KeepalivedPosition };
  primaryAddress?: string;
  /** use_vmac, with its name if one was given. */
  vmac?: { name: string | undefined; position: KeepalivedPosition };
  /** vmac_xmit_base. */
  vmacXmitBase?: KeepalivedPosition;
  authentication?: { type: 'PASS' | 'AH'; password?: string; position: KeepalivedPosition };
  nopreempt?: KeepalivedPosition;
  preempt?: KeepalivedPosition;
  preemptDelayMs?: number;
  garp: GarpConfig;
  tracks: TrackRef[];
  notify: ImportedNotify;
  v3ChecksumAsV2?: boolean;
  /** Where (`file:line`) this instance's own errors are, so far: its schema check does not say them again. */
  errorLines: Set<string>;
}

/** One line of virtual_ipaddress or virtual_ipaddress_excluded. */
interface DraftAddress {
  value: string | VirtualAddressConfig;
  family: AddressFamily;
  position: KeepalivedPosition;
  /** `dev` given: where, and whether `no_track` was too (keepalived then does not track that interface). */
  dev?: { position: KeepalivedPosition; track: boolean };
}

interface GroupDraft {
  name: string;
  position: KeepalivedPosition;
  members: { name: string; position: KeepalivedPosition }[];
  tracks: TrackRef[];
  notify: ImportedNotify;
  trackingWeight: boolean;
  /** Its place among the top-level statements, in reading order (see TrackerResolver.resolve). */
  order?: number;
  /** A member is an address owner (priority 255): the group's own trackers lose their weights (see collectTrackers). */
  hasOwner?: boolean;
}

const DEFAULT_GARP = { repeat: 5, delayMs: 5000, refreshMs: 0 } as const;
const NOTIFY_KEYS: Readonly<Record<string, NotifyScript>> = {
  notify_master: 'master',
  notify_backup: 'backup',
  notify_fault: 'fault',
  notify_stop: 'stop',
  notify: 'any',
};
const TRACK_BLOCKS: Readonly<Record<string, TrackKind>> = {
  track_script: 'script',
  track_process: 'process',
  track_file: 'file',
  track_interface: 'interface',
};

class Report {
  readonly warnings: KeepalivedIssue[] = [];
  readonly errors: KeepalivedIssue[] = [];

  warn(at: KeepalivedPosition, message: string): void {
    const path = positionPath(at);
    // A sync group's tracker is resolved once per member: say a thing about a line once.
    if (!this.warnings.some((warning) => warning.path === path && warning.message === message)) this.warnings.push({ path, message });
  }

  error(at: KeepalivedPosition, message: string): void {
    this.errors.push({ path: positionPath(at), message });
  }

  /** Reports a keyword this importer does not apply, from a table entry (or as unknown). */
  unsupported(statement: KeepalivedStatement, entry: Unsupported | undefined, where: string): void {
    const { keyword } = statement;
    if (!entry) {
      const hint = nearest(keyword, KEEPALIVED_KEYWORDS[where] ?? []);
      const guess = hint !== undefined && hint !== keyword ? ` (did you mean ${hint}?)` : '';
      this.warn(statement.position, `${keyword} is not a ${where} keyword known here; ignored${statement.block ? ' with its block' : ''}${guess}`);
    }
    else if (entry.refuse) this.error(statement.position, `${keyword} is refused: ${entry.why}`);
    else this.warn(statement.position, `${keyword} is ignored: ${entry.why}`);
  }
}

/** Reads the values of one statement, reporting what is missing or wrong at its line. */
class Values {
  readonly #statement: KeepalivedStatement;
  readonly #report: Report;

  constructor(statement: KeepalivedStatement, report: Report) {
    this.#statement = statement;
    this.#report = report;
  }

  #at(index: number): KeepalivedPosition {
    return this.#statement.argPositions[index] ?? this.#statement.position;
  }

  /** Reports values after `count` as ignored and a block as unexpected. */
  atMost(count: number): this {
    const { keyword, args, block, blockPosition } = this.#statement;
    if (args.length > count) this.#report.warn(this.#at(count), `${keyword}: extra value${args.length - count === 1 ? '' : 's'} "${args.slice(count).join(' ')}" ignored`);
    if (block) this.#report.error(blockPosition ?? this.#statement.position, `${keyword}: expected no block after it`);
    return this;
  }

  string(index: number, what: string): string | undefined {
    const value = this.#statement.args[index];
    if (value === undefined) this.#report.error(this.#at(index), `${this.#statement.keyword}: expected ${what} after it`);
    return value;
  }

  integer(index: number, min: number, max: number): number | undefined {
    const text = this.#statement.args[index];
    const expected = `a whole number from ${min} to ${max}`;
    if (text === undefined) {
      this.#report.error(this.#at(index), `${this.#statement.keyword}: expected ${expected} after it`);
      return undefined;
    }
    const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= min && value <= max)) {
      this.#report.error(this.#at(index), `${this.#statement.keyword}: expected ${expected}, got "${text}"`);
      return undefined;
    }
    return value;
  }

  /**
   * A whole number as keepalived reads one it ignores when out of range: none, or not a number, is an error; one
   * outside [min, max] is a warning (`kept` says what stays), and undefined.
   */
  wholeNumber(index: number, min: number, max: number, kept: string): number | undefined {
    const text = this.#statement.args[index];
    if (text === undefined || !/^[+-]?\d+$/.test(text)) return this.integer(index, min, max);
    const value = Number(text);
    if (value >= min && value <= max) return value;
    this.#report.warn(this.#at(index), `${this.#statement.keyword}: expected a whole number from ${min} to ${max}, got "${text}"; ignored (${kept}), as keepalived does`);
    return undefined;
  }

  /** Decimal seconds (keepalived's TIMER values, e.g. `2` or `0.5`), in µs so that callers can round as keepalived. */
  microseconds(index: number, minMs: number, maxMs: number): number | undefined {
    const text = this.#statement.args[index];
    const expected = `seconds from ${minMs / 1000} to ${maxMs / 1000} (e.g. 2 or 0.5)`;
    const match = text === undefined ? null : /^(\d*)(?:\.(\d*))?$/.exec(text);
    if (text === undefined || match === null || text === '.' || text === '') {
      this.#report.error(this.#at(index), `${this.#statement.keyword}: expected ${expected}${text === undefined ? ' after it' : `, got "${text}"`}`);
      return undefined;
    }
    const fraction = (match[2] ?? '').padEnd(6, '0');
    const micro = Number(match[1] || '0') * 1_000_000 + Math.round(Number(`${fraction.slice(0, 6)}.${fraction.slice(6) || '0'}`));
    if (micro < minMs * 1000 || micro > maxMs * 1000) {
      this.#report.error(this.#at(index), `${this.#statement.keyword}: expected ${expected}, got "${text}"`);
      return undefined;
    }
    return micro;
  }

  /** Decimal seconds, rounded to whole ms (reported when that changes the value). */
  milliseconds(index: number, minMs: number, maxMs: number): number | undefined {
    const micro = this.microseconds(index, minMs, maxMs);
    if (micro === undefined) return undefined;
    const ms = Math.round(micro / 1000);
    if (ms * 1000 !== micro) this.#report.warn(this.#at(index), `${this.#statement.keyword}: ${this.#statement.args[index]} s rounded to ${ms} ms`);
    return ms;
  }

  /**
   * Whole seconds, in ms, as keepalived 2.2 reads a script's `interval` and `timeout` (strtoul: a fraction is cut
   * off, with a warning; 0 becomes 1). keepalived 2.3.2 and later take the fraction; the warning says so.
   */
  wholeSeconds(index: number, maxMs: number): number | undefined {
    const micro = this.microseconds(index, 0, maxMs);
    if (micro === undefined) return undefined;
    const whole = Math.floor(micro / 1_000_000);
    // keepalived 2.2: a fraction cut off (strtoul), then 0 made 1. One warning, with the value that applies.
    const seconds = Math.max(1, whole);
    const text = this.#statement.args[index];
    if (whole * 1_000_000 !== micro) {
      this.#report.warn(this.#at(index), `${this.#statement.keyword}: keepalived 2.2 reads whole seconds, so ${text} is ${seconds} s here${whole === 0 ? ' (0, made 1)' : ''} (2.3.2 and later take ${text} s)`);
    } else if (whole === 0) {
      this.#report.warn(this.#at(index), `${this.#statement.keyword}: must be greater than 0; 1 s, as keepalived sets it`);
    }
    return seconds * 1000;
  }

  /**
   * Whole seconds in ms, 0 allowed, as keepalived 2.2.7 reads `garp_master_delay` and `garp_master_refresh`
   * (strtoul: a fraction is cut off, with a warning).
   */
  seconds(index: number, maxMs: number): number | undefined {
    const micro = this.microseconds(index, 0, maxMs);
    if (micro === undefined) return undefined;
    const whole = Math.floor(micro / 1_000_000);
    if (whole * 1_000_000 !== micro) {
      this.#report.warn(this.#at(index), `${this.#statement.keyword}: keepalived 2.2.7 reads whole seconds, so ${this.#statement.args[index]} is ${whole} s here`);
    }
    return whole * 1000;
  }

  /** A `garp_master_repeat`: keepalived 2.2.7 makes 0 one repeat, with a warning (0 was allowed before 2.0.7). */
  garpRepeat(index: number): number | undefined {
    const repeat = this.integer(index, 0, 255);
    if (repeat !== 0) return repeat;
    this.#report.warn(this.#at(index), `${this.#statement.keyword}: must be greater than 0; 1, as keepalived sets it`);
    return 1;
  }

  /** keepalived's optional <BOOL>: absent means true. */
  boolean(index: number): boolean | undefined {
    const text = this.#statement.args[index];
    if (text === undefined) return true;
    if (['on', 'true', 'yes'].includes(text)) return true;
    if (['off', 'false', 'no'].includes(text)) return false;
    this.#report.error(this.#at(index), `${this.#statement.keyword}: expected on, off, true, false, yes or no, got "${text}"`);
    return undefined;
  }

  /** The values re-read as keepalived reads a command line: [command, user?, group?]. */
  command(): string[] | undefined {
    const words = splitKeepalivedWords(this.#statement.argsText);
    if (words === undefined) {
      this.#report.error(this.#at(0), `${this.#statement.keyword}: unterminated quote or lone \\ at the end of "${this.#statement.argsText}": expected a closing ' or ", or a character after the \\`);
      return undefined;
    }
    if (words.length === 0 || words[0] === '') {
      this.#report.error(this.#at(0), `${this.#statement.keyword}: expected a command after it`);
      return undefined;
    }
    // Backslashes are where keepalived's versions part: 2.2 (read here) takes escapes in the line and again in the
    // command, 2.3.2 and later in the command only. Say what runs, so a config written for either can be checked.
    if (this.#statement.argsText.includes('\\')) {
      const argv = commandArgv(words[0] ?? '');
      if (argv.ok) {
        this.#report.warn(
          this.#at(0),
          `${this.#statement.keyword}: backslash escapes are read as keepalived 2.2 reads them (in the line, then again in the command; 2.3.2 and later read them once), so this runs ${JSON.stringify(argv.argv)}`,
        );
      }
    }
    if (this.#statement.block) this.#report.error(this.#statement.blockPosition ?? this.#statement.position, `${this.#statement.keyword}: expected no block after it`);
    return words;
  }
}

/** The block of a block keyword; reports (and returns []) when there is none. */
function blockOf(statement: KeepalivedStatement, report: Report, names = 0): KeepalivedStatement[] {
  if (statement.args.length > names) {
    const extra = statement.args.slice(names).join(' ');
    report.warn(statement.argPositions[names] ?? statement.position, `${statement.keyword}: extra value${statement.args.length - names === 1 ? '' : 's'} "${extra}" before its block ignored`);
  }
  if (!statement.block) {
    report.error(statement.position, `${statement.keyword}: expected a '{' block after it`);
    return [];
  }
  return statement.block;
}

/** Options of {@link keepalivedToConfig}. */
export interface KeepalivedConvertOptions {
  /**
   * Whether a script's program (its command's first word) can run on this host. keepalived disables, as it starts,
   * a `vrrp_script` whose program is not found or not executable, and the instances tracking it run without it;
   * given this, so does the import (reported). Absent: not checked — an import may be for another host.
   */
  scriptRunnable?: (program: string) => boolean;
  /**
   * Why a script cannot run as `user` on this host (not found in the passwd file; another user than this process's,
   * which is not root), or undefined when it can. keepalived disables, as it starts, a `vrrp_script` whose user it
   * cannot switch to (the instances tracking it run without it) and ignores such a notify script; given this, so
   * does the import (reported). Absent: not checked — an import may be for another host.
   */
  scriptUserRefusal?: (user: string) => string | undefined;
  /**
   * The MTU of an interface on this host, undefined when unknown. keepalived reads it as it starts, and moves the
   * virtual addresses that do not fit in one advert at that MTU to the excluded ones; so does the import. Absent,
   * or unknown: 1500, keepalived's own default for an instance without an interface (reported where it matters).
   */
  interfaceMtu?: (ifname: string) => number | undefined;
  /**
   * Routing table names on this host, as /etc/iproute2/rt_tables gives them (see `readRouteTableNames`), for
   * `table NAME` in virtual_routes and virtual_rules: keepalived reads that file as it starts. Absent: only
   * iproute2's reserved names are known (default, main, local); a table may always be given by its number.
   */
  routeTables?: ReadonlyMap<string, number>;
}

/**
 * Converts a parsed keepalived configuration to the configuration `vrrp run` takes. Never throws for a bad
 * configuration: every problem is in `errors` (must not run) or `warnings` (runs, with the difference explained),
 * each with its `file:line`, in configuration order. The parser's notes (skipped conditional lines, includes that
 * matched nothing) are among the warnings.
 */
export function keepalivedToConfig(conf: KeepalivedConf, options: KeepalivedConvertOptions = {}): KeepalivedImport {
  const report = new Report();
  for (const note of conf.notes) report.warnings.push(note);
  const defaults: GlobalDefaults = { garp: {}, userRefusal: options.scriptUserRefusal };
  const global: ImportedGlobalConfig = {};
  const scripts = new Map<string, ScriptDef>();
  const processes = new Map<string, ProcessDef>();
  const files = new Map<string, FileDef>();
  const instanceStatements: KeepalivedStatement[] = [];
  const groupStatements: KeepalivedStatement[] = [];

  /** Where each tracked object is defined among the top-level statements (`script:NAME`, …), in reading order. */
  const definedAt = new Map<string, number>();
  const order = new Map<KeepalivedStatement, number>();
  const define = <T>(map: Map<string, T>, kind: 'script' | 'process' | 'file', statement: KeepalivedStatement, build: (name: string) => T): void => {
    const name = new Values(statement, report).string(0, 'a name');
    if (name === undefined) return;
    if (map.has(name)) {
      report.warn(statement.position, `${statement.keyword} ${name} is defined twice; the first one is used, as keepalived does`);
      return;
    }
    map.set(name, build(name));
    definedAt.set(`${kind}:${name}`, order.get(statement) ?? 0);
  };

  conf.statements.forEach((statement, index) => order.set(statement, index));
  for (const statement of conf.statements) {
    switch (statement.keyword) {
      case 'global_defs':
        readGlobalDefs(statement, report, defaults, global);
        break;
      case 'vrrp_script':
        define(scripts, 'script', statement, () => readScript(statement, report));
        break;
      case 'track_process':
        // Not a top-level keyword of keepalived 2.2.7 (nor 2.3): it ignores the block, and its tracks are "not found".
        report.warn(statement.position, 'track_process: keepalived has no top-level track_process (its block is vrrp_track_process) and ignores this one: ignored here too — rename it vrrp_track_process to have it');
        break;
      case 'vrrp_track_process':
        define(processes, 'process', statement, () => readProcess(statement, report));
        break;
      case 'track_file':
      case 'vrrp_track_file':
        define(files, 'file', statement, () => readFile(statement, report));
        break;
      case 'vrrp_instance':
        instanceStatements.push(statement);
        break;
      case 'vrrp_sync_group':
        groupStatements.push(statement);
        break;
      default:
        report.unsupported(statement, TOP_LEVEL[statement.keyword], 'top-level');
    }
  }

  const drafts: InstanceDraft[] = [];
  const rulePreferences: RulePreferences = { ipv4: RULE_START_PREFERENCE, ipv6: RULE_START_PREFERENCE };
  for (const statement of instanceStatements) {
    const errorsBefore = report.errors.length;
    const draft = readInstance(statement, report, rulePreferences, options.routeTables);
    if (!draft) continue;
    draft.order = order.get(statement);
    // Counted here, not by the instance's later check: the errors of the instances, groups and trackers read after
    // it used to stop its schema check, which then came up only on the next run (a second round of problems).
    for (const error of report.errors.slice(errorsBefore)) draft.errorLines.add(error.path);
    if (drafts.some((other) => other.name === draft.name)) {
      report.error(statement.position, `vrrp_instance ${draft.name} is defined twice: instance names must be unique`);
      continue;
    }
    drafts.push(draft);
  }
  const groups = groupStatements
    .map((statement) => {
      const group = readGroup(statement, report);
      if (group !== undefined) group.order = order.get(statement);
      return group;
    })
    .filter((group): group is GroupDraft => group !== undefined);

  // Membership: an instance belongs to the first group naming it, as in keepalived.
  const groupOf = new Map<string, GroupDraft>();
  const groupsOut: ImportedGroupConfig[] = [];
  for (const group of groups) {
    const members: string[] = [];
    for (const member of group.members) {
      if (!drafts.some((draft) => draft.name === member.name)) {
        report.warn(member.position, `vrrp_sync_group ${group.name}: no vrrp_instance ${member.name}; ignored, as keepalived does`);
        continue;
      }
      const other = groupOf.get(member.name);
      if (other) {
        report.warn(member.position, `vrrp_sync_group ${group.name}: ${member.name} is already in sync group ${other.name}; ignored here, as keepalived does`);
        continue;
      }
      groupOf.set(member.name, group);
      members.push(member.name);
      const draft = drafts.find((one) => one.name === member.name);
      if (draft !== undefined && basePriority(draft) === 255) group.hasOwner = true;
    }
    if (members.length === 0) {
      report.warn(group.position, `vrrp_sync_group ${group.name} has no instance; removed, as keepalived does`);
      continue;
    }
    if (members.length === 1) report.warn(group.position, `vrrp_sync_group ${group.name} has only one instance (${members[0]}): probably not what was meant`);
    const notify = hasNotify(group.notify) ? notifyAs(group.notify, defaults, report, group.position) : undefined;
    groupsOut.push({ name: group.name, members, ...(notify === undefined ? {} : { notify }) });
  }

  const resolver = new TrackerResolver(report, scripts, processes, files, defaults, options.scriptRunnable, definedAt);
  const instances: ImportedInstanceConfig[] = [];
  const seenVrids = new Map<string, InstanceDraft>();
  for (const draft of drafts) {
    const instance = finishInstance(draft, report, defaults, resolver, groupOf.get(draft.name), options.interfaceMtu);
    if (!instance) continue;
    const family = draft.virtualAddresses[0]?.family ?? 'ipv4';
    const key = `${instance.interface}/${family}/${instance.vrid}`;
    const clash = seenVrids.get(key);
    if (clash) {
      report.error(draft.fieldPositions.get('vrid') ?? draft.position, `vrrp_instance ${draft.name}: virtual_router_id ${instance.vrid} is already used by ${clash.name} on ${instance.interface} (${family})`);
    }
    seenVrids.set(key, draft);
    instances.push(instance);
  }
  nameVmacs(instances, defaults);
  resolver.reportUnused();
  if (instances.length === 0 && report.errors.length === 0) {
    report.error({ file: conf.files[0] ?? 'keepalived.conf', line: 1, column: 1 }, 'no vrrp_instance: expected at least one');
  }
  return { config: { instances, groups: groupsOut, global }, warnings: inFileOrder(report.warnings, conf.files), errors: inFileOrder(report.errors, conf.files) };
}

/** Issues in the order of the configuration (files in reading order, then lines); stable within a line. */
function inFileOrder(issues: KeepalivedIssue[], files: readonly string[]): KeepalivedIssue[] {
  const key = (issue: KeepalivedIssue): [number, number] => {
    const colon = issue.path.lastIndexOf(':');
    const index = files.indexOf(issue.path.slice(0, colon));
    return [index < 0 ? files.length : index, Number(issue.path.slice(colon + 1))];
  };
  return issues
    .map((issue, order) => ({ issue, order, key: key(issue) }))
    .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.order - b.order)
    .map(({ issue }) => issue);
}

function hasNotify(notify: ImportedNotify): boolean {
  return NOTIFY_SCRIPTS.some((script) => notify[script] !== undefined);
}

function readGlobalDefs(statement: KeepalivedStatement, report: Report, defaults: GlobalDefaults, global: ImportedGlobalConfig): void {
  for (const entry of blockOf(statement, report)) {
    const values = new Values(entry, report);
    switch (entry.keyword) {
      case 'router_id': {
        const id = values.atMost(1).string(0, 'a name');
        if (id !== undefined) global.routerId = id;
        break;
      }
      case 'vrrp_version': {
        const version = values.atMost(1).integer(0, 2, 3);
        if (version === 2 || version === 3) defaults.version = version;
        break;
      }
      case 'vrrp_garp_master_delay': {
        const delayMs = values.atMost(1).seconds(0, 3_600_000);
        if (delayMs !== undefined) defaults.garp.delayMs = delayMs;
        break;
      }
      case 'vrrp_garp_master_repeat': {
        const repeat = values.atMost(1).garpRepeat(0);
        if (repeat !== undefined) defaults.garp.repeat = repeat;
        break;
      }
      case 'vrrp_garp_master_refresh': {
        const refreshMs = values.atMost(1).seconds(0, 86_400_000);
        if (refreshMs !== undefined) defaults.garp.refreshMs = refreshMs;
        break;
      }
      case 'vrrp_min_garp': {
        // keepalived.conf(5): one ARP/NA at a time and no second round 5 s later; explicit settings still win.
        if (values.atMost(1).boolean(0) === true) defaults.garp = { repeat: 1, delayMs: 0, ...defaults.garp };
        break;
      }
      case 'vrrp_startup_delay': {
        const delayMs = values.atMost(1).milliseconds(0, 0, 3_600_000);
        if (delayMs !== undefined) global.startupDelayMs = delayMs;
        break;
      }
      case 'script_user': {
        const user = readUser(entry, report);
        if (user === undefined) break;
        defaults.scriptUser = user;
        global.scriptUser = user;
        break;
      }
      case 'v3_checksum_as_v2': {
        const value = values.atMost(1).boolean(0);
        if (value !== undefined) defaults.v3ChecksumAsV2 = value;
        break;
      }
      case 'vmac_prefix': {
        const prefix = values.atMost(1).string(0, 'a name prefix');
        if (prefix !== undefined) defaults.vmacPrefix = prefix;
        break;
      }
      case 'vrrp_mcast_group4':
      case 'vrrp_mcast_group6': {
        const group = values.atMost(1).string(0, 'a multicast address');
        const expected = entry.keyword === 'vrrp_mcast_group4' ? '224.0.0.18' : 'ff02::12';
        // The IANA group is what we use: saying so explicitly changes nothing.
        if (group !== undefined && group.toLowerCase() !== expected) report.unsupported(entry, GLOBAL_DEFS[entry.keyword], 'global_defs');
        break;
      }
      default: {
        const prefix = GLOBAL_DEFS_PREFIXES.find(([start]) => entry.keyword.startsWith(start));
        report.unsupported(entry, GLOBAL_DEFS[entry.keyword] ?? prefix?.[1], 'global_defs');
      }
    }
  }
}

/**
 * `user NAME [GROUP]` as the exec tracker's `user` (`name` or `name:group`). keepalived after 2.2.7 reads a `:`
 * before the group (or alone) as "and the user's supplementary groups", which spawning here cannot (libuv drops
 * them; 2.2.7 runs scripts without them too, and takes `:GROUP` for a group's name): reported, not set.
 */
function readUser(statement: KeepalivedStatement, report: Report): string | undefined {
  const values = new Values(statement, report).atMost(2);
  const user = values.string(0, 'a user name');
  const group = statement.args[1];
  if (user === undefined || group === undefined) return user;
  if (group.startsWith(':')) {
    report.warn(statement.argPositions[1] ?? statement.position, `${statement.keyword}: the supplementary groups of ${user} (asked for by ":") are not set: scripts run with the user and its primary or given group only`);
  }
  const name = group.replace(/^:/, '');
  return name === '' ? user : `${user}:${name}`;
}

function readScript(statement: KeepalivedStatement, report: Report): ScriptDef {
  const script: ScriptDef = { position: statement.position, intervalMs: 1000, weight: 0, reverse: false, rise: 1, fall: 1, initFail: false, used: false };
  let timeoutAt: KeepalivedPosition | undefined;
  for (const entry of blockOf(statement, report, 1)) {
    const values = new Values(entry, report);
    switch (entry.keyword) {
      case 'script': {
        const words = values.command();
        if (!words) break;
        script.command = words[0];
        if (words.length > 1) {
          report.warn(entry.position, `script: "${words.slice(1).join(' ')}" after the command is ignored, as keepalived does: quote the whole command to pass arguments`);
        }
        break;
      }
      case 'interval': {
        const intervalMs = values.atMost(1).wholeSeconds(0, 86_400_000);
        if (intervalMs !== undefined) script.intervalMs = intervalMs;
        break;
      }
      case 'timeout': {
        const timeoutMs = values.atMost(1).wholeSeconds(0, 86_400_000);
        if (timeoutMs !== undefined) script.timeoutMs = timeoutMs;
        timeoutAt = entry.position;
        break;
      }
      case 'weight': {
        values.atMost(2);
        const weight = values.integer(0, -253, 253);
        if (weight !== undefined) script.weight = weight;
        const option = entry.args[1];
        if (option === 'reverse') script.reverse = true;
        else if (option !== undefined) report.warn(entry.argPositions[1] ?? entry.position, `weight: unknown option "${option}" ignored (expected reverse)`);
        break;
      }
      case 'rise':
      case 'fall': {
        const count = values.atMost(1).integer(0, 1, 1_000_000);
        if (count !== undefined) script[entry.keyword] = count;
        break;
      }
      case 'user': {
        const user = readUser(entry, report);
        if (user !== undefined) script.user = user;
        break;
      }
      case 'init_fail':
        values.atMost(0);
        script.initFail = true;
        // Read in keepalived 2.2.7's source: tracking a script (alloc_track_script) sets its initial state back to
        // "not yet known", so init_fail changes nothing there. Applied here as its documentation says.
        report.warn(entry.position, 'init_fail is applied as keepalived.conf(5) describes it (the script counts as failed until its first result); keepalived 2.2 itself resets it when an instance tracks the script, so there it had no effect');
        break;
      default:
        report.unsupported(entry, undefined, 'vrrp_script');
    }
  }
  if (script.command === undefined) report.error(statement.position, `vrrp_script ${statement.args[0] ?? ''}: expected a script line in its block`);
  if (script.timeoutMs !== undefined && script.timeoutMs > script.intervalMs && timeoutAt) {
    // Our checks never overlap: one still running when the next is due delays it. keepalived 2.2.7 starts the next
    // anyway, at its fixed interval (vrrp_scheduler.c logs a "skipping run" it does not do), so its runs overlap.
    report.warn(timeoutAt, `timeout ${script.timeoutMs} ms is longer than the interval (${script.intervalMs} ms): a slow check delays the next one (keepalived 2.2.7 starts it anyway, overlapping)`);
  }
  return script;
}

function readProcess(statement: KeepalivedStatement, report: Report): ProcessDef {
  const process: ProcessDef = { position: statement.position, params: [], fullCommand: false, weight: 0, reverse: false, quorum: 1 };
  let processAt: KeepalivedPosition | undefined;
  for (const entry of blockOf(statement, report, 1)) {
    const values = new Values(entry, report);
    switch (entry.keyword) {
      case 'process': {
        const name = values.string(0, 'a process name');
        if (name === undefined) break;
        if (process.process !== undefined) {
          report.warn(entry.position, `process already set for ${statement.keyword} ${statement.args[0] ?? ''}: this one is ignored, as keepalived does`);
          break;
        }
        process.process = name;
        processAt = entry.argPositions[0] ?? entry.position;
        process.params = entry.args.slice(1);
        // keepalived: parameters make the match by command line, exact unless a param_match before said otherwise.
        if (process.params.length > 0) {
          process.fullCommand = true;
          process.paramMatch ??= 'exact';
        }
        break;
      }
      case 'param_match': {
        values.atMost(1);
        const mode = entry.args[0] ?? 'exact';
        if (mode === 'exact' && entry.args[0] !== undefined) {
          report.warn(entry.argPositions[0] ?? entry.position, 'param_match exact is not a keepalived value: ignored, as keepalived does (no value means exact)');
          break;
        }
        if (mode !== 'exact' && mode !== 'partial' && mode !== 'initial') {
          report.warn(entry.argPositions[0] ?? entry.position, `param_match ${mode} is not a keepalived value (initial or partial, or none for exact): ignored, as keepalived does`);
          break;
        }
        process.paramMatch = mode;
        process.fullCommand = true;
        break;
      }
      case 'weight': {
        values.atMost(2);
        const weight = values.integer(0, -254, 254);
        if (weight !== undefined) process.weight = weight;
        const option = entry.args[1];
        if (option === 'reverse') process.reverse = true;
        else if (option !== undefined) report.warn(entry.argPositions[1] ?? entry.position, `weight: unknown option "${option}" ignored (expected reverse)`);
        break;
      }
      // keepalived 2.2.7 (vrrp_tprocess_quorum_handler and _quorum_max_handler): a value out of range, a quorum above
      // quorum_max or a quorum_max below quorum is ignored with a message, whatever the order of the two lines.
      case 'quorum': {
        const quorum = values.atMost(1).wholeNumber(0, 1, 65_535, `quorum stays ${process.quorum}`);
        if (quorum === undefined) break;
        if (process.quorumMax !== undefined && quorum > process.quorumMax) {
          report.warn(entry.position, `quorum ${quorum} is above quorum_max ${process.quorumMax}; ignored (quorum stays ${process.quorum}), as keepalived does`);
          break;
        }
        process.quorum = quorum;
        break;
      }
      case 'quorum_max': {
        const quorumMax = values.atMost(1).wholeNumber(0, 0, 65_535, process.quorumMax === undefined ? 'no limit' : `quorum_max stays ${process.quorumMax}`);
        if (quorumMax === undefined) break;
        // keepalived.conf(5): quorum_max 0, with no quorum above 1, means failure while any matching process runs.
        if ((quorumMax !== 0 || process.quorum > 1) && quorumMax < process.quorum) {
          report.warn(entry.position, `quorum_max ${quorumMax} is below quorum ${process.quorum}; ignored, as keepalived does`);
          break;
        }
        process.quorumMax = quorumMax;
        if (quorumMax === 0) process.quorum = 0;
        else if (process.quorum === 0) process.quorum = 1;
        break;
      }
      case 'delay':
      case 'fork_delay':
      case 'terminate_delay':
        report.warn(entry.position, `${entry.keyword} is ignored: a change in the number of processes counts at once`);
        break;
      case 'full_command':
        new Values(entry, report).atMost(0);
        process.fullCommand = true;
        break;
      default:
        report.unsupported(entry, undefined, 'vrrp_track_process');
    }
  }
  if (process.process === undefined) report.error(statement.position, `${statement.keyword} ${statement.args[0] ?? ''}: expected a process line in its block`);
  else if (process.fullCommand && /\s/.test(process.process)) {
    report.warn(
      processAt ?? statement.position,
      'compared with the program alone (the first word of the command line), as keepalived does: a space in it matches only a process that rewrote its command line; give the arguments as separate words after it',
    );
  }
  return process;
}

function readFile(statement: KeepalivedStatement, report: Report): FileDef {
  // keepalived.conf(5): a track_file's weight defaults to 1.
  const file: FileDef = { position: statement.position, weight: 1, reverse: false };
  for (const entry of blockOf(statement, report, 1)) {
    const values = new Values(entry, report);
    switch (entry.keyword) {
      case 'file': {
        const path = values.atMost(1).string(0, 'a file name');
        if (path !== undefined) file.path = path;
        break;
      }
      case 'weight': {
        values.atMost(2);
        const weight = values.integer(0, -254, 254);
        if (weight !== undefined) file.weight = weight;
        const option = entry.args[1];
        if (option === 'reverse') file.reverse = true;
        else if (option !== undefined) report.warn(entry.argPositions[1] ?? entry.position, `weight: unknown option "${option}" ignored (expected reverse)`);
        break;
      }
      case 'init_file':
        report.warn(entry.position, 'init_file is ignored: the file is not created; create it before starting vrrp (until then it reads as 0, as keepalived reads a missing file)');
        break;
      default:
        report.unsupported(entry, undefined, 'track_file');
    }
  }
  if (file.path === undefined) report.error(statement.position, `${statement.keyword} ${statement.args[0] ?? ''}: expected a file line in its block`);
  return file;
}

/** Reads `track_* { NAME [weight W [reverse|noreverse]] }` entries. */
function readTrackBlock(statement: KeepalivedStatement, kind: TrackKind, report: Report): TrackRef[] {
  const refs: TrackRef[] = [];
  for (const entry of blockOf(statement, report)) {
    if (entry.block) report.error(entry.blockPosition ?? entry.position, `${statement.keyword}: expected no block inside it`);
    const ref: TrackRef = { kind, name: entry.keyword, position: entry.position };
    const [option, weightText, direction, ...extra] = entry.args;
    if (option !== undefined) {
      if (option !== 'weight' || weightText === undefined) {
        // keepalived drops such an entry whole; so do we, but say so.
        report.warn(entry.position, `${statement.keyword} ${entry.keyword}: expected "weight N" after the name, got "${entry.args.join(' ')}"; entry ignored, as keepalived does`);
        continue;
      }
      const weight = new Values(entry, report).integer(1, -254, 254);
      if (weight === undefined) continue;
      ref.weight = weight;
      // keepalived accepts ±254 for scripts and interfaces only to clamp it to ±253.
      if ((kind === 'script' || kind === 'interface') && Math.abs(weight) === 254) {
        ref.weight = Math.sign(weight) * 253;
        report.warn(entry.argPositions[1] ?? entry.position, `${statement.keyword} ${entry.keyword}: weight ${weight} set to ${ref.weight}, as keepalived does`);
      }
      if (direction === 'reverse') ref.reverse = true;
      else if (direction === 'noreverse' && kind !== 'interface') ref.reverse = false;
      else if (direction !== undefined) report.warn(entry.argPositions[2] ?? entry.position, `${statement.keyword} ${entry.keyword}: unknown option "${direction}" ignored`);
      if (extra.length > 0) report.warn(entry.argPositions[3] ?? entry.position, `${statement.keyword} ${entry.keyword}: extra values "${extra.join(' ')}" ignored`);
    }
    refs.push(ref);
  }
  return refs;
}

/** Reads a `notify*` line into `notify`, with the user after the script; reports a second script for the same event. */
function readNotify(statement: KeepalivedStatement, report: Report, notify: ImportedNotify): void {
  const key = NOTIFY_KEYS[statement.keyword];
  if (key === undefined) return;
  const words = new Values(statement, report).command();
  if (!words) return;
  if (notify[key] !== undefined) {
    report.warn(statement.position, `${statement.keyword} is set twice; the first one is kept, as keepalived does`);
    return;
  }
  notify[key] = words[0] ?? '';
  let lines = notifyLines.get(notify);
  if (lines === undefined) notifyLines.set(notify, (lines = {}));
  lines[key] = statement.position;
  // keepalived: `notify_master SCRIPT [USER [GROUP]]` (to pass arguments, the script is quoted with them).
  const [, user, group, ...extra] = words;
  if (user !== undefined) (notify.users ??= {})[key] = group === undefined ? user : `${user}:${group}`;
  if (extra.length > 0) {
    report.warn(statement.argPositions[3] ?? statement.position, `${statement.keyword}: extra values "${extra.join(' ')}" after the user and group ignored (to pass arguments, quote the script with them)`);
  }
}

/** Where each notify script of a block was read, for what is said of it later (see notifyAs). */
const notifyLines = new WeakMap<ImportedNotify, Partial<Record<NotifyScript, KeepalivedPosition>>>();

/**
 * `notify` with the user its scripts run as: `script_user` for those without a user of their own, as keepalived
 * does. Without either, they run as the user running vrrp, which is said once (keepalived would run them as
 * keepalived_script if that user exists, else as root). A script whose user cannot be run as here (when the
 * import checks: {@link KeepalivedConvertOptions.scriptUserRefusal}) is left out and said, as keepalived ignores it.
 */
function notifyAs(given: ImportedNotify, defaults: GlobalDefaults, report: Report, position: KeepalivedPosition): ImportedNotify | undefined {
  let notify = given;
  if (defaults.userRefusal !== undefined) {
    for (const script of NOTIFY_SCRIPTS) {
      const own = notify.users?.[script];
      const user = own ?? defaults.scriptUser;
      const refusal = notify[script] === undefined || user === undefined ? undefined : defaults.userRefusal(user);
      if (refusal === undefined) continue;
      const keyword = Object.keys(NOTIFY_KEYS).find((k) => NOTIFY_KEYS[k] === script) ?? script;
      report.warn(
        notifyLines.get(given)?.[script] ?? position,
        `${keyword}: ${refusal}: the script is ignored, as keepalived does` +
          (own === undefined ? '' : ` (the word after the script is the user to run it as; to pass it arguments, quote the script with them: ${keyword} "${notify[script] ?? ''} ${own.split(':').join(' ')}")`),
      );
      const users = { ...notify.users };
      delete users[script];
      notify = { ...notify, users };
      delete notify[script];
      if (Object.keys(users).length === 0) delete notify.users;
    }
    // Every script left out: no notify at all (its `user` would have `vrrp run` warn of scripts that are not there).
    if (!hasNotify(notify)) return undefined;
  }
  if (defaults.scriptUser !== undefined) return { ...notify, user: defaults.scriptUser };
  if (!defaults.warnedNotifyUser && NOTIFY_SCRIPTS.some((script) => notify[script] !== undefined && notify.users?.[script] === undefined)) {
    defaults.warnedNotifyUser = true;
    report.warn(
      position,
      'notify scripts run as the user running vrrp: keepalived would run them as keepalived_script if that user exists, else as root; set script_user (global_defs) or a user after the script to choose',
    );
  }
  return notify;
}

function readInstance(
  statement: KeepalivedStatement,
  report: Report,
  rulePreferences: RulePreferences,
  routeTables: ReadonlyMap<string, number> | undefined,
): InstanceDraft | undefined {
  const name = new Values(statement, report).string(0, 'an instance name');
  if (name === undefined) return undefined;
  const draft: InstanceDraft = {
    name,
    position: statement.position,
    fieldPositions: new Map(),
    virtualAddresses: [],
    excludedAddresses: [],
    virtualRoutes: [],
    virtualRules: [],
    unicastPeers: [],
    garp: {},
    tracks: [],
    notify: {},
    errorLines: new Set(),
  };
  const set = (field: string, entry: KeepalivedStatement): void => {
    if (draft.fieldPositions.has(field) && field !== 'virtualAddresses' && field !== 'excludedAddresses' && field !== 'virtualRoutes' && field !== 'virtualRules' && field !== 'unicastPeers') {
      report.warn(entry.position, `${entry.keyword} is set again; the last value is used`);
    }
    draft.fieldPositions.set(field, entry.position);
  };
  for (const entry of blockOf(statement, report, 1)) {
    const values = new Values(entry, report);
    switch (entry.keyword) {
      case 'state': {
        const state = values.atMost(1).string(0, 'MASTER or BACKUP');
        if (state === undefined) break;
        if (state === 'MASTER') draft.state = 'master';
        else if (state !== 'BACKUP') {
          report.warn(entry.argPositions[0] ?? entry.position, `state "${state}" is neither MASTER nor BACKUP; BACKUP is used, as keepalived does`);
          draft.state = 'backup';
        } else if (draft.state === 'master') {
          report.warn(entry.position, 'state BACKUP after state MASTER is ignored, as keepalived does');
        } else draft.state = 'backup';
        set('initialState', entry);
        break;
      }
      case 'interface': {
        const ifname = values.atMost(1).string(0, 'an interface name');
        if (ifname !== undefined) draft.interface = ifname;
        set('interface', entry);
        break;
      }
      case 'virtual_router_id': {
        const vrid = values.atMost(1).integer(0, 1, 255);
        if (vrid !== undefined) draft.vrid = vrid;
        set('vrid', entry);
        break;
      }
      case 'priority': {
        const priority = values.atMost(1).integer(0, 1, 255);
        if (priority !== undefined) draft.priority = priority;
        set('priority', entry);
        break;
      }
      case 'advert_int': {
        // keepalived reads 0.01 s to 255 s here and fits the value to the version later (see finishInstance).
        const micro = values.atMost(1).microseconds(0, 10, 255_000);
        if (micro !== undefined) draft.advertMicroseconds = micro;
        set('advertIntervalMs', entry);
        break;
      }
      case 'version': {
        const version = values.atMost(1).integer(0, 2, 3);
        if (version !== 2 && version !== 3) {
          set('version', entry);
          break;
        }
        // keepalived 2.2.7 (vrrp_version_handler): a version that conflicts with one set before (by a version line or
        // native_ipv6), or version 2 once an IPv6 address made the instance IPv6 (hence VRRPv3), is ignored.
        const earlier = draft.fieldPositions.get('version');
        if (draft.version !== undefined && draft.version !== version) {
          report.warn(entry.position, `version ${version} conflicts with version ${draft.version}${earlier === undefined ? '' : ` set at ${positionPath(earlier)}`}; ignored, as keepalived does (the first one stands)`);
          break;
        }
        if (version === 2 && draft.familySoFar?.family === 'ipv6') {
          report.warn(entry.position, `version 2 conflicts with version 3, which the IPv6 address at ${positionPath(draft.familySoFar.position)} makes the instance's; ignored, as keepalived does`);
          break;
        }
        draft.version = version;
        set('version', entry);
        break;
      }
      case 'native_ipv6':
        values.atMost(0);
        draft.nativeIpv6 = entry.position;
        // keepalived 2.2.7 (vrrp_native_ipv6_handler): with no IPv4 address before it, the instance is IPv6 and VRRPv3,
        // over a version 2 line before it too. After an IPv4 one it is refused (finishInstance).
        if (draft.familySoFar?.family !== 'ipv4') {
          draft.familySoFar ??= { family: 'ipv6', position: entry.position };
          if (draft.version === 2) report.warn(entry.position, `native_ipv6 sets version 3 over the version 2 at ${positionPath(draft.fieldPositions.get('version') ?? entry.position)}, as keepalived does`);
          draft.version = 3;
          draft.fieldPositions.set('version', entry.position);
        }
        break;
      case 'authentication':
        readAuthentication(entry, report, draft);
        set('authentication', entry);
        break;
      case 'virtual_ipaddress': {
        readVirtualAddresses(entry, report, draft, 'virtualAddresses');
        set('virtualAddresses', entry);
        const first = draft.virtualAddresses[0];
        if (first !== undefined) draft.familySoFar ??= { family: first.family, position: first.position };
        break;
      }
      case 'virtual_ipaddress_excluded':
        readVirtualAddresses(entry, report, draft, 'excludedAddresses');
        set('excludedAddresses', entry);
        break;
      case 'virtual_routes':
        readVirtualRoutes(entry, report, draft, routeTables);
        set('virtualRoutes', entry);
        break;
      case 'virtual_rules':
        readVirtualRules(entry, report, draft, rulePreferences, routeTables);
        set('virtualRules', entry);
        break;
      case 'unicast_peer':
        draft.unicastConfigured ??= { keyword: entry.keyword, position: entry.position };
        for (const peer of blockOf(entry, report)) {
          if (peer.block) report.error(peer.blockPosition ?? peer.position, 'unicast_peer: expected no block inside it');
          const address = parseIp(peer.keyword);
          if (!address) {
            report.error(peer.position, `unicast_peer: expected an IP address, got "${peer.keyword}"`);
            continue;
          }
          draft.familySoFar ??= { family: address.family, position: peer.position };
          draft.fieldPositions.set(`unicastPeers.${draft.unicastPeers.length}`, peer.position);
          draft.unicastPeers.push(peer.keyword);
          if (peer.args.length > 0) {
            report.warn(peer.argPositions[0] ?? peer.position, `unicast_peer ${peer.keyword}: "${peer.args.join(' ')}" is ignored: TTL limits of unicast adverts are not supported`);
          }
        }
        set('unicastPeers', entry);
        break;
      case 'use_vmac': {
        // keepalived 2.2.7: up to two arguments in either order, the one with a colon a MAC, the other the name.
        let name: string | undefined;
        entry.args.forEach((arg, index) => {
          const at = entry.argPositions[index] ?? entry.position;
          if (index >= 2) report.error(at, `use_vmac: expected at most a name and a MAC, got "${arg}" too`);
          else if (arg.includes(':')) report.error(at, `use_vmac ${arg}: a MAC of your own is refused: the VMAC carries the virtual router MAC of RFC 9568 §7.3 (00:00:5e:00:01:VRID, 00:00:5e:00:02:VRID for IPv6), which peers and switches expect`);
          else name = arg;
        });
        draft.vmac = { name, position: entry.position };
        set('vmac', entry);
        break;
      }
      case 'vmac_xmit_base':
        values.atMost(0);
        draft.vmacXmitBase = entry.position;
        break;
      case 'unicast_src_ip':
      case 'mcast_src_ip': {
        if (entry.keyword === 'unicast_src_ip') draft.unicastConfigured ??= { keyword: entry.keyword, position: entry.position };
        const address = values.atMost(1).string(0, 'an IP address');
        if (address === undefined) break;
        const parsed = parseIp(address);
        if (!parsed) report.error(entry.argPositions[0] ?? entry.position, `${entry.keyword}: expected an IP address, got "${address}"`);
        else {
          draft.familySoFar ??= { family: parsed.family, position: entry.position };
          if (draft.primaryAddress !== undefined && draft.primaryAddress !== address) {
            report.warn(entry.position, `${entry.keyword} replaces the source address ${draft.primaryAddress} set before`);
          }
          draft.primaryAddress = address;
          draft.fieldPositions.set('primaryAddress', entry.position);
        }
        break;
      }
      case 'track_script':
      case 'track_process':
      case 'track_file':
      case 'track_interface':
        draft.tracks.push(...readTrackBlock(entry, TRACK_BLOCKS[entry.keyword] ?? 'script', report));
        break;
      case 'nopreempt':
        values.atMost(0);
        draft.nopreempt = entry.position;
        break;
      case 'preempt':
        // keepalived keeps `preempt` for backwards compatibility: preempting is the default, and it clears a
        // `nopreempt` above it (the last of the two wins, as keepalived's flag does).
        values.atMost(0);
        draft.preempt = entry.position;
        delete draft.nopreempt;
        break;
      case 'preempt_delay': {
        const delayMs = values.atMost(1).milliseconds(0, 0, 1_000_000);
        if (delayMs !== undefined) draft.preemptDelayMs = delayMs;
        set('preemptDelayMs', entry);
        break;
      }
      case 'garp_master_delay': {
        const delayMs = values.atMost(1).seconds(0, 3_600_000);
        if (delayMs !== undefined) draft.garp.delayMs = delayMs;
        set('garp.delayMs', entry);
        break;
      }
      case 'garp_master_repeat': {
        const repeat = values.atMost(1).garpRepeat(0);
        if (repeat !== undefined) draft.garp.repeat = repeat;
        set('garp.repeat', entry);
        break;
      }
      case 'garp_master_refresh': {
        const refreshMs = values.atMost(1).seconds(0, 86_400_000);
        if (refreshMs !== undefined) draft.garp.refreshMs = refreshMs;
        set('garp.refreshMs', entry);
        break;
      }
      case 'notify':
      case 'notify_master':
      case 'notify_backup':
      case 'notify_fault':
      case 'notify_stop':
        readNotify(entry, report, draft.notify);
        break;
      case 'accept':
        // Accept mode is what vrrp does anyway: it installs no rule dropping traffic to the VIPs.
        values.atMost(0);
        break;
      case 'v3_checksum_as_v2': {
        const value = values.atMost(1).boolean(0);
        if (value !== undefined) draft.v3ChecksumAsV2 = value;
        set('v3Ipv4Checksum', entry);
        break;
      }
      case 'unicast_fault_no_peer':
        // Without peers the instance is refused (finishInstance); with them it changes nothing, in keepalived too.
        values.atMost(0);
        draft.unicastConfigured ??= { keyword: entry.keyword, position: entry.position };
        draft.unicastFaultNoPeer = entry.position;
        break;
      case 'check_unicast_src':
      case 'old_unicast_checksum':
        // Not applied (reported), but they configure unicast in keepalived, which vmac_xmit_base depends on.
        draft.unicastConfigured ??= { keyword: entry.keyword, position: entry.position };
        report.unsupported(entry, INSTANCE[entry.keyword], 'vrrp_instance');
        break;
      default:
        report.unsupported(entry, INSTANCE[entry.keyword], 'vrrp_instance');
    }
  }
  return draft;
}

function readAuthentication(statement: KeepalivedStatement, report: Report, draft: InstanceDraft): void {
  let type: 'PASS' | 'AH' | undefined;
  let password: string | undefined;
  for (const entry of blockOf(statement, report)) {
    const values = new Values(entry, report);
    if (entry.keyword === 'auth_type') {
      const text = values.atMost(1).string(0, 'PASS or AH');
      if (text === 'PASS' || text === 'AH') type = text;
      else if (text !== undefined) report.error(entry.argPositions[0] ?? entry.position, `auth_type: expected PASS or AH, got "${text}"`);
    } else if (entry.keyword === 'auth_pass') {
      password = values.atMost(1).string(0, 'a password');
      if (password !== undefined && password.length > 8) {
        report.warn(entry.argPositions[0] ?? entry.position, `auth_pass: only the first 8 characters are used ("${password.slice(0, 8)}"), as keepalived does`);
        password = password.slice(0, 8);
      }
    } else report.unsupported(entry, undefined, 'authentication');
  }
  if (type === undefined) {
    report.error(statement.position, 'authentication: expected an auth_type line in its block');
    return;
  }
  draft.authentication = password === undefined ? { type, position: statement.position } : { type, password, position: statement.position };
}

/**
 * A virtual_ipaddress or virtual_ipaddress_excluded block into `draft[list]`: one address a line with ip(8)'s
 * options, of which the prefix, the label, dev and (with dev) no_track are applied.
 */
function readVirtualAddresses(statement: KeepalivedStatement, report: Report, draft: InstanceDraft, list: 'virtualAddresses' | 'excludedAddresses'): void {
  const keyword = statement.keyword;
  const addresses = draft[list];
  const valued = new Set(['brd', 'broadcast', 'dev', 'scope', 'label', 'peer', 'preferred_lft', 'track_group']);
  const flags = new Set(['home', '-nodad', 'nodad', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'no_track']);
  for (const entry of blockOf(statement, report)) {
    if (entry.block) report.error(entry.blockPosition ?? entry.position, `${keyword}: expected no block inside it`);
    const prefix = parseIpPrefix(entry.keyword);
    if (!prefix) {
      report.error(entry.position, `${keyword}: expected an address or address/prefix, got "${entry.keyword}"`);
      continue;
    }
    let label: string | undefined;
    let dev: string | undefined;
    let devPosition: KeepalivedPosition | undefined;
    let noTrack: string | undefined;
    const ignored: string[] = [];
    for (let i = 0; i < entry.args.length; i++) {
      const option = entry.args[i] ?? '';
      const at = entry.argPositions[i] ?? entry.position;
      if (option === 'use_vmac') {
        report.error(at, `${keyword} ${entry.keyword}: use_vmac on an address is refused: ${INSTANCE.use_vmac_addr?.why ?? ''}`);
        continue;
      }
      if (option === 'no_track') {
        noTrack = option; // applied with a dev (below), else ignored as the other flags
        continue;
      }
      if (flags.has(option)) {
        ignored.push(option);
        continue;
      }
      if (!valued.has(option)) {
        report.error(at, `${keyword} ${entry.keyword}: unknown option "${option}" (expected dev, label, brd, scope, peer, …)`);
        continue;
      }
      const value = entry.args[i + 1];
      if (value === undefined) {
        report.error(at, `${keyword} ${entry.keyword}: expected a value after ${option}`);
        break;
      }
      i++;
      // keepalived 2.2.7 drops an IPv6 address's label with a warning and adds the address (the kernel labels
      // IPv4 addresses only); the config refuses one, so it is dropped here as there.
      if (option === 'label' && prefix.family === 'ipv6') report.warn(at, `${keyword} ${entry.keyword}: label ${value} ignored: labels exist for IPv4 addresses only (keepalived ignores it too)`);
      else if (option === 'label') label = value;
      else if (option === 'dev') {
        // Kept as given: whether it is the instance's own interface is known once the instance is read (its
        // interface line may come after this block; see finishInstance).
        dev = value;
        devPosition = at;
      } else if (option === 'scope' && value === 'global') {
        // The default: nothing to report.
      } else ignored.push(`${option} ${value}`);
    }
    // keepalived's no_track stops a virtual address's interface from being tracked: it means something only with
    // a dev (the instance's own interface is tracked or not by dont_track_primary).
    if (noTrack !== undefined && dev === undefined) ignored.push(noTrack);
    if (ignored.length > 0) {
      report.warn(entry.argPositions[0] ?? entry.position, `${keyword} ${entry.keyword}: "${ignored.join(' ')}" ignored: the address is added with its prefix, label and interface only`);
    }
    draft.fieldPositions.set(`${list}.${addresses.length}`, entry.position);
    const value: string | VirtualAddressConfig = label === undefined && dev === undefined ? entry.keyword : { address: entry.keyword, ...(label === undefined ? {} : { label }), ...(dev === undefined ? {} : { dev }) };
    addresses.push({ value, family: prefix.family, position: entry.position, ...(devPosition === undefined ? {} : { dev: { position: devPosition, track: noTrack === undefined } }) });
  }
}

/**
 * The words of one line of a virtual_routes or virtual_rules block, read one by one as keepalived reads them; a
 * problem is reported at its word, with the line, and marks the line failed (it is then dropped).
 */
class LineWords {
  readonly words: string[];
  readonly line: string;
  failed = false;
  /** The family `inet` / `inet6` gave, if any. */
  family: AddressFamily | undefined;
  /** The line's statement. */
  readonly entry: KeepalivedStatement;
  readonly #keyword: string;
  readonly #report: Report;

  constructor(entry: KeepalivedStatement, keyword: string, report: Report) {
    this.entry = entry;
    this.#keyword = keyword;
    this.#report = report;
    this.words = [entry.keyword, ...entry.args];
    this.line = this.words.join(' ');
  }

  /** Where word `i` is. */
  at(i: number): KeepalivedPosition {
    return i === 0 ? this.entry.position : (this.entry.argPositions[i - 1] ?? this.entry.position);
  }

  /** Reports `message` at word `i` and fails the line. */
  fail(i: number, message: string): void {
    this.#report.error(this.at(i), `${this.#keyword} "${this.line}": ${message}`);
    this.failed = true;
  }

  /** Warns `message` at word `i`. */
  warn(i: number, message: string): void {
    this.#report.warn(this.at(i), `${this.#keyword} "${this.line}": ${message}`);
  }

  /**
   * Takes the words routes and rules share (`inet`, `inet6`, `no_track`); true when `word` was one. `no_track` says
   * nothing here: vrrp puts back any route or rule of its own deleted while master, tracked or not (keepalived
   * makes the instance backup for a tracked one, which installs it again after its skew time, and leaves an
   * untracked one deleted; docs/keepalived.md).
   */
  shared(word: string): boolean {
    if (word === 'inet' || word === 'inet6') this.family = word === 'inet' ? 'ipv4' : 'ipv6';
    else if (word !== 'no_track') return false;
    return true;
  }

  /** The word after word `i`, the value of its option; fails the line when there is none. */
  value(i: number, what: string): string | undefined {
    const next = this.words[i + 1];
    if (next === undefined) this.fail(i, `expected ${what} after ${this.words[i]}`);
    return next;
  }
}

/** One {@link LineWords} for each line of a virtual_routes or virtual_rules block. */
function* lineReaders(statement: KeepalivedStatement, report: Report): Generator<LineWords> {
  for (const entry of blockOf(statement, report)) {
    if (entry.block) report.error(entry.blockPosition ?? entry.position, `${statement.keyword}: expected no block inside it`);
    yield new LineWords(entry, statement.keyword, report);
  }
}

/** keepalived's route types (iproute2's rtntype names) that a virtual route may have here. */
const ROUTE_TYPES = new Set(['unicast', 'blackhole', 'unreachable', 'prohibit']);
/** iproute2's other route types, which keepalived takes and vrrp does not. */
const OTHER_ROUTE_TYPES = new Set(['local', 'broadcast', 'anycast', 'multicast', 'throw', 'nat', 'xresolve']);
/** Route options that change what the route does, which vrrp does not set: refused, since the route would differ. */
const REFUSED_ROUTE_OPTIONS = new Set([
  'or', 'nexthop', 'onlink', 'from', 'tos', 'dsfield', 'encap', 'expires', 'mtu', 'hoplimit', 'advmss', 'rtt', 'rttvar', 'reordering',
  'window', 'cwnd', 'ssthresh', 'realms', 'rto_min', 'initcwnd', 'initrwnd', 'features', 'quickack', 'congctl', 'pref', 'ttl-propagate',
  'fastopen_no_cookie', 'vrf', 'as',
]);
/** The table names keepalived 2.2.7 knows whatever /etc/iproute2/rt_tables says (rttable_default in lib/rttables.c). */
const RESERVED_ROUTE_TABLES: ReadonlyMap<string, number> = new Map([
  ['default', 253],
  ['main', 254],
  ['local', 255],
]);

/**
 * A whole number as C's strtoul reads it with base 0 — decimal, `0x` hexadecimal, or octal after a leading `0` —
 * up to 2^32 − 1; undefined otherwise. keepalived and iproute2 read table numbers so (`table 0x64` is table 100).
 */
export function unsignedBase0(text: string): number | undefined {
  let value: number;
  if (/^0x[0-9a-f]+$/i.test(text)) value = Number.parseInt(text.slice(2), 16);
  else if (/^0[0-7]*$/.test(text)) value = Number.parseInt(text, 8);
  else if (/^[1-9]\d*$/.test(text)) value = Number(text);
  else return undefined;
  return value <= 0xffff_ffff ? value : undefined;
}

/**
 * Where `table T` / `lookup T` points, as keepalived 2.2.7 finds it (find_rttables_table): a number, else a name of
 * the host's rt_tables (first line wins), else a reserved name. The message says why not when it is neither.
 */
function routeTable(text: string, tables: ReadonlyMap<string, number> | undefined): number | string {
  const number = unsignedBase0(text);
  if (number !== undefined) return number;
  const named = tables?.get(text) ?? RESERVED_ROUTE_TABLES.get(text);
  if (named !== undefined) return named;
  if (/^([1-9]\d*|0x[0-9a-f]+)$/i.test(text)) return `table ${text} is past the largest table number, 4294967295`;
  return tables === undefined
    ? `table ${text}: give its number (only default, main and local are known by name to an import that does not read this host's /etc/iproute2/rt_tables)`
    : `table ${text}: not a number, and not a table named in /etc/iproute2/rt_tables (nor default, main, local)`;
}

/**
 * A virtual_routes block into `draft.virtualRoutes`: one route a line in keepalived 2.2.7's words (alloc_route in
 * vrrp_iproute.c) — `[src IP] [to] [TYPE] PREFIX [via|gw IP] [dev IF] [scope S] [table T] [metric N]`. keepalived
 * tracks a route that has a `dev` unless `no_track` is given (its deletion makes the instance backup); vrrp does not
 * watch its routes, which is reported for each such route.
 */
function readVirtualRoutes(statement: KeepalivedStatement, report: Report, draft: InstanceDraft, tables: ReadonlyMap<string, number> | undefined): void {
  for (const reader of lineReaders(statement, report)) {
    const { words, entry } = reader;
    const value = (i: number, what: string): string | undefined => reader.value(i, what);
    const route: Partial<VirtualRouteConfig> & { to?: string } = {};
    for (let i = 0; i < words.length && !reader.failed; i++) {
      const word = words[i] as string;
      if (reader.shared(word)) continue;
      if (word === 'src') {
        route.src = value(i++, 'an address');
      } else if (word === 'via' || word === 'gw') {
        let next = value(i++, 'an address');
        if (next === 'inet' || next === 'inet6') {
          reader.shared(next);
          next = value(i++, 'an address');
        }
        route.via = next;
      } else if (word === 'dev' || word === 'oif') {
        route.dev = value(i++, 'an interface');
      } else if (word === 'scope') {
        const scope = value(i++, 'a scope');
        if (scope === undefined) break;
        const named = scope === 'universe' ? 'global' : scope;
        // keepalived takes `nowhere` (and numbers), which the kernel then refuses for a route to install.
        if (named === 'global' || named === 'site' || named === 'link' || named === 'host') route.scope = named;
        else reader.fail(i, `scope ${scope} is not one of global, site, link, host`);
      } else if (word === 'table') {
        const table = value(i++, 'a table');
        if (table === undefined) break;
        const found = routeTable(table, tables);
        if (typeof found === 'string') reader.fail(i, found);
        else if (found === 0) {
          // keepalived 2.2.7 takes it, and the kernel puts a route of table 0 (unspec) in main: the same route.
          route.table = 254;
          reader.warn(i, `table ${table} is table 0 (unspec), where the kernel puts a route in main: imported as table 254`);
        } else route.table = found;
      } else if (word === 'metric' || word === 'priority' || word === 'preference') {
        const metric = value(i++, 'a number');
        if (metric === undefined) break;
        if (/^\d+$/.test(metric)) route.metric = Number(metric);
        else reader.fail(i, `${word} ${metric} is not a whole number`);
      } else if (word === 'protocol') {
        value(i++, 'a protocol');
        reader.warn(i - 1, 'protocol ignored: vrrp marks its routes with protocol 112, by which it finds what a crashed run left');
      } else if (REFUSED_ROUTE_OPTIONS.has(word)) {
        reader.fail(i, `${word} is not supported: the route would not be the one keepalived makes`);
      } else {
        // The destination, as keepalived 2.2.7 reads it: `to PREFIX`, or `TYPE PREFIX`, or the prefix alone (after
        // `to` it looks for the type on the word `to` itself, so `to blackhole X` is an unknown keyword there too).
        let destination: string | undefined = word;
        if (word === 'to') destination = words[++i];
        else if (ROUTE_TYPES.has(word)) {
          route.type = word as VirtualRouteConfig['type'];
          destination = words[++i];
        } else if (OTHER_ROUTE_TYPES.has(word)) {
          reader.fail(i, `${word} routes are not supported (unicast, blackhole, unreachable and prohibit are)`);
          break;
        }
        if (destination === 'default' || destination === 'any' || destination === 'all' || destination === 'default6') {
          // Of the route's family, known once the line is read: inet / inet6, the gateway's or source's, else IPv4.
          if (destination === 'default6') reader.family = 'ipv6';
          route.to = 'default';
          continue;
        }
        if (destination === undefined || !parseIpPrefix(destination)) {
          reader.fail(Math.min(i, words.length - 1), `unknown route keyword ${destination ?? '(nothing)'}`);
          break;
        }
        route.to = destination;
      }
    }
    if (reader.failed) continue;
    if (route.to === undefined) {
      reader.fail(0, 'a route must have a destination');
      continue;
    }
    if (route.to === 'default') {
      const known = reader.family ?? [route.via, route.src].map((text) => (text === undefined ? undefined : parseIp(text)?.family)).find((f) => f !== undefined) ?? 'ipv4';
      route.to = known === 'ipv4' ? '0.0.0.0/0' : '::/0';
    }
    // keepalived's default scope is global whatever the route (ip route would choose link without a gateway).
    route.scope ??= 'global';
    draft.fieldPositions.set(`virtualRoutes.${draft.virtualRoutes.length}`, entry.position);
    draft.virtualRoutes.push(route as VirtualRouteConfig);
  }
}

/** The preference keepalived 2.2.7 gives the first rule without one, counting down per family (vrrp_iprule.c). */
const RULE_START_PREFERENCE = 16384;
/** The next preference keepalived would give a rule without one, per family, over the whole file in reading order. */
interface RulePreferences {
  ipv4: number;
  ipv6: number;
}
/** Rule options that change what the rule matches or does, which vrrp does not set: refused. */
const REFUSED_RULE_OPTIONS = new Set([
  'tos', 'dsfield', 'realms', 'suppress_prefixlength', 'sup_pl', 'suppress_ifgroup', 'sup_group', 'tunnel-id', 'uidrange', 'l3mdev',
  'ipproto', 'sport', 'dport', 'goto', 'nop',
]);

/**
 * A virtual_rules block into `draft.virtualRules`: one rule a line in keepalived 2.2.7's words (alloc_rule in
 * vrrp_iprule.c) — `[not] [from P] [to P] [table|lookup T | blackhole|unreachable|prohibit] [preference N]
 * [fwmark M[/MASK]] [iif|dev IF] [oif IF]`. A rule without a preference gets the one keepalived gives it (16384,
 * then one less per such rule of the family, in reading order), reported as keepalived reports it.
 */
function readVirtualRules(
  statement: KeepalivedStatement,
  report: Report,
  draft: InstanceDraft,
  preferences: RulePreferences,
  tables: ReadonlyMap<string, number> | undefined,
): void {
  for (const reader of lineReaders(statement, report)) {
    const { words, entry } = reader;
    const value = (i: number, what: string): string | undefined => reader.value(i, what);
    const fail = (i: number, message: string): void => reader.fail(i, message);
    const rule: Partial<VirtualRuleConfig> = {};
    const number = (text: string): number | undefined => (/^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : undefined);
    for (let i = 0; i < words.length && !reader.failed; i++) {
      const word = words[i] as string;
      if (reader.shared(word)) continue;
      if (word === 'not') {
        rule.invert = true;
      } else if (word === 'from' || word === 'to') {
        const prefix = value(i++, 'a prefix');
        if (prefix === undefined) break;
        if (prefix === 'all' || prefix === 'default' || prefix === 'any') continue;
        if (!parseIpPrefix(prefix)) fail(i, `${word} ${prefix} is not an address or address/prefix`);
        else rule[word] = prefix;
      } else if (word === 'table' || word === 'lookup') {
        const table = value(i++, 'a table');
        if (table === undefined) break;
        const found = routeTable(table, tables);
        if (typeof found === 'string') fail(i, found);
        // keepalived 2.2.7 refuses it too ("Table 0 is not valid").
        else if (found === 0) fail(i, `table ${table} is table 0 (unspec), which a rule cannot look up`);
        else rule.table = found;
      } else if (word === 'preference' || word === 'order' || word === 'priority') {
        const preference = value(i++, 'a number');
        if (preference === undefined) break;
        const n = number(preference);
        if (n === undefined) fail(i, `${word} ${preference} is not a whole number`);
        else rule.priority = n;
      } else if (word === 'fwmark') {
        const mark = value(i++, 'a mark');
        if (mark === undefined) break;
        const [markText = '', maskText] = mark.split('/');
        const fwmark = number(markText);
        const fwmask = maskText === undefined ? undefined : number(maskText);
        if (fwmark === undefined || (maskText !== undefined && fwmask === undefined)) fail(i, `fwmark ${mark} is not MARK or MARK/MASK`);
        else {
          rule.fwmark = fwmark;
          if (fwmask !== undefined) rule.fwmask = fwmask;
        }
      } else if (word === 'dev' || word === 'iif') {
        rule.iif = value(i++, 'an interface');
      } else if (word === 'oif') {
        rule.oif = value(i++, 'an interface');
      } else if (word === 'protocol') {
        value(i++, 'a protocol');
        reader.warn(i - 1, 'protocol ignored: vrrp marks its rules with protocol 112, by which it finds what a crashed run left');
      } else if (REFUSED_RULE_OPTIONS.has(word)) {
        fail(i, `${word} is not supported: the rule would not be the one keepalived makes`);
      } else {
        const action = word === 'type' ? value(i++, 'an action') : word;
        if (action === 'blackhole' || action === 'unreachable' || action === 'prohibit') rule.action = action;
        else if (action !== undefined) fail(i, `unknown rule option ${action}`);
      }
    }
    if (reader.failed) continue;
    const { family } = reader;
    const ruleFamily = family ?? [rule.from, rule.to].map((text) => (text === undefined ? undefined : parseIpPrefix(text)?.family)).find((f) => f !== undefined) ?? 'ipv4';
    if (family !== undefined) rule.family = family;
    if (rule.table === undefined && rule.action === undefined) {
      reader.fail(0, 'no action (table, blackhole, unreachable, prohibit): keepalived ignores the rule; remove it or give one');
      continue;
    }
    if (rule.priority === undefined) {
      rule.priority = preferences[ruleFamily]--;
      reader.warn(0, `no preference: ${rule.priority}, the one keepalived gives it (16384 and down, in reading order); probably not what you want`);
    }
    draft.fieldPositions.set(`virtualRules.${draft.virtualRules.length}`, entry.position);
    draft.virtualRules.push({ ...rule, priority: rule.priority });
  }
}

function readGroup(statement: KeepalivedStatement, report: Report): GroupDraft | undefined {
  const name = new Values(statement, report).string(0, 'a group name');
  if (name === undefined) return undefined;
  const group: GroupDraft = { name, position: statement.position, members: [], tracks: [], notify: {}, trackingWeight: false };
  for (const entry of blockOf(statement, report, 1)) {
    switch (entry.keyword) {
      case 'group':
        for (const member of blockOf(entry, report)) {
          // keepalived also accepts several names on one line.
          for (const [index, memberName] of [member.keyword, ...member.args].entries()) {
            group.members.push({ name: memberName, position: index === 0 ? member.position : (member.argPositions[index - 1] ?? member.position) });
          }
        }
        break;
      case 'track_script':
      case 'track_process':
      case 'track_file':
      case 'track_interface':
        group.tracks.push(...readTrackBlock(entry, TRACK_BLOCKS[entry.keyword] ?? 'script', report));
        break;
      case 'notify':
      case 'notify_master':
      case 'notify_backup':
      case 'notify_fault':
      case 'notify_stop':
        readNotify(entry, report, group.notify);
        break;
      case 'sync_group_tracking_weight':
        new Values(entry, report).atMost(0);
        group.trackingWeight = true;
        break;
      case 'global_tracking':
        new Values(entry, report).atMost(0);
        report.warn(entry.position, 'global_tracking is deprecated in keepalived; read as sync_group_tracking_weight (the members keep their weighted trackers)');
        group.trackingWeight = true;
        break;
      default:
        report.unsupported(entry, SYNC_GROUP[entry.keyword], 'vrrp_sync_group');
    }
  }
  if (group.members.length === 0) report.warn(statement.position, `vrrp_sync_group ${name}: no group block naming its instances`);
  return group;
}

/** Turns track references into trackers, with the definitions' defaults and keepalived's overrides. */
class TrackerResolver {
  readonly #report: Report;
  readonly #scripts: Map<string, ScriptDef>;
  readonly #processes: Map<string, ProcessDef>;
  readonly #files: Map<string, FileDef>;
  readonly #defaults: GlobalDefaults;
  readonly #processesUsed = new Set<string>();
  readonly #filesUsed = new Set<string>();
  #warnedDefaultUser = false;
  readonly #scriptRunnable: ((program: string) => boolean) | undefined;
  readonly #definedAt: ReadonlyMap<string, number>;

  constructor(
    report: Report,
    scripts: Map<string, ScriptDef>,
    processes: Map<string, ProcessDef>,
    files: Map<string, FileDef>,
    defaults: GlobalDefaults,
    scriptRunnable: ((program: string) => boolean) | undefined,
    definedAt: ReadonlyMap<string, number>,
  ) {
    this.#definedAt = definedAt;
    this.#scriptRunnable = scriptRunnable;
    this.#report = report;
    this.#scripts = scripts;
    this.#processes = processes;
    this.#files = files;
    this.#defaults = defaults;
  }

  /**
   * The tracker `ref` names, as read by the block at top-level place `blockOrder`. keepalived 2.2.7 looks a tracked
   * script, process or file up while it reads the block (alloc_track_script and its kin): one defined further down
   * is "not found" there, and its track ignored — so it is here too, said with the way to have it.
   */
  resolve(ref: TrackRef, blockOrder: number | undefined): ImportedTracker | undefined {
    const missing = (block: string): undefined => {
      this.#report.warn(ref.position, `track_${ref.kind} ${ref.name}: no ${block} of that name; ignored, as keepalived does`);
      return undefined;
    };
    const definedAt = this.#definedAt.get(`${ref.kind}:${ref.name}`);
    if (definedAt !== undefined && blockOrder !== undefined && definedAt > blockOrder) {
      this.#report.warn(
        ref.position,
        `track_${ref.kind} ${ref.name}: defined after this block, and keepalived 2.2.7 looks it up as it reads ("not found, ignoring"): ignored here too — define it before the block to track it`,
      );
      return undefined;
    }
    switch (ref.kind) {
      case 'script': {
        const def = this.#scripts.get(ref.name);
        if (!def) return missing('vrrp_script');
        if (def.command === undefined) return undefined;
        def.used = true;
        if (def.disabled === true) return undefined;
        // keepalived disables, as it starts, a script whose program it cannot find or run (its check_script_secure):
        // the instances tracking it run without it. Faulting them instead would keep a node from ever serving.
        const argv = commandArgv(def.command);
        const program = argv.ok ? argv.argv[0] : undefined;
        if (program !== undefined && this.#scriptRunnable !== undefined && !this.#scriptRunnable(program)) {
          def.disabled = true;
          this.#report.warn(def.position, `vrrp_script ${ref.name}: ${program} is not found or not executable here: disabled, as keepalived does — instances tracking it run without it`);
          return undefined;
        }
        const user = def.user ?? this.#defaults.scriptUser;
        // As keepalived's check_script_secure: a script it cannot switch to the user of is disabled as it starts.
        const refusal = user === undefined ? undefined : this.#defaults.userRefusal?.(user);
        if (refusal !== undefined) {
          def.disabled = true;
          this.#report.warn(def.position, `vrrp_script ${ref.name}: ${refusal}: disabled, as keepalived does — instances tracking it run without it`);
          return undefined;
        }
        if (user === undefined && !this.#warnedDefaultUser) {
          this.#warnedDefaultUser = true;
          this.#report.warn(
            def.position,
            'scripts run as the user running vrrp: keepalived would run them as keepalived_script if that user exists, else as root; set script_user (global_defs) or user to choose',
          );
        }
        return {
          type: 'exec',
          name: ref.name,
          command: def.command,
          ...(user === undefined ? {} : { user }),
          intervalMs: def.intervalMs,
          timeoutMs: def.timeoutMs ?? def.intervalMs,
          weight: ref.weight ?? def.weight,
          fall: def.fall,
          rise: def.rise,
          reverse: ref.reverse ?? def.reverse,
          initFail: def.initFail,
        };
      }
      case 'process': {
        const def = this.#processes.get(ref.name);
        if (!def) return missing('vrrp_track_process');
        if (def.process === undefined) return undefined;
        this.#processesUsed.add(ref.name);
        // keepalived matches the name (/proc/PID/comm) unless parameters, param_match or full_command ask for the
        // command line; then the process is its first word (argv[0]), and its arguments are compared only when
        // parameters or param_match ask.
        return {
          type: 'process',
          name: ref.name,
          ...(def.fullCommand
            ? { command: def.process, ...(def.params.length > 0 ? { params: def.params } : {}), ...(def.paramMatch === undefined ? {} : { paramMatch: def.paramMatch }) }
            : { process: def.process }),
          quorum: def.quorum,
          ...(def.quorumMax === undefined ? {} : { quorumMax: def.quorumMax }),
          weight: ref.weight ?? def.weight,
          fall: 1,
          rise: 1,
          reverse: ref.reverse ?? def.reverse,
          initFail: false,
        };
      }
      case 'file': {
        const def = this.#files.get(ref.name);
        if (!def) return missing('track_file');
        if (def.path === undefined) return undefined;
        this.#filesUsed.add(ref.name);
        return { type: 'file', name: ref.name, path: def.path, weight: ref.weight ?? def.weight, fall: 1, rise: 1, reverse: ref.reverse ?? def.reverse, initFail: false };
      }
      case 'interface':
        return { type: 'interface', name: ref.name, interface: ref.name, weight: ref.weight ?? 0, fall: 1, rise: 1, reverse: ref.reverse ?? false, initFail: false };
    }
  }

  /** Definitions no instance or group tracks: keepalived does not run them either; say so. */
  reportUnused(): void {
    for (const [name, def] of this.#scripts) if (!def.used && def.command !== undefined) this.#report.warn(def.position, `vrrp_script ${name} is not tracked by any instance or group; it is not run`);
    for (const [name, def] of this.#processes) if (!this.#processesUsed.has(name)) this.#report.warn(def.position, `vrrp_track_process ${name} is not tracked by any instance or group`);
    for (const [name, def] of this.#files) if (!this.#filesUsed.has(name)) this.#report.warn(def.position, `track_file ${name} is not tracked by any instance or group`);
  }
}

/**
 * The interfaces of addresses given a `dev`: the instance's own named is dropped (the address goes there anyway);
 * another one is tracked — down means fault — unless `no_track` was given, as keepalived 2.2.7 tracks a virtual
 * address's interface (vrrp_complete_instance): after the track_interface entries, with weight 0, which replaces
 * a weight a track_interface gave it (add_vrrp_to_interface).
 */
function addressInterfaces(draft: InstanceDraft, report: Report): void {
  for (const vip of [...draft.virtualAddresses, ...draft.excludedAddresses]) {
    if (vip.dev === undefined || typeof vip.value === 'string') continue;
    const dev = vip.value.dev;
    if (dev === undefined) continue;
    if (draft.interface === undefined || dev === draft.interface) {
      const { dev: _dev, ...rest } = vip.value;
      vip.value = rest.label === undefined ? rest.address : rest;
      continue;
    }
    // A name the kernel would not take is the address's error already (the config names its `dev`): not a tracker's too.
    if (!vip.dev.track || Buffer.byteLength(dev) > 15) continue;
    const tracked = draft.tracks.find((ref) => ref.kind === 'interface' && ref.name === dev);
    if (tracked === undefined) draft.tracks.push({ kind: 'interface', name: dev, position: vip.dev.position, forAddress: true });
    else if (tracked.weight !== undefined && tracked.weight !== 0) {
      report.warn(tracked.position, `track_interface ${dev} weight ${tracked.weight} set to 0 (down means fault): ${vip.value.address} is held on ${dev}, and keepalived faults an instance whose virtual address's interface is down (no_track on the address to keep the weight)`);
      tracked.weight = 0;
      tracked.reverse = false; // keepalived resets the multiplier with the weight
    }
  }
}

function finishInstance(
  draft: InstanceDraft,
  report: Report,
  defaults: GlobalDefaults,
  resolver: TrackerResolver,
  group: GroupDraft | undefined,
  interfaceMtu: ((ifname: string) => number | undefined) | undefined,
): ImportedInstanceConfig | undefined {
  const errorsBefore = report.errors.length;
  const where = `vrrp_instance ${draft.name}`;
  if (draft.interface === undefined) report.error(draft.position, `${where}: expected an interface line (vrrp needs the interface even with unicast peers)`);
  if (draft.vrid === undefined) report.error(draft.position, `${where}: expected a virtual_router_id line`);
  if (draft.virtualAddresses.length === 0) report.error(draft.position, `${where}: expected a virtual_ipaddress block with at least one address`);
  addressInterfaces(draft, report);

  const first = draft.virtualAddresses[0];
  const family: AddressFamily = first?.family ?? 'ipv4';
  for (const vip of draft.virtualAddresses) {
    if (vip.family !== family) report.error(vip.position, `${where}: ${typeof vip.value === 'string' ? vip.value : vip.value.address} is ${vip.family} but the first address is ${family}: keepalived and vrrp advertise one family per instance (an address of the other family may go in virtual_ipaddress_excluded)`);
  }
  if (draft.nativeIpv6 && family !== 'ipv6') report.error(draft.nativeIpv6, `${where}: native_ipv6 with IPv4 virtual addresses`);
  if (draft.unicastFaultNoPeer === undefined && draft.unicastConfigured !== undefined && draft.unicastPeers.length === 0) {
    // keepalived 2.2.7 (vrrp_complete_instance) says so too, as a deprecated configuration, and runs multicast.
    const { keyword, position } = draft.unicastConfigured;
    report.warn(position, `${where}: ${keyword} without any unicast_peer: the adverts go multicast, as keepalived defaults to (it calls this usage deprecated); give the peers, or add unicast_fault_no_peer to refuse running without them`);
  }
  if (draft.unicastFaultNoPeer !== undefined && draft.unicastPeers.length === 0) {
    // keepalived 2.2.7 (vrrp_complete_instance): "Cannot use unicast without any peers - going to fault state", for
    // good. A fault that never ends cannot be configured here, and running multicast instead could take the VIPs.
    report.error(
      draft.unicastFaultNoPeer,
      `${where}: unicast_fault_no_peer without any unicast_peer is refused: keepalived keeps such an instance in fault state for good (never master), which cannot be configured here, and running it multicast instead could take the virtual addresses; give the peers, or remove unicast_fault_no_peer to run multicast`,
    );
  }

  // keepalived: IPv6 instances default to VRRPv3, IPv4 ones to vrrp_version (default 2).
  const version: 2 | 3 = draft.version ?? (family === 'ipv6' || draft.nativeIpv6 ? 3 : (defaults.version ?? 2));
  if (version === 2 && family === 'ipv6') {
    report.error(draft.fieldPositions.get('version') ?? draft.position, `${where}: VRRPv2 over IPv6 (a keepalived extension) is not supported: use version 3 on every node`);
  }

  fitAdvert(draft, family, version, report, interfaceMtu);

  const priority = basePriority(draft);
  if (draft.priority === undefined && draft.state === 'master') {
    report.warn(draft.fieldPositions.get('initialState') ?? draft.position, `${where}: state MASTER without a priority makes it the address owner (priority 255), as keepalived does`);
    draft.fieldPositions.set('priority', draft.fieldPositions.get('initialState') ?? draft.position);
  }
  const initialState = draft.state ?? (priority === 255 ? 'master' : 'backup');
  // keepalived 2.2.7 (vrrp_init_state) shortens the first Master_Down_Timer of `state MASTER` to one interval and
  // the smallest skew only for a sync group member; a non-owner outside a group waits the whole
  // Master_Down_Interval, as a BACKUP does. Our initialState 'master' shortens it for every instance, so such an
  // instance is imported as 'backup' to start as keepalived starts it.
  const startsAsBackup = initialState === 'master' && priority !== 255 && group === undefined;
  if (startsAsBackup) {
    report.warn(
      draft.fieldPositions.get('initialState') ?? draft.position,
      `${where}: state MASTER below priority 255 outside a sync group starts as BACKUP in keepalived 2.2.7 (the whole Master_Down_Interval before it takes over): imported as initialState 'backup'`,
    );
  }

  let preempt = true;
  if (draft.nopreempt) {
    if (priority === 255) report.warn(draft.nopreempt, `${where}: nopreempt is ignored for an address owner (priority 255), as keepalived does`);
    else if (initialState === 'master') report.warn(draft.nopreempt, `${where}: nopreempt is ignored with state MASTER, as keepalived does`);
    else preempt = false;
  }
  let preemptDelayMs = draft.preemptDelayMs ?? 0;
  if (preemptDelayMs > 0) {
    const at = draft.fieldPositions.get('preemptDelayMs') ?? draft.position;
    if (initialState === 'master') {
      report.warn(at, `${where}: preempt_delay is ignored with state MASTER, as keepalived does`);
      preemptDelayMs = 0;
    } else if (!preempt) {
      report.warn(at, `${where}: preempt_delay is ignored with nopreempt, as keepalived does`);
      preemptDelayMs = 0;
    }
  }

  const advertIntervalMs = fitAdvertInterval(draft, version, report, where);

  let authentication: AuthenticationConfig = { type: 'none' };
  if (draft.authentication) {
    const { type, password, position } = draft.authentication;
    if (type === 'AH') report.error(position, `${where}: auth_type AH (IPsec AH) is refused: not supported; use PASS or none`);
    else if (version === 3) report.warn(position, `${where}: authentication is ignored: VRRPv3 has none (RFC 9568), as keepalived does`);
    else if (password === undefined) report.warn(position, `${where}: authentication without auth_pass is ignored, as keepalived does`);
    else authentication = { type: 'simple', password };
  }

  const garp = {
    repeat: draft.garp.repeat ?? defaults.garp.repeat ?? DEFAULT_GARP.repeat,
    delayMs: draft.garp.delayMs ?? defaults.garp.delayMs ?? DEFAULT_GARP.delayMs,
    refreshMs: draft.garp.refreshMs ?? defaults.garp.refreshMs ?? DEFAULT_GARP.refreshMs,
  };

  const trackers = collectTrackers(draft, priority, report, resolver, group);

  if (draft.interface === undefined || draft.vrid === undefined || draft.virtualAddresses.length === 0) return undefined;
  const notify = hasNotify(draft.notify) ? notifyAs(draft.notify, defaults, report, draft.position) : undefined;
  const instance: ImportedInstanceConfig = {
    name: draft.name,
    interface: draft.interface,
    vrid: draft.vrid,
    priority,
    version,
    advertIntervalMs,
    virtualAddresses: draft.virtualAddresses.map((vip) => vip.value),
    ...(draft.excludedAddresses.length > 0 ? { excludedAddresses: draft.excludedAddresses.map((vip) => vip.value) } : {}),
    ...(draft.virtualRoutes.length > 0 ? { virtualRoutes: draft.virtualRoutes } : {}),
    ...(draft.virtualRules.length > 0 ? { virtualRules: draft.virtualRules } : {}),
    initialState: startsAsBackup ? 'backup' : initialState,
    preempt,
    preemptDelayMs,
    unicastPeers: draft.unicastPeers,
    ...(draft.primaryAddress === undefined ? {} : { primaryAddress: draft.primaryAddress }),
    ...vmacOf(draft, report),
    authentication,
    ...(version === 3 && family === 'ipv4' ? { v3Ipv4Checksum: (draft.v3ChecksumAsV2 ?? defaults.v3ChecksumAsV2) === true ? 'rfc9568' : 'pseudo-header' } : {}),
    garp,
    trackers,
    ...(notify === undefined ? {} : { notify }),
  };
  for (const error of report.errors.slice(errorsBefore)) draft.errorLines.add(error.path);
  // Checked even when the instance has errors already, so that every problem is in one report; a line that has
  // one of its errors is not blamed twice.
  validate(instance, draft, report);
  return instance;
}

/**
 * `use_vmac` and `vmac_xmit_base` as `vmac`, as keepalived 2.2.7 reads them: `vmac_xmit_base` without `use_vmac` is
 * dropped, and with unicast configured (peers or not) it is turned on (unicast adverts cannot go from a VMAC), each
 * said. Names come after, from the whole file (nameVmacs).
 */
function vmacOf(draft: InstanceDraft, report: Report): { vmac?: true | VmacConfig } {
  if (draft.vmac === undefined) {
    if (draft.vmacXmitBase !== undefined) report.warn(draft.vmacXmitBase, 'vmac_xmit_base without use_vmac is ignored, as keepalived ignores it');
    return {};
  }
  let xmitBase = draft.vmacXmitBase !== undefined;
  // keepalived 2.2.7 (vrrp_end_handler) keys this on unicast being configured, peers or not.
  if (!xmitBase && draft.unicastConfigured !== undefined) {
    const { keyword, position } = draft.unicastConfigured;
    report.warn(draft.vmac.position, `use_vmac with unicast configured (${keyword} at ${positionPath(position)}): the adverts go from the interface itself (vmac_xmit_base), as keepalived turns it on`);
    xmitBase = true;
  }
  const name = draft.vmac.name;
  if (name === undefined && !xmitBase) return { vmac: true };
  return { vmac: { ...(name === undefined ? {} : { name }), ...(xmitBase ? { xmitBase: true } : {}) } };
}

/**
 * Names the VMACs without a name as keepalived 2.2.7 would, in file order, where it matters: with a global
 * `vmac_prefix` (`<prefix>.<VRID>`, its prefix cut to fit the kernel's 15 bytes), and where two instances of one VRID
 * on one interface (IPv4 and IPv6) both have one — the first takes `<prefix>.<VRID>`, the IPv6 one then
 * `<prefix>6.<VRID>`, as keepalived's would; left to the run, which one got `vrrp.<VRID>` would depend on which
 * started first. Configured names are never given twice: another instance's skips to the next one free.
 */
function nameVmacs(instances: ImportedInstanceConfig[], defaults: GlobalDefaults): void {
  const prefix = defaults.vmacPrefix ?? 'vrrp';
  const used = new Set<string>();
  const withVmac = instances.filter((instance) => instance.vmac !== undefined && instance.vmac !== false);
  for (const instance of withVmac) if (typeof instance.vmac === 'object' && instance.vmac.name !== undefined) used.add(instance.vmac.name);
  const vridsOnInterface = new Map<string, number>();
  for (const instance of withVmac) vridsOnInterface.set(`${instance.interface} ${instance.vrid}`, (vridsOnInterface.get(`${instance.interface} ${instance.vrid}`) ?? 0) + 1);
  for (const instance of withVmac) {
    const vmac = instance.vmac === true ? {} : (instance.vmac as VmacConfig);
    if (vmac.name !== undefined) continue;
    if (defaults.vmacPrefix === undefined && (vridsOnInterface.get(`${instance.interface} ${instance.vrid}`) ?? 0) < 2) continue;
    const first = instance.virtualAddresses[0];
    const family = parseIpPrefix(typeof first === 'string' ? first : (first?.address ?? ''))?.family ?? 'ipv4';
    const vrid = String(instance.vrid);
    const stem = prefix.slice(0, 15 - vrid.length - 2);
    const numbered = family === 'ipv6' ? [6, 1, 2, 3, 4, 5, 7, 8, 9] : [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const candidates = [`${prefix.slice(0, 15 - vrid.length - 1)}.${vrid}`, ...numbered.map((n) => `${stem}${n}.${vrid}`)];
    const name = candidates.find((candidate) => !used.has(candidate));
    if (name === undefined) continue; // the run picks one, or says none is free
    used.add(name);
    instance.vmac = { ...vmac, name };
  }
}

/** keepalived's MTU for an instance whose interface it does not know (DEFAULT_MTU). */
const DEFAULT_MTU = 1500;

/**
 * Moves the virtual addresses that do not fit in one advert to the excluded ones, as keepalived 2.2.7 does
 * (vrrp_complete_instance): it counts an Ethernet header, the IP header, the VRRP header and, for VRRPv2, the
 * authentication data against the interface's MTU, and at most 255 addresses — 89 IPv6 addresses at MTU 1500.
 * Peers must agree on the advertised list (one that differs is dropped), so a keepalived peer with the same
 * configuration advertises exactly these.
 */
function fitAdvert(draft: InstanceDraft, family: AddressFamily, version: 2 | 3, report: Report, interfaceMtu: ((ifname: string) => number | undefined) | undefined): void {
  const known = draft.interface === undefined ? undefined : interfaceMtu?.(draft.interface);
  const mtu = known ?? DEFAULT_MTU;
  const headerBytes = family === 'ipv4' ? 14 + 20 + 8 + (version === 2 ? 8 : 0) : 14 + 40 + 8;
  const fitting = Math.min(255, Math.max(0, Math.floor((mtu - headerBytes) / (family === 'ipv4' ? 4 : 16))));
  const count = draft.virtualAddresses.length;
  if (count <= fitting) return;
  const moved = draft.virtualAddresses.splice(fitting);
  for (const vip of moved) {
    draft.fieldPositions.set(`excludedAddresses.${draft.excludedAddresses.length}`, vip.position);
    draft.excludedAddresses.push(vip);
  }
  const assumed = known === undefined ? ` (assumed: keepalived reads ${draft.interface ?? 'the interface'}'s where it runs)` : '';
  report.warn(
    draft.fieldPositions.get('virtualAddresses') ?? draft.position,
    `vrrp_instance ${draft.name}: ${count} virtual addresses do not fit in one advert at MTU ${mtu}${assumed}, which carries ${fitting}: ${moved.length === 1 ? 'the last one is held as an excluded address' : `the last ${moved.length} are held as excluded addresses`}, never advertised, as keepalived does`,
  );
}

/** An instance's priority as keepalived 2.2.7 derives it when none is configured: MASTER means the address owner. */
function basePriority(draft: InstanceDraft): number {
  return draft.priority ?? (draft.state === 'master' ? 255 : 100);
}

/** keepalived fits advert_int to the version: whole seconds below 256 for v2, 10 ms steps up to 40.95 s for v3. */
function fitAdvertInterval(draft: InstanceDraft, version: 2 | 3, report: Report, where: string): number {
  const micro = draft.advertMicroseconds ?? 1_000_000;
  const at = draft.fieldPositions.get('advertIntervalMs') ?? draft.position;
  const step = version === 2 ? 1_000_000 : 10_000;
  const max = version === 2 ? 255_000_000 : 40_950_000;
  let fitted = Math.min(max, Math.max(step, Math.round(micro / step) * step));
  if (micro > max) fitted = max;
  if (fitted !== micro) {
    const unit = version === 2 ? 'whole seconds up to 255 s' : '10 ms steps up to 40.95 s';
    report.warn(at, `${where}: advert_int ${micro / 1_000_000} s set to ${fitted / 1_000_000} s: VRRPv${version} advertises ${unit}, as keepalived does`);
  }
  return fitted / 1000;
}

function collectTrackers(draft: InstanceDraft, priority: number, report: Report, resolver: TrackerResolver, group: GroupDraft | undefined): ImportedTracker[] {
  const where = `vrrp_instance ${draft.name}`;
  const trackers: ImportedTracker[] = [];
  /** Each tracked object's tracker, and whether it came from the group. */
  const seen = new Map<string, { tracker: ImportedTracker; fromGroup: boolean; ref: TrackRef }>();
  const owner = priority === 255;
  const syncIgnoresWeights = group !== undefined && !group.trackingWeight;
  const add = (ref: TrackRef, fromGroup: boolean): void => {
    const tracker = resolver.resolve(ref, fromGroup ? group?.order : draft.order);
    if (!tracker) return;
    // keepalived 2.2.7 (sync_group_tracking_init): a group with an address owner among its members cannot have
    // weights, so the group's own weighted trackers are fault trackers for every member, the owner too.
    if (fromGroup && group?.hasOwner === true && tracker.weight !== 0) {
      report.warn(ref.position, `${where}: sync group ${group.name}'s track_${ref.kind} ${ref.name} weight ${tracker.weight} set to 0 (down means fault) because a member is an address owner (priority 255), as keepalived does`);
      tracker.weight = 0;
    }
    // keepalived 2.2.7 logs that a sync group member's weighted track_interface loses its weight ("ignoring eth9
    // tracked interface weight due to SYNC group"), yet applies it: it registers the weight on the interface before
    // it clears its own copy, and a lab run showed the priority change (150 → 90) when the interface went down. As
    // it runs, then: weighted.
    if (tracker.weight !== 0 && !owner && syncIgnoresWeights && !fromGroup && tracker.type === 'interface') {
      report.warn(ref.position, `${where}: track_interface ${ref.name} weight ${tracker.weight} kept: keepalived 2.2.7 logs that it ignores it in sync group ${group?.name ?? ''} but applies it`);
    }
    // keepalived (vrrp_complete_instance): an owner's priority never moves, and a sync group moves as one, so weights
    // are dropped there — files with the default weight 1 go to 0.
    else if (tracker.weight !== 0 && (owner || (syncIgnoresWeights && !fromGroup && tracker.type !== 'process'))) {
      const why = owner ? 'an address owner (priority 255) never changes priority' : `it is in sync group ${group?.name ?? ''} without sync_group_tracking_weight`;
      const unweighted = tracker.type === 'file' && tracker.weight === 1 && !fromGroup;
      if (unweighted) {
        report.warn(ref.position, `${where}: track_${ref.kind} ${ref.name} weight ${tracker.weight} set to 0 (down means fault) because ${why}, as keepalived does`);
        tracker.weight = 0;
      } else {
        report.warn(ref.position, `${where}: weighted track_${ref.kind} ${ref.name} ignored because ${why}, as keepalived does`);
        return;
      }
    }
    const key = `${ref.kind}:${ref.name}`;
    const earlier = seen.get(key);
    if (earlier !== undefined && fromGroup && !earlier.fromGroup) {
      // keepalived 2.2.7 (add_vrrp_to_track_script and its kin): tracked by the instance and by its group, the
      // group's weight and reverse are used — unless the instance's entry is unweighted, which stays so.
      if (earlier.tracker.weight === 0) {
        const instanceSide = earlier.ref.forAddress === true ? `is tracked for the instance's virtual address on it (weight 0)` : 'is tracked by the instance';
        report.warn(ref.position, `${where}: track_${ref.kind} ${ref.name} ${instanceSide} and by sync group ${group?.name ?? ''}; the instance's unweighted entry is kept, as keepalived does`);
      } else {
        earlier.tracker.weight = tracker.weight;
        // A process's reverse is not taken from the group there: only its weight.
        if (ref.kind !== 'process') earlier.tracker.reverse = tracker.reverse;
        report.warn(ref.position, `${where}: track_${ref.kind} ${ref.name} is tracked by the instance and by sync group ${group?.name ?? ''}; the group's weight ${tracker.weight} is used, as keepalived does`);
      }
      return;
    }
    if (earlier !== undefined) {
      report.warn(ref.position, `${where}: track_${ref.kind} ${ref.name} is tracked twice; the second is ignored, as keepalived does`);
      return;
    }
    seen.set(key, { tracker, fromGroup, ref });
    if (trackers.some((other) => other.name === tracker.name)) {
      const renamed = `${ref.kind}:${ref.name}`;
      report.warn(ref.position, `${where}: tracker ${ref.name} renamed ${renamed}: another tracker of the instance has that name`);
      tracker.name = renamed;
    }
    draft.fieldPositions.set(`trackers.${trackers.length}`, ref.position);
    trackers.push(tracker);
  };
  for (const ref of draft.tracks) add(ref, false);
  for (const ref of group?.tracks ?? []) add(ref, true);
  return trackers;
}

/** Checks the instance against the config schema; complaints are reported at the line that set the field. */
function validate(instance: ImportedInstanceConfig, draft: InstanceDraft, report: Report): void {
  // `notify` belongs to `vrrp run`, not to the instance schema.
  const { notify: _notify, ...checked } = instance;
  let issues = schemaIssues(checked);
  if (issues.some((issue) => issue.message.startsWith('unknown tracker type'))) {
    // A schema without these tracker types yet: check the rest; the trackers were checked while reading.
    const { trackers: _trackers, ...rest } = checked;
    issues = schemaIssues(rest);
  }
  for (const issue of issues) {
    const segments = issue.path.split('.');
    const at = draft.fieldPositions.get(segments.slice(0, 2).join('.')) ?? draft.fieldPositions.get(segments[0] ?? '') ?? draft.position;
    if (draft.errorLines.has(positionPath(at))) continue;
    report.error(at, `vrrp_instance ${draft.name}: ${issue.path || 'config'}: ${issue.message}`);
  }
}

function schemaIssues(config: unknown): readonly { path: string; message: string }[] {
  try {
    resolveConfig(config);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
}
