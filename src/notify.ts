/**
 * Notify scripts (keepalived's `notify_master`, `notify_backup`, `notify_fault`, `notify_stop` and `notify`) for an
 * instance or a sync group: what `vrrp run` runs on each transition, and what an app can attach with
 * {@link attachNotify}.
 *
 * How they run, and why (keepalived.conf(5), "notify"; its notify code read for behaviour only):
 * - A transition to a state runs that state's script, then `any` — keepalived runs `notify` after the `notify_*`
 *   script. Only `any` gets keepalived's four arguments appended: `INSTANCE`|`GROUP`, the name,
 *   `MASTER`|`BACKUP`|`FAULT`|`STOP` and the priority (0 for a group, as keepalived sends). Every script also finds
 *   them in its environment (`VRRP_SOURCE`, `VRRP_NAME`, `VRRP_STATE`, `VRRP_PRIORITY`), which keepalived does not
 *   set and which old scripts ignore.
 * - One at a time, in transition order (keepalived forks each and lets them race: a `notify_backup` could finish
 *   before the `notify_master` it follows). Each is awaited up to `timeoutMs`.
 * - A script whose transition is no longer the latest when its turn comes is skipped, as hooks are: after
 *   master → backup → master in quick succession, the first master's and the backup's scripts do not run, the
 *   last master's does. A script that started is left to finish (or time out): stopping a promotion halfway is
 *   worse than letting it end, and the next state's script runs right after it.
 * - Commands split as keepalived splits them (src/trackers/command-line.ts): no shell, the first word looked up in
 *   PATH. Each runs in a process group of its own, so that a timeout kills what it started too: SIGTERM to the
 *   group, SIGKILL 2 s later (keepalived gives `notify_stop` 1 s, then SIGKILL; the others no limit).
 * - stdout and stderr are read line by line and reported (`output` events), so `vrrp run` can log them; a script
 *   that leaves a daemon holding its stdout does not hold the queue: its output is cut 100 ms after it exits.
 * - Scripts run as the user running this process, or as `user` / `users[script]` (keepalived's `script_user`, or a
 *   user after the script); only root may switch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'eventemitter3';
import { resolveNotifyConfig, type NotifyConfig, type NotifyScript, type ResolvedNotifyConfig } from './config.js';
import { emitVrrpWarning, VrrpError, warnIfUnheard } from './errors.js';
import { VrrpGroup } from './group.js';
import type { VrrpInstance } from './instance.js';
import { drainAfterExit, runAs, type UserIds } from './trackers/exec.js';
import { errorReason } from './trackers/types.js';
import { observe } from './observe.js';

/** A state notify scripts are run for: `stop` is keepalived's STOP (the instance or group stopped). */
export type NotifyState = 'master' | 'backup' | 'fault' | 'stop';

/** What a script runs for: an instance or a sync group, by name. */
export interface NotifySource {
  /** `instance` or `group` (`$1` is `INSTANCE` or `GROUP`). */
  kind: 'instance' | 'group';
  /** The instance's or group's name (`$2`). */
  name: string;
}

/** Fields every notify event carries: which script, for which transition. */
export interface NotifyEventBase {
  /** `instance` or `group`. */
  kind: 'instance' | 'group';
  /** The instance's or group's name. */
  name: string;
  /** The state entered. */
  state: NotifyState;
  /** The script: the state's own, or `any`. */
  script: NotifyScript;
  /** The argv run (for `any`, with the four arguments appended). */
  argv: string[];
}

/** Payload of `start`: a script was spawned. */
export interface NotifyStartEvent extends NotifyEventBase {
  /** Its process id (also its process group's). */
  pid: number | undefined;
}

/** Payload of `output`: one line a script wrote. */
export interface NotifyOutputEvent extends NotifyEventBase {
  /** Which stream. */
  stream: 'stdout' | 'stderr';
  /** The line, without its newline (a very long line comes in pieces of 4096 characters). */
  line: string;
}

/** Payload of `done`: a script ended (or could not start). */
export interface NotifyDoneEvent extends NotifyEventBase {
  /** Its exit code; null when it was killed by a signal or did not start. */
  exitCode: number | null;
  /** The signal that ended it, if one did. */
  signal: NodeJS.Signals | null;
  /** How long it ran, in ms. */
  durationMs: number;
  /** It ran past `timeoutMs` and was killed. */
  timedOut: boolean;
  /** Why it could not start (`ENOENT`), when it did not. */
  error?: string;
}

/** Payload of `skip`: a script was not run because its transition is history. */
export interface NotifySkipEvent extends NotifyEventBase {
  /** Always `stale`: a later transition happened before its turn came. */
  reason: 'stale';
}

