/**
 * `vrrp/prometheus`: Prometheus metrics of instances and sync groups through prom-client (an optional peer
 * dependency: install it to use this entry point).
 *
 * Theory of operation:
 * - Nothing is counted twice: every metric is read at scrape time, through prom-client's `collect()` callbacks,
 *   from what the instance keeps anyway — `stats` (the engine's counters, RFC 6527 names), `state`,
 *   `effectivePriority`, `status()` for the engine's lag, each instance read once per scrape for all metrics. An
 *   instance nobody scrapes costs nothing; a scrape of 255 instances (about 8,000 series) takes about 40 ms of the
 *   app's thread here, most of it prom-client's own (docs/observability.md, "Metrics").
 * - Never the global registry: the app names the registry (`{ register }`), so that two libraries never fight over
 *   `prom-client`'s default one, and tests start from an empty one.
 * - One metric per name and registry, shared by every instance registered on it (labels `vrrp_instance`, `vrid`,
 *   `family`): prom-client refuses a name twice, and a scrape must list all instances under one `# TYPE` line.
 * - `unregister()` (or `using`) takes the instances back out; the metrics leave the registry with the last one.
 *
 * Names and meanings: docs/observability.md, "Metrics"; a Grafana dashboard on them: docs/grafana-dashboard.json.
 *
 * @module vrrp/prometheus
 */
import { Counter, Gauge, type OpenMetricsContentType, type PrometheusContentType, type Registry } from 'prom-client';
import { ConfigError } from './errors.js';
import type { VrrpGroup } from './group.js';
import type { InstanceStats, VrrpInstance, VrrpState } from './instance.js';
import type { VrrpStatus } from './status.js';

/** A prom-client registry of either exposition format. */
export type MetricsRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

/** Options of {@link registerMetrics}. */
export interface MetricsOptions {
  /** The prom-client `Registry` to register on (required: the global registry is never used). */
  register: MetricsRegistry;
}

/** What {@link registerMetrics} returns: takes the instances (and group) back out of the registry. */
export interface MetricsRegistration {
  /** Removes these instances' series; the metrics themselves leave the registry with the last registration. */
  unregister(): void;
  /** `using metrics = registerMetrics(…)` unregisters at the end of the scope. */
  [Symbol.dispose](): void;
}

/** The metric names, for dashboards and alerts; each is described in docs/observability.md. */
export const METRIC_NAMES = [
  'vrrp_state',
  'vrrp_effective_priority',
  'vrrp_base_priority',
  'vrrp_transitions_total',
  'vrrp_master_transitions_total',
  'vrrp_master_down_expirations_total',
  'vrrp_adverts_sent_total',
  'vrrp_adverts_received_total',
  'vrrp_priority_zero_sent_total',
  'vrrp_priority_zero_received_total',
  'vrrp_drops_total',
  'vrrp_vip_changes_total',
  'vrrp_errors_total',
  'vrrp_engine_lag_seconds',
  'vrrp_engine_lag_max_seconds',
  'vrrp_socket_drops_total',
  'vrrp_group_state',
] as const;

/** The states a `vrrp_state` series exists for (one series per state, 1 for the current one). */
const STATES: readonly VrrpState[] = ['initialize', 'backup', 'master', 'fault'];
const GROUP_STATES = ['initialize', 'backup', 'master', 'fault'] as const;

/** `vrrp_drops_total{reason}`: each drop counter of the stats, under the code its `protocolError` event carries. */
const DROP_REASONS: readonly (readonly [keyof InstanceStats, string])[] = [
  ['ipTtlErrors', 'ttl'],
  ['invalidTypeErrors', 'type'],
  ['versionErrors', 'version'],
  ['checksumErrors', 'checksum'],
  ['vridErrors', 'vrid'],
  ['packetLengthErrors', 'length'],
  ['advIntervalErrors', 'interval'],
  ['addressListErrors', 'address-list'],
  ['invalidAuthTypeErrors', 'auth-type'],
  ['authTypeMismatchErrors', 'auth-mismatch'],
  ['authFailures', 'auth-failure'],
];

