/**
 * A disposable L2 segment of Linux network namespaces for interop tests.
 *
 * Theory of operation: every lab is one bridge namespace (`br0`, STP and multicast snooping off) plus one
 * namespace per host, each host joined to the bridge by a veth pair whose host end is `eth0`. Nothing is ever
 * configured outside these namespaces, so a test can never touch the machine's own addresses or routes.
 *
 * Naming: `vrrpt-<pid>-<n>` (bridge) and `vrrpt-<pid>-<n>-<host>`. The owner's pid lets {@link Lab.sweepStale}
 * remove what a crashed run left behind; `<n>` is also the lab's subnet (`10.99.<n>.0/24`,
 * `2001:db8:<n>::/64`), so captures and logs say which lab they came from. Only interface names are limited
 * to 15 characters, and those are fixed (`eth0`, `br0`, `p<i>-<host>`), so namespace names may be longer.
 *
 * Cleanup is layered because any single layer can be skipped by a crash:
 * 1. {@link Lab.destroy} (await it in `afterAll`/`finally`; {@link destroyAllLabs} does every lab);
 * 2. synchronous teardown on `exit`, `SIGINT`, `SIGTERM` and `SIGHUP` of the test process;
 * 3. every spawned process runs under `setpriv --pdeathsig KILL`, so it dies with the test process even on
 *    SIGKILL, and in its own process group, so a daemon's forked children die with it;
 * 4. teardown kills every pid still inside the lab's namespaces (`ip netns pids`), whoever started it;
 * 5. {@link Lab.sweepStale}, run by every {@link Lab.create}, deletes namespaces and temp dirs whose owner is dead.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Every namespace and temp dir the harness creates starts with this, and nothing else may. */
export const LAB_PREFIX = 'vrrpt-';
const NETNS_DIR = '/run/netns';
/** Namespace name pattern: owner pid, lab number, optional host name. */
const NS_PATTERN = /^vrrpt-(\d+)-(\d+)(?:-([a-z0-9]+))?$/;
const TMP_PATTERN = /^vrrpt-(\d+)-/;
const HOST_NAME = /^[a-z][a-z0-9]{0,11}$/;
/** Reserved for the bridge namespace in {@link Lab.exec} and friends. */
export const BRIDGE = 'bridge';
const CLIENT_INDEX = 250;
const MAX_HOSTS = 99; // .100 and up are left for VIPs

// ---------------------------------------------------------------------------------------------------------------
// availability

function findBinary(name: string): string | undefined {
  // /usr/sbin is not on every PATH (non-login shells, CI images), and keepalived lives there.
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Absolute paths of the tools the lab runs (undefined when missing). */
export const tools = {
  ip: findBinary('ip'),
  keepalived: findBinary('keepalived'),
  ping: findBinary('ping'),
  tcpdump: findBinary('tcpdump'),
  setpriv: findBinary('setpriv'),
} as const;

function hasCapabilities(): boolean {
  // CAP_NET_ADMIN is bit 12, CAP_NET_RAW bit 13 of the effective set.
  try {
    const line = readFileSync('/proc/self/status', 'utf8').match(/^CapEff:\s*([0-9a-f]+)$/m);
    if (line?.[1] === undefined) return false;
    const caps = BigInt(`0x${line[1]}`);
    return (caps & (1n << 12n)) !== 0n && (caps & (1n << 13n)) !== 0n;
  } catch {
    return false;
  }
}

function probeLab(): { ok: boolean; reason?: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not root (need CAP_NET_ADMIN)' };
  if (!hasCapabilities()) return { ok: false, reason: 'root without CAP_NET_ADMIN/CAP_NET_RAW' };
  for (const [name, path] of Object.entries(tools)) {
    if (path === undefined && name !== 'setpriv') {
      return { ok: false, reason: `${name} not found (apt-get install keepalived iproute2 iputils-ping tcpdump)` };
    }
  }
  // Being root is not enough in some containers (no /run/netns mount rights, seccomp): try the real thing.
  const probe = `${LAB_PREFIX}${process.pid}-0-probe`;
  try {
    execFileSync(tools.ip!, ['netns', 'add', probe], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync(tools.ip!, ['netns', 'del', probe], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { ok: false, reason: `\`ip netns add\` failed: ${stderr || String(error)}` };
  }
  try {
    execFileSync(tools.keepalived!, ['--version'], { stdio: ['ignore', 'ignore', 'ignore'] });
  } catch (error) {
    return { ok: false, reason: `keepalived does not run: ${String(error)}` };
  }
  return { ok: true };
}

/**
 * Whether interop tests can run here: Linux, root with CAP_NET_ADMIN/CAP_NET_RAW, `ip netns add` works, and
 * keepalived, ping and tcpdump are installed. Computed once, when this module loads.
 */
export const labAvailable: { readonly ok: boolean; readonly reason?: string } = Object.freeze(probeLab());

let skipAnnounced = false;

/**
 * Call at the top of an interop test file, then wrap its suites in `describe.skipIf(!labAvailable.ok)`.
 * Where the lab cannot run, CI (`CI=true`) fails the file with the reason, because a silently skipped interop
 * suite in CI is a green build that proved nothing; elsewhere one loud line goes to stderr.
 */
export function requireLab(): void {
  if (labAvailable.ok) return;
  const reason = labAvailable.reason ?? 'unknown reason';
  if (process.env.CI === 'true') {
    throw new Error(`interop tests cannot run in CI: ${reason}`);
  }
  if (!skipAnnounced) {
    skipAnnounced = true;
    process.stderr.write(`SKIPPED interop tests: ${reason} — run as root or in CI\n`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// process helpers

/** What {@link Lab.exec} returns: the whole output and the exit code (null when killed by a signal). */
export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of {@link Lab.exec}. */
export interface ExecOptions {
  /** Written to stdin, which is then closed. */
  input?: string;
  /** SIGKILL after this long (default 10 s), so a hung tool cannot hang the suite. */
  timeoutMs?: number;
  /** Throw on a non-zero exit, with the command and its stderr in the message. */
  check?: boolean;
}

function run(file: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (options.check === true && code !== 0) {
        reject(new Error(`${[file, ...args].join(' ')} failed (${code ?? signal}): ${stderr.trim()}`));
      } else {
        resolve({ stdout, stderr, code, signal });
      }
    });
    child.stdin.on('error', () => {}); // EPIPE when the tool exits before reading stdin
    child.stdin.end(options.input ?? '');
  });
}

/** Calls `onLine` for every complete line of a stream (the last, unterminated one on end). */
export function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      onLine(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buffer !== '') onLine(buffer);
    buffer = '';
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    // Negative pid: the whole process group, so keepalived's VRRP child goes with its parent.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Whether `pid` is a running process. Dying ones count as dead: a zombie (a SIGKILLed daemon whose parent died
 * too lingers until init reaps it, about once a second on some VMs) or one already in exit (PF_EXITING, possibly
 * in D state while the kernel releases its sockets). Neither holds a namespace or sends a packet any more.
 */
export function isProcessAlive(pid: number | undefined): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // "pid (comm) S ppid pgrp session tty tpgid flags …": comm may hold spaces and ')', so split after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const PF_EXITING = 0x4;
    return fields[0] !== 'Z' && fields[0] !== 'X' && (Number(fields[6]) & PF_EXITING) === 0;
  } catch {
    return false; // gone between the two checks
  }
}

