#!/usr/bin/env node
/**
 * `vrrp` command line:
 *   vrrp run <config.json>     run one instance, or { "instances": [ … ] }, printing one JSON line per event
 *   vrrp doctor [--interface IF] [--family ipv4|ipv6]   say what this machine lacks
 *
 * `run` stops cleanly on SIGTERM / SIGINT (a master sends priority 0 and removes its VIPs) and exits 0; a bad
 * config exits 2 with every problem listed; a start failure exits 1.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, VrrpError } from './errors.js';
import { VrrpInstance } from './instance.js';
import type { VrrpConfig } from './config.js';

const USAGE = `usage:
  vrrp run <config.json>       run the instance(s) in the file; one JSON line per event on stdout
  vrrp doctor [--interface IF] [--family ipv4|ipv6]
`;

function line(event: string, instance: VrrpInstance | undefined, fields: Record<string, unknown>): void {
  const head = instance ? { event, name: instance.config.name, vrid: instance.config.vrid } : { event };
  process.stdout.write(`${JSON.stringify({ ...head, ...fields, time: new Date().toISOString() })}\n`);
}

function readConfigs(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new VrrpError('config_invalid', `cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new VrrpError('config_invalid', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed === 'object' && parsed !== null && 'instances' in parsed) {
    const list = (parsed as { instances: unknown }).instances;
    if (!Array.isArray(list) || list.length === 0) throw new VrrpError('config_invalid', `${path}: "instances" must be a non-empty array`);
    return list;
  }
  return [parsed];
}

async function run(path: string | undefined): Promise<number> {
  if (!path) {
    process.stderr.write(USAGE);
    return 2;
  }
  const configs = readConfigs(path);
  const instances: VrrpInstance[] = [];
  const problems: string[] = [];
  configs.forEach((config, index) => {
    try {
      instances.push(new VrrpInstance(config as VrrpConfig));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const where = configs.length > 1 ? `instances.${index}.` : '';
      for (const issue of error.issues) problems.push(`${where}${issue.path || '(config)'}: ${issue.message}`);
    }
  });
  if (problems.length > 0) {
    process.stderr.write(`invalid config ${path} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return 2;
  }
  for (const instance of instances) {
    instance.on('stateChange', (e) => line('stateChange', instance, { from: e.from, to: e.to, reason: e.reason, ...(e.peer ? { peer: e.peer } : {}), priority: instance.effectivePriority }));
    instance.on('priorityChange', (e) => line('priorityChange', instance, { from: e.from, to: e.to }));
    instance.on('protocolError', (e) => line('protocolError', instance, { code: e.code, message: e.message, src: e.src }));
    instance.on('hookError', (e) => line('hookError', instance, { state: e.state, code: e.error.code, message: e.error.message }));
    instance.on('error', (e) => line('error', instance, { code: e.code, message: e.message, cause: e.cause instanceof Error ? e.cause.message : undefined }));
  }
  let stopping: Promise<number> | undefined;
  const stopAll = (signal: string): Promise<number> => {
    stopping ??= (async () => {
      line('stopping', undefined, { signal });
      const results = await Promise.allSettled(instances.map((instance) => instance.stop()));
      const failed = results.filter((result) => result.status === 'rejected');
      line('stopped', undefined, failed.length > 0 ? { failed: failed.length } : {});
      return failed.length > 0 ? 1 : 0;
    })();
    return stopping;
  };
  const exit = new Promise<number>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        // A second signal while stopping (a hook hanging, say) means "now": exit at once, like most daemons.
        if (stopping) {
          line('forced', undefined, { signal });
          resolve(130);
          return;
        }
        void stopAll(signal).then(resolve);
      });
    }
  });
  try {
    await Promise.all(instances.map((instance) => instance.start()));
  } catch (error) {
    const err = error instanceof VrrpError ? error : new VrrpError('transport_failed', String(error));
    line('error', undefined, { code: err.code, message: err.message });
    process.stderr.write(`vrrp: ${err.message}\n`);
    await Promise.allSettled(instances.map((instance) => instance.stop()));
    return 1;
  }
  line('started', undefined, { instances: instances.map((i) => ({ name: i.config.name, vrid: i.config.vrid, state: i.state })) });
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
