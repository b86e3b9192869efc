/**
 * `vrrp` command line (`vrrp --help`, `vrrp <command> --help`):
 *   vrrp run <config>                      run the instances of a JSON config or a keepalived.conf, printing one
 *                                          JSON line per event
 *   vrrp import-keepalived <keepalived.conf>   print the JSON config it becomes; warnings and errors on stderr
 *   vrrp doctor [--interface IF] [--family ipv4|ipv6] [--vmac]   say what this machine lacks
 *   vrrp status [--json] [--socket PATH]   what each running `vrrp run` thinks, asked on its control socket
 *                                          (src/control.ts); `kill -USR1` on a run writes the same as JSON
 *
 * Flags are parsed by `node:util` parseArgs in strict mode: an unknown flag, a missing value or a stray argument is
 * an error (exit 2) naming it, with the nearest known flag as a hint — never ignored, so that a typo cannot pass for
 * a check that ran. `run` stops cleanly on SIGTERM / SIGINT, and when the process that started it ends under npx /
 * npm or with `--exit-with-parent` (src/parent-watch.ts): a master sends priority 0 and removes its VIPs, the stop
 * notify scripts run, and it exits 0. A bad config exits 2 with every problem listed (a keepalived.conf's at their
 * `file:line`); a start failure exits 1. `import-keepalived` exits 2 when the file has errors, printing no config
 * then, so that a redirect cannot leave a runnable file with refused parts silently dropped.
 *
 * A command is one entry of COMMANDS: its usage, help text, flags and handler. A new command or flag is added there
 * and shows up in the help and in the flag checks by itself.
 */
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { takeOverSignal } from './early-signals.js';
import { engineHost } from './engine/host.js';
import { ConfigError, VrrpError } from './errors.js';
import { VrrpGroup } from './group.js';
import { VrrpInstance, type VrrpEvents } from './instance.js';
import { importKeepalivedConf, KeepalivedSyntaxError, type KeepalivedIssue } from './keepalived/index.js';
import { attachNotify, NotifyRunner, type NotifyEventBase } from './notify.js';
import type { ResolvedNotifyConfig } from './config.js';
import { planReload } from './reload-plan.js';
import { launchers, startedByNpm, watchProcesses } from './parent-watch.js';
import { execTrackerUsers, loadRunConfig, notifyUsers, RunConfigError, type ResolvedRunConfig } from './run-config.js';
import { nearest } from './nearest.js';
import { runAsJudge } from './trackers/exec.js';
import type { MetricsListen, MetricsServer } from './metrics-server.js';
import { ControlError, defaultControlDirectory, defaultSocketPath, dumpPathFor, formatRunStatus, listControlSockets, requestReload, requestStatus, startControlServer, statusExitCode, writeStatusDump, type ControlServer, type RunReloadStatus, type RunStatus } from './control.js';

/** The flags of one command, as parseArgs takes them. */
type Options = NonNullable<ParseArgsConfig['options']>;
/** What parseArgs made of a command's flags. */
type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One subcommand: how it is called, what it says in its help, its flags, and what it does. */
interface Command {
  /** One line for the command list of `vrrp --help`. */
  summary: string;
  /** The usage line, without the leading `usage: `. */
  usage: string;
  /** Paragraphs after the usage line in `vrrp <command> --help`. */
  description: string;
  /** Its flags (`--help` is added to every command). */
  options: Options;
  /** What each flag does, in the help: `[flag text, explanation]`. */
  optionHelp: [string, string][];
  /** How many positional arguments it takes, and what they are called in an error. */
  positionals: { min: number; max: number; name: string };
  /** Runs it; resolves to the exit code. */
  handler(values: Values, positionals: string[]): Promise<number>;
}

/** A command line that cannot be run: exit 2, the message and where to look for help. */
class UsageError extends Error {
  /** The command it is about, for the `see vrrp <command> --help` hint. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** The version of the package this CLI belongs to (dist/cli.js → ../package.json). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** Whether stdout can no longer be written (its reader went away: EPIPE); the lines are dropped then. */
let stdoutGone = false;

/** One JSON line on stdout: the event, who it is about, its fields, and the time. */
function line(event: string, head: Record<string, unknown>, fields: Record<string, unknown> = {}): void {
  if (stdoutGone) return;
  process.stdout.write(`${JSON.stringify({ event, ...head, ...fields, time: new Date().toISOString() })}\n`);
}

/**
 * A reader of the lines that goes away (`vrrp run … | jq` and Ctrl-C, a restarted logger) makes the next write fail
 * with EPIPE, an 'error' event that, unheard, ended the process — in a clean stop, before the priority 0 and the
 * VIPs' removal. The run goes on without its lines, said once on stderr.
 */
function keepRunningWithoutStdout(): void {
  // stderr too: under `2>&1 | reader` it is the same dead pipe, and the notice below (or any later warning) written
  // to it would be the unheard 'error' that ends the run.
  process.stderr.on('error', () => {});
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (stdoutGone) return;
    stdoutGone = true;
    process.stderr.write(`vrrp: stdout can no longer be written (${error.code ?? error.message}): event lines are dropped from now on\n`);
  });
}

const ofInstance = (instance: VrrpInstance): Record<string, unknown> => ({ name: instance.config.name, vrid: instance.config.vrid });
const ofGroup = (group: VrrpGroup): Record<string, unknown> => ({ group: group.name });

/** The output line of each instance event, the instance as `this` (see where they are attached in `run`). */
const INSTANCE_LINES = {
  stateChange(this: VrrpInstance, e: VrrpEvents['stateChange'][0]): void {
    line('stateChange', ofInstance(this), { from: e.from, to: e.to, reason: e.reason, ...(e.peer ? { peer: e.peer } : {}), priority: this.effectivePriority, term: e.term });
  },
  // The master as heard (null: unknown), and a master we outrank: who leads, as the library's events tell it.
  masterChange(this: VrrpInstance, e: VrrpEvents['masterChange'][0]): void {
    line('masterChange', ofInstance(this), { master: e.to ? { address: e.to.address, priority: e.to.priority, advertIntervalMs: e.to.advertIntervalMs, self: e.to.self } : null, term: this.term });
  },
  lowerMasterHeard(this: VrrpInstance, e: VrrpEvents['lowerMasterHeard'][0]): void {
    line('lowerMasterHeard', ofInstance(this), { address: e.address, priority: e.priority, advertIntervalMs: e.advertIntervalMs, term: e.term });
  },
  priorityChange(this: VrrpInstance, e: VrrpEvents['priorityChange'][0]): void {
    line('priorityChange', ofInstance(this), { from: e.from, to: e.to });
  },
  trackerChange(this: VrrpInstance, e: VrrpEvents['trackerChange'][0]): void {
    line('trackerChange', ofInstance(this), { tracker: e.name, type: e.type, from: e.from, to: e.to, reason: e.reason, ...(e.value !== undefined ? { value: e.value } : {}) });
  },
  protocolError(this: VrrpInstance, e: VrrpEvents['protocolError'][0]): void {
    line('protocolError', ofInstance(this), { code: e.code, message: e.message, src: e.src });
  },
  hookError(this: VrrpInstance, e: VrrpEvents['hookError'][0]): void {
    line('hookError', ofInstance(this), { state: e.state, code: e.error.code, message: e.error.message });
  },
  error(this: VrrpInstance, e: VrrpEvents['error'][0]): void {
    line('error', ofInstance(this), { code: e.code, message: e.message, cause: e.cause instanceof Error ? e.cause.message : undefined });
  },
};