/** `vrrp_errors_total{kind}`: failures the instance counted. */
const ERROR_KINDS: readonly (readonly [keyof InstanceStats, string])[] = [
  ['sendErrors', 'send'],
  ['vipErrors', 'vip'],
  ['hookErrors', 'hook'],
  ['whileMasterErrors', 'while_master'],
];

/** Plain counters: metric name, help, the stats field it reads. */
const COUNTERS: readonly (readonly [string, string, keyof InstanceStats])[] = [
  ['vrrp_transitions_total', 'State changes since the instance started (the final one to initialize included).', 'transitions'],
  ['vrrp_master_transitions_total', 'Times the instance became master since it started (vrrpv3StatisticsMasterTransitions).', 'masterTransitions'],
  ['vrrp_master_down_expirations_total', 'Master_Down_Timer expiries that made the instance master: its master went silent.', 'masterDownExpirations'],
  ['vrrp_adverts_sent_total', 'Advertisements sent, one per destination.', 'advertisementsSent'],
  ['vrrp_adverts_received_total', 'Advertisements accepted for processing (vrrpv3StatisticsRcvdAdvertisements).', 'advertisementsReceived'],
  ['vrrp_priority_zero_sent_total', 'Priority-0 advertisements sent: the instance resigned as master.', 'priorityZeroSent'],
  ['vrrp_priority_zero_received_total', 'Priority-0 advertisements received: the master resigned.', 'priorityZeroReceived'],
  ['vrrp_vip_changes_total', 'Virtual addresses added or removed, one per address.', 'vipChanges'],
];

/**
 * `vrrp_instance`, not `instance`: Prometheus sets `instance` to the scraped target (host:port) and renames a
 * clashing label of ours to `exported_instance`, which no dashboard expects.
 */
const INSTANCE_LABELS = ['vrrp_instance', 'vrid', 'family'] as const;
type InstanceLabels = Record<(typeof INSTANCE_LABELS)[number], string>;

/** What one scrape read of an instance, once for all its metrics. */
interface InstanceRead {
  readonly labels: InstanceLabels;
  readonly stats: InstanceStats;
  readonly engine: VrrpStatus['engine'];
}

/** The metrics on one registry and the instances and groups they read. */
interface MetricSet {
  readonly instances: Map<VrrpInstance, number>;
  readonly groups: Map<VrrpGroup, number>;
  readonly names: string[];
}

const sets = new WeakMap<MetricsRegistry, MetricSet>();

const labelsOf = (instance: VrrpInstance): InstanceLabels => ({ vrrp_instance: instance.config.name, vrid: String(instance.config.vrid), family: instance.config.family });

/**
 * Registers Prometheus metrics of `target` — one instance, a sync group (its members, and the group's state), or a
 * list of either — on `options.register`. Throws {@link ConfigError} naming the field when the registry is missing
 * or a metric name is taken there by something else. Returns the registration; `unregister()` takes it back.
 */
