/**
 * The control socket of `vrrp run`, and its client `vrrp status`: a Unix socket on which a run answers with its
 * status (every instance's `status()`, every group's), plus the status dump `vrrp run` writes on SIGUSR1.
 *
 * Who may ask — the permission check. The peer's credentials (SO_PEERCRED) are not reachable from Node without an
 * addon, so the check is the file system's, as for most daemons' sockets: connecting to a Unix socket needs write
 * permission on the socket file and search permission on every directory above it. So:
 * - the socket is created 0600 (the umask is narrowed while it is bound, and it is chmod'ed and checked after), so
 *   only its owner — the user `vrrp run` runs as — and root can connect;
 * - the default directory (/run/vrrp/control for root, else `$XDG_RUNTIME_DIR/vrrp/control`) is made 0700, and an
 *   existing one is used only when this user owns it and nobody else may enter it;
 * - a directory given with `--socket` must be this user's or root's, and not writable by others unless sticky
 *   (/tmp): nobody else may then replace the socket with their own.
 * The test: test/cli/control.test.ts connects as uid 65534 (`setpriv`) and is refused.
 *
 * The protocol is one JSON line each way: `{"command":"status"}` → `{"ok":true,"status":…}` or
 * `{"ok":false,"error":"…"}`; a request is at most {@link MAX_REQUEST_BYTES} bytes and must be whole within
 * {@link REQUEST_TIMEOUT_MS} of the connection, and a peer answered has {@link REPLY_GRACE_MS} to close, so a stuck
 * client cannot hold a connection open.
 *
 * Nothing here reads the status itself: the run hands in a function that builds it (`instance.status()` is
 * synchronous, see src/status.ts), so an answer never waits on the engine thread.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { VrrpError } from './errors.js';
import type { GroupState } from './group.js';
import type { VrrpStatus } from './status.js';

/** A sync group as `vrrp status` shows it: its members by name (their statuses are in `instances`). */
export interface RunGroupStatus {
  /** The group's name. */
  name: string;
  /** Its state. */
  state: GroupState;
  /** When it entered it, ISO 8601. */
  since: string;
  /** Members it holds in fault now. */
  holding: string[];
  /** Its members, by name. */
  members: string[];
}

/** What one `vrrp run` answers on its control socket and writes on SIGUSR1. */
export interface RunStatus {
  /** The process. */
  pid: number;
  /** The config file it runs. */
  config: string;
  /** keepalived's `router_id`, when the config names one; else null. */
  routerId: string | null;
  /** When the run began, ISO 8601. */
  startedAt: string;
  /** When this status was taken, ISO 8601. */
  at: string;
  /** Each instance, in config order. */
  instances: VrrpStatus[];
  /** Each sync group. */
  groups: RunGroupStatus[];
  /**
   * The last reload (SIGHUP), when there was one: when it ended, whether the new file was `applied` (in part, when
   * some instance failed: `message` says which), `refused` (the run went on as it was; `message` says why) or
   * `failed` part way (a bug; `message` says where).
   * Optional: a `vrrp run` of a version before reloads answers without it.
   */
  lastReload?: RunReloadStatus | null;
}

/** See {@link RunStatus.lastReload}. */
export interface RunReloadStatus {
  /** When it ended, ISO 8601. */
  at: string;
  /** `applied`: the file is the run's configuration now; `refused`: it was not taken; `failed`: it stopped part way (a bug). */
  outcome: 'applied' | 'refused' | 'failed';
  /** Why it was refused, or which instances failed; null when all went well. */
  message: string | null;
}

/** Largest request accepted, in bytes. */
export const MAX_REQUEST_BYTES = 4096;
/** How long a connection may take to send its whole request, from its start, and a client waits for the answer, in ms. */
export const REQUEST_TIMEOUT_MS = 5000;
/** How long a peer has to close once answered before its connection is destroyed, in ms. */
export const REPLY_GRACE_MS = 2000;
/**
 * How long the run waits for a reload before it answers that the reload is still under way, in ms: far beyond the
 * 60 s `vrrp reload` waits by default, so that a reload is answered when it ends, yet not unbounded.
 */
export const RELOAD_REPLY_TIMEOUT_MS = 10 * 60_000;

