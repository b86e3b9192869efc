/**
 * The configuration `vrrp run` takes, and how a file becomes one: JSON — one instance, or
 * `{ instances, groups?, global? }` — or a keepalived.conf, converted by the importer (src/keepalived/). Every
 * problem is listed at once with its path (JSON) or its `file:line` (keepalived.conf), as the instance config does.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { resolveConfig, resolveNotifyConfig, resolveSyncGroupConfig, type NotifyConfig, type ResolvedConfig, type ResolvedNotifyConfig, type ResolvedSyncGroupConfig, type SyncGroupConfig, type VrrpConfig } from './config.js';
import { ConfigError, VrrpError, type ConfigIssue } from './errors.js';
import { importKeepalivedConf, isKeepalivedConfText, type KeepalivedIssue } from './keepalived/index.js';

/** One instance of a run config: the instance's fields, plus its notify scripts. */
export type RunInstanceConfig = VrrpConfig & {
  /** Notify scripts of the instance (keepalived's `notify*` in a `vrrp_instance`). */
  notify?: NotifyConfig;
};

/** Settings of the whole run (keepalived's `global_defs` that apply to the process). */
export interface RunGlobalConfig {
  /** Wait this long before starting the instances, in ms (keepalived's `vrrp_startup_delay`; default 0). */
  startupDelayMs?: number;
  /** Names this node in the `started` line (keepalived's `router_id`). */
  routerId?: string;
  /** keepalived's `script_user`, kept for reference: the importer already put it on each exec tracker. */
  scriptUser?: string;
}

/** The whole file `vrrp run` takes, in its long form (a single instance's config is accepted as well). */
export interface RunConfig {
  /** The instances, each with its notify scripts. */
  instances: RunInstanceConfig[];
  /** Sync groups: instances (by name) that fail over together. */
  groups?: SyncGroupConfig[];
  /** Process-wide settings. */
  global?: RunGlobalConfig;
}

/** A run config, validated: each instance's config resolved, notify commands split into argv. */
export interface ResolvedRunConfig {
  /** The instances, in file order: each one's config (valid: `new VrrpInstance(config)` takes it), name and notify. */
  instances: {
    /** The instance's configuration, as `new VrrpInstance(config)` takes it. */
    config: VrrpConfig;
    /** Its `name` (a keepalived.conf's `vrrp_instance` name), or `vrid-N` when it has none; unique in the file. */
    name: string;
    /** Its notify scripts, when it has any. */
    notify?: ResolvedNotifyConfig;
  }[];
  /** The sync groups, members naming instances of `instances`. */
  groups: ResolvedSyncGroupConfig[];
  /** Process-wide settings, defaults filled in. */
  global: {
    /** keepalived's `vrrp_startup_delay` in ms: nothing starts before it has passed (0: at once). */
    startupDelayMs: number;
    /** Names this node in the `started` line (keepalived's `router_id`), when given. */
    routerId?: string;
    /** keepalived's `script_user`, kept for reference: the importer already put it on each exec tracker. */
    scriptUser?: string;
  };
}

/** A run config file, read: the config, and what the keepalived importer warned about (empty for JSON). */
export interface LoadedRunConfig {
  /** The validated configuration. */
  config: ResolvedRunConfig;
  /** `keepalived`: the file was a keepalived.conf, converted; `json` otherwise. */
  format: 'json' | 'keepalived';
  /** The importer's warnings, each at its `file:line`: what runs differently from keepalived, and why. */
  warnings: KeepalivedIssue[];
}

/**
 * The file could not be run: every problem, each with where it is (`instances.1.vrid`, or `file:line` for a
 * keepalived.conf). `warnings` carries the importer's warnings too, so that they can be shown beside the errors.
 */
export class RunConfigError extends VrrpError {
  /** Every problem: `path` is a field path, or a `file:line`. */
  readonly issues: readonly ConfigIssue[];
  /** The importer's warnings (keepalived.conf only). */
  readonly warnings: readonly KeepalivedIssue[];