interface Tracked {
  child: ChildProcess;
  exited: Promise<void>;
  done: boolean;
  /** How teardown ends it, when SIGTERM to its group is not the best way (default). */
  terminate?: () => void;
}

/**
 * Resolves on the first value `check` returns that is not undefined, asking every 20 ms (for state only a command
 * can read: a neighbour entry, an address); rejects after `timeoutMs` (default 5 s) naming `what`.
 */
export async function poll<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Resolves on the first value `check` returns that is not undefined; `check` runs at once and then on every
 * `subscribe` notification. Rejects after `timeoutMs` with `describe()` in the message.
 */
export function waitUntil<T>(
  check: () => T | undefined,
  subscribe: (notify: () => void) => () => void,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  const first = check();
  if (first !== undefined) return Promise.resolve(first);
  return new Promise<T>((resolve, reject) => {
    const unsubscribe = subscribe(() => {
      const value = check();
      if (value !== undefined) {
        clearTimeout(timer);
        unsubscribe();
        resolve(value);
      }
    });
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms: ${describe()}`));
    }, timeoutMs);
  });
}

/** A set of callbacks run on every new line or packet. */
export class Notifier {
  readonly #listeners = new Set<() => void>();
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };
  notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// module-level registry and crash cleanup

const liveLabs = new Set<Lab>();
let exitHooksInstalled = false;

function onFatalSignal(signal: NodeJS.Signals): void {
  destroyAllLabsSync();
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(name, onFatalSignal);
  // With our listener gone and nobody else listening, re-raising gives the default death (and exit status).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', destroyAllLabsSync);
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(name, onFatalSignal);
}

/** Destroys every lab of this process; for `afterAll(destroyAllLabs)`. */
export async function destroyAllLabs(): Promise<void> {
  const results = await Promise.allSettled([...liveLabs].map((lab) => lab.destroy()));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/** The synchronous teardown used on exit and fatal signals, when there is no event loop left to await on. */
export function destroyAllLabsSync(): void {
  for (const lab of [...liveLabs]) lab.destroySync();
}

/** Every namespace name under /run/netns (empty when none was ever made). */
export function listNamespaces(): string[] {
  try {
    return readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
}

/** SIGKILLs every process inside `namespaces`, whoever started it; returns their pids. */
function killNamespacePidsSync(namespaces: string[]): number[] {
  const killed: number[] = [];
  for (const ns of namespaces) {
    try {
      const pids = execFileSync(tools.ip!, ['netns', 'pids', ns], { stdio: ['ignore', 'pipe', 'ignore'] });
      for (const pid of pids.toString().split(/\s+/).filter(Boolean).map(Number)) {
        try {
          process.kill(pid, 'SIGKILL');
          killed.push(pid);
        } catch {
          // raced with its exit
        }
      }
    } catch {
      // namespace already gone
    }
  }
  return killed;
}

/**
 * Our library records the VIPs it adds under /run/vrrp/<namespace inode>/ (crash cleanup for its next run); a lab
 * whose processes were killed must not leave those behind. The inode is the one of /run/netns/<name>.
 */
function removeVrrpMarkersSync(namespaces: string[]): void {
  for (const ns of namespaces) {
    try {
      const inode = String(statSync(join('/run/netns', ns)).ino);
      rmSync(join('/run/vrrp', inode), { recursive: true, force: true });
      // A VMAC's base sysctls kept while a run held one (src/linux/vmac.ts), left by a run killed in a test.
      rmSync(join('/run/vrrp', 'vmac-sysctls', inode), { recursive: true, force: true });
    } catch {
      // already gone
    }
  }
}

function deleteNamespacesSync(namespaces: string[]): void {
  if (namespaces.length === 0) return;
  // One `ip` for all; -force keeps going past namespaces that are already gone.
  const input = namespaces.map((ns) => `netns del ${ns}\n`).join('');
  try {
    execFileSync(tools.ip!, ['-force', '-batch', '-'], { input, stdio: ['pipe', 'ignore', 'ignore'] });
  } catch {
    // reported by the caller, which checks what is left
  }
}

// ---------------------------------------------------------------------------------------------------------------
// public types

/** One host of a lab. */
export interface LabHost {
  name: string;
  /** Its network namespace, for `ip netns exec`. */
  ns: string;
  /** Last octet of its addresses. */
  index: number;
  ifname: 'eth0';
  /** Chosen by the lab (`02:00:0a:63:<n>:<index>`, locally administered) so that captures are predictable. */
  mac: string;
  /** `10.99.<n>.<index>` (no prefix length; it is /24). */
  ipv4: string;
  /** `2001:db8:<n>::<index>` (/64), with `ipv6: true`. */
  ipv6?: string;
  /** The kernel's link-local address of eth0, with `ipv6: true` (VRRPv3 over IPv6 sends from it). */
  linkLocal?: string;
  /** The bridge-side end of its veth, in the bridge namespace. */
  bridgePort: string;
}

/** Options of {@link Lab.create}. */
export interface LabOptions {
  /** Host names: lowercase letters and digits, starting with a letter, at most 12 characters. */
  hosts: string[];
  /** Also give every host `2001:db8:<n>::<index>/64` (DAD off, so it is usable at once). */
  ipv6?: boolean;
  /** Add a host for traffic (pingers): `true` names it `client`; it gets index 250. */
  client?: boolean | string;
}

/** Where to cut a link: the bridge-side veth (the host sees carrier loss, like a pulled cable) or eth0 itself. */
export type LinkSide = 'bridge' | 'host';

/** A line of output with the wall-clock time (ms since the epoch) it reached us. */
export interface LogLine {
  atMs: number;
  text: string;
}

/** A keepalived daemon in a lab host; see {@link Lab.startKeepalived}. */
export interface KeepalivedHandle {
  host: string;
  /** pid of the keepalived parent (also its process group). */
  readonly pid: number;
  confPath: string;
  /** stdout and stderr lines in arrival order. */
  readonly log: readonly LogLine[];
  /** Just the texts of {@link log}. */
  readonly lines: readonly string[];
  readonly exited: boolean;
  /** pid of the VRRP child process, from its pid file (undefined before startup or after a clean stop). */
  vrrpPid(): number | undefined;
  /**
   * Resolves with the first log line matching `pattern` at or after line `fromLine` (default 0: lines already
   * seen count). Rejects on timeout or if keepalived exits first, quoting the log's tail.
   */
  waitForLog(pattern: RegExp, timeoutMs?: number, fromLine?: number): Promise<string>;
  /** SIGTERM (keepalived sends priority 0 and removes its VIPs) and wait for exit; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /**
   * A crash: SIGKILL the VRRP child (no priority 0, VIPs left behind on eth0), after which the parent exits;
   * resolves when it has.
   */
  kill(): Promise<void>;
}

/** Options of {@link Lab.startKeepalived}. */
export interface KeepalivedOptions {
  /** Resolve once a log line matches this (default: `Startup complete`). */
  readyPattern?: RegExp;
  readyTimeoutMs?: number;
  /** Appended to the command line. */
  extraArgs?: string[];
}

/** A continuous ping; see {@link Lab.pinger}. */
export interface Pinger {
  target: string;
  /** Reply times (ms since the epoch, from `ping -D`, so they are ping's own clock, not our event loop's). */
  readonly replies: readonly number[];
  /** icmp_seq of each reply, parallel to {@link replies}. */
  readonly seqs: readonly number[];
  /** Resolves with the time of the `count`-th reply received after this call, counting from `sinceMs`. */
  waitForReplies(count: number, timeoutMs?: number, sinceMs?: number): Promise<number>;
  /**
   * The longest silence between consecutive replies whose first reply is at or after `fromMs` (default: all).
   * A window of replies with the gap's bounds; `gapMs` is the client-observed outage.
   */
  longestGap(fromMs?: number): { gapMs: number; lastBeforeMs: number; firstAfterMs: number } | undefined;
  stop(): Promise<void>;
}

/** Options of {@link Lab.pinger}. */
export interface PingerOptions {
  /** Time between echo requests (default 10 ms; below 200 ms needs root, which the lab has). */
  intervalMs?: number;
}

/** A VRRP packet as tcpdump printed it. */
export interface CapturedPacket {
  /** Capture time, ms since the epoch. */
  timeMs: number;
  srcMac: string;
  dstMac: string;
  family: 4 | 6;
  src: string;
  dst: string;
  /** IPv4 TTL or IPv6 hop limit (RFC 9568 §5.1.1.3 requires 255). */
  ttl: number;
  version: number;
  type: string;
  vrid: number;
  prio: number;
  /** Advertisement interval in ms (v2's seconds and v3's centiseconds both converted). */
  intervalMs: number;
  addrs: string[];
  /** The packet's text, both lines joined. */
  raw: string;
}

/** A running tcpdump; see {@link Lab.capture}. */
export interface Capture {
  readonly packets: readonly CapturedPacket[];
  /** Every stdout line, including ones that did not parse. */
  readonly lines: readonly string[];
  /** Resolves with the first packet (from index `fromIndex`) that satisfies `predicate`. */
  waitFor(predicate: (packet: CapturedPacket) => boolean, timeoutMs?: number, fromIndex?: number): Promise<CapturedPacket>;
  stop(): Promise<void>;
}

/** One `vrrp_instance` for {@link keepalivedConf}. */
export interface KeepalivedInstanceConf {
  name: string;
  vrid: number;
  priority: number;
  /** All of one family: keepalived runs IPv4 and IPv6 as separate instances. */
  vips: string[];
  interface?: string;
  version?: 2 | 3;
  /** Seconds; fractions need version 3. */
  advertIntervalS?: number;
  state?: 'MASTER' | 'BACKUP';
  nopreempt?: boolean;
  /** Raw lines appended inside the block. */
  extra?: string[];
}

/** Renders a keepalived.conf with VRRP instances only (no scripts, so no script security settings needed). */
export function keepalivedConf(options: { routerId: string; instances: KeepalivedInstanceConf[]; globalExtra?: string[] }): string {
  const lines = ['global_defs {', `  router_id ${options.routerId}`, ...(options.globalExtra ?? []).map((l) => `  ${l}`), '}'];
  for (const instance of options.instances) {
    lines.push(
      `vrrp_instance ${instance.name} {`,
      `  state ${instance.state ?? 'BACKUP'}`,
      `  interface ${instance.interface ?? 'eth0'}`,
      `  virtual_router_id ${instance.vrid}`,
      `  priority ${instance.priority}`,
      `  advert_int ${instance.advertIntervalS ?? 1}`,
      `  version ${instance.version ?? 3}`,
      ...(instance.nopreempt === true ? ['  nopreempt'] : []),
      '  virtual_ipaddress {',
      ...instance.vips.map((vip) => `    ${vip}`),
      '  }',
      ...(instance.extra ?? []).map((l) => `  ${l}`),
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// the lab

function hex2(value: number): string {
  return value.toString(16).padStart(2, '0');
}

/** Lab numbers taken by this process, including labs still being built (not yet visible under /run/netns). */
const reservedNumbers = new Set<number>();

function pickLabNumber(): number {
  // Unique among live labs on this machine (best effort across processes: two racing for the same number still
  // get separate namespaces, so nothing clashes; the number keeps captures and logs telling labs apart).
  const used = new Set<number>(reservedNumbers);
  for (const name of listNamespaces()) {
    const match = NS_PATTERN.exec(name);
    if (match?.[2] !== undefined) used.add(Number(match[2]));
  }
  const free: number[] = [];
  for (let n = 1; n <= 254; n += 1) if (!used.has(n)) free.push(n);
  const n = free[Math.floor(Math.random() * free.length)];
  if (n === undefined) throw new Error('no free lab number: 254 labs alive');
  reservedNumbers.add(n);
  return n;
}

/**
 * A bridge and a set of hosts in network namespaces, torn down by {@link Lab.destroy} and, failing that, by the
 * layers described in this file's header. Create with {@link Lab.create}.
 */
export class Lab {
  /** The lab's number: its subnets are `10.99.<n>.0/24` and `2001:db8:<n>::/64`. */
  readonly n: number;
  /** Every namespace of this lab is this name or starts with it followed by `-`. */
  readonly prefix: string;
  readonly bridgeNs: string;
  /** Temp dir for configs, pid files and logs; removed on destroy. */
  readonly tmpDir: string;
  /** Wall-clock cost of create/destroy, for reports. */
  readonly timings: { createMs: number; destroyMs?: number } = { createMs: 0 };
  readonly ipv6Enabled: boolean;

  readonly #hosts = new Map<string, LabHost>();
  readonly #tracked = new Set<Tracked>();
  #destroying: Promise<void> | undefined;
  #destroyed = false;
  #keepalivedCount = 0;

  private constructor(n: number, ipv6: boolean) {
    this.n = n;
    this.ipv6Enabled = ipv6;
    this.prefix = `${LAB_PREFIX}${process.pid}-${n}`;
    this.bridgeNs = this.prefix;
    this.tmpDir = mkdtempSync(join(tmpdir(), `${this.prefix}-`));
  }

  /** Builds the segment; on any failure it tears down what it made and rethrows. */
  static async create(options: LabOptions): Promise<Lab> {
    if (!labAvailable.ok) throw new Error(`lab unavailable: ${labAvailable.reason}`);
    const started = performance.now();
    await Lab.sweepStale();
    const names = [...options.hosts];
    if (names.length === 0 || names.length > MAX_HOSTS) throw new Error(`a lab needs 1…${MAX_HOSTS} hosts`);
    const clientName = options.client === true ? 'client' : options.client === false ? undefined : options.client;
    for (const name of [...names, ...(clientName === undefined ? [] : [clientName])]) {
      if (!HOST_NAME.test(name) || name === BRIDGE) throw new Error(`bad host name ${JSON.stringify(name)}`);
    }
    if (new Set([...names, clientName]).size !== names.length + 1) throw new Error('host names must be unique');

    installExitHooks();
    const lab = new Lab(pickLabNumber(), options.ipv6 === true);
    liveLabs.add(lab); // before the first namespace exists, so every exit path sees it
    try {
      const indexed = names.map((name, i) => [name, i + 1] as const);
      if (clientName !== undefined) indexed.push([clientName, CLIENT_INDEX]);
      for (const [name, index] of indexed) lab.#hosts.set(name, lab.#describeHost(name, index));
      await lab.#build();
    } catch (error) {
      await lab.destroy().catch(() => {});
      throw error;
    }
    lab.timings.createMs = performance.now() - started;
    return lab;
  }

  /**
   * Removes namespaces and temp dirs of labs whose owner process is dead (a crashed or SIGKILLed run), killing
   * anything still running inside them first. Labs of live processes, including this one's, are left alone.
   * Returns the namespaces it removed.
   */
  static async sweepStale(): Promise<string[]> {
    const stale = listNamespaces().filter((name) => {
      const pid = Number(NS_PATTERN.exec(name)?.[1] ?? Number.NaN);
      return Number.isInteger(pid) && pid !== process.pid && !isProcessAlive(pid);
    });
    if (stale.length > 0) {
      killNamespacePidsSync(stale);
      removeVrrpMarkersSync(stale);
      deleteNamespacesSync(stale);
    }
    for (const entry of readdirSync(tmpdir())) {
      const pid = Number(TMP_PATTERN.exec(entry)?.[1] ?? Number.NaN);
      if (Number.isInteger(pid) && pid !== process.pid && !isProcessAlive(pid)) {
        rmSync(join(tmpdir(), entry), { recursive: true, force: true });
      }
    }
    return stale;
  }

  /** All namespaces of this lab: bridge first. */
  get namespaces(): string[] {
    return [this.bridgeNs, ...[...this.#hosts.values()].map((host) => host.ns)];
  }

  /** Host names in creation order (the client last). */
  get hostNames(): string[] {
    return [...this.#hosts.keys()];
  }

  /** `10.99.<n>.<index>`: for VIPs, use indexes 100…249. */
  ipv4(index: number): string {
    return `10.99.${this.n}.${index}`;
  }

  /** `2001:db8:<n>::<index>` (both numbers written as hex digits: n = 17 gives `2001:db8:17::`). */
  ipv6(index: number): string {
    return `2001:db8:${this.n}::${index}`;
  }

  /** A host's description; throws for unknown names. */
  host(name: string): LabHost {
    const host = this.#hosts.get(name);
    if (host === undefined) throw new Error(`no host ${JSON.stringify(name)} in lab ${this.prefix}`);
    return host;
  }

  /** Runs a command inside a host's namespace (or the bridge's, with {@link BRIDGE}) and collects its output. */
  exec(host: string, argv: string[], options?: ExecOptions): Promise<ExecResult> {
    this.#assertLive();
    return run(tools.ip!, ['netns', 'exec', this.#ns(host), ...argv], options);
  }

  /**
   * Starts a long-running command inside a host's namespace (or the bridge's, {@link BRIDGE}). It is tracked and
   * killed (with its process group) on destroy, and dies with the test process even if that is SIGKILLed. Its
   * stdin is a pipe with `stdin: true`, else closed.
   */
  spawn(host: string, argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: boolean } = {}): ChildProcess {
    return this.#spawnTracked(host, argv, options).child;
  }

  /**
   * Starts keepalived in `host` with `configText` and resolves once it logs `Startup complete`. Configuration,
   * pid files (a distinct set per daemon, since keepalived refuses to start over a live pid file and its
   * defaults under /run are shared by every namespace) and nothing else are written to the lab's temp dir.
   */
  async startKeepalived(host: string, configText: string, options: KeepalivedOptions = {}): Promise<KeepalivedHandle> {
    this.#assertLive();
    this.#keepalivedCount += 1;
    const base = join(this.tmpDir, `keepalived-${host}-${this.#keepalivedCount}`);
    const confPath = `${base}.conf`;
    writeFileSync(confPath, configText);
    const vrrpPidPath = `${base}.vrrp.pid`;
    const argv = [
      tools.keepalived!,
      '--dont-fork',
      '--log-console',
      '--log-detail',
      '--no-syslog',
      '--use-file', confPath,
      '--pid', `${base}.pid`,
      '--vrrp_pid', vrrpPidPath,
      // Never started for a VRRP-only config, but if a test adds a virtual_server its pid file stays ours too.
      '--checkers_pid', `${base}.checkers.pid`,
      '--bfd_pid', `${base}.bfd.pid`,
      // A dead VRRP child must stay dead: a respawn would quietly undo a simulated crash. It also makes the
      // parent reap the child and exit on its own, so a crash leaves no orphan behind.
      '--dont-respawn',
      ...(options.extraArgs ?? []),
    ];
    const tracked = this.#spawnTracked(host, argv);
    const { child } = tracked;
    const log: LogLine[] = [];
    const notifier = new Notifier();
    let exitedWith: string | undefined;
    const onLine = (text: string): void => {
      log.push({ atMs: Date.now(), text });
      notifier.notify();
    };
    eachLine(child.stdout!, onLine);
    eachLine(child.stderr!, onLine);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exitedWith = signal ?? `code ${code}`;
        notifier.notify();
        resolve();
      });
      child.once('error', (error) => {
        exitedWith = String(error);
        notifier.notify();
        resolve();
      });
    });
    const tail = (): string => log.slice(-15).map((line) => `\n  | ${line.text}`).join('');

    const handle: KeepalivedHandle = {
      host,
      pid: child.pid ?? -1,
      confPath,
      log,
      get lines() {
        return log.map((line) => line.text);
      },
      get exited() {
        return exitedWith !== undefined;
      },
      vrrpPid() {
        try {
          return Number(readFileSync(vrrpPidPath, 'utf8').trim()) || undefined;
        } catch {
          return undefined;
        }
      },
      waitForLog(pattern, timeoutMs = 5_000, fromLine = 0) {
        let exitedEarly = false;
        return waitUntil(
          () => {
            for (let i = fromLine; i < log.length; i += 1) {
              const text = log[i]!.text;
              if (pattern.test(text)) return text;
            }
            if (exitedWith !== undefined) exitedEarly = true;
            // Resolving with an Error lets a dead daemon fail the wait at once instead of at the timeout.
            return exitedEarly ? new Error(`keepalived in ${host} exited (${exitedWith}) before ${pattern}:${tail()}`) : undefined;
          },
          notifier.subscribe,
          timeoutMs,
          () => `keepalived in ${host}: no line matching ${pattern}:${tail()}`,
        ).then((result) => {
          if (result instanceof Error) throw result;
          return result;
        });
      },
      async stop(timeoutMs = 5_000) {
        if (exitedWith !== undefined) return;
        signalGroup(child.pid, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      },
      async kill() {
        crash();
        await exited;
      },
    };
    // The VRRP child is the process that speaks the protocol: SIGKILL it and the parent (--dont-respawn) reaps it
    // and exits in milliseconds. Killing the group instead would orphan the child (a zombie until init reaps it)
    // and killing only the parent makes the child stop cleanly, priority 0 included: not a crash.
    const crash = (): void => {
      if (exitedWith !== undefined) return;
      const vrrpPid = handle.vrrpPid();
      if (vrrpPid !== undefined && isProcessAlive(vrrpPid)) {
        process.kill(vrrpPid, 'SIGKILL');
        setTimeout(() => signalGroup(child.pid, 'SIGKILL'), 1_000).unref();
      } else {
        signalGroup(child.pid, 'SIGKILL');
      }
    };
    tracked.terminate = crash;
    try {
      await handle.waitForLog(options.readyPattern ?? /Startup complete/, options.readyTimeoutMs ?? 5_000);
    } catch (error) {
      await handle.kill();
      throw error;
    }
    return handle;
  }

  /** Cuts a host's link. `bridge` (default) downs the bridge-side veth: eth0 stays up but loses carrier. */
  async linkDown(host: string, side: LinkSide = 'bridge'): Promise<void> {
    await this.#setLink(host, side, 'down');
  }

  /**
   * Resolves once both ends of a host's link (its eth0 and its bridge port) report the link `up` or not, as
   * {@link linkDown} / {@link linkUp} do before they resolve; for a cut made by other means (the benchmark's
   * link-cutter).
   */
  async awaitLink(host: string, up: boolean): Promise<void> {
    const { ns, bridgePort } = this.host(host);
    await this.#waitOperstate(
      [
        { ns, dev: 'eth0' },
        { ns: this.bridgeNs, dev: bridgePort },
      ],
      up,
    );
  }

  /** Restores what {@link linkDown} cut. */
  async linkUp(host: string, side: LinkSide = 'bridge'): Promise<void> {
    await this.#setLink(host, side, 'up');
  }

  /** Addresses on a host's interface (default eth0), without prefix lengths, in kernel order. */
  async addresses(host: string, dev = 'eth0'): Promise<string[]> {
    const result = await run(tools.ip!, ['-n', this.#ns(host), '-j', 'addr', 'show', 'dev', dev], { check: true });
    const links = JSON.parse(result.stdout) as { addr_info?: { local: string }[] }[];
    return links.flatMap((link) => (link.addr_info ?? []).map((info) => info.local));
  }

  /** A host's neighbour entry (ARP or NDP) for `address` on eth0: its MAC, or undefined when it has none. */
  async neighborMac(host: string, address: string): Promise<string | undefined> {
    const result = await run(tools.ip!, ['-n', this.#ns(host), '-j', 'neigh', 'show', address, 'dev', 'eth0'], { check: true });
    return (JSON.parse(result.stdout) as { lladdr?: string }[])[0]?.lladdr;
  }

  /**
   * Polls {@link addresses} of `dev` (default eth0) every `pollMs` (default 10) until `address` is present (or,
   * with `present: false`, absent); resolves with the time it took, rejects after `timeoutMs` (default 5 s).
   */
  async waitForAddress(
    host: string,
    address: string,
    options: { present?: boolean; timeoutMs?: number; pollMs?: number; dev?: string } = {},
  ): Promise<number> {
    const started = performance.now();
    const want = options.present ?? true;
    const timeoutMs = options.timeoutMs ?? 5_000;
    for (;;) {
      if ((await this.addresses(host, options.dev)).includes(address) === want) return performance.now() - started;
      if (performance.now() - started > timeoutMs) {
        throw new Error(`timed out after ${timeoutMs} ms: ${address} ${want ? 'never appeared on' : 'never left'} ${host}${options.dev === undefined ? '' : ` ${options.dev}`}`);
      }
      await sleep(options.pollMs ?? 10);
    }
  }

  /**
   * Pings `to` (a host name or an address) from host `from` every `intervalMs` until stopped, recording reply
   * times, so a test can measure the outage a client sees as the longest gap between replies.
   */
  pinger(from: string, to: string, options: PingerOptions = {}): Pinger {
    const target = this.#hosts.get(to)?.ipv4 ?? to;
    const interval = ((options.intervalMs ?? 10) / 1000).toFixed(3);
    const argv = [tools.ping!, '-D', '-n', '-i', interval, '-I', 'eth0', ...(target.includes(':') ? ['-6'] : []), target];
    const tracked = this.#spawnTracked(from, argv);
    const { child } = tracked;
    const replies: number[] = [];
    const seqs: number[] = [];
    const notifier = new Notifier();
    eachLine(child.stdout!, (line) => {
      // "[1795566291.639063] 64 bytes from 10.99.1.100: icmp_seq=1 ttl=64 time=0.110 ms"
      const match = /^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+)/.exec(line);
      if (match === null) return;
      replies.push(Number(match[1]) * 1000);
      seqs.push(Number(match[2]));
      notifier.notify();
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return {
      target,
      replies,
      seqs,
      waitForReplies(count, timeoutMs = 5_000, sinceMs = Date.now()) {
        return waitUntil(
          () => {
            const after = replies.filter((time) => time >= sinceMs);
            return after.length >= count ? after[count - 1] : undefined;
          },
          notifier.subscribe,
          timeoutMs,
          () => `${count} ping replies from ${target} (got ${replies.filter((t) => t >= sinceMs).length}) ${stderr.trim()}`,
        );
      },
      longestGap(fromMs = Number.NEGATIVE_INFINITY) {
        let best: { gapMs: number; lastBeforeMs: number; firstAfterMs: number } | undefined;
        for (let i = 1; i < replies.length; i += 1) {
          const before = replies[i - 1]!;
          const after = replies[i]!;
          if (after < fromMs) continue;
          if (best === undefined || after - before > best.gapMs) {
            best = { gapMs: after - before, lastBeforeMs: before, firstAfterMs: after };
          }
        }
        return best;
      },
      async stop() {
        if (!tracked.done) signalGroup(child.pid, 'SIGTERM');
        await tracked.exited;
      },
    };
  }

  /** Pings until the first reply; resolves with how long that took, rejects after `timeoutMs` (default 5 s). */
  async pingUntil(from: string, to: string, options: PingerOptions & { timeoutMs?: number } = {}): Promise<number> {
    const started = Date.now();
    const pinger = this.pinger(from, to, options);
    try {
      return (await pinger.waitForReplies(1, options.timeoutMs ?? 5_000, started)) - started;
    } finally {
      await pinger.stop();
    }
  }

  /**
   * Captures VRRP (or `filter`) on a host's eth0 (or the bridge's br0, or the host's `iface` given) with tcpdump;
   * resolves once tcpdump is listening, so no packet sent after this returns is missed.
   */
  async capture(host: string, filter = 'ip proto 112 or ip6 proto 112', iface = host === BRIDGE ? 'br0' : 'eth0'): Promise<Capture> {
    // --immediate-mode -U -l: a line per packet as it arrives (without immediate mode, packets reach us in ~100 ms
    // blocks: timestamps stay right, delivery is late); -e: MACs; -v: TTL/hop limit and VRRP fields; -tt: epoch.
    const tracked = this.#spawnTracked(host, [tools.tcpdump!, '-i', iface, '--immediate-mode', '-U', '-l', '-n', '-tt', '-e', '-v', filter]);
    const { child } = tracked;
    const packets: CapturedPacket[] = [];
    const lines: string[] = [];
    const notifier = new Notifier();
    let pending: string | undefined;
    const complete = (text: string): void => {
      const packet = parseTcpdumpVrrp(text);
      if (packet !== undefined) {
        packets.push(packet);
        notifier.notify();
      }
    };
    eachLine(child.stdout!, (line) => {
      lines.push(line);
      // tcpdump -v prints IPv4 packets on two lines (IP header, then payload) and IPv6 ones on one.
      if (/^\s/.test(line) && pending !== undefined) {
        complete(`${pending} ${line.trim()}`);
        pending = undefined;
        return;
      }
      if (pending !== undefined) complete(pending);
      pending = undefined;
      if (/ VRRPv\d/.test(line)) complete(line);
      else pending = line;
    });
    let stderr = '';
    let listening = false;
    const readyNotifier = new Notifier();
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (/listening on/.test(stderr)) listening = true;
      readyNotifier.notify();
    });
    child.once('exit', () => readyNotifier.notify());
    await waitUntil(
      () => (listening ? true : tracked.done ? new Error(`tcpdump exited: ${stderr.trim()}`) : undefined),
      readyNotifier.subscribe,
      5_000,
      () => `tcpdump in ${host} not listening: ${stderr.trim()}`,
    ).then((result) => {
      if (result instanceof Error) throw result;
    });
    return {
      packets,
      lines,
      waitFor(predicate, timeoutMs = 5_000, fromIndex = 0) {
        return waitUntil(
          () => packets.slice(fromIndex).find(predicate),
          notifier.subscribe,
          timeoutMs,
          () => `no matching packet among ${packets.length - fromIndex} captured in ${host}`,
        );
      },
      async stop() {
        if (!tracked.done) signalGroup(child.pid, 'SIGTERM');
        await tracked.exited;
        if (pending !== undefined) complete(pending);
        pending = undefined;
      },
    };
  }

  /**
   * Kills every process of the lab (SIGTERM — keepalived gets {@link KeepalivedHandle.kill} — then SIGKILL after
   * `graceMs`, default 200; then whatever is still inside its namespaces), deletes its namespaces and temp dir. Idempotent; concurrent calls share one run.
   * Rejects if a namespace survived.
   */
  destroy(graceMs = 200): Promise<void> {
    this.#destroying ??= this.#teardown(graceMs);
    return this.#destroying;
  }

  /** The synchronous, no-grace teardown for exit paths; safe to call at any time, any number of times. */
  destroySync(): void {
    if (this.#destroyed) return;
    for (const tracked of this.#tracked) signalGroup(tracked.child.pid, 'SIGKILL');
    killNamespacePidsSync(this.namespaces);
    removeVrrpMarkersSync(this.namespaces);
    deleteNamespacesSync(this.namespaces);
    rmSync(this.tmpDir, { recursive: true, force: true });
    this.#destroyed = true;
    liveLabs.delete(this);
    reservedNumbers.delete(this.n);
  }

  async #teardown(graceMs: number): Promise<void> {
    const started = performance.now();
    const tracked = [...this.#tracked];
    // keepalived's clean stop takes a second (priority 0, VIP removal) and a dying lab needs neither: crash it.
    for (const entry of tracked) {
      if (entry.terminate === undefined) signalGroup(entry.child.pid, 'SIGTERM');
      else entry.terminate();
    }
    const allExited = Promise.all(tracked.map((entry) => entry.exited));
    await Promise.race([allExited, sleep(graceMs)]);
    for (const entry of tracked) if (!entry.done) signalGroup(entry.child.pid, 'SIGKILL');
    await Promise.race([allExited, sleep(2_000)]);
    // Whatever is left (a daemon's orphaned children, something a test started with exec) would keep the
    // namespace alive after `ip netns del`: kill it, and wait until it is really dying before calling it gone.
    const stragglers = killNamespacePidsSync(this.namespaces);
    const deadline = performance.now() + 2_000;
    while (stragglers.some(isProcessAlive) && performance.now() < deadline) await sleep(5);
    const survivors = stragglers.filter(isProcessAlive);
    this.destroySync();
    const left = listNamespaces().filter((name) => name === this.prefix || name.startsWith(`${this.prefix}-`));
    this.timings.destroyMs = performance.now() - started;
    if (left.length > 0) throw new Error(`lab ${this.prefix}: namespaces survived teardown: ${left.join(', ')}`);
    if (survivors.length > 0) throw new Error(`lab ${this.prefix}: processes survived SIGKILL: ${survivors.join(', ')}`);
  }

  /**
   * Waits until every listed interface is operationally up (or, with `up: false`, not up). The kernel applies
   * carrier changes asynchronously (linkwatch) and drops packets on a device until then: an ARP request sent in
   * that window is retried only after a second, and keepalived started in it begins in FAULT.
   */
  async #waitOperstate(devices: { ns: string; dev: string }[], up: boolean, timeoutMs = 3_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let pending = devices;
    while (pending.length > 0) {
      const states = await Promise.all(
        pending.map(async ({ ns, dev }) => {
          const result = await run(tools.ip!, ['-n', ns, '-j', 'link', 'show', 'dev', dev], { check: true });
          return (JSON.parse(result.stdout) as { operstate?: string }[])[0]?.operstate;
        }),
      );
      pending = pending.filter((_device, i) => (states[i] === 'UP') !== up);
      if (pending.length === 0) return;
      if (performance.now() > deadline) {
        const names = pending.map(({ ns, dev }) => `${ns}/${dev}`).join(', ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${names} to go ${up ? 'up' : 'down'}`);
      }
      await sleep(2);
    }
  }

  #spawnTracked(host: string, argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: boolean } = {}): Tracked {
    this.#assertLive();
    const command = [tools.ip!, 'netns', 'exec', this.#ns(host), ...argv];
    // setpriv execs ip, which execs the command: one pid throughout, with the death signal still armed.
    const [file, ...args] = tools.setpriv === undefined ? command : [tools.setpriv, '--pdeathsig', 'KILL', '--', ...command];
    const child = spawn(file!, args, {
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      // Its own process group, so one kill(-pid) reaches a daemon's forked children too.
      detached: true,
      env: options.env ?? process.env,
      cwd: options.cwd ?? this.tmpDir,
    });
    let markDone = (): void => {};
    const tracked: Tracked = { child, done: false, exited: new Promise<void>((resolve) => (markDone = resolve)) };
    const finish = (): void => {
      tracked.done = true;
      this.#tracked.delete(tracked);
      markDone();
    };
    child.once('exit', finish);
    child.once('error', finish);
    this.#tracked.add(tracked);
    return tracked;
  }

  #describeHost(name: string, index: number): LabHost {
    const host: LabHost = {
      name,
      ns: `${this.prefix}-${name}`,
      index,
      ifname: 'eth0',
      mac: `02:00:0a:63:${hex2(this.n)}:${hex2(index)}`,
      ipv4: this.ipv4(index),
      bridgePort: `p${index}-${name}`.slice(0, 15),
    };
    if (this.ipv6Enabled) host.ipv6 = this.ipv6(index);
    return host;
  }

  async #build(): Promise<void> {
    const hosts = [...this.#hosts.values()];
    const ip = tools.ip!;
    await run(ip, ['-batch', '-'], { check: true, input: this.namespaces.map((ns) => `netns add ${ns}\n`).join('') });
    // DAD off before eth0 exists, so it inherits it from `default`: addresses (link-local too) are usable at once.
    // IPv6 off in the bridge namespace: a switch has no business sending router solicitations into captures.
    await Promise.all([
      ...hosts.map((host) =>
        run(ip, ['netns', 'exec', host.ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'], {
          check: true,
        }),
      ),
      run(ip, ['netns', 'exec', this.bridgeNs, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'], {
        check: true,
      }),
    ]);
    // Both veth ends are born in their namespaces, so nothing ever appears in the root namespace.
    await run(ip, ['-batch', '-'], {
      check: true,
      input: hosts
        .map((h) => `link add ${h.bridgePort} netns ${this.bridgeNs} type veth peer name eth0 netns ${h.ns} address ${h.mac}\n`)
        .join(''),
    });
    // STP off (ports forward at once) and multicast snooping off (ff02::12 and 224.0.0.18 always flood, with no
    // MLD/IGMP querier needed).
    const bridge = [
      'link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0',
      'link set br0 up',
      ...hosts.flatMap((h) => [`link set ${h.bridgePort} master br0`, `link set ${h.bridgePort} up`]),
    ];
    await Promise.all([
      run(ip, ['-n', this.bridgeNs, '-batch', '-'], { check: true, input: `${bridge.join('\n')}\n` }),
      ...hosts.map((h) => {
        const commands = [
          'link set lo up',
          `addr add ${h.ipv4}/24 dev eth0`,
          ...(h.ipv6 === undefined ? [] : [`addr add ${h.ipv6}/64 dev eth0 nodad`]),
          'link set eth0 up',
        ];
        return run(ip, ['-n', h.ns, '-batch', '-'], { check: true, input: `${commands.join('\n')}\n` });
      }),
    ]);
    await this.#waitOperstate(
      hosts.flatMap((h) => [
        { ns: h.ns, dev: 'eth0' },
        { ns: this.bridgeNs, dev: h.bridgePort },
      ]),
      true,
    );
    if (this.ipv6Enabled) {
      await Promise.all(
        hosts.map(async (h) => {
          h.linkLocal = (await this.addresses(h.name)).find((address) => address.startsWith('fe80:'));
        }),
      );
    }
  }

  async #setLink(host: string, side: LinkSide, state: 'up' | 'down'): Promise<void> {
    const { ns, bridgePort } = this.host(host);
    const [where, dev] = side === 'bridge' ? [this.bridgeNs, bridgePort] : [ns, 'eth0'];
    await run(tools.ip!, ['-n', where, 'link', 'set', dev, state], { check: true });
    // Both ends, so that when this resolves the host has seen the carrier change and traffic flows (or not).
    await this.awaitLink(host, state === 'up');
  }

  #ns(host: string): string {
    return host === BRIDGE ? this.bridgeNs : this.host(host).ns;
  }

  #assertLive(): void {
    if (this.#destroying !== undefined || this.#destroyed) throw new Error(`lab ${this.prefix} is destroyed`);
  }
}