/** Events of a {@link NotifyRunner}. */
export interface NotifyEvents {
  /** A script was spawned. */
  start: [event: NotifyStartEvent];
  /** A script wrote a line to stdout or stderr. */
  output: [event: NotifyOutputEvent];
  /** A script ended, failed to start, or was killed at its timeout. */
  done: [event: NotifyDoneEvent];
  /** A script was skipped: its state was left before its turn came. */
  skip: [event: NotifySkipEvent];
}

/** Anything that reports its transitions as `stateChange` events: a `VrrpInstance`, a `VrrpGroup`. */
export interface TransitionSource {
  /** Subscribes to its transitions. */
  on(event: 'stateChange', listener: (event: { to: string }) => void): unknown;
  /** Unsubscribes. */
  off(event: 'stateChange', listener: (event: { to: string }) => void): unknown;
}

/** Knobs of a {@link NotifyRunner}; the defaults are keepalived's and the real system's. */
export interface NotifyOptions {
  /** Time between SIGTERM and SIGKILL of a script that overran its timeout, in ms (default 2000). */
  killGraceMs?: number;
  /** The environment scripts start from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** This process's uid (default `process.getuid()`): only root may run a script as another user. */
  ownUid?: () => number;
  /** The passwd file users are looked up in (default `/etc/passwd`). */
  passwdPath?: string;
  /** The group file groups are looked up in (default `/etc/group`). */
  groupPath?: string;
  /**
   * The runner this one takes over from (a reload's new scripts for the same instance or group): its script under
   * way finishes before any of this one's starts, and its queued ones are skipped as stale from this one's first
   * transition on — one at a time, in transition order, across the change.
   */
  replaces?: NotifyRunner;
}

const DEFAULT_KILL_GRACE_MS = 2000;
/** How long after a script's exit its output may still count before the pipes are only drained (drainAfterExit), in ms. */
const OUTPUT_AFTER_EXIT_MS = 100;
/** After SIGKILL, how long to wait for an exit before giving up on the process (one in D state never exits). */
const EXIT_AFTER_KILL_MS = 1000;
/** Longest line reported at once, in characters. */
const MAX_LINE_CHARS = 4096;

const STATE_ARGUMENT: Record<NotifyState, string> = { master: 'MASTER', backup: 'BACKUP', fault: 'FAULT', stop: 'STOP' };

/**
 * Runs the notify scripts of one instance or group: {@link NotifyRunner.transition} queues a transition's scripts;
 * they run one at a time in order, stale ones skipped (see the file header). Never throws: a script that cannot
 * start or fails is a `done` event with its exit code or error.
 */
export class NotifyRunner extends EventEmitter<NotifyEvents> {
  /** What the scripts run for. */
  readonly source: NotifySource;
  /** The scripts, split into argv. */
  readonly config: ResolvedNotifyConfig;
  readonly #killGraceMs: number;
  readonly #ownUid: () => number;
  readonly #passwdPath: string;
  readonly #groupPath: string;
  readonly #env: NodeJS.ProcessEnv;
  #queue: Promise<void> = Promise.resolve();
  /** Number of the latest transition; a queued script of an older one is stale. */
  #latest = 0;
  #unfollow: (() => void) | undefined;

  /** Validates `notify` (throws `ConfigError` listing every problem) and keeps it; nothing runs until a transition. */
  constructor(source: NotifySource, notify: NotifyConfig | ResolvedNotifyConfig, options: NotifyOptions = {}) {
    super();
    this.source = { kind: source.kind, name: source.name };
    this.config = resolveNotifyConfig(notify);
    this.#killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.#ownUid = options.ownUid ?? (() => process.getuid?.() ?? 0);
    this.#passwdPath = options.passwdPath ?? '/etc/passwd';
    this.#groupPath = options.groupPath ?? '/etc/group';
    this.#env = options.env ?? process.env;
    if (options.replaces !== undefined) {
      this.#replaced = options.replaces;
      this.#queue = options.replaces.idle();
    }
  }

  /** The runner taken over from (see {@link NotifyOptions.replaces}), until this one's first transition. */
  #replaced: NotifyRunner | undefined;

