/**
 * `process` trackers (keepalived's `track_process`): up when the number of running processes that match is within
 * `[quorum, quorumMax]`.
 *
 * - Read from /proc every `intervalMs`. keepalived follows the kernel's process events (the proc connector, which
 *   needs CAP_NET_ADMIN) and so sees a process come and go at once; polling needs no privilege and costs one
 *   directory walk per interval, and `fall`/`rise` give the damping that keepalived's fork and terminate delays give.
 * - `process` is compared with the process name in /proc/PID/stat (the kernel's `comm`, 15 bytes at most), exactly:
 *   `haproxy` does not match `haproxy-exporter` (keepalived: "equivalent to pgrep ^name$").
 * - `command` is compared with the first word of /proc/PID/cmdline exactly, and `params` with the words after it by
 *   `paramMatch`, as keepalived's `full_command` and `param_match` do: `exact` (the default once `params` are given,
 *   and then also without them: no arguments), `partial` (the first arguments), `initial` (the first arguments, the
 *   last of them a prefix); neither given, the arguments are not looked at.
 * - `args` is compared with the whole command line, /proc/PID/cmdline with its arguments joined by single spaces,
 *   exactly.
 * - `pidFile` narrows the candidates to the one process whose PID the file holds; an unreadable file, or one
 *   without a PID, counts zero processes.
 * - Zombies (state Z) and dead tasks (X) do not count: they have exited. Threads are not processes here.
 */
import { readdir, readFile } from 'node:fs/promises';
import { errorReason, type Probe, type ProbeResult } from './types.js';

/** How many processes are read at once. */
const READ_CONCURRENCY = 64;

/** What a `process` probe needs from its tracker's configuration. */
export interface ProcessProbeConfig {
  /** Exact process name (comm). */
  process?: string | undefined;
  /** Exact first word of the command line (argv[0]). */
  command?: string | undefined;
  /** Arguments after `command`, compared by `paramMatch`. */
  params?: readonly string[] | undefined;
  /** How `params` are compared; undefined with `params`: exact; undefined without: not at all. */
  paramMatch?: 'exact' | 'partial' | 'initial' | undefined;
  /** Exact command line, arguments joined by single spaces. */
  args?: string | undefined;
  /** A file holding the one PID to look at. */
  pidFile?: string | undefined;
  /** Fewest matching processes for up. */
  quorum: number;
  /** Most matching processes for up; absent: no limit. */
  quorumMax?: number | undefined;
}

/** Creates the probe of a `process` tracker: each call counts the matching processes once. */
export function createProcessProbe(config: ProcessProbeConfig, procRoot = '/proc'): Probe {
  return async (signal) => {
    let candidates: string[];
    let note = '';
    if (config.pidFile !== undefined) {
      const pid = await readPidFile(config.pidFile);
      if ('error' in pid) {
        candidates = [];
        note = `pid file ${config.pidFile}: ${pid.error}, so `;
      } else {
        candidates = [pid.pid];
      }
    } else {
      try {
        candidates = (await readdir(procRoot)).filter((entry) => /^\d+$/.test(entry));
      } catch (error) {
        return { up: false, reason: `cannot read ${procRoot}: ${errorReason(error)}` };
      }
    }
    let count = 0;
    let unreadable = 0;
    for (let start = 0; start < candidates.length; start += READ_CONCURRENCY) {
      if (signal.aborted) return { up: false, reason: 'aborted while reading processes' };
      const batch = candidates.slice(start, start + READ_CONCURRENCY);
      const matches = await Promise.all(batch.map((pid) => matchesProcess(config, `${procRoot}/${pid}`)));
      count += matches.filter((match) => match === true).length;
      unreadable += matches.filter((match) => match === 'unreadable').length;
    }
    if (config.pidFile !== undefined && count === 0 && note === '') note = `pid ${candidates[0] ?? '?'} from ${config.pidFile} is not a matching running process, so `;
    // Processes this user may not read (another user's under /proc mounted hidepid=1) count as absent: said when it matters.
    if (unreadable > 0 && count < config.quorum) note = `${note}${unreadable} process${unreadable === 1 ? '' : 'es'} could not be read (EACCES: another user's, /proc hidepid?), so `;
    return judge(config, count, note);
  };
}

/** Up or down for `count` matching processes, with the reason. */
function judge(config: ProcessProbeConfig, count: number, note: string): ProbeResult {
  const range = config.quorumMax === undefined ? `quorum ${config.quorum}` : `quorum ${config.quorum}…${config.quorumMax}`;
  if (count < config.quorum) return { up: false, reason: `${note}${count} of quorum ${config.quorum} processes` };
  if (config.quorumMax !== undefined && count > config.quorumMax) {
    return { up: false, reason: `${note}${count} processes, above quorumMax ${config.quorumMax}` };
  }
  return { up: true, reason: `${note}${count} process${count === 1 ? '' : 'es'} (${range})` };
}

/**
 * Whether the process at `dir` (/proc/PID) is running and matches every criterion given; `unreadable` when this
 * user may not read it (EACCES / EPERM).
 */
async function matchesProcess(config: ProcessProbeConfig, dir: string): Promise<boolean | 'unreadable'> {
  try {
    const stat = await readFile(`${dir}/stat`, 'utf8');
    // "PID (comm) S …": comm may itself hold parentheses or spaces, so it ends at the last ')'.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    if (open < 0 || close < open) return false;
    const state = stat.slice(close + 2, close + 3);
    if (state === 'Z' || state === 'X' || state === 'x') return false;
    if (config.process !== undefined && stat.slice(open + 1, close) !== config.process) return false;
    if (config.args !== undefined || config.command !== undefined) {
      const cmdline = await readFile(`${dir}/cmdline`, 'utf8');
      const argv = cmdline.split('\0');
      if (argv.at(-1) === '') argv.pop();
      if (config.args !== undefined && argv.join(' ') !== config.args) return false;
      if (config.command !== undefined && !commandMatches(config, argv)) return false;
    }
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return 'unreadable';
    // The process exited while we looked: it is not running.
    return false;
  }
}

/** Whether `argv` (a process's command line) is `command` with arguments that `params` and `paramMatch` accept. */
export function commandMatches(config: Pick<ProcessProbeConfig, 'command' | 'params' | 'paramMatch'>, argv: readonly string[]): boolean {
  if (argv[0] !== config.command) return false;
  const mode = config.paramMatch ?? (config.params === undefined ? undefined : 'exact');
  if (mode === undefined) return true;
  const wanted = config.params ?? [];
  const actual = argv.slice(1);
  if (mode === 'exact') return actual.length === wanted.length && wanted.every((param, i) => actual[i] === param);
  if (actual.length < wanted.length) return false;
  const last = wanted.length - 1;
  return wanted.every((param, i) => (mode === 'initial' && i === last ? (actual[i] as string).startsWith(param) : actual[i] === param));
}

/** The PID a pid file holds, or why there is none. */
async function readPidFile(path: string): Promise<{ pid: string } | { error: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { error: errorReason(error) };
  }
  const pid = text.trim().split(/\s+/)[0] ?? '';
  if (!/^\d+$/.test(pid) || Number(pid) === 0) return { error: `no pid in it (${JSON.stringify(text.slice(0, 20))})` };
  return { pid: String(Number(pid)) };
}
