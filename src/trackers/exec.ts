/**
 * `exec` trackers (keepalived's `vrrp_script`): run a command, exit status 0 means up.
 *
 * How a run goes, and why:
 * - The argv is spawned directly (no shell; see command-line.ts for how a string becomes one), in a process group
 *   of its own (`detached`: setsid), as keepalived does with setpgid, so that a timeout can kill the command and
 *   everything it started — a `sh -c` that forked a `curl` must not leave the `curl` behind.
 * - On abort (the tracker's timeout, or stop) the group gets SIGTERM; if the command has not exited
 *   `killGraceMs` later (2 s, keepalived's), the group gets SIGKILL. Once the command has exited after a SIGTERM,
 *   the group gets SIGKILL anyway, for children that ignored the SIGTERM (keepalived does the same). One that has
 *   not exited 1 s after the SIGKILL (it cannot be signalled, or is stuck in the kernel) is given up: the run ends
 *   down with a reason that says so, and the tracker's checks go on.
 * - The run settles when the command has exited and its output is read. A command that leaves a background
 *   process holding its stdout does not hold the tracker: the output stops counting 100 ms after the exit, and
 *   the pipes are drained from then on, never closed (see {@link drainAfterExit}).
 * - stdout and stderr are kept (the last 4 KiB, interleaved as they came); a failure's reason ends with a short
 *   tail of them, so `exit code 1: haproxy: no process found` says why without a log.
 * - `user` switches uid/gid through spawn's options (libuv then drops the supplementary groups). That needs root;
 *   without it the run fails at once with a reason that says so, rather than with spawn's bare EPERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { errorReason, tail, type Probe, type ProbeResult } from './types.js';

/** keepalived's grace between SIGTERM and SIGKILL for a script that overran its timeout. */
const DEFAULT_KILL_GRACE_MS = 2000;
/** How much output is kept for the reason of a failure, in bytes. */
const OUTPUT_KEPT_BYTES = 4096;
/** How much of that output a reason shows, in characters. */
const REASON_OUTPUT_CHARS = 200;
/** How long after the command's exit its output may still count before the pipes are only drained, in ms. */
const OUTPUT_AFTER_EXIT_MS = 100;
/**
 * After SIGKILL, how long to wait for an exit before giving the command up, in ms: one that cannot be killed (in D
 * state on a dead NFS mount; run as another user by sudo, EPERM) must not stop its tracker's checks for good.
 */
const EXIT_AFTER_KILL_MS = 1000;

/** What an `exec` probe needs from its tracker's configuration. */
export interface ExecProbeConfig {
  /** The program and its arguments. */
  argv: readonly string[];
  /** `name`, `name:group`, `uid` or `uid:gid`; absent: this process's user. */
  user?: string | undefined;
}

/** Knobs of an `exec` probe; the defaults are the real system's. */
export interface ExecProbeOptions {
  /** Time between SIGTERM and SIGKILL of a run that was aborted, in ms (default 2000, keepalived's). */
  killGraceMs?: number;
  /** This process's uid (default `process.getuid()`). */
  ownUid?: () => number;
  /** The passwd file users are looked up in (default `/etc/passwd`). */
  passwdPath?: string;
  /** The group file groups are looked up in (default `/etc/group`). */
  groupPath?: string;
}

/** Creates the probe of an `exec` tracker: each call runs the command once (see the file header). */
export function createExecProbe(config: ExecProbeConfig, options: ExecProbeOptions = {}): Probe {
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const ownUid = options.ownUid ?? (() => process.getuid?.() ?? 0);
  return async (signal) => {
    if (signal.aborted) return { up: false, reason: 'aborted before it ran' };
    const as = await runAs(config.user, ownUid(), options.passwdPath ?? '/etc/passwd', options.groupPath ?? '/etc/group');
    if ('refusal' in as) return { up: false, reason: as.refusal };
    return run(config.argv, as.ids, signal, killGraceMs);
  };
}

/**
 * The ids to spawn a command with to run it as `user` (undefined: as this process), or why it cannot run. Only root
 * may switch; anyone else asked for their own uid runs without a switch (libuv's setgroups would refuse them).
 * Exec trackers and notify scripts both run their commands through it.
 */
export async function runAs(user: string | undefined, ownUid: number, passwdPath: string, groupPath: string): Promise<{ ids: UserIds | undefined } | { refusal: string }> {
  if (user === undefined) return { ids: undefined };
  return judgeRunAs(user, ownUid, await resolveUser(user, passwdPath, groupPath));
}