export function registerMetrics(target: VrrpInstance | VrrpGroup | readonly (VrrpInstance | VrrpGroup)[], options: MetricsOptions): MetricsRegistration {
  const register = (options as Partial<MetricsOptions> | undefined)?.register;
  if (typeof register !== 'object' || register === null || typeof register.registerMetric !== 'function' || typeof register.getSingleMetric !== 'function') {
    throw new ConfigError([{ path: 'register', message: 'must be a prom-client Registry (new Registry()); the global registry is never used by default' }]);
  }
  const targets = Array.isArray(target) ? (target as readonly (VrrpInstance | VrrpGroup)[]) : [target as VrrpInstance | VrrpGroup];
  const instances: VrrpInstance[] = [];
  const groups: VrrpGroup[] = [];
  for (const one of targets) {
    if (isGroup(one)) {
      groups.push(one);
      instances.push(...one.members);
    } else instances.push(one);
  }
  // Series are told apart by their labels only: two instances with the same name, VRID and family (on two
  // interfaces, say) would write one set of gauges — the last writer's — and sum their counters.
  const seen = new Map<string, VrrpInstance>();
  for (const instance of [...(sets.get(register)?.instances.keys() ?? []), ...instances]) {
    const labels = labelsOf(instance);
    const key = JSON.stringify(labels);
    const other = seen.get(key);
    if (other !== undefined && other !== instance) {
      throw new ConfigError([
        { path: 'target', message: `two instances named "${labels.vrrp_instance}" (VRID ${labels.vrid}, ${labels.family}) would share one set of series: give them distinct names` },
      ]);
    }
    seen.set(key, instance);
  }
  // vrrp_group_state is labelled by the group's name alone: two groups of one name would write one series.
  const seenGroups = new Map<string, VrrpGroup>();
  for (const group of [...(sets.get(register)?.groups.keys() ?? []), ...groups]) {
    const other = seenGroups.get(group.name);
    if (other !== undefined && other !== group) {
      throw new ConfigError([{ path: 'target', message: `two sync groups named "${group.name}" would share one vrrp_group_state series: give them distinct names` }]);
    }
    seenGroups.set(group.name, group);
  }
  const set = sets.get(register) ?? createSet(register);
  for (const instance of instances) set.instances.set(instance, (set.instances.get(instance) ?? 0) + 1);
  for (const group of groups) set.groups.set(group, (set.groups.get(group) ?? 0) + 1);
  let done = false;
  const unregister = (): void => {
    if (done) return;
    done = true;
    for (const instance of instances) release(set.instances, instance);
    for (const group of groups) release(set.groups, group);
    if (set.instances.size === 0 && set.groups.size === 0) {
      for (const name of set.names) register.removeSingleMetric(name);
      sets.delete(register);
    }
  };
  return { unregister, [Symbol.dispose]: unregister };
}

function isGroup(target: VrrpInstance | VrrpGroup): target is VrrpGroup {
  return Array.isArray((target as VrrpGroup).members) && !('config' in target);
}

function release<K>(map: Map<K, number>, key: K): void {
  const count = (map.get(key) ?? 0) - 1;
  if (count <= 0) map.delete(key);
  else map.set(key, count);
}

