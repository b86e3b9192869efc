#!/usr/bin/env node
/**
 * `vrrp` command line:
 *   vrrp run <config>                      run the instances of a JSON config or a keepalived.conf, printing one
 *                                          JSON line per event
 *   vrrp import-keepalived <keepalived.conf>   print the JSON config it becomes; warnings and errors on stderr
 *   vrrp doctor [--interface IF] [--family ipv4|ipv6]   say what this machine lacks
 *
 * `run` stops cleanly on SIGTERM / SIGINT (a master sends priority 0 and removes its VIPs; the stop notify scripts
 * run) and exits 0; a bad config exits 2 with every problem listed (a keepalived.conf's at their `file:line`); a
 * start failure exits 1. `import-keepalived` exits 2 when the file has errors, printing no config then, so that a
 * redirect cannot leave a runnable file with refused parts silently dropped.
 */
import { ConfigError, VrrpError } from './errors.js';
import { VrrpGroup } from './group.js';
import { VrrpInstance } from './instance.js';
import { importKeepalivedConf, KeepalivedSyntaxError, type KeepalivedIssue } from './keepalived/index.js';
import { attachNotify, type NotifyEventBase, type NotifyRunner } from './notify.js';
import { loadRunConfig, RunConfigError } from './run-config.js';

const USAGE = `usage:
  vrrp run <config>                         run the instance(s) of a JSON config or a keepalived.conf;
                                            one JSON line per event on stdout
  vrrp import-keepalived <keepalived.conf>  print the equivalent JSON config on stdout; warnings and errors
                                            (file:line) on stderr; exit 2 on errors
  vrrp doctor [--interface IF] [--family ipv4|ipv6]
`;

/** One JSON line on stdout: the event, who it is about, its fields, and the time. */
function line(event: string, head: Record<string, unknown>, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...head, ...fields, time: new Date().toISOString() })}\n`);
}

const ofInstance = (instance: VrrpInstance): Record<string, unknown> => ({ name: instance.config.name, vrid: instance.config.vrid });
const ofGroup = (group: VrrpGroup): Record<string, unknown> => ({ group: group.name });

/** Prints the importer's issues on stderr, one per line, with their `file:line`. */
function printIssues(kind: 'warning' | 'error', issues: readonly KeepalivedIssue[]): void {
  for (const issue of issues) process.stderr.write(`${kind}: ${issue.path}: ${issue.message}\n`);
}

async function importCommand(path: string | undefined): Promise<number> {
  if (!path) {
    process.stderr.write(USAGE);
    return 2;
  }
  let imported;
  try {
    imported = importKeepalivedConf(path);
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

async function run(path: string | undefined): Promise<number> {
  if (!path) {
    process.stderr.write(USAGE);
    return 2;
  }
  let loaded;
  try {
    loaded = loadRunConfig(path);
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
  const { config } = loaded;
  const instances: VrrpInstance[] = [];
  const runners: NotifyRunner[] = [];
  try {
    for (const entry of config.instances) {
      const instance = new VrrpInstance(entry.config);
      instances.push(instance);
      if (entry.notify) runners.push(attachNotify(instance, entry.notify));
    }
  } catch (error) {
    // Validated already; a failure here is a bug, but say it as the config error it is.
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const groups = config.groups.map((group) => {
    const members = group.members.map((name) => instances.find((instance) => instance.config.name === name) as VrrpInstance);
    const vrrpGroup = new VrrpGroup(group.name, members);
    if (group.notify) runners.push(attachNotify(vrrpGroup, group.notify));
    return vrrpGroup;
  });
  for (const runner of runners) logNotify(runner);
  for (const instance of instances) {
    const head = ofInstance(instance);
    instance.on('stateChange', (e) => line('stateChange', head, { from: e.from, to: e.to, reason: e.reason, ...(e.peer ? { peer: e.peer } : {}), priority: instance.effectivePriority }));
    instance.on('priorityChange', (e) => line('priorityChange', head, { from: e.from, to: e.to }));
    instance.on('trackerChange', (e) => line('trackerChange', head, { tracker: e.name, type: e.type, from: e.from, to: e.to, reason: e.reason, ...(e.value !== undefined ? { value: e.value } : {}) }));
    instance.on('protocolError', (e) => line('protocolError', head, { code: e.code, message: e.message, src: e.src }));
    instance.on('hookError', (e) => line('hookError', head, { state: e.state, code: e.error.code, message: e.error.message }));
    instance.on('error', (e) => line('error', head, { code: e.code, message: e.message, cause: e.cause instanceof Error ? e.cause.message : undefined }));
  }
  for (const group of groups) {
    const head = ofGroup(group);
    group.on('stateChange', (e) => line('groupStateChange', head, { from: e.from, to: e.to, reason: e.reason, member: e.member, ...(e.detail ? { detail: e.detail } : {}) }));
    group.on('hold', (e) => line('groupHold', head, { member: e.member, held: e.held, ...(e.reason ? { reason: e.reason } : {}) }));
    group.on('error', (e) => line('error', head, { code: e.code, message: e.message }));
  }

  let stopping: Promise<number> | undefined;
  let cancelDelay: (() => void) | undefined;
  const stopAll = (signal: string): Promise<number> => {
    stopping ??= (async () => {
      line('stopping', {}, { signal });
      cancelDelay?.();
      const results = await Promise.allSettled(instances.map((instance) => instance.stop()));
      // The stop scripts (instances', then groups') run before we exit; each is bounded by its timeout.
      await Promise.all(runners.map((runner) => runner.idle()));
      const failed = results.filter((result) => result.status === 'rejected');
      line('stopped', {}, failed.length > 0 ? { failed: failed.length } : {});
      return failed.length > 0 ? 1 : 0;
    })();
    return stopping;
  };
  const exit = new Promise<number>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        // A second signal while stopping (a hook or script hanging, say) means "now": exit at once, like most daemons.
        if (stopping) {
          line('forced', {}, { signal });
          resolve(130);
          return;
        }
        void stopAll(signal).then(resolve);
      });
    }
  });

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
    const err = error instanceof VrrpError ? error : new VrrpError('transport_failed', String(error));
    line('error', {}, { code: err.code, message: err.message });
    process.stderr.write(`vrrp: ${err.message}\n`);
    await Promise.allSettled(instances.map((instance) => instance.stop()));
    await Promise.all(runners.map((runner) => runner.idle()));
    return 1;
  }
  line('started', config.global.routerId ? { routerId: config.global.routerId } : {}, {
    instances: instances.map((i) => ({ name: i.config.name, vrid: i.config.vrid, state: i.state })),
    ...(groups.length > 0 ? { groups: groups.map((g) => ({ group: g.name, members: g.members.map((m) => m.config.name), state: g.state })) } : {}),
  });
  return exit;
}

async function doctorCommand(args: string[]): Promise<number> {
  const { doctor, formatDoctorReport } = await import('./linux/index.js');
  const get = (flag: string): string | undefined => {
    const index = args.indexOf(flag);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const family = get('--family');
  const report = await doctor({ ...(get('--interface') ? { interface: get('--interface') } : {}), ...(family === 'ipv6' || family === 'ipv4' ? { family } : {}) });
  process.stdout.write(`${formatDoctorReport(report)}\n`);
  return report.ok ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return run(rest[0]);
    case 'import-keepalived':
      return importCommand(rest[0]);
    case 'doctor':
      return doctorCommand(rest);
    default:
      process.stderr.write(USAGE);
      return command === undefined || command === '--help' || command === '-h' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`vrrp: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof VrrpError && error.code === 'config_invalid' ? 2 : 1);
  },
);