  /** Creates the error; the message lists every issue, one per line. */
  constructor(file: string, issues: readonly ConfigIssue[], warnings: readonly KeepalivedIssue[] = []) {
    const lines = issues.map((issue) => `  - ${issue.path || '(config)'}: ${issue.message}`);
    super('config_invalid', `invalid config ${file} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
    this.name = 'RunConfigError';
    this.issues = issues;
    this.warnings = warnings;
  }
}

const globalSchema = z
  .object({
    startupDelayMs: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be at least 0').max(3_600_000, 'must be at most 3600000').default(0),
    routerId: z.string({ error: 'must be a string' }).optional(),
    scriptUser: z.string({ error: 'must be a string' }).optional(),
  })
  .strict();

/** What a `"$schema"` key must be. */
const SCHEMA_KEY_MESSAGE = 'must be a string (the path or URL of the JSON Schema)';

/** A file's top-level keys in the `{ instances, … }` form; `$schema` is what editors (and schema/*.json) add. */
const RUN_KEYS = new Set(['$schema', 'instances', 'groups', 'global']);

/**
 * Validates a parsed run config (one instance's config, or `{ instances, groups?, global? }`). Throws
 * {@link ConfigError} listing every problem with its path; an instance's paths start with `instances.N.` when
 * there are several.
 */
export function resolveRunConfig(value: unknown): ResolvedRunConfig {
  const issues: ConfigIssue[] = [];
  const record = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  if (!record) throw new ConfigError([{ path: '', message: 'must be an object: one instance, or { "instances": [ … ] }' }]);
  let membersCheckable = true;
  const long = 'instances' in record;
  let list: unknown[] = [record];
  if (long) {
    for (const key of Object.keys(record)) if (!RUN_KEYS.has(key)) issues.push({ path: '', message: `unknown field "${key}" (known: $schema, instances, groups, global)` });
    if (record.$schema !== undefined && typeof record.$schema !== 'string') issues.push({ path: '$schema', message: SCHEMA_KEY_MESSAGE });
    if (!Array.isArray(record.instances) || record.instances.length === 0) {
      // Without instances the groups' members cannot be checked; everything else still is, in this round.
      issues.push({ path: 'instances', message: 'must be a non-empty array' });
      list = [];
      membersCheckable = false;
    } else list = record.instances;
  }
  const prefixOf = (index: number): string => (list.length > 1 ? `instances.${index}.` : '');
  const instances: ResolvedRunConfig['instances'] = [];
  const indexOfName = new Map<string, number>();
  /** Each configured VMAC name's instance: one VMAC each (the second's start would be refused: the name is taken). */
  const indexOfVmac = new Map<string, number>();
  /** Each virtual router's instance (interface, family, VRID): one socket serves one, and a reload matches by it. */
  const indexOfRouter = new Map<string, number>();
  /** Each resolved instance's tracker names, by instance name: a sync group's hold must not take one. */
  const trackerNames = new Map<string, string[]>();
  list.forEach((entry, index) => {
    const prefix = prefixOf(index);
    // `"$schema"` points an editor at the JSON Schema (schema/vrrp-config.schema.json offers it on an instance, so
    // that a one-instance file can carry it): vrrp ignores it, and the library's config never sees it.
    const { notify, $schema, ...rest } = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : { notify: undefined, $schema: undefined };
    if ($schema !== undefined && typeof $schema !== 'string') issues.push({ path: `${prefix}$schema`, message: SCHEMA_KEY_MESSAGE });
    const config = (typeof entry === 'object' && entry !== null ? rest : entry) as VrrpConfig;
    let resolved: ResolvedConfig | undefined;
    try {
      resolved = resolveConfig(config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const issue of error.issues) issues.push({ path: `${prefix}${issue.path}`.replace(/\.$/, ''), message: issue.message });
    }
    let resolvedNotify: ResolvedNotifyConfig | undefined;
    if (notify !== undefined) {
      try {
        resolvedNotify = resolveNotifyConfig(notify, `${prefix}notify`);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        issues.push(...error.issues);
      }
    }
    if (resolved) {
      // Status, metrics and the event lines tell instances by name: two of one name (two unnamed instances of one
      // VRID on two interfaces get the same default) would be one in each of them.
      const first = indexOfName.get(resolved.name);
      if (first !== undefined) issues.push({ path: `${prefix}name`, message: `"${resolved.name}" is the name of instances.${first} too: give each instance a name of its own` });
      else indexOfName.set(resolved.name, index);
      const vmacName = resolved.vmac?.name;
      const firstVmac = vmacName === undefined ? undefined : indexOfVmac.get(vmacName);
      if (firstVmac !== undefined) issues.push({ path: `${prefix}vmac.name`, message: `"${vmacName}" is the VMAC of instances.${firstVmac} too: give each VMAC a name of its own` });
      else if (vmacName !== undefined) indexOfVmac.set(vmacName, index);
      const router = `${resolved.interface} ${resolved.family} ${resolved.vrid}`;
      const firstRouter = indexOfRouter.get(router);
      if (firstRouter !== undefined) {
        issues.push({ path: `${prefix}vrid`, message: `VRID ${resolved.vrid} (${resolved.family}) on ${resolved.interface} is instances.${firstRouter}'s too: one virtual router, one instance (its start would be refused, and a reload could not tell the two apart)` });
      } else indexOfRouter.set(router, index);
      trackerNames.set(resolved.name, resolved.trackers.map((tracker) => tracker.name));
      instances.push(resolvedNotify ? { config, name: resolved.name, notify: resolvedNotify } : { config, name: resolved.name });
    }
  });

  const groups: ResolvedSyncGroupConfig[] = [];
  if (long && record.groups !== undefined) {
    if (!Array.isArray(record.groups)) issues.push({ path: 'groups', message: 'must be an array' });
    else {
      const names = list.map((entry) => instanceName(entry));
      const memberOf = new Map<string, string>();
      const groupNames = new Set<string>();
      record.groups.forEach((entry, index) => {
        let group: ResolvedSyncGroupConfig | undefined;
        try {
          group = resolveSyncGroupConfig(entry, `groups.${index}`);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          issues.push(...error.issues);
        }
        // Membership is checked on what is there even when another field is wrong: one run lists every problem.
        const raw = typeof entry === 'object' && entry !== null ? (entry as { name?: unknown; members?: unknown }) : {};
        const groupName = typeof raw.name === 'string' ? raw.name : `groups.${index}`;
        if (typeof raw.name === 'string') {
          if (groupNames.has(raw.name)) issues.push({ path: `groups.${index}.name`, message: `"${raw.name}" is the name of another group` });
          groupNames.add(raw.name);
        }
        const members = Array.isArray(raw.members) && membersCheckable ? raw.members : [];
        members.forEach((member, m) => {
          if (typeof member !== 'string' || member === '') return;
          const where = `groups.${index}.members.${m}`;
          const count = names.filter((name) => name === member).length;
          if (count === 0) issues.push({ path: where, message: `no instance is named "${member}"` });
          else if (count > 1) issues.push({ path: where, message: `${count} instances are named "${member}": give them distinct names` });
          // The group holds its members with a hidden tracker of this name (src/group.ts): said here, not at start.
          else if (typeof raw.name === 'string' && trackerNames.get(member)?.includes(`sync_group:${raw.name}`)) {
            issues.push({ path: where, message: `"${member}" has a tracker named sync_group:${raw.name}, the name of the group's hold: rename the tracker` });
          }
          const other = memberOf.get(member);
          if (other !== undefined) {
            if (other !== groupName) issues.push({ path: where, message: `"${member}" is already in group ${other}` });
          } else memberOf.set(member, groupName);
        });
        if (group) groups.push(group);
      });
    }
  }

  let global: ResolvedRunConfig['global'] = { startupDelayMs: 0 };
  if (long && record.global !== undefined) {
    const parsed = globalSchema.safeParse(record.global);
    if (parsed.success) global = withoutUndefined(parsed.data);
    else {
      for (const issue of parsed.error.issues) {
        const message = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
        issues.push({ path: ['global', ...issue.path.map(String)].join('.'), message });
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { instances, groups, global };
}

/** An instance's name as the config will resolve it: its `name`, else `vrid-<vrid>`. */
function instanceName(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { name, vrid } = entry as { name?: unknown; vrid?: unknown };
  if (typeof name === 'string') return name;
  return typeof vrid === 'number' ? `vrid-${vrid}` : undefined;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Reads a file `vrrp run` was given: a keepalived.conf (anything not starting with `{` or `[`) is imported, its
 * warnings returned and its errors thrown; JSON is parsed. Either way the result is validated. Throws
 * {@link RunConfigError} (every problem, with where) or `KeepalivedSyntaxError` (`file:line:column`).
 * `options.configId`: keepalived's config id for a keepalived.conf's `@ID` lines (keepalived's `-i`; default: the
 * host name up to its first dot).
 */
export function loadRunConfig(path: string, options: { configId?: string } = {}): LoadedRunConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new VrrpError('config_invalid', `cannot read ${path}: ${(error as Error).message}`);
  }
  if (isKeepalivedConfText(text)) {
    // Run here: a script keepalived would disable at its start (program not found) is disabled here too.
    const imported = importKeepalivedConf(path, { checkScripts: true, readInterfaceMtus: true, readRouteTables: true, ...(options.configId !== undefined ? { configId: options.configId } : {}) });
    if (imported.errors.length > 0) throw new RunConfigError(path, imported.errors, imported.warnings);
    try {
      return { config: resolveRunConfig(imported.config), format: 'keepalived', warnings: imported.warnings };
    } catch (error) {
      // The importer checks each instance against the schema and reports at its line; anything left is ours.
      if (error instanceof ConfigError) throw new RunConfigError(path, error.issues, imported.warnings);
      throw error;
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new VrrpError('config_invalid', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    return { config: resolveRunConfig(parsed), format: 'json', warnings: [] };
  } catch (error) {
    if (error instanceof ConfigError) throw new RunConfigError(path, error.issues);
    throw error;
  }
}

/**
 * The exec trackers of a run config that are set to run as a user (`user`), for `vrrp run` to say at load which of
 * them a process that is not root cannot run (each check would fail; with weight 0 its instance stays in fault).
 */
export function execTrackerUsers(config: ResolvedRunConfig): { instance: string; tracker: string; user: string }[] {
  const found: { instance: string; tracker: string; user: string }[] = [];
  for (const instance of config.instances) {
    for (const tracker of instance.config.trackers ?? []) {
      if (tracker.type === 'exec' && tracker.user !== undefined) found.push({ instance: instance.name, tracker: tracker.name, user: tracker.user });
    }
  }
  return found;
}

/**
 * The users a run config's notify scripts are set to run as (`user`, `users`), for `vrrp run` to say at load what a
 * process that is not root cannot do: run a script as another user (each such script would otherwise fail only
 * at its transition, in its notify line).
 */
export function notifyUsers(config: ResolvedRunConfig): string[] {
  const users = new Set<string>();
  const add = (notify: ResolvedNotifyConfig | undefined): void => {
    if (notify?.user !== undefined) users.add(notify.user);
    for (const user of Object.values(notify?.users ?? {})) if (user !== undefined) users.add(user);
  };
  for (const instance of config.instances) add(instance.notify);
  for (const group of config.groups) add(group.notify);
  return [...users];
}