/**
 * Why a command set to run as `user` cannot run in this process (uid `ownUid`), or undefined when it can: as
 * {@link runAs} judges it, read synchronously. keepalived judges a script's user as it starts and disables the
 * script when it cannot switch to it; a keepalived.conf import on the host that runs it does the same with this.
 */
export function runAsRefusal(user: string, ownUid: number, passwdPath = '/etc/passwd', groupPath = '/etc/group'): string | undefined {
  const judged = judgeRunAs(user, ownUid, resolveUserIn(user, passwdPath, groupPath, readTableSync));
  return 'refusal' in judged ? judged.refusal : undefined;
}

/**
 * {@link runAsRefusal} for one process, each user judged once: a configuration names the same few users for hundreds
 * of scripts and notify scripts, and each judgement reads the passwd (and group) file.
 */
export function runAsJudge(ownUid: number): (user: string) => string | undefined {
  const judged = new Map<string, string | undefined>();
  return (user) => {
    if (!judged.has(user)) judged.set(user, runAsRefusal(user, ownUid));
    return judged.get(user);
  };
}

function judgeRunAs(user: string, ownUid: number, resolved: UserIds | { error: string }): { ids: UserIds | undefined } | { refusal: string } {
  if ('error' in resolved) return { refusal: resolved.error };
  if (ownUid === 0) return { ids: resolved };
  if (resolved.uid !== ownUid) return { refusal: `cannot run as user ${user}: switching user needs root (this process runs as uid ${ownUid})` };
  return { ids: undefined };
}

/** A uid and gid to run as. */
export interface UserIds {
  /** The user id to run as. */
  uid: number;
  /** The group id to run as. */
  gid: number;
}

function run(argv: readonly string[], ids: UserIds | undefined, signal: AbortSignal, killGraceMs: number): Promise<ProbeResult> {
  const [program = '', ...args] = argv;
  return new Promise<ProbeResult>((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...(ids ?? {}) });
    } catch (error) {
      resolve({ up: false, reason: `cannot run ${program}: ${errorReason(error)}` });
      return;
    }
    const output = new OutputTail(OUTPUT_KEPT_BYTES);
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    let aborted = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: Error | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    let outputTimer: NodeJS.Timeout | undefined;
    let giveUpTimer: NodeJS.Timeout | undefined;
    /** The first signal that could not be sent, and why (ESRCH, a group gone already, is no failure). */
    let killFailure: string | undefined;
    let done = false;
    const killGroup = (killSignal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, killSignal);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ESRCH') killFailure ??= `${killSignal}: ${code ?? errorReason(error)}`;
      }
    };
    const onAbort = (): void => {
      if (aborted || exit) return;
      aborted = true;
      killGroup('SIGTERM');
      graceTimer = setTimeout(() => {
        killGroup('SIGKILL');
        giveUpTimer = setTimeout(finish, EXIT_AFTER_KILL_MS);
      }, killGraceMs);
    };
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(graceTimer);
      clearTimeout(outputTimer);
      clearTimeout(giveUpTimer);
      signal.removeEventListener('abort', onAbort);
      drainAfterExit(child.stdout);
      drainAfterExit(child.stderr);
      resolve(outcome(program, { aborted, exit, spawnError, killFailure, output: output.text() }));
    };
    child.on('error', (error) => {
      spawnError ??= error;
      // A command that could not be started emits no exit; one that could, emits its own close.
      if (child.pid === undefined) finish();
    });
    child.on('exit', (code, exitSignal) => {
      exit = { code, signal: exitSignal };
      clearTimeout(graceTimer);
      clearTimeout(giveUpTimer);
      if (aborted) killGroup('SIGKILL');
      outputTimer = setTimeout(finish, OUTPUT_AFTER_EXIT_MS);
    });
    child.on('close', finish);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A child's output pipe once the child has exited and what it said is taken: read and thrown away until whatever
 * holds its other end closes it, without keeping the event loop alive. Not closed: a process the command left
 * running in the background (`daemon &` in a notify script) would die of SIGPIPE at its next write, or block once
 * the pipe filled; keepalived gives its scripts /dev/null, where neither happens.
 */
export function drainAfterExit(stream: Readable | null | undefined): void {
  if (!stream) return;
  stream.removeAllListeners('data');
  stream.on('data', ignore);
  stream.on('error', ignore);
  stream.resume();
  (stream as Readable & { unref?: () => void }).unref?.();
}