/** The metrics of one registry, reading the set's instances at each scrape. */
function createSet(register: MetricsRegistry): MetricSet {
  const set: MetricSet = { instances: new Map(), groups: new Map(), names: [] };
  const taken = METRIC_NAMES.filter((name) => register.getSingleMetric(name) !== undefined);
  if (taken.length > 0) {
    throw new ConfigError([{ path: 'register', message: `already has metrics named ${taken.join(', ')} that vrrp did not register` }]);
  }
  const registers = [register];
  // One read of each instance per scrape, shared by every metric: `stats` and `status()` each build an object
  // (about 9 and 15 µs here), and read once per metric they made a scrape of 255 instances take 69–76 ms instead
  // of 39–42. prom-client calls every metric's collect() in one synchronous turn (its
  // Registry's metrics() and getMetricsAsJSON()), so the reads live until the next microtask: a later scrape
  // reads afresh. A promise reaction, not queueMicrotask: an app's tests may fake the latter (Jest's and sinon's
  // fake timers do), and the reads would then never end.
  let reads: Map<VrrpInstance, InstanceRead> | undefined;
  const readOf = (instance: VrrpInstance): InstanceRead => {
    if (reads === undefined) {
      const current = new Map<VrrpInstance, InstanceRead>();
      reads = current;
      void Promise.resolve().then(() => {
        if (reads === current) reads = undefined;
      });
    }
    let read = reads.get(instance);
    if (read === undefined) {
      read = { labels: labelsOf(instance), stats: instance.stats, engine: instance.status().engine };
      reads.set(instance, read);
    }
    return read;
  };
  const each = (use: (read: InstanceRead, instance: VrrpInstance) => void): void => {
    for (const instance of set.instances.keys()) use(readOf(instance), instance);
  };
  const add = (name: string): void => void set.names.push(name);

  add('vrrp_state');
  new Gauge({
    name: 'vrrp_state',
    help: 'The instance state: 1 for the current one, 0 for the others.',
    labelNames: [...INSTANCE_LABELS, 'state'],
    registers,
    collect() {
      this.reset();
      each(({ labels }, instance) => {
        for (const state of STATES) this.set({ ...labels, state }, instance.state === state ? 1 : 0);
      });
    },
  });
  add('vrrp_effective_priority');
  new Gauge({
    name: 'vrrp_effective_priority',
    help: 'Priority the instance advertises: its base priority adjusted by its trackers (255: address owner).',
    labelNames: INSTANCE_LABELS,
    registers,
    collect() {
      this.reset();
      each(({ labels }, instance) => this.set(labels, instance.effectivePriority));
    },
  });
  add('vrrp_base_priority');
  new Gauge({
    name: 'vrrp_base_priority',
    help: 'Priority configured for the instance, before its trackers.',
    labelNames: INSTANCE_LABELS,
    registers,
    collect() {
      this.reset();
      each(({ labels }, instance) => this.set(labels, instance.config.priority));
    },
  });
  for (const [name, help, field] of COUNTERS) {
    add(name);
    new Counter({
      name,
      help,
      labelNames: INSTANCE_LABELS,
      registers,
      collect() {
        this.reset();
        each(({ labels, stats }) => this.inc(labels, stats[field]));
      },
    });
  }
  add('vrrp_drops_total');
  new Counter({
    name: 'vrrp_drops_total',
    help: 'Received packets dropped, by reason (the code of the protocolError event; vrid: another VRID, normal on a shared LAN).',
    labelNames: [...INSTANCE_LABELS, 'reason'],
    registers,
    collect() {
      this.reset();
      each(({ labels, stats }) => {
        for (const [field, reason] of DROP_REASONS) this.inc({ ...labels, reason }, stats[field]);
      });
    },
  });
  add('vrrp_errors_total');
  new Counter({
    name: 'vrrp_errors_total',
    help: 'Failures counted by the instance, by kind: send, vip (add/remove/announce), hook, while_master.',
    labelNames: [...INSTANCE_LABELS, 'kind'],
    registers,
    collect() {
      this.reset();
      each(({ labels, stats }) => {
        for (const [field, kind] of ERROR_KINDS) this.inc({ ...labels, kind }, stats[field]);
      });
    },
  });
  add('vrrp_engine_lag_seconds');
  new Gauge({
    name: 'vrrp_engine_lag_seconds',
    help: "How late the engine's latest timer fired: the lag of the thread that runs the protocol.",
    labelNames: INSTANCE_LABELS,
    registers,
    collect() {
      this.reset();
      each(({ labels, engine }) => this.set(labels, engine.timerLateMs / 1000));
    },
  });
  add('vrrp_engine_lag_max_seconds');
  new Gauge({
    name: 'vrrp_engine_lag_max_seconds',
    help: "The worst lateness of the engine's timers since the instance started.",
    labelNames: INSTANCE_LABELS,
    registers,
    collect() {
      this.reset();
      each(({ labels, engine }) => this.set(labels, engine.timerLateMaxMs / 1000));
    },
  });
  add('vrrp_socket_drops_total');
  new Counter({
    name: 'vrrp_socket_drops_total',
    help: 'Received packets a shared receive socket dropped before any instance saw them, by reason: malformed, other_vrid (normal on a shared LAN), receive_error.',
    labelNames: ['interface', 'family', 'thread', 'reason'],
    registers,
    collect() {
      this.reset();
      // One socket serves every instance of a thread on an interface and family: counted once, not per instance.
      const seen = new Set<string>();
      for (const instance of set.instances.keys()) {
        const { socket, socketInterface, thread } = readOf(instance).engine;
        if (socket === null) continue;
        const labels = { interface: socketInterface ?? instance.config.interface, family: instance.config.family, thread };
        const key = `${labels.interface} ${labels.family} ${thread}`;
        if (seen.has(key)) continue;
        seen.add(key);
        this.inc({ ...labels, reason: 'malformed' }, socket.malformed);
        this.inc({ ...labels, reason: 'other_vrid' }, socket.otherVrid);
        this.inc({ ...labels, reason: 'receive_error' }, socket.receiveErrors);
      }
    },
  });
  add('vrrp_group_state');
  new Gauge({
    name: 'vrrp_group_state',
    help: 'A sync group state: 1 for the current one, 0 for the others.',
    labelNames: ['group', 'state'],
    registers,
    collect() {
      this.reset();
      for (const group of set.groups.keys()) {
        for (const state of GROUP_STATES) this.set({ group: group.name, state }, group.state === state ? 1 : 0);
      }
    },
  });
  sets.set(register, set);
  return set;
}