  /** A runner that replaces this one has a transition: what is queued here is stale. */
  #supersede(): void {
    this.#latest++;
  }

  /**
   * Queues the scripts of a transition to `state` at `priority` (the state's script, then `any`). Every transition
   * must be reported, also one to a state without a script, since it makes the scripts queued before it stale.
   */
  transition(state: NotifyState, priority: number): void {
    if (this.#replaced !== undefined) {
      this.#replaced.#supersede();
      this.#replaced = undefined;
    }
    const seq = ++this.#latest;
    const scripts: NotifyScript[] = [state, 'any'];
    for (const script of scripts) {
      const argv = this.config[script];
      if (argv === undefined) continue;
      const event: NotifyEventBase = {
        kind: this.source.kind,
        name: this.source.name,
        state,
        script,
        argv: script === 'any' ? [...argv, this.source.kind === 'group' ? 'GROUP' : 'INSTANCE', this.source.name, STATE_ARGUMENT[state], String(priority)] : [...argv],
      };
      this.#queue = this.#queue.then(async () => {
        if (seq !== this.#latest) {
          this.#emitSafely('skip', { ...event, reason: 'stale' });
          return;
        }
        await this.#run(event, priority);
      });
    }
  }

  /**
   * Queues the scripts of every `stateChange` of `source` from now on (a change to `initialize` is a stop), with
   * `priority()` read at the change as `$4`, until {@link NotifyRunner.detach}. {@link attachNotify} uses it.
   */
  follow(source: TransitionSource, priority: () => number): this {
    const listener = (event: { to: string }): void => this.transition(notifyState(event.to), priority());
    // An instance's or group's own listener where it has one (src/observe.ts): an app's listener that throws must
    // not keep a script from running.
    const own = (source as Partial<Record<typeof observe, (event: 'stateChange', listener: (event: { to: string }) => void) => () => void>>)[observe];
    let off: () => void;
    if (typeof own === 'function') off = own.call(source, 'stateChange', listener);
    else {
      source.on('stateChange', listener);
      off = () => source.off('stateChange', listener);
    }
    const previous = this.#unfollow;
    this.#unfollow = () => {
      previous?.();
      off();
    };
    return this;
  }

  /** Stops following what {@link NotifyRunner.follow} follows; scripts already queued still run (await `idle()`). */
  detach(): void {
    this.#unfollow?.();
    this.#unfollow = undefined;
  }

  /** Resolves when every script queued so far has run or been skipped. */
  idle(): Promise<void> {
    return this.#queue;
  }

  /**
   * Runs one script, as its user when one is configured (`users[script]`, else `user`). A user that cannot be
   * found, or a switch this process may not make (it is not root), runs nothing: the `done` event says why.
   */
  async #run(event: NotifyEventBase, priority: number): Promise<void> {
    const as = await runAs(this.config.users?.[event.script] ?? this.config.user, this.#ownUid(), this.#passwdPath, this.#groupPath);
    if ('refusal' in as) {
      this.#emitSafely('done', { ...event, exitCode: null, signal: null, durationMs: 0, timedOut: false, error: as.refusal });
      return;
    }
    await this.#spawn(event, priority, as.ids);
  }

  #spawn(event: NotifyEventBase, priority: number, ids: UserIds | undefined): Promise<void> {
    const [program = '', ...args] = event.argv;
    const env = {
      ...this.#env,
      VRRP_SOURCE: this.source.kind === 'group' ? 'GROUP' : 'INSTANCE',
      VRRP_NAME: this.source.name,
      VRRP_STATE: STATE_ARGUMENT[event.state],
      VRRP_PRIORITY: String(priority),
    };
    const started = performance.now();
    return new Promise<void>((resolve) => {
      let child: ChildProcess;
      let done = false;
      let timedOut = false;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let spawnError: Error | undefined;
      const timers: NodeJS.Timeout[] = [];
      const lines = { stdout: new LineSplitter(), stderr: new LineSplitter() };
      const finish = (): void => {
        if (done) return;
        done = true;
        for (const timer of timers) clearTimeout(timer);
        for (const stream of ['stdout', 'stderr'] as const) {
          const rest = lines[stream].end();
          if (rest !== undefined) this.#emitSafely('output', { ...event, stream, line: rest });
          drainAfterExit(child[stream]);
        }
        const result: NotifyDoneEvent = {
          ...event,
          exitCode: exit?.code ?? null,
          signal: exit?.signal ?? null,
          durationMs: Math.round(performance.now() - started),
          timedOut,
        };
        if (exit === undefined) result.error = spawnError ? errorReason(spawnError) : 'did not exit after SIGKILL';
        this.#emitSafely('done', result);
        resolve();
      };
      try {
        child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env, ...ids });
      } catch (error) {
        spawnError = error instanceof Error ? error : new Error(String(error));
        exit = undefined;
        done = true;
        this.#emitSafely('done', { ...event, exitCode: null, signal: null, durationMs: 0, timedOut: false, error: errorReason(error) });
        resolve();
        return;
      }
      const killGroup = (signal: NodeJS.Signals): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, signal);
        } catch {
          // ESRCH: the group is gone already.
        }
      };
      for (const stream of ['stdout', 'stderr'] as const) {
        child[stream]?.on('data', (chunk: Buffer) => {
          for (const line of lines[stream].push(chunk.toString('utf8'))) this.#emitSafely('output', { ...event, stream, line });
        });
      }
      child.on('spawn', () => this.#emitSafely('start', { ...event, pid: child.pid }));
      child.on('error', (error) => {
        spawnError ??= error;
        if (child.pid === undefined) finish(); // never started: no exit will come
      });
      child.on('exit', (code, signal) => {
        exit = { code, signal };
        // What it left behind after a timeout goes too (keepalived kills the group of a timed-out script).
        if (timedOut) killGroup('SIGKILL');
        timers.push(setTimeout(finish, OUTPUT_AFTER_EXIT_MS));
      });
      child.on('close', finish);
      timers.push(
        setTimeout(() => {
          if (exit) return;
          timedOut = true;
          killGroup('SIGTERM');
          timers.push(setTimeout(() => killGroup('SIGKILL'), this.#killGraceMs));
          timers.push(setTimeout(finish, this.#killGraceMs + EXIT_AFTER_KILL_MS));
        }, this.config.timeoutMs),
      );
    });
  }

  /**
   * A listener that throws must not stop the queue: it becomes a process warning. A script that failed (did not
   * start, exited non-zero, was killed) with nobody listening for `done` is a process warning too.
   */
  #emitSafely<E extends keyof NotifyEvents>(event: E, ...args: NotifyEvents[E]): void {
    if (event === 'done') {
      const done = args[0] as NotifyDoneEvent;
      if (done.exitCode !== 0 && warnIfUnheard(this, 'done', new VrrpError('notify_failed', `${this.source.kind} ${this.source.name}: ${done.script} notify script ${done.argv[0] ?? ''} for ${done.state} ${doneReason(done)}`))) return;
    }
    try {
      (this.emit as (event: E, ...args: NotifyEvents[E]) => boolean)(event, ...args);
    } catch (cause) {
      emitVrrpWarning(new VrrpError('listener_failed', `a notify ${String(event)} listener threw${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause }));
    }
  }
}

/** Why a script failed, in a few words: did not start (why), was killed at its timeout, by a signal, or its exit code. */
function doneReason(done: NotifyDoneEvent): string {
  if (done.error !== undefined) return `did not run: ${done.error}`;
  if (done.timedOut) return `was killed after ${done.durationMs} ms (timeout)`;
  if (done.signal !== null) return `was killed by ${done.signal}`;
  return `exited with ${String(done.exitCode)}`;
}

/** Splits a stream's text into lines; keeps the unterminated rest for the next chunk. */
class LineSplitter {
  #rest = '';

  push(text: string): string[] {
    const parts = (this.#rest + text).split('\n');
    this.#rest = parts.pop() ?? '';
    const lines: string[] = [];
    for (const part of parts) lines.push(...pieces(part.replace(/\r$/, '')));
    while (this.#rest.length > MAX_LINE_CHARS) {
      lines.push(this.#rest.slice(0, MAX_LINE_CHARS));
      this.#rest = this.#rest.slice(MAX_LINE_CHARS);
    }
    return lines;
  }

  /** The unterminated last line, if any. */
  end(): string | undefined {
    const rest = this.#rest;
    this.#rest = '';
    return rest === '' ? undefined : rest;
  }
}

function pieces(line: string): string[] {
  if (line.length <= MAX_LINE_CHARS) return [line];
  const out: string[] = [];
  for (let i = 0; i < line.length; i += MAX_LINE_CHARS) out.push(line.slice(i, i + MAX_LINE_CHARS));
  return out;
}

/**
 * Runs `notify`'s scripts on every transition of `target` (an instance, or a sync group), the way `vrrp run` does:
 * one at a time, in order, stale ones skipped. An instance's `$4` is its effective priority at the transition; a
 * group's is 0. Attach before `start()` so that the first transition is seen; `detach()` stops following. Throws
 * `ConfigError` for a bad `notify`.
 */
export function attachNotify(target: VrrpInstance | VrrpGroup, notify: NotifyConfig, options: NotifyOptions = {}): NotifyRunner {
  if (target instanceof VrrpGroup) {
    return new NotifyRunner({ kind: 'group', name: target.name }, notify, options).follow(target, () => 0);
  }
  return new NotifyRunner({ kind: 'instance', name: target.config.name }, notify, options).follow(target, () => target.effectivePriority);
}

/** keepalived's state for a transition: leaving to `initialize` is a stop. */
function notifyState(to: string): NotifyState {
  return to === 'master' || to === 'backup' || to === 'fault' ? to : 'stop';
}