/** Why the control socket could not be served or reached (code `control_failed`): the message says what and where. */
export class ControlError extends VrrpError {
  /** Creates the error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super('control_failed', message, options);
    this.name = 'ControlError';
  }
}

/**
 * The directory of the control sockets by default: /run/vrrp/control for root (or a user who owns /run/vrrp, as a
 * systemd unit's `RuntimeDirectory=vrrp` makes it), else `$XDG_RUNTIME_DIR/vrrp/control`; undefined when neither
 * applies (then `--socket` says where).
 */
export function defaultControlDirectory(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.()): string | undefined {
  if (uid === 0 || ownedBy('/run/vrrp', uid)) return '/run/vrrp/control';
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && runtime.startsWith('/')) return join(runtime, 'vrrp', 'control');
  return undefined;
}

/** The default socket of a run of `configPath`: `<control directory>/<config file name without extension>.sock`. */
export function defaultSocketPath(configPath: string, directory = defaultControlDirectory()): string | undefined {
  if (directory === undefined) return undefined;
  const name = basename(configPath).replace(/\.[^.]*$/, '') || 'vrrp';
  return join(directory, `${name}.sock`);
}

/** The status dump's path for a socket: beside it, `<name>.status.json` (never a plain `.json`: a config may be called so). */
export function dumpPathFor(socketPath: string): string {
  return `${socketPath.replace(/\.sock$/, '')}.status.json`;
}

function ownedBy(path: string, uid: number | undefined): boolean {
  try {
    return uid !== undefined && statSync(path).uid === uid;
  } catch {
    return false;
  }
}

/**
 * Makes the default directory (0700) if missing, and checks it: a directory, this user's, closed to group and
 * others. Anything else is refused — a socket in a directory someone else controls could be swapped for theirs.
 */
function preparePrivateDirectory(directory: string): void {
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new ControlError(`cannot create the control directory ${directory}: ${(cause as Error).message}`, { cause });
  }
  const stats = lstatSync(directory);
  const uid = process.getuid?.();
  if (!stats.isDirectory()) throw new ControlError(`${directory} is not a directory`);
  if (uid !== undefined && stats.uid !== uid) throw new ControlError(`the control directory ${directory} belongs to uid ${stats.uid}, not to this user (uid ${uid})`);
  if ((stats.mode & 0o077) !== 0) {
    throw new ControlError(`the control directory ${directory} is open to others (mode ${(stats.mode & 0o777).toString(8)}); it must be 700`);
  }
}

/** Checks a directory given with `--socket`: this user's or root's, and not writable by others unless sticky. */
function checkGivenDirectory(directory: string): void {
  let stats;
  try {
    stats = statSync(directory);
  } catch (cause) {
    throw new ControlError(`cannot use ${directory} for the control socket: ${(cause as Error).message}`, { cause });
  }
  const uid = process.getuid?.();
  if (!stats.isDirectory()) throw new ControlError(`${directory} is not a directory`);
  if (uid !== undefined && stats.uid !== uid && stats.uid !== 0) throw new ControlError(`${directory} belongs to uid ${stats.uid}: another user could replace the control socket there`);
  const sticky = (stats.mode & 0o1000) !== 0;
  if ((stats.mode & 0o022) !== 0 && !sticky) {
    throw new ControlError(`${directory} is writable by others (mode ${(stats.mode & 0o777).toString(8)}) and not sticky: another user could replace the control socket there`);
  }
}

/** A socket already at `path`: a live run's (refused), or a stale one from a run that died (removed). */
async function clearStale(path: string): Promise<void> {
  let stats;
  try {
    stats = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!stats.isSocket()) throw new ControlError(`${path} exists and is not a socket: not removing it`);
  // Only a refused connection proves the socket dead (nobody listens); anything else is not ours to judge.
  const answer = await new Promise<'live' | 'dead' | Error>((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve('live');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? 'dead' : error));
  });
  if (answer === 'live') throw new ControlError(`another vrrp run answers on ${path}: give this one its own --socket`);
  if (answer instanceof Error) throw new ControlError(`cannot tell whether a run answers on ${path}: ${answer.message}`, { cause: answer });
  try {
    rmSync(path, { force: true });
  } catch (cause) {
    throw new ControlError(`cannot remove the stale socket ${path}: ${(cause as Error).message}`, { cause });
  }
}

/** The most bytes a socket's path may have: sun_path holds 108, its last for the terminating NUL. */
const SOCKET_PATH_MAX_BYTES = 107;

/**
 * Refuses a path longer than a Unix socket's address holds: Node.js would bind it cut short, leaving a socket file
 * of another name and a misleading ENOENT from the chmod after.
 */