/** Prints the importer's issues on stderr, one per line, with their `file:line`. */
function printIssues(kind: 'warning' | 'error', issues: readonly KeepalivedIssue[]): void {
  for (const issue of issues) process.stderr.write(`${kind}: ${issue.path}: ${issue.message}\n`);
}

async function importCommand(path: string, configId: string | undefined): Promise<number> {
  let imported;
  try {
    imported = importKeepalivedConf(path, { readRouteTables: true, ...(configId !== undefined ? { configId } : {}) });
  } catch (error) {
    if (error instanceof KeepalivedSyntaxError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw new VrrpError('config_invalid', `cannot import ${path}: ${(error as Error).message}`);
  }
  printIssues('error', imported.errors);
  printIssues('warning', imported.warnings);
  if (imported.errors.length > 0) {
    process.stderr.write(`${path}: ${imported.errors.length} error${imported.errors.length === 1 ? '' : 's'}: not converted (fix them, or keep keepalived for what they name)\n`);
    return 2;
  }
  process.stdout.write(`${JSON.stringify(imported.config, null, 2)}\n`);
  return 0;
}

/** Prints notify activity: a line when a script ends or is skipped, and each line it wrote. */
function logNotify(runner: NotifyRunner): void {
  const head = (event: NotifyEventBase): Record<string, unknown> => ({ kind: event.kind, name: event.name, state: event.state, script: event.script });
  runner.on('output', (event) => line('notifyOutput', head(event), { stream: event.stream, line: event.line }));
  runner.on('done', (event) =>
    line('notify', head(event), {
      argv: event.argv,
      exitCode: event.exitCode,
      ...(event.signal ? { signal: event.signal } : {}),
      durationMs: event.durationMs,
      ...(event.timedOut ? { timedOut: true } : {}),
      ...(event.error ? { error: event.error } : {}),
    }),
  );
  runner.on('skip', (event) => line('notifySkipped', head(event), { reason: event.reason }));
}

/**
 * `--metrics`' value: `:9650` (every interface, the exporters' convention), `9650`, `127.0.0.1:9650`, `[::1]:9650`;
 * port 0 picks a free one. Anything else is a usage error naming the flag.
 */
function metricsOption(values: Values): { metrics?: MetricsListen } {
  const text = values.metrics as string | undefined;
  if (text === undefined) return {};
  const match = /^(?:(\[[^\]]+\]|[^:[\]]*):)?(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65_535) throw new UsageError(`--metrics must be [HOST]:PORT (e.g. :9650, 127.0.0.1:9650 or [::1]:9650), not '${text}'`, 'run');
  const host = match[1] === undefined || match[1] === '' ? undefined : match[1].replace(/^\[(.*)\]$/, '$1');
  return { metrics: { host, port } };
}

/** prom-client is an optional peer: without it, `--metrics` says what to install instead of a module error. */
function promClientMissing(error: unknown): never {
  if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes('prom-client')) {
    throw new UsageError('--metrics needs the prom-client package (an optional peer dependency of vrrp): npm install prom-client', 'run');
  }
  throw error;
}

