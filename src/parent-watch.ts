/**
 * Noticing that the processes that started `vrrp run` are gone. `npx vrrp run` runs us under `npm exec` through a
 * `sh -c`: a signal sent to npm may never reach us, and an npm killed outright leaves the shell and us running,
 * holding the VIPs with nobody left to stop us. So `vrrp run` under npm (and with `--exit-with-parent`) watches its
 * parent and its nearest npm ancestor, and stops cleanly — priority 0, VIPs removed — when either ends. A process is
 * known by its pid and start time, so that a reused pid does not pass for the one we watched. Linux only (/proc).
 */
import { readFileSync } from 'node:fs';

/** A process as /proc tells it: its parent and its start time (clock ticks since boot), or undefined when gone. */
export interface ProcStat {
  /** The parent's pid. */
  ppid: number;
  /** When it started, in clock ticks since boot: with the pid, a process's identity. */
  startTime: string;
  /** A zombie has ended; only its exit status waits for its parent. */
  zombie: boolean;
}

/**
 * Reads `/proc/<pid>/stat`; undefined when there is no such process (ENOENT, or ESRCH for one that ended while it
 * was read; also when there is no /proc). Throws any other failure (EMFILE, ENOMEM, EACCES): that one says nothing
 * of whether the process lives, and taken for its end it would stop a run — priority 0, VIPs removed — for want of
 * a descriptor.
 */
export function readProcStat(pid: number | 'self'): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw error;
  }
  // The command name (field 2) is in parentheses and may hold spaces or ')': the fields after the last ')' are fixed.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  const startTime = fields[19];
  return Number.isInteger(ppid) && startTime !== undefined ? { ppid, startTime, zombie: fields[0] === 'Z' || fields[0] === 'X' } : undefined;
}

/** The command line of a process, its arguments joined by spaces; '' when unreadable. */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** npm names its process `npm exec …` / `npm run …` (process.title); older ones show `node …/npm-cli.js`. */
const NPM = /^(npm|npx)( |$)|[/\\](npm|npx)(-cli\.js)?( |$)/;

/** A process to watch: its pid and the start time it had when the watch began. */
export interface WatchedProcess {
  /** Its pid. */
  pid: number;
  /** Its start time then (see {@link ProcStat}); '' for a parent already gone then, which the first poll finds gone. */
  startTime: string;
  /** Why it is watched, for the line printed when it ends. */
  role: 'parent' | 'npm';
}

/** The warning for a watch that cannot do its work, or not all of it: never silent, never a stop. */
function warn(message: string): void {
  process.emitWarning(message, { type: 'VrrpWarning', code: 'VRRP_PARENT_WATCH' });
}

/** An error's code, or its message when it has none. */
function reason(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? (error instanceof Error ? error.message : String(error));
}

/** Whether the process `pid` exists, asked of the kernel (signal 0), not of /proc: EPERM is another user's, alive. */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * The parent as this module loaded, at the start of `vrrp run` (src/cli.ts imports the commands, and so this, before
 * anything else): the process that started us. Read again later, the parent is another one when that one has died
 * meanwhile, for an orphan is given to init or a subreaper — the only way a parent ever changes.
 */
const STARTING_PARENT = process.ppid;

/**
 * The processes whose end should end this one: the parent, and the nearest ancestor that is npm (npx, npm exec,
 * npm run), if any.
 *
 * A parent already gone when the watch begins is returned all the same, with no start time, so that the first poll
 * finds it gone and the run stops, as it would have a moment later had the watch begun a moment sooner: a sidecar
 * asked to end with its parent must not outlive it for losing a race at its start. Gone means that our parent is no
 * longer the one that started us, or that the kernel knows no such pid (ESRCH) — not a /proc entry missing: /proc
 * mounted with `hidepid` hides another user's live process.
 *
 * Empty, with a `VRRP_PARENT_WATCH` warning, when the watch can follow nothing: started by pid 1 (init, systemd, a
 * container's first process, which ends only with the whole system) or by a process outside our pid namespace (0);
 * or /proc cannot say. `startedBy` is the parent that started this process: by default, the one as this module loaded.
 */
export function launchers(startedBy = STARTING_PARENT): WatchedProcess[] {
  let self: ProcStat | undefined;
  try {
    self = readProcStat('self');
  } catch (error) {
    warn(`cannot watch the parent process: /proc/self/stat cannot be read (${reason(error)})`);
    return [];
  }
  if (!self) {
    warn('cannot watch the parent process: no /proc');
    return [];
  }
  if (startedBy > 1 && self.ppid !== startedBy) return [{ pid: startedBy, startTime: '', role: 'parent' }];
  if (self.ppid <= 1) {
    const which = self.ppid === 1 ? 'pid 1 (init, or a container\'s first process), which outlives us' : 'outside this pid namespace, out of our /proc';
    warn(`not watching the parent process: it is ${which}`);
    return [];
  }
  let parent: ProcStat | undefined;
  try {
    parent = readProcStat(self.ppid);
  } catch (error) {
    warn(`cannot watch the parent process (pid ${self.ppid}): /proc/${self.ppid}/stat cannot be read (${reason(error)})`);
    return [];
  }
  if (!parent) {
    if (!exists(self.ppid)) return [{ pid: self.ppid, startTime: '', role: 'parent' }];
    warn(`cannot watch the parent process (pid ${self.ppid}): it is alive but not in /proc (mounted with hidepid?)`);
    return [];
  }
  const watched: WatchedProcess[] = [{ pid: self.ppid, startTime: parent.startTime, role: 'parent' }];
  let pid = self.ppid;
  let stat: ProcStat | undefined = parent;
  // A few levels are enough: npm → sh -c → us; the bound keeps a loop in a corrupt /proc from hanging us.
  for (let depth = 0; depth < 8 && stat && pid > 1; depth += 1) {
    if (NPM.test(commandLine(pid))) {
      if (pid !== self.ppid) watched.push({ pid, startTime: stat.startTime, role: 'npm' });
      break;
    }
    pid = stat.ppid;
    try {
      stat = readProcStat(pid);
    } catch (error) {
      warn(`cannot look for npm above the parent process: /proc/${pid}/stat cannot be read (${reason(error)}); watching the parent only`);
      break;
    }
  }
  return watched;
}

/** True when `process.env` says npm started us (`npx`, `npm exec`, `npm run`, `npm start`). */
export function startedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_command !== undefined || env.npm_lifecycle_event !== undefined;
}

/**
 * Polls the watched processes every `intervalMs` and calls `onGone` once, with the first one found gone (or
 * replaced by another process under its pid). Returns a function that stops the watch. The timer is unref'd: the
 * watch never keeps the process alive by itself. A read of /proc that fails for another reason than the process's
 * end (out of descriptors or memory) is no news of it: the watch goes on, and says so once, with a warning.
 */
export function watchProcesses(watched: readonly WatchedProcess[], onGone: (gone: WatchedProcess) => void, intervalMs = 1000): () => void {
  if (watched.length === 0) return () => {};
  let warned = false;
  const timer = setInterval(() => {
    for (const target of watched) {
      let now: ProcStat | undefined;
      try {
        now = readProcStat(target.pid);
      } catch (error) {
        if (!warned) warn(`cannot read /proc/${target.pid}/stat of the ${target.role} process (${reason(error)}): still watching it`);
        warned = true;
        continue;
      }
      if (now && !now.zombie && now.startTime === target.startTime) continue;
      clearInterval(timer);
      onGone(target);
      return;
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