/** Parses one tcpdump `-tt -e -v` VRRP packet (both lines of an IPv4 one joined); undefined if it is not VRRP. */
export function parseTcpdumpVrrp(text: string): CapturedPacket | undefined {
  // 1795566284.693251 e6:c6:71:e6:4a:78 > 01:00:5e:00:00:12, ethertype IPv4 (0x0800), length 46: (tos 0xc0,
  //   ttl 255, id 1, offset 0, flags [none], proto VRRP (112), length 32) 10.99.200.1 > 224.0.0.18: VRRPv3,
  //   Advertisement, vrid 51, prio 150, intvl 10cs, length 12, addrs: 10.99.200.100
  // IPv6: "... ethertype IPv6 (0x86dd), length 78: (class 0xc0, flowlabel 0xc9e23, hlim 255, next-header VRRP
  //   (112) payload length: 24) fe80::… > ff02::12: VRRPv3, Advertisement, vrid 52, prio 150, intvl 10cs, …"
  const head = /^(\d+\.\d+) ([0-9a-f:]{17}) > ([0-9a-f:]{17}), ethertype IPv([46])/.exec(text);
  const body = /\) (\S+) > (\S+): VRRPv(\d), ([A-Za-z ]+?), vrid (\d+), prio (\d+)/.exec(text);
  const ttl = /(?:ttl|hlim) (\d+)/.exec(text);
  if (head === null || body === null || ttl === null) return undefined;
  const interval = /intvl (\d+)(cs|s)/.exec(text);
  const addrs = /addrs(?:\(\d+\))?: ([^\s]+(?:,\s*[^\s,]+)*)/.exec(text);
  return {
    timeMs: Number(head[1]) * 1000,
    srcMac: head[2]!,
    dstMac: head[3]!,
    family: head[4] === '6' ? 6 : 4,
    src: body[1]!,
    dst: body[2]!,
    ttl: Number(ttl[1]),
    version: Number(body[3]),
    type: body[4]!,
    vrid: Number(body[5]),
    prio: Number(body[6]),
    intervalMs: interval === null ? Number.NaN : Number(interval[1]) * (interval[2] === 'cs' ? 10 : 1000),
    addrs: addrs === null ? [] : addrs[1]!.split(',').map((a) => a.trim()).filter(Boolean),
    raw: text,
  };
}