/** Starts the `--metrics` endpoint before the instances start; a port that cannot be had stops the run (exit 1). */
async function serveMetrics(listen: MetricsListen, targets: readonly (VrrpInstance | VrrpGroup)[]): Promise<MetricsServer | number> {
  const { startMetricsServer } = await import('./metrics-server.js').catch(promClientMissing);
  try {
    const server = await startMetricsServer(targets, listen);
    line('metrics', {}, { address: server.address.address, port: server.address.port, path: '/metrics' });
    return server;
  } catch (error) {
    const where = `${listen.host ?? ''}:${listen.port}`;
    process.stderr.write(`vrrp: --metrics ${where}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** `--config-id ID` as an option of run or import-keepalived: keepalived's config id for `@ID` lines. */
function configIdOption(values: Values, command: string): { configId?: string } {
  const id = values['config-id'];
  if (id === undefined) return {};
  if (typeof id !== 'string' || !/^\S+$/.test(id)) throw new UsageError('--config-id must be one word (the ID of @ID lines)', command);
  return { configId: id };
}

async function run(
  path: string,
  options: { metrics?: MetricsListen; exitWithParent: boolean; socket?: string; statusFile?: string; configId?: string; configTest?: boolean },
): Promise<number> {
  keepRunningWithoutStdout();
  if (options.configTest !== true) await shareMallocArenas();
  let loaded;
  try {
    loaded = loadRunConfig(path, options.configId !== undefined ? { configId: options.configId } : {});
  } catch (error) {
    if (error instanceof RunConfigError) {
      printIssues('warning', error.warnings);
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (error instanceof KeepalivedSyntaxError) {
      process.stderr.write(`invalid config ${path}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  printIssues('warning', loaded.warnings);
  let { config } = loaded;
  const uid = process.getuid?.();
  const users = notifyUsers(config);
  if (uid !== undefined && uid !== 0 && users.length > 0) {
    process.stderr.write(
      `warning: notify scripts are set to run as ${users.join(', ')}, and this run is uid ${uid}, not root: a script whose user is another than this one will not run (its notify line will say why)\n`,
    );
  }
  // A tracker's check that cannot run as its user fails every time: said now, not only in its trackerChange.
  const refusalOf = runAsJudge(uid ?? 0);
  for (const { instance, tracker, user } of uid === undefined ? [] : execTrackerUsers(config)) {
    const refusal = refusalOf(user);
    if (refusal !== undefined) process.stderr.write(`warning: instance ${instance}, tracker ${tracker}: ${refusal}: every check will fail (with weight 0 the instance stays in fault)\n`);
  }
  const instances: VrrpInstance[] = [];
  const runners: NotifyRunner[] = [];
  /** Each instance's notify runner and what it was made of, for a reload to tell whether it changed. */
  const notifiers = new Map<VrrpInstance, { runner: NotifyRunner; made: string }>();
  const notifyFor = (instance: VrrpInstance, notify: ResolvedNotifyConfig | undefined, name = instance.config.name, replaces?: NotifyRunner): NotifyRunner | undefined => {
    if (!notify) return undefined;
    // As attachNotify makes it, under `name`: a reload follows an instance with its new scripts before the new
    // configuration is applied (its transitions run them), when the instance still has its old name; after the
    // scripts it replaces (`replaces`), never beside them.
    const runner = new NotifyRunner({ kind: 'instance', name }, notify, replaces === undefined ? {} : { replaces }).follow(instance, () => instance.effectivePriority);
    runners.push(runner);
    notifiers.set(instance, { runner, made: JSON.stringify([name, notify]) });
    return runner;
  };
  try {
    for (const entry of config.instances) {
      const instance = new VrrpInstance(entry.config);
      instances.push(instance);
      notifyFor(instance, entry.notify);
    }
  } catch (error) {
    // Validated already; a failure here is a bug, but say it as the config error it is.
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  /** Each sync group's notify runner and what it was made of (see `notifiers`), by the group's name. */
  const groupNotifiers = new Map<string, { runner: NotifyRunner; made: string }>();
  const groups = config.groups.map((group) => {
    const members = group.members.map((name) => instances.find((instance) => instance.config.name === name) as VrrpInstance);
    const vrrpGroup = new VrrpGroup(group.name, members);
    if (group.notify) {
      const runner = attachNotify(vrrpGroup, group.notify);
      runners.push(runner);
      groupNotifiers.set(group.name, { runner, made: JSON.stringify(group.notify) });
    }
    return vrrpGroup;
  });
  if (options.configTest === true) {
    // keepalived -t: the configuration as this run would take it — read, converted, every value validated, with
    // this host's checks (scripts runnable, MTUs, routing table names) — and nothing started.
    const groupCount = groups.length > 0 ? `, ${groups.length} sync group${groups.length === 1 ? '' : 's'}` : '';
    process.stderr.write(`${path}: configuration valid (${instances.length} instance${instances.length === 1 ? '' : 's'}${groupCount})\n`);
    return 0;
  }
  for (const runner of runners) logNotify(runner);
  let metricsServer: MetricsServer | undefined;
  if (options.metrics) {
    const served = await serveMetrics(options.metrics, [...instances, ...groups]);
    if (typeof served === 'number') return served;
    metricsServer = served;
  }
  // One listener function per event for every instance, the instance as its context: a closure per event and
  // instance was ~550 bytes an instance at 255 (docs/linux.md, "Memory per instance").
  for (const instance of instances) {
    for (const event of Object.keys(INSTANCE_LINES) as (keyof typeof INSTANCE_LINES)[]) instance.on(event, INSTANCE_LINES[event] as never, instance);
  }
  for (const group of groups) {
    const head = ofGroup(group);
    group.on('stateChange', (e) => line('groupStateChange', head, { from: e.from, to: e.to, reason: e.reason, member: e.member, ...(e.detail ? { detail: e.detail } : {}) }));
    group.on('hold', (e) => line('groupHold', head, { member: e.member, held: e.held, ...(e.reason ? { reason: e.reason } : {}) }));
    group.on('error', (e) => line('error', head, { code: e.code, message: e.message }));
  }

  // The control socket (`vrrp status`) and the SIGUSR1 dump (src/control.ts): up before the startup delay, so that
  // an operator can already ask; the socket goes at exit, whichever way the process ends.
  const startedAt = new Date().toISOString();
  /** What the last reload did, for `vrrp status` (a config-management tool may check that its reload took). */
  let lastReload: RunReloadStatus | null = null;
  /** Reloads as SIGHUP does (see below), resolving with how the reload that covers this request ended. */
  let askReload: ((via: 'SIGHUP' | 'control') => Promise<RunReloadStatus>) | undefined;
  const runStatus = (): RunStatus => ({
    pid: process.pid,
    config: resolvePath(path),
    routerId: config.global.routerId ?? null,
    startedAt,
    at: new Date().toISOString(),
    instances: instances.map((instance) => instance.status()),
    groups: groups.map((group) => {
      const { name, state, since, holding, members } = group.status();
      return { name, state, since, holding, members: members.map((member) => member.name) };
    }),
    lastReload,
  });
  let control: ControlServer | undefined;
  const socketPath = options.socket ?? defaultSocketPath(path);
  if (socketPath === undefined) {
    process.stderr.write('vrrp: no control socket (vrrp status cannot reach this run): not root and no XDG_RUNTIME_DIR; give --socket PATH\n');
  } else {
    try {
      control = await startControlServer({
        path: socketPath,
        isDefault: options.socket === undefined,
        status: runStatus,
        // `vrrp reload` asks here rather than by a signal to the pid the status gives: from a container's host that pid
        // is another process's.
        reload: () => askReload?.('control') ?? Promise.reject(new Error('the run is not ready for a reload yet')),
      });
      process.once('exit', control.removeSocketNow);
    } catch (error) {
      if (!(error instanceof ControlError)) throw error;
      // A socket asked for by name is part of the deal; the default one is a convenience, missed out loud.
      if (options.socket !== undefined) {
        process.stderr.write(`vrrp: ${error.message}\n`);
        return 1;
      }
      process.stderr.write(`vrrp: no control socket (vrrp status cannot reach this run): ${error.message}\n`);
    }
  }
  // Beside the socket only when the socket is ours: a default path refused (another run answers there, a directory
  // open to others) named another run's status file, or one in a directory others may write (found by review).
  const statusFile = options.statusFile ?? (control === undefined ? undefined : dumpPathFor(control.path));
  // keepalived writes its state on SIGUSR1 and its counters on SIGUSR2; the status has both. Node would open the
  // inspector on SIGUSR1 and die of SIGUSR2 (no priority 0 sent), which listeners replace (held since the
  // executable's first line: src/early-signals.ts). One that came meanwhile is answered now.
  const dumpStatus = (signal: 'SIGUSR1' | 'SIGUSR2'): void => {
    if (statusFile === undefined) {
      line('error', {}, { code: 'control_failed', message: 'no status file: give --status-file PATH' });
      return;
    }
    try {
      writeStatusDump(statusFile, runStatus());
      line('statusDumped', {}, { path: statusFile, signal });
    } catch (error) {
      line('error', {}, { code: 'control_failed', message: `cannot write the status to ${statusFile}: ${error instanceof Error ? error.message : String(error)}` });
    }
  };
  takeOverSignal('SIGUSR1', () => dumpStatus('SIGUSR1'));
  takeOverSignal('SIGUSR2', () => dumpStatus('SIGUSR2'));
  let stopping: Promise<number> | undefined;
  const runStopping = (): boolean => stopping !== undefined;
  // keepalived reloads its configuration on SIGHUP (`systemctl reload`), and so does a run (docs/cli.md, "Reload"):
  // the file is read and validated again; a bad one changes nothing. Reloads run one at a time, after the start;
  // signals that come while one runs make one more.
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  /** The reload queued and not started yet, which a request now joins; undefined: none. */
  let queuedReload: Promise<RunReloadStatus> | undefined;
  /** The reload running now, if one is: a stop waits for it (not for one still waiting for the start). */
  let reloading: Promise<void> | undefined;
  let reloads: Promise<unknown> = Promise.resolve();
  let isStarted = false;
  askReload = (via) => {
    if (stopping) return Promise.reject(new Error('the run is stopping'));
    if (queuedReload !== undefined) return queuedReload;
    if (!isStarted) line('reloadDeferred', {}, { signal: via, message: 'the instances have not started yet: the configuration is read again once they have' });
    const mine = (async (): Promise<RunReloadStatus> => {
      await reloads;
      await started;
      queuedReload = undefined;
      if (stopping) throw new Error('the run is stopping');
      try {
        reloading = reloadRun(via).finally(() => (reloading = undefined));
        await reloading;
      } catch (error) {
        const message = `the reload failed unexpectedly, part way: ${error instanceof Error ? error.message : String(error)}`;
        line('reloadFailed', {}, { message });
        lastReload = { at: new Date().toISOString(), outcome: 'failed', message };
      }
      return lastReload as RunReloadStatus;
    })();
    queuedReload = mine;
    reloads = mine.catch(() => undefined);
    return mine;
  };
  takeOverSignal('SIGHUP', () => {
    if (stopping) return;
    // A signal has nobody to tell: the reload's lines and the status say how it ended.
    askReload?.('SIGHUP').catch(() => undefined);
  });
  const reloadRun = async (via: 'SIGHUP' | 'control'): Promise<void> => {
    line('reloading', {}, { signal: via, config: path });
    let next: ResolvedRunConfig;
    try {
      const reread = loadRunConfig(path, options.configId !== undefined ? { configId: options.configId } : {});
      printIssues('warning', reread.warnings);
      next = reread.config;
    } catch (error) {
      if (error instanceof RunConfigError) printIssues('warning', error.warnings);
      const message = error instanceof KeepalivedSyntaxError ? `invalid config ${path}: ${error.message}` : error instanceof Error ? error.message : String(error);
      process.stderr.write(`vrrp: reload: ${message}\n`);
      line('reloadFailed', {}, { message: `configuration not reloaded, the run goes on as it was: ${message}` });
      lastReload = { at: new Date().toISOString(), outcome: 'refused', message };
      return;
    }
    const plan = planReload(instances, config, next);
    const failures: { name: string; message: string }[] = [];
    const failed = (name: string, error: unknown): void => {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ name, message });
      line('error', { name }, { code: error instanceof VrrpError ? error.code : 'config_invalid', message });
    };
    // Removed first, as keepalived does: priority 0 from a master, its addresses, routes and rules gone, its stop
    // scripts run. So are the members of a sync group that changes (they start again below, in their new group).
    // All at once, as VrrpGroup.stop stops its members: one by one, a group being left would act between them
    // (release a member it held, and run that member's scripts, just before its own stop).
    const leaving = [...plan.removed, ...plan.restarted.map((one) => one.instance)];
    const stops = await Promise.allSettled(leaving.map((instance) => instance.stop()));
    /** Instances whose stop failed: kept in the run as they are, and not made again (two engines, one VRID). */
    const stuck = new Set<VrrpInstance>();
    /**
     * The notify runners of what leaves: an instance made again (a restart, or one removed and one added under its
     * name) or a group made again runs its new scripts after these, never beside them — the old notify_stop and the
     * new notify_master raced (found by review).
     */
    const leftRunners = new Map<VrrpInstance, NotifyRunner>();
    const leftGroupRunners = new Map<string, NotifyRunner>();
    stops.forEach((result, i) => {
      const instance = leaving[i] as VrrpInstance;
      if (result.status === 'rejected') {
        failed(instance.config.name, result.reason);
        stuck.add(instance);
        return;
      }
      const left = notifiers.get(instance)?.runner;
      if (left !== undefined) leftRunners.set(instance, left);
      left?.detach();
      notifiers.delete(instance);
      metricsServer?.remove(instance);
      instances.splice(instances.indexOf(instance), 1);
    });
    for (const name of plan.groupsRemoved) {
      const group = groups.find((candidate) => candidate.name === name);
      if (group === undefined) continue;
      const left = groupNotifiers.get(name)?.runner;
      if (left !== undefined) leftGroupRunners.set(name, left);
      left?.detach();
      groupNotifiers.delete(name);
      metricsServer?.remove(group);
      groups.splice(groups.indexOf(group), 1);
    }
    const reconfigured: { name: string; changed: string[] }[] = [];
    const started: string[] = [];
    let unchanged = 0;
    for (const { instance, entry } of plan.kept) {
      // The new scripts first: the transitions the new configuration causes run them, not the old ones.
      const scripts = entry.notify ? JSON.stringify([entry.name, entry.notify]) : undefined;
      const notifier = notifiers.get(instance);
      if (notifier?.made !== scripts) {
        notifier?.runner.detach();
        notifiers.delete(instance);
        const runner = notifyFor(instance, entry.notify, entry.name, notifier?.runner);
        if (runner) logNotify(runner);
      }
      try {
        const result = await instance.reconfigure(entry.config);
        if (result.changed.length > 0) reconfigured.push({ name: instance.config.name, changed: result.changed });
        else unchanged++;
        metricsServer?.add(instance); // served already, unless an earlier reload could not add it
        // Not running (its start or a reload's failed, or its engine thread died): a reload is the time to try again
        // — unless the run is stopping.
        if (!instance.running && runStopping()) failed(entry.name, new VrrpError('aborted', 'not started: the run is stopping'));
        else if (!instance.running) {
          await instance.start();
          started.push(instance.config.name);
        }
      } catch (error) {
        failed(entry.name, error);
      }
    }
    // New instances, and the restarted ones made again: all made, then their new groups (a group is made before its
    // members start), then started.
    const made: VrrpInstance[] = [];
    /** Whose scripts each one made again follows: a restarted instance its own, an added one a removed namesake's. */
    const follows = new Map<object, NotifyRunner>();
    for (const one of plan.restarted) {
      const left = leftRunners.get(one.instance);
      if (left !== undefined) follows.set(one.entry, left);
    }
    for (const entry of plan.added) {
      const namesake = plan.removed.find((instance) => instance.config.name === entry.name);
      const left = namesake === undefined ? undefined : leftRunners.get(namesake);
      if (left !== undefined) follows.set(entry, left);
    }
    for (const entry of [...plan.added, ...plan.restarted.filter((one) => !stuck.has(one.instance)).map((one) => one.entry)]) {
      let instance: VrrpInstance;
      try {
        instance = new VrrpInstance(entry.config);
      } catch (error) {
        failed(entry.name, error);
        continue;
      }
      for (const event of Object.keys(INSTANCE_LINES) as (keyof typeof INSTANCE_LINES)[]) instance.on(event, INSTANCE_LINES[event] as never, instance);
      const runner = notifyFor(instance, entry.notify, entry.name, follows.get(entry));
      if (runner) logNotify(runner);
      instances.push(instance);
      made.push(instance);
    }
    /** Groups that could not be made: their members are not started, and the next reload makes them (see `config`). */
    const unmade = new Set<string>();
    for (const group of plan.groupsAdded) {
      try {
        const members = group.members.map((name) => {
          const member = made.find((instance) => instance.config.name === name);
          if (member === undefined) throw new VrrpError('config_invalid', `sync group ${group.name}: member ${name} could not be made`);
          return member;
        });
        const vrrpGroup = new VrrpGroup(group.name, members);
        // What may throw first; the group joins the run only after it (a group half added would be found twice).
        metricsServer?.add(vrrpGroup);
        vrrpGroup.on('stateChange', (e) => line('groupStateChange', ofGroup(vrrpGroup), { from: e.from, to: e.to, reason: e.reason, member: e.member, ...(e.detail ? { detail: e.detail } : {}) }));
        vrrpGroup.on('hold', (e) => line('groupHold', ofGroup(vrrpGroup), { member: e.member, held: e.held, ...(e.reason ? { reason: e.reason } : {}) }));
        vrrpGroup.on('error', (e) => line('error', ofGroup(vrrpGroup), { code: e.code, message: e.message }));
        groups.push(vrrpGroup);
        if (group.notify) {
          const left = leftGroupRunners.get(group.name);
          const runner = attachNotify(vrrpGroup, group.notify, left === undefined ? {} : { replaces: left });
          runners.push(runner);
          groupNotifiers.set(group.name, { runner, made: JSON.stringify(group.notify) });
          logNotify(runner);
        }
      } catch (error) {
        failed(group.name, error);
        unmade.add(group.name);
      }
    }
    const groupless = new Set(next.groups.filter((group) => unmade.has(group.name)).flatMap((group) => group.members));
    for (const instance of made) {
      // A stop that came meanwhile stops what is running; what is not started yet stays so, said.
      if (runStopping()) {
        failed(instance.config.name, new VrrpError('aborted', 'not started: the run is stopping'));
        continue;
      }
      // Never alone what should run in a group: a sync group's members fail over together or not at all.
      if (groupless.has(instance.config.name)) {
        failed(instance.config.name, new VrrpError('config_invalid', `not started: its sync group could not be made`));
        continue;
      }
      try {
        metricsServer?.add(instance);
        await instance.start();
      } catch (error) {
        // Kept in the run, stopped: the next reload starts it (see the kept ones above).
        failed(instance.config.name, error);
      }
    }
    // A sync group made here whose member could not start: its started members are stopped again. A group's members
    // fail over together or not at all, and a group does not see a member that is not running — they ran alone,
    // where keepalived would fault the group (found by review). The next reload starts them all again.
    for (const group of plan.groupsAdded) {
      if (unmade.has(group.name)) continue;
      const members = made.filter((instance) => group.members.includes(instance.config.name));
      const down = members.filter((member) => !member.running).map((member) => member.config.name);
      if (down.length === 0 || down.length === members.length) continue;
      for (const member of members.filter((one) => one.running)) {
        try {
          await member.stop();
          failed(member.config.name, new VrrpError('aborted', `stopped again: ${down.join(', ')} of its sync group ${group.name} could not start`));
        } catch (error) {
          failed(member.config.name, error);
        }
      }
    }
    // A kept sync group's notify scripts may change (a group made again above has its new ones).
    for (const group of next.groups) {
      if (plan.groupsAdded.includes(group)) continue;
      const scripts = group.notify ? JSON.stringify(group.notify) : undefined;
      const notifier = groupNotifiers.get(group.name);
      const vrrpGroup = groups.find((candidate) => candidate.name === group.name);
      if (notifier?.made === scripts || vrrpGroup === undefined) continue;
      notifier?.runner.detach();
      groupNotifiers.delete(group.name);
      if (group.notify) {
        const runner = attachNotify(vrrpGroup, group.notify, notifier === undefined ? {} : { replaces: notifier.runner });
        runners.push(runner);
        groupNotifiers.set(group.name, { runner, made: scripts as string });
        logNotify(runner);
      }
    }
    // A group that could not be made is not the run's: the next reload sees it as new and makes it.
    config = unmade.size === 0 ? next : { ...next, groups: next.groups.filter((group) => !unmade.has(group.name)) };
    lastReload = { at: new Date().toISOString(), outcome: 'applied', message: failures.length > 0 ? failures.map((failure) => `${failure.name}: ${failure.message}`).join('; ') : null };
    line('reloaded', {}, {
      added: plan.added.map((entry) => entry.name),
      removed: plan.removed.map((instance) => instance.config.name),
      reconfigured,
      unchanged,
      ...(plan.restarted.length > 0 ? { restarted: plan.restarted.map((one) => one.entry.name) } : {}),
      ...(plan.groupsRemoved.length > 0 || plan.groupsAdded.length > 0 ? { groupsRemoved: plan.groupsRemoved, groupsAdded: plan.groupsAdded.map((group) => group.name) } : {}),
      ...(started.length > 0 ? { started } : {}),
      ...(failures.length > 0 ? { failed: failures.length, failures } : {}),
    });
  };

  let cancelDelay: (() => void) | undefined;
  const stopAll = (signal: string): Promise<number> => {
    stopping ??= (async () => {
      line('stopping', {}, { signal });
      cancelDelay?.();
      // The instances running now stop at once, a reload under way or not: a master must not keep its VIPs while a
      // new instance of the reload waits for its first check. Then the reload ends (it starts nothing new once
      // stopping), and what it added meanwhile is stopped too.
      const first = [...instances];
      // Settled as they end (allSettled now): a stop that fails while the reload ends is no unhandled rejection.
      const firstStops = Promise.allSettled(first.map((instance) => instance.stop()));
      await reloading?.catch(() => undefined);
      const later = instances.filter((instance) => !first.includes(instance));
      const laterStops = Promise.allSettled(later.map((instance) => instance.stop()));
      const stopped = [...first, ...later];
      const results = [...(await firstStops), ...(await laterStops)];
      // The stop scripts (instances', then groups') run before we exit; each is bounded by its timeout.
      await Promise.all(runners.map((runner) => runner.idle()));
      await metricsServer?.close();
      const failed = results.flatMap((result, i) => (result.status === 'rejected' ? [{ name: stopped[i]?.config.name, reason: result.reason instanceof Error ? result.reason.message : String(result.reason) }] : []));
      line('stopped', {}, failed.length > 0 ? { failed: failed.length, failures: failed } : {});
      return failed.length > 0 ? 1 : 0;
    })();
    return stopping;
  };
  /** When the first SIGTERM or SIGINT came, and which: the same one again within DUPLICATE_SIGNAL_MS is that one. */
  let firstSignal: { signal: string; atMs: number } | undefined;
  const exit = new Promise<number>((resolve) => {
    // npx may not pass a signal on, and an npm killed outright leaves us running with the VIPs: when the processes
    // that started us end, stop as on SIGTERM (src/parent-watch.ts).
    if (options.exitWithParent || startedByNpm()) {
      watchProcesses(launchers(), (gone) => {
        if (stopping) return;
        line('parentGone', {}, { pid: gone.pid, role: gone.role });
        void stopAll('parent-gone').then(resolve);
      });
    }
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        const now = performance.now();
        // One signal delivered twice is not a second one: npm and npx pass SIGINT / SIGTERM on to us while the terminal
        // or systemd (KillMode=control-group) signals our process group too — 2 ms apart, seen with npm 11.
        if (stopping && firstSignal?.signal === signal && now - firstSignal.atMs < DUPLICATE_SIGNAL_MS) return;
        const first = firstSignal === undefined;
        firstSignal ??= { signal, atMs: now };
        // The first signal during a stop no signal asked for (its parent went) asks for what is under way: only a
        // later one forces (found by review: systemd's SIGTERM after a parent-gone stop cut it short).
        if (stopping && first) return;
        // A second signal while stopping (a hook or script hanging, say) means "now": exit at once, like most daemons.
        if (stopping) {
          line('forced', {}, { signal });
          resolve(128 + (osConstants.signals[signal] ?? 2)); // as a shell reports a death by that signal: 143, 130
          return;
        }
        void stopAll(signal).then(resolve);
      });
    }
  });

  // The run lives until it is told to stop, also when no instance runs (a reload whose new instance could not start,
  // an engine thread that died): the next reload starts them again. Nothing else holds the event loop then — the
  // engine thread and the control socket are unref'd — and the process would end with 0, which systemd's
  // Restart=on-failure takes for a wanted stop.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  void exit.finally(() => clearInterval(keepAlive));

  const { startupDelayMs } = config.global;
  if (startupDelayMs > 0) {
    // keepalived's vrrp_startup_delay: give the network (or the services checked) time to come up after boot.
    line('startupDelay', {}, { ms: startupDelayMs });
    const waited = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), startupDelayMs);
      cancelDelay = () => {
        clearTimeout(timer);
        resolve(false);
      };
    });
    cancelDelay = undefined;
    if (!waited) return exit;
  }
  if (stopping) return exit;
  try {
    await Promise.all(instances.map((instance) => instance.start()));
  } catch (error) {
    // A stop asked meanwhile (SIGTERM, the parent gone) ended a start still waiting (`aborted`): that stop is the
    // run's end, with its exit code, and a second signal can still force it (found by review: it exited 1). A
    // start that failed of itself is said as ever.
    if (stopping && error instanceof VrrpError && error.code === 'aborted') return exit;
    const err = error instanceof VrrpError ? error : new VrrpError('transport_failed', String(error));
    line('error', {}, { code: err.code, message: err.message });
    process.stderr.write(`vrrp: ${err.message}\n`);
    await Promise.allSettled(instances.map((instance) => instance.stop()));
    await Promise.all(runners.map((runner) => runner.idle()));
    await metricsServer?.close();
    return 1;
  }
  line('started', config.global.routerId ? { routerId: config.global.routerId } : {}, {
    controlSocket: control?.path ?? null,
    instances: instances.map((i) => ({ name: i.config.name, vrid: i.config.vrid, state: i.state })),
    ...(groups.length > 0 ? { groups: groups.map((g) => ({ group: g.name, members: g.members.map((m) => m.config.name), state: g.state })) } : {}),
  });
  setTimeout(() => void settleStartup(), STARTUP_SETTLE_MS).unref();
  isStarted = true;
  markStarted();
  return exit;
}