function ignore(): void {}

/** The result of a finished run. */
function outcome(
  program: string,
  run: { aborted: boolean; exit: { code: number | null; signal: NodeJS.Signals | null } | undefined; spawnError: Error | undefined; killFailure: string | undefined; output: string },
): ProbeResult {
  if (run.exit === undefined && run.aborted && run.spawnError === undefined) {
    return { up: false, reason: `did not exit after it was aborted and killed${run.killFailure === undefined ? '' : ` (cannot signal it: ${run.killFailure})`}; left running` };
  }
  if (run.exit === undefined) return { up: false, reason: `cannot run ${program}: ${errorReason(run.spawnError)}` };
  const output = run.output.trim();
  const said = output === '' ? '' : `: ${tail(output.replace(/\s*\n\s*/g, ' | '), REASON_OUTPUT_CHARS)}`;
  if (run.aborted) return { up: false, reason: `killed (${run.exit.signal ?? `exit code ${run.exit.code}`}) after it was aborted${said}` };
  if (run.exit.code === 0) return { up: true, reason: 'exit code 0' };
  if (run.exit.code !== null) return { up: false, reason: `exit code ${run.exit.code}${said}` };
  return { up: false, reason: `killed by ${run.exit.signal ?? 'a signal'}${said}` };
}

/** The last `maxBytes` of a stream of chunks. */
class OutputTail {
  readonly #maxBytes: number;
  #chunks: Buffer[] = [];
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#chunks.length > 1 && this.#bytes - (this.#chunks[0]?.length ?? 0) >= this.#maxBytes) {
      this.#bytes -= this.#chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    const all = Buffer.concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.#maxBytes)).toString('utf8');
  }
}

/**
 * Resolves `name`, `name:group`, `uid` or `uid:gid` to ids, from the passwd and group files (keepalived looks
 * users up with getpwnam; Node.js has no such call, so NSS sources such as LDAP are not consulted).
 */
export async function resolveUser(spec: string, passwdPath: string, groupPath: string): Promise<UserIds | { error: string }> {
  const group = spec.split(':')[1];
  const passwd = await readTable(passwdPath);
  // The group file only when a group is named by name, as the lookup below reads it.
  const groups = group !== undefined && !/^\d+$/.test(group) ? await readTable(groupPath) : [];
  return resolveUserIn(spec, passwdPath, groupPath, (path) => (path === passwdPath ? passwd : groups));
}

/** {@link resolveUser} over tables read by `table` (the passwd file's path, then the group file's). */
function resolveUserIn(spec: string, passwdPath: string, groupPath: string, table: (path: string) => string[][] | { unreadable: string }): UserIds | { error: string } {
  const [user = '', group] = spec.split(':');
  const passwd = table(passwdPath);
  if (!Array.isArray(passwd)) return { error: `cannot run as user ${user}: ${passwd.unreadable}` };
  const entry = passwd.find((fields) => (/^\d+$/.test(user) ? fields[2] === user : fields[0] === user));
  let uid: number;
  let gid: number | undefined;
  if (entry) {
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  } else if (/^\d+$/.test(user)) {
    uid = Number(user);
  } else {
    return { error: `cannot run as user ${user}: not found in ${passwdPath}` };
  }
  if (group !== undefined) {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const groups = table(groupPath);
      if (!Array.isArray(groups)) return { error: `cannot run as group ${group}: ${groups.unreadable}` };
      const groupEntry = groups.find((fields) => fields[0] === group);
      if (!groupEntry) return { error: `cannot run as group ${group}: not found in ${groupPath}` };
      gid = Number(groupEntry[2]);
    }
  }
  if (gid === undefined || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    return { error: `cannot run as uid ${user}: it has no entry in ${passwdPath}, so give its group too (${user}:GID)` };
  }
  return { uid, gid };
}

/** The colon-separated lines of a passwd-style file, or why it cannot be read (so that "not found" is not said of it). */
async function readTable(path: string): Promise<string[][] | { unreadable: string }> {
  try {
    return tableLines(await readFile(path, 'utf8'));
  } catch (error) {
    return { unreadable: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
}

/** {@link readTable}, synchronously. */
function readTableSync(path: string): string[][] | { unreadable: string } {
  try {
    return tableLines(readFileSync(path, 'utf8'));
  } catch (error) {
    return { unreadable: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
}

function tableLines(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}