function checkSocketPathLength(path: string): void {
  const bytes = Buffer.byteLength(path);
  if (bytes > SOCKET_PATH_MAX_BYTES) {
    throw new ControlError(`cannot listen on ${path}: a socket's path holds at most ${SOCKET_PATH_MAX_BYTES} bytes, this one has ${bytes}: give a shorter --socket`);
  }
}

/** A running control server. */
export interface ControlServer {
  /** The socket's path. */
  readonly path: string;
  /** Stops answering and removes the socket file (if it is still ours). Safe to call twice. */
  close(): Promise<void>;
  /** Removes the socket file now, synchronously (for process exit, where nothing can be awaited). */
  removeSocketNow(): void;
}

/** Options of {@link startControlServer}. */
export interface ControlServerOptions {
  /** Where to listen. */
  path: string;
  /** Whether `path` is the default (its directory is made and must be private) or given (its directory is checked). */
  isDefault: boolean;
  /** Builds the status to answer with; called once per request. */
  status: () => RunStatus;
  /**
   * Reloads the run's configuration as SIGHUP does and resolves with how that reload ended (or one queued after the
   * request, which covers it); rejects when the run cannot reload now (it is stopping). Without it, `reload` is an
   * unknown command.
   */
  reload?: () => Promise<RunReloadStatus>;
}

/**
 * Listens on `options.path` (mode 0600, see the file header for the permission check). Rejects with a
 * {@link ControlError} when the directory is not safe, another run answers there, or the socket cannot be bound.
 */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { path } = options;
  checkSocketPathLength(path);
  const directory = dirname(path);
  if (options.isDefault) preparePrivateDirectory(directory);
  else checkGivenDirectory(directory);
  await clearStale(path);
  // Half-open allowed: a client that ends its side after its request (socat, nc -N) still reads the answer, which
  // a reload writes later; every socket is bounded by its deadlines (found by review: the answer was dropped).
  const server = createServer({ allowHalfOpen: true }, (socket) => serve(socket, options));
  // Bound with the umask narrowed so that the file is born 0600: a chmod after bind would leave a moment in which
  // another user could connect. listen() binds synchronously for a path; the umask is back before it returns.
  // (Process-wide, so the engine thread's marker files made in that instant are 0600 too: harmless, root reads them.)
  // In a worker thread the umask cannot be set: the private directory and the chmod below are then the guard.
  let umask: number | undefined;
  try {
    umask = process.umask(0o177);
  } catch {
    umask = undefined;
  }
  const restore = (): void => {
    if (umask !== undefined) process.umask(umask);
    umask = undefined;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
      restore();
    });
  } catch (cause) {
    throw new ControlError(`cannot listen on ${path}: ${(cause as Error).message}`, { cause });
  } finally {
    restore();
  }
  let ino: number;
  try {
    chmodSync(path, 0o600);
    ino = lstatSync(path).ino;
  } catch (cause) {
    server.close();
    throw new ControlError(`cannot make ${path} its owner's only: ${(cause as Error).message}`, { cause });
  }
  server.unref();
  // As the metrics server's: a failure once listening is reported rather than left to end the process.
  server.on('error', (error) => process.emitWarning(`control socket ${path}: ${error.message}`, { type: 'VrrpWarning', code: 'VRRP_CONTROL_FAILED' }));
  let closed = false;
  const removeSocketNow = (): void => {
    try {
      // Only our own socket: a later run may have taken the path since.
      if (lstatSync(path).ino === ino) rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // gone already
      // Said at once and synchronously (this runs at exit): a socket left behind is found by `vrrp status` as a
      // run that does not answer (found by review: every error was taken for "gone already").
      try {
        writeSync(2, `vrrp: cannot remove the control socket ${path}: ${error instanceof Error ? error.message : String(error)}\n`);
      } catch {
        // stderr closed: nothing left to tell
      }
    }
  };
  return {
    path,
    removeSocketNow,
    close: async () => {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      removeSocketNow();
    },
  };
}

/**
 * Answers one connection: reads one JSON line, writes one JSON line, closes. Every stage is bounded, so that no peer
 * holds a connection, and its buffers, for longer than it takes to be answered: the request must be whole within
 * {@link REQUEST_TIMEOUT_MS} of the connection (one deadline, not an idle timer that each byte would reset), a
 * reload is answered within {@link RELOAD_REPLY_TIMEOUT_MS}, and once answered the peer has
 * {@link REPLY_GRACE_MS} to close before the socket is destroyed.
 */