/**
 * The arenas all of the process's threads allocate from (src/linux/memory.ts): one, as keepalived's single thread
 * has. With glibc's default of one per thread, 255 instances left ~2 MB of freed start-up memory resident in the
 * arenas of threads that allocate rarely (docs/linux.md, "Memory per instance").
 */
const MALLOC_ARENAS = 1;

/**
 * Caps malloc's arenas before the engine thread and the instances allocate (src/linux/memory.ts); said on stderr
 * when it cannot be done, never fatal: the process only keeps more memory.
 */
async function shareMallocArenas(): Promise<void> {
  // The operator's choice stands, in either of glibc's spellings.
  if (process.platform !== 'linux' || process.env.MALLOC_ARENA_MAX !== undefined || process.env.GLIBC_TUNABLES?.includes('glibc.malloc.arena_max') === true) return;
  try {
    const { limitMallocArenas } = await import('./linux/memory.js');
    limitMallocArenas(MALLOC_ARENAS);
  } catch (error) {
    process.stderr.write(`vrrp: malloc arenas not capped: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

/** How soon a repeat of the first SIGTERM / SIGINT is taken for the same signal delivered twice, in ms (see run). */
const DUPLICATE_SIGNAL_MS = 1000;

/**
 * How long after `started` the start-up's pages are given back: the instances' first election (a backup waits
 * Master_Down_Interval, 3.6 s at 1 s adverts) and V8's optimizing of what runs at every advert are over by then.
 */
const STARTUP_SETTLE_MS = 10_000;

/**
 * Once start-up has settled, each asked for only (docs/benchmarks.md, "What a wake-up costs"): the executable's
 * mapped stretches go into huge pages (`VRRP_HUGE_PAGES=1`: cheaper wake-ups where page-table entries cost them,
 * but a settled backup's takeovers were later with it), then the pages only start-up used are given back
 * (`VRRP_RELEASE_STARTUP_PAGES=1`: a smaller process, but a settled backup's worst takeovers were later with it).
 * Each says what it did; a failure is said, never fatal.
 */
async function settleStartup(): Promise<void> {
  if (process.platform === 'linux' && process.env.VRRP_HUGE_PAGES === '1') {
    try {
      const { moveExecutableToHugePages } = await import('./linux/memory.js');
      line('executableHugePages', {}, { ...moveExecutableToHugePages() });
    } catch (error) {
      line('error', {}, { code: 'huge_pages_failed', message: `cannot move the executable to huge pages: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  if (process.env.VRRP_RELEASE_STARTUP_PAGES === '1') await releaseStartup();
}

/**
 * Has the engine thread give back the start-up's pages and warm its takeover path again (src/engine/worker.ts,
 * releasePages), and says what it freed; a failure is said, never fatal.
 */
async function releaseStartup(): Promise<void> {
  const answer = await engineHost().releasePages();
  if (answer?.release) line('startupPagesReleased', {}, { ...answer.release });
  if (answer?.error !== undefined) line('error', {}, { code: 'release_failed', message: `cannot release start-up pages: ${answer.error}` });
}

async function doctorCommand(values: Values): Promise<number> {
  const family = values.family as string | undefined;
  if (family !== undefined && family !== 'ipv4' && family !== 'ipv6') throw new UsageError(`--family must be ipv4 or ipv6, not '${family}'`, 'doctor');
  const iface = values.interface as string | undefined;
  if (iface === '') throw new UsageError('--interface must name an interface (e.g. eth0)', 'doctor');
  const { doctor, formatDoctorReport } = await import('./linux/index.js');
  const report = await doctor({ ...(iface !== undefined ? { interface: iface } : {}), ...(family === 'ipv4' || family === 'ipv6' ? { family } : {}), ...(values.vmac === true ? { vmac: true } : {}) });
  process.stdout.write(`${formatDoctorReport(report)}\n`);
  return report.ok ? 0 : 1;
}

/**
 * `vrrp status`: asks each `vrrp run` — the one behind `--socket`, else every socket in the default control
 * directory — for its status and prints a table per run, or a JSON array of them with `--json`. Exit 1 when the
 * socket given, or every socket found, cannot be reached (a stale socket among live ones is only reported).
 */
/**
 * The control sockets in this user's default directory, for `command` (status, reload) when no --socket is given;
 * a string says why they could not be listed. No default directory is a usage error naming --socket.
 */
function defaultSockets(command: string): { directory: string; paths: string[] } | string {
  const directory = defaultControlDirectory();
  if (directory === undefined) throw new UsageError('no default control directory for this user (not root, no XDG_RUNTIME_DIR): give --socket PATH', command);
  try {
    return { directory, paths: listControlSockets(directory) };
  } catch (error) {
    if (!(error instanceof ControlError)) throw error;
    return error.message;
  }
}

async function statusCommand(values: Values): Promise<number> {
  const given = values.socket as string | undefined;
  if (given === '') throw new UsageError('--socket must name a socket path', 'status');
  let paths: string[];
  if (given !== undefined) paths = [given];
  else {
    const found = defaultSockets('status');
    if (typeof found === 'string') {
      process.stderr.write(`vrrp status: ${found} (give --socket PATH to ask one run)\n`);
      return 1;
    }
    if (found.paths.length === 0) {
      process.stderr.write(`vrrp status: no vrrp run found: no socket in ${found.directory} (is one running, as this user? else give --socket PATH)\n`);
      return 1;
    }
    paths = found.paths;
  }
  const answers = await Promise.allSettled(paths.map((socket) => requestStatus(socket)));
  const runs: RunStatus[] = [];
  for (const answer of answers) {
    if (answer.status === 'fulfilled') runs.push(answer.value);
    else process.stderr.write(`vrrp status: ${answer.reason instanceof Error ? answer.reason.message : String(answer.reason)}\n`);
  }
  const text = values.json === true ? `${JSON.stringify(runs, null, 2)}\n` : runs.map(formatRunStatus).join('\n');
  // Written out before the exit that follows: a status of hundreds of instances is more than a pipe takes at once.
  await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  return statusExitCode(answers);
}

/** The subcommands, in the order `vrrp --help` lists them. */
/** How often `vrrp reload` asks the run whether its reload ended. */
const RELOAD_POLL_MS = 100;

/**
 * `vrrp reload`: sends SIGHUP to the run behind a control socket and waits until its status says how the reload
 * ended (`lastReload`), so that a script — or systemd's ExecReload — learns whether the new file was taken.
 */
async function reloadCommand(values: Values): Promise<number> {
  const given = values.socket as string | undefined;
  if (given === '') throw new UsageError('--socket must name a socket path', 'reload');
  const timeoutS = values.timeout === undefined ? 60 : Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError(`--timeout must be a number of seconds above 0, not '${String(values.timeout)}'`, 'reload');
  let socket = given;
  if (socket === undefined) {
    const found = defaultSockets('reload');
    if (typeof found === 'string' || found.paths.length !== 1) {
      const why = typeof found === 'string' ? found : found.paths.length === 0 ? `no vrrp run found: no socket in ${found.directory}` : `${found.paths.length} runs found in ${found.directory}`;
      process.stderr.write(`vrrp reload: ${why}: give --socket PATH\n`);
      return 1;
    }
    socket = found.paths[0] as string;
  }
  let before: RunStatus;
  try {
    before = await requestStatus(socket);
  } catch (error) {
    process.stderr.write(`vrrp reload: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  if (!('lastReload' in before)) {
    process.stderr.write(`vrrp reload: the run behind ${socket} (pid ${before.pid}) does not report its reloads (a version before them): send it SIGHUP and read its log\n`);
    return 1;
  }
  // Through the socket: it reaches the run that answers there, and says how the reload it asked for ended. A run of
  // a version before that request is signalled, and its status watched, as before.
  try {
    const reload = await requestReload(socket, timeoutS * 1000);
    return reportReload(before, reload);
  } catch (error) {
    if (!(error instanceof ControlError && /unknown command "reload"/.test(error.message))) {
      process.stderr.write(`vrrp reload: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
  }
  const sinceAt = before.lastReload?.at;
  try {
    process.kill(before.pid, 'SIGHUP');
  } catch (error) {
    process.stderr.write(`vrrp reload: cannot signal pid ${before.pid}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, RELOAD_POLL_MS));
    let now: RunStatus;
    try {
      now = await requestStatus(socket);
    } catch (error) {
      process.stderr.write(`vrrp reload: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
    const reload = now.lastReload;
    if (reload && reload.at !== sinceAt) return reportReload(now, reload);
    if (Date.now() > deadline) {
      process.stderr.write(`vrrp reload: no answer within ${timeoutS} s (pid ${before.pid}: a reload waits for the start, and a new instance for its first check): see its log\n`);
      return 1;
    }
  }
}

/** Says how a reload of the run `run` ended, as `vrrp reload` does; its exit code. */
function reportReload(run: RunStatus, reload: RunReloadStatus): number {
  if (reload.outcome === 'applied' && reload.message === null) {
    process.stdout.write(`vrrp reload: ${run.config} applied (pid ${run.pid})\n`);
    return 0;
  }
  const what = reload.outcome === 'applied' ? 'applied, but not everywhere' : reload.outcome === 'refused' ? 'refused, the run goes on as it was' : 'failed part way';
  process.stderr.write(`vrrp reload: ${run.config} ${what}: ${reload.message ?? ''}\n`);
  return 1;
}

const COMMANDS: Record<string, Command> = {
  run: {
    summary: 'run the instance(s) of a JSON config or a keepalived.conf; one JSON line per event on stdout',
    usage: 'vrrp run [options] <config>',
    description: `Runs the instance(s) of <config>: a JSON file (one instance, or { "instances", "groups", "global" })
or a keepalived.conf, converted as \`vrrp import-keepalived\` does (its warnings on stderr). Prints one JSON
line per event on stdout. Needs CAP_NET_RAW and CAP_NET_ADMIN (\`vrrp doctor\` checks).

Stops cleanly on SIGTERM or SIGINT (a master sends priority 0 and removes its VIPs; the stop notify scripts run)
and exits 0; a second signal exits at once. Under npx or npm, a signal to npm may not reach this process: it
also stops, the same way, within a second of npm or its parent process ending.

Exit codes: 0 stopped cleanly; 1 a start or a stop failed; 2 a bad command line or config (every problem listed).
With --config-test: 0 valid, 2 not.`,
    options: {
      'config-id': { type: 'string' },
      'config-test': { type: 'boolean', short: 't' },
      'exit-with-parent': { type: 'boolean' },
      metrics: { type: 'string' },
      socket: { type: 'string' },
      'status-file': { type: 'string' },
    },
    optionHelp: [
      ['--config-id ID', "a keepalived.conf's config id, for its @ID lines (keepalived -i; default: the host name up to its first dot)"],
      ['-t, --config-test', "check the config as a run would take it (keepalived -t), print every problem, and exit without starting; what only a start finds (a missing interface, capabilities) is vrrp doctor's"],
      ['--exit-with-parent', 'stop (cleanly) when the process that started this one ends; on by default under npx / npm'],
      ['--metrics [HOST]:PORT', 'serve Prometheus metrics at http://HOST:PORT/metrics, e.g. :9650 (needs prom-client installed)'],
      ['--socket PATH', 'the control socket vrrp status asks (default: /run/vrrp/control/<config name>.sock for root, else $XDG_RUNTIME_DIR/vrrp/control/…)'],
      ['--status-file PATH', 'where SIGUSR1 and SIGUSR2 write the status as JSON (default: beside the socket, <name>.status.json)'],
    ],
    positionals: { min: 1, max: 1, name: '<config>' },
    handler: (values, [path]) => {
      for (const flag of ['socket', 'status-file'] as const) if (values[flag] === '') throw new UsageError(`--${flag} must name a path`, 'run');
      return run(path as string, {
        exitWithParent: values['exit-with-parent'] === true, ...metricsOption(values), ...configIdOption(values, 'run'),
        ...(values['config-test'] === true ? { configTest: true } : {}),
        ...(typeof values.socket === 'string' ? { socket: values.socket } : {}),
        ...(typeof values['status-file'] === 'string' ? { statusFile: values['status-file'] } : {}),
      });
    },
  },
  status: {
    summary: 'show what each running vrrp run thinks: state, priority and trackers, master, timers, VIPs (--json)',
    usage: 'vrrp status [--json] [--socket PATH]',
    description: `Asks each running \`vrrp run\` for its status through its control socket — the one given, else
every socket in the default directory (/run/vrrp/control for root, else $XDG_RUNTIME_DIR/vrrp/control) —
and prints a table per run: each instance's state and for how long, term, effective and base priority, the
master as heard, the next timer, the VIPs and their leases; then each tracker's part, and the sync groups.
The socket answers only the user vrrp run runs as (and root). \`kill -USR1\` on a vrrp run writes the same
status as JSON to a file (it logs where).

Exit codes: 0 every run asked answered; 1 none found, or one that was found did not answer (or the one given did not);
2 a bad command line.`,
    options: {
      json: { type: 'boolean' },
      socket: { type: 'string', short: 's' },
    },
    optionHelp: [
      ['--json', 'print a JSON array of the runs\' statuses (instance.status() of each instance) instead of tables'],
      ['-s, --socket PATH', 'ask the vrrp run behind this socket only'],
    ],
    positionals: { min: 0, max: 0, name: '' },
    handler: (values) => statusCommand(values),
  },
  reload: {
    summary: 'make a running vrrp run read its config again (as SIGHUP does) and say whether it took it',
    usage: 'vrrp reload [--socket PATH] [--timeout SECONDS]',
    description: `Asks the \`vrrp run\` behind the control socket given — else the only one in the default directory
(/run/vrrp/control for root, else $XDG_RUNTIME_DIR/vrrp/control) — through that socket to reload its config, as
SIGHUP does, and waits for how that reload ended (a run of an older version is sent SIGHUP, and its status
watched). A master stays master through a reload; what changes, and what is refused: docs/cli.md, "Reload".
For systemd's ExecReload, where \`kill -HUP\` would report success whatever the file.

Exit codes: 0 the new config was applied everywhere; 1 it was refused (the run goes on as it was), applied only in
part, no run was found, or no answer came in time; 2 a bad command line.`,
    options: {
      socket: { type: 'string', short: 's' },
      timeout: { type: 'string' },
    },
    optionHelp: [
      ['-s, --socket PATH', 'reload the vrrp run behind this socket (needed when several run)'],
      ['--timeout SECONDS', 'how long to wait for the reload to end (default 60)'],
    ],
    positionals: { min: 0, max: 0, name: '' },
    handler: (values) => reloadCommand(values),
  },
  'import-keepalived': {
    summary: 'print the JSON config a keepalived.conf becomes; warnings and errors (file:line) on stderr',
    usage: 'vrrp import-keepalived [--config-id ID] <keepalived.conf>',
    description: `Prints the JSON config <keepalived.conf> becomes on stdout; warnings (what runs differently) and
errors (what cannot be converted) on stderr, each at its file:line.

Exit codes: 0 converted; 2 the file has errors (no config is printed then, so that a redirect cannot leave a
runnable file with refused parts silently dropped) or a bad command line.`,
    options: { 'config-id': { type: 'string' } },
    optionHelp: [['--config-id ID', 'the config id for @ID lines (keepalived -i; default: the host name up to its first dot)']],
    positionals: { min: 1, max: 1, name: '<keepalived.conf>' },
    handler: (values, [path]) => importCommand(path as string, configIdOption(values, 'import-keepalived').configId),
  },
  doctor: {
    summary: 'say what this machine lacks for VRRP, in plain words, and how to fix it',
    usage: 'vrrp doctor [--interface IF] [--family ipv4|ipv6] [--vmac]',
    description: `Checks what VRRP needs here — Node.js, the native addon and netlink, capabilities, the marker
directory, ip_nonlocal_bind, the interface when given, and what a VMAC needs with --vmac — and says what is
missing and how to fix it.

Exit codes: 0 ready; 1 something is missing; 2 a bad command line.`,
    options: {
      interface: { type: 'string', short: 'i' },
      family: { type: 'string' },
      vmac: { type: 'boolean' },
    },
    optionHelp: [
      ['-i, --interface IF', 'the interface VRRP will run on (checked: exists, up, has an address)'],
      ['--family ipv4|ipv6', 'check this family only (default: both sysctls; the interface for ipv4)'],
      ['--vmac', 'check what a VMAC needs too (use_vmac): rp_filter, and the guard (CAP_BPF, Linux 6.6)'],
    ],
    positionals: { min: 0, max: 0, name: '' },
    handler: (values) => doctorCommand(values),
  },
};

const HELP_OPTION: Options = { help: { type: 'boolean', short: 'h' } };

/** `vrrp --help`: the commands and the global flags. */
function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const commands = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `usage: vrrp <command> [options]

commands:
${commands.join('\n')}

options:
  -h, --help     this help; \`vrrp <command> --help\` for a command's
  -v, --version  the version of vrrp
`;
}

/** `vrrp <command> --help`. */
function commandHelp(command: Command): string {
  const flags: [string, string][] = [...command.optionHelp, ['-h, --help', 'this help']];
  const width = Math.max(...flags.map(([flag]) => flag.length));
  return `usage: ${command.usage}

${command.description}

options:
${flags.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n')}
`;
}


/** parseArgs in strict mode, its errors turned into ours: the flag named, the nearest known one as a hint. */
function parse(args: string[], options: Options, command: string | undefined): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    return { values: values as Values, positionals };
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const flag = /'([^']+)'/.exec(message)?.[1];
    const longs = Object.keys(options).map((name) => `--${name}`);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag !== undefined) {
      const name = flag.startsWith('--') ? flag.split('=')[0] ?? flag : flag;
      const hint = name.startsWith('--') ? nearest(name, longs) : undefined;
      throw new UsageError(`unknown option ${name}${hint ? ` (did you mean ${hint}?)` : ''}`, command);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      // parseArgs names the flag as '-i, --interface <value>' (missing value) or '--help' (a value given to a switch).
      const option = /--[\w-]+/.exec(message)?.[0] ?? flag ?? 'an option';
      const takesValue = options[option.slice(2)]?.type === 'string';
      throw new UsageError(takesValue ? `${option} needs a value` : `${option} takes no value`, command);
    }
    throw new UsageError(message, command);
  }
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given');
  if (first.startsWith('-')) {
    const { values, positionals } = parse(argv, { ...HELP_OPTION, version: { type: 'boolean', short: 'v' } }, undefined);
    if (values.version) {
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    if (values.help && positionals.length === 0) {
      process.stdout.write(usage());
      return 0;
    }
    throw new UsageError('options go after the command: vrrp <command> [options]');
  }
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) {
      process.stdout.write(usage());
      return 0;
    }
    const command = COMMANDS[topic];
    if (!command) throw unknownCommand(topic);
    process.stdout.write(commandHelp(command));
    return 0;
  }
  const command = COMMANDS[first];
  if (!command) throw unknownCommand(first);
  const { values, positionals } = parse(rest, { ...command.options, ...HELP_OPTION }, first);
  if (values.help) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  const { min, max, name } = command.positionals;
  if (positionals.length < min) throw new UsageError(`missing ${name}`, first);
  if (positionals.length > max) {
    const extra = positionals.slice(max).map((arg) => `'${arg}'`).join(', ');
    throw new UsageError(max === 0 ? `takes no arguments, got ${extra}` : `takes one ${name}, got also ${extra}`, first);
  }
  return command.handler(values, positionals);
}

function unknownCommand(name: string): UsageError {
  const hint = nearest(name, Object.keys(COMMANDS));
  return new UsageError(`unknown command '${name}'${hint ? ` (did you mean ${hint}?)` : ''}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      const where = error.command ? `vrrp ${error.command}` : 'vrrp';
      process.stderr.write(`${where}: ${error.message}\n${error.command ? `see 'vrrp ${error.command} --help'\n` : usage()}`);
      process.exit(2);
    }
    process.stderr.write(`vrrp: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof VrrpError && error.code === 'config_invalid' ? 2 : 1);
  },
);
