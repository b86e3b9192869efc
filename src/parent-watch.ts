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

/** Reads `/proc/<pid>/stat`; undefined when there is no such process (or no /proc). */
export function readProcStat(pid: number | 'self'): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
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
  /** Its start time then (see {@link ProcStat}). */
  startTime: string;
  /** Why it is watched, for the line printed when it ends. */
  role: 'parent' | 'npm';
}

/**
 * The processes whose end should end this one: the parent, and the nearest ancestor that is npm (npx, npm exec,
 * npm run), if any. Empty when the parent is already init (nothing left to notice).
 */
export function launchers(): WatchedProcess[] {
  const self = readProcStat('self');
  if (!self || self.ppid <= 1) return [];
  const parent = readProcStat(self.ppid);
  if (!parent) return [];
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
    stat = readProcStat(pid);
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
 * watch never keeps the process alive by itself.
 */
export function watchProcesses(watched: readonly WatchedProcess[], onGone: (gone: WatchedProcess) => void, intervalMs = 1000): () => void {
  if (watched.length === 0) return () => {};
  const timer = setInterval(() => {
    for (const process of watched) {
      const now = readProcStat(process.pid);
      if (now && !now.zombie && now.startTime === process.startTime) continue;
      clearInterval(timer);
      onGone(process);
      return;
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