function serve(socket: Socket, options: Pick<ControlServerOptions, 'status' | 'reload'>): void {
  const { status, reload } = options;
  let buffer = Buffer.alloc(0);
  let timer: NodeJS.Timeout | undefined;
  /** Runs `onExpiry` (by default: destroys the socket) after `ms` unless it has closed by then; replaces the bound before. */
  const bound = (ms: number, onExpiry: () => void = () => socket.destroy()): void => {
    clearTimeout(timer);
    timer = setTimeout(onExpiry, ms);
    // The run's process must not wait on a connection at exit.
    timer.unref();
  };
  socket.once('close', () => clearTimeout(timer));
  const reply = (answer: { ok: true; status: RunStatus } | { ok: true; reload: RunReloadStatus } | { ok: false; error: string }): void => {
    if (socket.destroyed || socket.writableEnded) return;
    socket.end(`${JSON.stringify(answer)}\n`);
    // A peer that has read its answer closes; one that does not must not keep the socket.
    bound(REPLY_GRACE_MS);
  };
  bound(REQUEST_TIMEOUT_MS);
  socket.on('error', () => socket.destroy());
  // The peer ended its side before a whole request (half-open sockets are allowed: see startControlServer).
  socket.once('end', () => {
    if (socket.listenerCount('data') > 0) reply({ ok: false, error: 'request ended without its newline: send {"command":"status"} and a newline' });
  });
  socket.on('data', (chunk: Buffer) => {
    // Bytes, not characters: the limit is on what the peer may make us hold (bounded, so the copies are too). A
    // newline byte is never part of a multi-byte UTF-8 character, so searching the bytes for it is safe.
    buffer = Buffer.concat([buffer, chunk]);
    const end = buffer.indexOf(0x0a);
    if ((end < 0 ? buffer.length : end + 1) > MAX_REQUEST_BYTES) {
      socket.removeAllListeners('data');
      reply({ ok: false, error: `request longer than ${MAX_REQUEST_BYTES} bytes` });
      return;
    }
    if (end < 0) return;
    socket.removeAllListeners('data');
    let request: unknown;
    try {
      request = JSON.parse(buffer.subarray(0, end).toString('utf8'));
    } catch {
      reply({ ok: false, error: 'request is not JSON: send {"command":"status"} and a newline' });
      return;
    }
    const command = typeof request === 'object' && request !== null ? (request as { command?: unknown }).command : undefined;
    if (command === 'reload' && reload !== undefined) {
      // A reload takes as long as it takes (it waits for the start-up delay, a new instance for its first check), so
      // the request's deadline gives way to a longer one: a peer still waiting then is told the reload goes on.
      bound(RELOAD_REPLY_TIMEOUT_MS, () =>
        reply({ ok: false, error: `reload not done within ${RELOAD_REPLY_TIMEOUT_MS / 1000} s: it goes on; vrrp status says how it ended` }),
      );
      reload().then(
        (answer) => reply({ ok: true, reload: answer }),
        (error: unknown) => reply({ ok: false, error: `reload not done: ${error instanceof Error ? error.message : String(error)}` }),
      );
      return;
    }
    if (command !== 'status') {
      const commands = reload === undefined ? 'the only command is "status"' : 'the commands are "status" and "reload"';
      reply({ ok: false, error: `unknown command ${JSON.stringify(command)}: ${commands}` });
      return;
    }
    try {
      reply({ ok: true, status: status() });
    } catch (error) {
      reply({ ok: false, error: `status failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  });
}

/** Whether `error` (from {@link requestStatus}) is a stale socket's: nobody listens there, its run is gone. */
export function isStaleSocket(error: unknown): boolean {
  return error instanceof ControlError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED';
}

/**
 * `vrrp status`'s exit code for the answers of the sockets it asked: 0 when every run asked answered — a stale
 * socket is no run — and at least one did; 1 otherwise (a run that does not answer, or answers wrongly, is a run
 * a monitoring check must hear about).
 */
export function statusExitCode(answers: readonly PromiseSettledResult<unknown>[]): 0 | 1 {
  const answered = answers.filter((answer) => answer.status === 'fulfilled').length;
  const failed = answers.filter((answer) => answer.status === 'rejected' && !isStaleSocket(answer.reason)).length;
  return answered > 0 && failed === 0 ? 0 : 1;
}

/**
 * Asks the run behind `path` for its status. Rejects with a {@link ControlError} saying why in the user's terms:
 * no such socket, permission denied (the socket is its owner's only), a stale socket (its run is gone), no answer.
 */
export function requestStatus(path: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<RunStatus> {
  return request(path, 'status', timeoutMs).then((answer) => answer.status as RunStatus);
}

/**
 * Asks the run behind `path` to reload its configuration, as SIGHUP does, and resolves with how that reload ended
 * — through the socket, so that it reaches the run that answers there whatever its pid is from here (a run in a
 * container whose socket directory is the host's). Rejects as {@link requestStatus} does; a run of a version
 * before this request answers `unknown command`.
 */
export function requestReload(path: string, timeoutMs: number): Promise<RunReloadStatus> {
  return request(path, 'reload', timeoutMs).then((answer) => answer.reload as RunReloadStatus);
}

/** One request to the run behind `path`, and its answer's fields (see {@link requestStatus} for the failures). */
function request(path: string, command: 'status' | 'reload', timeoutMs: number): Promise<{ status?: unknown; reload?: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let answer = '';
    const fail = (message: string, cause?: unknown): void => {
      socket.destroy();
      reject(new ControlError(message, { cause }));
    };
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => fail(`${path}: no answer within ${timeoutMs} ms`));
    socket.once('connect', () => socket.write(`${JSON.stringify({ command })}\n`));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      switch (error.code) {
        case 'ENOENT':
          return fail(`${path}: no such socket (is vrrp run running, with this --socket?)`, error);
        case 'EACCES':
        case 'EPERM':
          return fail(`${path}: permission denied — the control socket answers only the user vrrp run runs as (and root)`, error);
        case 'ECONNREFUSED':
          return fail(`${path}: nobody answers (a stale socket: its vrrp run is gone)`, error);
        default:
          return fail(`${path}: ${error.message}`, error);
      }
    });
    socket.once('end', () => {
      socket.destroy();
      let parsed: { ok?: unknown; status?: unknown; reload?: unknown; error?: unknown };
      try {
        parsed = JSON.parse(answer) as typeof parsed;
      } catch {
        reject(new ControlError(`${path}: the answer is not JSON`));
        return;
      }
      if (parsed.ok === true) resolve(parsed);
      else reject(new ControlError(`${path}: ${String(parsed.error)}`));
    });
  });
}

/**
 * The sockets in `directory` (`*.sock`), sorted; none when it does not exist. Throws {@link ControlError} when it
 * cannot be read (EACCES, ENOTDIR): that is not "no run", and must not read as one.
 */
export function listControlSockets(directory: string): string[] {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ControlError(`cannot read the control directory ${directory}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  return names
    .filter((name) => name.endsWith('.sock'))
    .sort()
    .map((name) => join(directory, name));
}

/**
 * Writes `status` as JSON to `path` for the operator (SIGUSR1): mode 0600, written beside and renamed into place,
 * so a reader never sees half a file and an existing file (or a link planted there) is replaced, not written
 * through.
 */
export function writeStatusDump(path: string, status: RunStatus): void {
  // A name nobody can guess: with the pid alone, another user of a shared directory (a --status-file in /tmp) who
  // made that file first refused every dump of the run (its `wx` open met EEXIST).
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let made = false;
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    made = true;
    try {
      writeSync(fd, `${JSON.stringify(status, null, 2)}\n`);
      // On disk before the rename names it: a crash right after must not leave an empty dump where a whole one was.
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    // Gone with the failure (a full disk, a rename refused) — ours only: a file we did not make is not ours to remove.
    if (made) rmSync(temporary, { force: true });
    throw error;
  }
}

/** A duration for people: `850ms`, `12.3s`, `4m05s`, `2h03m`, `3d04h`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const pad = (n: number): string => String(Math.floor(n)).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d${pad((s % 86_400) / 3600)}h`;
}

/** Lines of a table, columns padded to their widest cell. */
function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  '));
}

/** `vrrp status`'s human table of one run: a head line, a row per instance with its trackers below, the groups. */
export function formatRunStatus(run: RunStatus): string {
  const lines: string[] = [];
  const up = Date.parse(run.at) - Date.parse(run.startedAt);
  // One engine thread serves every instance of a run: its lateness is the run's, said once.
  const lateMs = Math.max(0, ...run.instances.map((instance) => instance.engine.timerLateMaxMs));
  const late = lateMs >= 1 ? `, engine timers late by up to ${formatDuration(lateMs)}` : '';
  lines.push(`vrrp run pid ${run.pid}, ${run.config}, up ${formatDuration(up)}${run.routerId ? `, router_id ${run.routerId}` : ''}${late}`);
  const reload = run.lastReload;
  if (reload) {
    const ago = formatDuration(Math.max(0, Date.parse(run.at) - Date.parse(reload.at)));
    const outcome = reload.outcome === 'applied' ? 'applied' : reload.outcome === 'refused' ? 'REFUSED, the run goes on as it was' : 'FAILED part way';
    lines.push(`last reload ${ago} ago: ${outcome}${reload.message ? ` — ${reload.message}` : ''}`);
  }
  const rows: string[][] = [['INSTANCE', 'VRID', 'IF', 'STATE', 'FOR', 'TERM', 'PRIO (BASE)', 'MASTER', 'NEXT TIMER', 'VIPS']];
  for (const instance of run.instances) {
    const master = instance.master === null ? '-' : instance.master.self ? 'self' : `${instance.master.address} (${instance.master.priority})`;
    // With repeats absorbed the core's Master_Down_Timer is a lower bound (see TimerStatus.next): said as one.
    const timer = instance.timers.next;
    const next = timer === null ? '-' : `${timer.timer === 'Adver_Timer' ? 'advert' : 'master down'} in ${timer.repeatsAbsorbed ? '≥ ' : ''}${formatDuration(timer.inMs)}`;
    const vips = instance.vips
      .map((vip) => `${vip.address}/${vip.prefixLength}${vip.interface !== undefined && vip.interface !== instance.interface ? ` on ${vip.interface}` : ''}${vip.advertised === false ? ' (excluded)' : ''}${vip.held ? (vip.leaseRemainingMs === null ? ' held' : ` held, lease ${formatDuration(vip.leaseRemainingMs)}`) : ''}`)
      .join(', ');
    rows.push([
      instance.name,
      String(instance.vrid),
      instance.interface,
      instance.state.toUpperCase(),
      formatDuration(instance.inStateMs),
      String(instance.term),
      `${instance.priority.effective} (${instance.priority.base})`,
      master,
      next,
      vips,
    ]);
  }
  lines.push(...table(rows));
  for (const instance of run.instances) {
    const details: string[] = [];
    for (const tracker of instance.priority.trackers) {
      const effect = tracker.faults ? 'FAULT' : tracker.contribution === 0 ? '±0' : tracker.contribution > 0 ? `+${tracker.contribution}` : String(tracker.contribution);
      details.push(`  ${instance.name}: tracker ${tracker.name} (${tracker.type}) ${tracker.status} ${effect}${tracker.reason ? ` — ${tracker.reason}` : ''}`);
    }
    if (instance.priority.heldByGroup === true) details.push(`  ${instance.name}: held in fault by its sync group`);
    // `?? []`: a `vrrp run` of a version before routes in status answers without them.
    for (const [kind, list] of [['route', instance.routes ?? []], ['rule', instance.rules ?? []]] as const) {
      for (const entry of list) details.push(`  ${instance.name}: ${kind} ${entry.text}${entry.held ? ' held' : ''}`);
    }
    const error = instance.lastProtocolError;
    if (error) details.push(`  ${instance.name}: last dropped packet: ${error.code} from ${error.src} at ${error.at} (${error.message})`);
    if (details.length > 0) lines.push(...details);
  }
  // What a shared receive socket dropped before any instance saw it: once per socket, and only what is amiss
  // (packets for other VRIDs are normal on a shared LAN).
  const sockets = new Set<string>();
  for (const instance of run.instances) {
    const socket = instance.engine.socket;
    const on = instance.engine.socketInterface ?? instance.interface;
    const key = `${on} ${instance.family} ${instance.engine.thread}`;
    if (socket === null || sockets.has(key)) continue;
    sockets.add(key);
    if (socket.malformed === 0 && socket.receiveErrors === 0) continue;
    lines.push(`  socket ${on} (${instance.family}): ${socket.malformed} malformed, ${socket.receiveErrors} receive errors dropped before any instance (of ${socket.received} read)`);
  }
  if (run.groups.length > 0) {
    const now = Date.parse(run.at);
    const groupRows = [['GROUP', 'STATE', 'FOR', 'MEMBERS', 'HOLDING']];
    for (const group of run.groups) {
      groupRows.push([group.name, group.state.toUpperCase(), formatDuration(now - Date.parse(group.since)), group.members.join(', '), group.holding.join(', ') || '-']);
    }
    lines.push(...table(groupRows));
  }
  return `${lines.join('\n')}\n`;
}
