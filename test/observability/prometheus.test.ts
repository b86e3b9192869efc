/**
 * vrrp/prometheus: metric names, types and values after a scripted failover in SimNetwork, read from a fresh
 * prom-client Registry (the global one stays empty); drops by reason; a sync group's state; registrations that
 * share one registry; unregistering; a missing or crowded registry refused naming the field.
 */
import { readFileSync } from 'node:fs';
import { Counter, Registry, register as globalRegistry, type OpenMetricsContentType } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, VrrpGroup, type VrrpConfig } from '../../src/index.js';
import { METRIC_NAMES, registerMetrics } from '../../src/prometheus.js';
import { SimNetwork } from '../../src/testing/index.js';
import { createHarness, peerAdvert } from '../instance/harness.js';

const VIP = '192.0.2.100';
const node = (name: string, priority: number): VrrpConfig => ({ name, interface: 'eth0', vrid: 51, priority, virtualAddresses: [`${VIP}/24`] });

/** The value of one series in a registry, by metric name and labels (undefined: no such series). */
async function valueOf(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  const series = metric?.values.find((value) => Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted));
  return series?.value;
}

/** a (200) is master from 3.2 s, is killed at 8 s; b (100) takes over; scraped at 13 s, both still as they are. */
async function scriptedFailover() {
  const net = new SimNetwork({ seed: 5 });
  const a = net.addNode(node('a', 200), { address: '192.0.2.1' });
  const b = net.addNode(node('b', 100), { address: '192.0.2.2' });
  const registry = new Registry();
  const metrics = registerMetrics([a, b], { register: registry });
  await net.advance(8000);
  await net.kill(a);
  await net.advance(5000);
  return { net, a, b, registry, metrics };
}

describe('registerMetrics', () => {
  it('registers every documented metric with its type, on the given registry only', async () => {
    const { net, registry } = await scriptedFailover();
    const json = await registry.getMetricsAsJSON();
    expect(json.map((metric) => metric.name).sort()).toEqual([...METRIC_NAMES].sort());
    const types = Object.fromEntries(json.map((metric) => [metric.name, String(metric.type)]));
    for (const name of METRIC_NAMES) expect(types[name], name).toBe(name.endsWith('_total') ? 'counter' : 'gauge');
    expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
    await net.stopAll();
  });

  it('shows the failover: b master, a stopped, one state series set per instance', async () => {
    const { net, registry } = await scriptedFailover();
    const text = await registry.metrics();
    expect(text).toContain('vrrp_state{vrrp_instance="b",vrid="51",family="ipv4",state="master"} 1');
    expect(text).toContain('vrrp_state{vrrp_instance="b",vrid="51",family="ipv4",state="backup"} 0');
    expect(text).toContain('vrrp_state{vrrp_instance="a",vrid="51",family="ipv4",state="initialize"} 1');
    await net.stopAll();
  });

  it('counts transitions, the master-down expiry, adverts and VIP changes of each instance', async () => {
    const { net, registry } = await scriptedFailover();
    const a = { vrrp_instance: 'a', vrid: '51', family: 'ipv4' };
    const b = { vrrp_instance: 'b', vrid: '51', family: 'ipv4' };
    // a: initialize → backup → master → initialize; b: initialize → backup → master.
    expect(await valueOf(registry, 'vrrp_transitions_total', a)).toBe(3);
    expect(await valueOf(registry, 'vrrp_transitions_total', b)).toBe(2);
    expect(await valueOf(registry, 'vrrp_master_transitions_total', b)).toBe(1);
    expect(await valueOf(registry, 'vrrp_master_down_expirations_total', a)).toBe(1);
    expect(await valueOf(registry, 'vrrp_master_down_expirations_total', b)).toBe(1);
    // a, master from 3.2 s to 8 s, advertised at 3.2, 4.2 … 7.2 s — five adverts, all heard by b — and priority 0
    // as the kill stopped it, cut off already.
    expect(await valueOf(registry, 'vrrp_adverts_sent_total', a)).toBe(6);
    expect(await valueOf(registry, 'vrrp_priority_zero_sent_total', a)).toBe(1);
    expect(await valueOf(registry, 'vrrp_adverts_received_total', b)).toBe(5);
    expect(await valueOf(registry, 'vrrp_vip_changes_total', a)).toBe(2); // added, removed by the kill
    expect(await valueOf(registry, 'vrrp_vip_changes_total', b)).toBe(1);
    expect(await valueOf(registry, 'vrrp_effective_priority', b)).toBe(100);
    expect(await valueOf(registry, 'vrrp_engine_lag_seconds', b)).toBe(0); // a virtual clock fires on time
    expect(await valueOf(registry, 'vrrp_errors_total', { ...b, kind: 'send' })).toBe(0);
    await net.stopAll();
  });

  it('counts a dropped advertisement under its reason', async () => {
    const harness = createHarness();
    const registry = new Registry();
    registerMetrics(harness.instance, { register: registry });
    await harness.instance.start();
    harness.transport.inject(peerAdvert({ priority: 150, ttl: 64 }));
    const labels = { vrrp_instance: 'vrid-51', vrid: '51', family: 'ipv4' };
    expect(await valueOf(registry, 'vrrp_drops_total', { ...labels, reason: 'ttl' })).toBe(1);
    expect(await valueOf(registry, 'vrrp_drops_total', { ...labels, reason: 'checksum' })).toBe(0);
    await harness.instance.stop();
  });

  it("shows a sync group's state and its members'", async () => {
    const net = new SimNetwork({ seed: 9 });
    const outside = net.addNode({ ...node('outside', 200), vrid: 1 }, { address: '192.0.2.1', start: false });
    const inside = net.addNode({ ...node('inside', 200), vrid: 2, virtualAddresses: ['192.0.2.101/24'] }, { address: '192.0.2.1', start: false });
    const group = new VrrpGroup('edge', [outside, inside]);
    const registry = new Registry();
    registerMetrics(group, { register: registry });
    await group.start();
    await net.advance(5000);
    expect(await valueOf(registry, 'vrrp_group_state', { group: 'edge', state: 'master' })).toBe(1);
    expect(await valueOf(registry, 'vrrp_state', { vrrp_instance: 'inside', state: 'master' })).toBe(1);
    await net.stopAll();
  });

  // Given two sync groups of one name (their members named apart); then refused, at once or registered apart: the
  // group's series carries its name alone, so both would write one vrrp_group_state.
  it('refuses two sync groups that would share one group series', () => {
    const net = new SimNetwork({ seed: 9 });
    const groupOf = (prefix: string, vrid: number) =>
      new VrrpGroup('edge', [
        net.addNode({ ...node(`${prefix}-a`, 200), vrid }, { address: '192.0.2.1', start: false }),
        net.addNode({ ...node(`${prefix}-b`, 200), vrid: vrid + 1 }, { address: '192.0.2.1', start: false }),
      ]);
    const first = groupOf('one', 1);
    const second = groupOf('two', 3);
    expect(() => registerMetrics([first, second], { register: new Registry() })).toThrow(/two sync groups named "edge" would share one vrrp_group_state series/);
    const registry = new Registry();
    registerMetrics(first, { register: registry });
    expect(() => registerMetrics(second, { register: registry })).toThrow(ConfigError);
    // The same group twice is one group: counted, not refused.
    expect(() => registerMetrics(first, { register: registry })).not.toThrow();
  });

  // Given two running instances whose transports share one receive socket (same interface, family and thread)
  // then its drops are one series per reason, not one per instance.
  it("counts a shared socket's drops once, labelled by interface, family and thread", async () => {
    const counts = { received: 9, malformed: 2, otherVrid: 5, receiveErrors: 1 };
    const harnesses = [createHarness({ name: 'one' }), createHarness({ name: 'two', vrid: 52 })];
    for (const harness of harnesses) Object.defineProperty(harness.transport, 'socketStats', { get: () => ({ ...counts }) });
    const registry = new Registry();
    registerMetrics(harnesses.map((harness) => harness.instance), { register: registry });
    await Promise.all(harnesses.map((harness) => harness.instance.start()));
    const series = (await registry.getMetricsAsJSON()).find((metric) => metric.name === 'vrrp_socket_drops_total')?.values;
    expect(series).toEqual([
      { labels: { interface: 'eth0', family: 'ipv4', thread: 'main', reason: 'malformed' }, value: 2 },
      { labels: { interface: 'eth0', family: 'ipv4', thread: 'main', reason: 'other_vrid' }, value: 5 },
      { labels: { interface: 'eth0', family: 'ipv4', thread: 'main', reason: 'receive_error' }, value: 1 },
    ]);
    await Promise.all(harnesses.map((harness) => harness.instance.stop()));
  });

  it('lists instances registered separately under one metric, and removes the metrics with the last', async () => {
    const first = createHarness({ name: 'one' });
    const second = createHarness({ name: 'two', vrid: 52 });
    const registry = new Registry();
    const one = registerMetrics(first.instance, { register: registry });
    const two = registerMetrics(second.instance, { register: registry });
    const states = async () => (await registry.getMetricsAsJSON()).find((metric) => metric.name === 'vrrp_state')?.values.map((value) => value.labels.vrrp_instance);
    expect(new Set(await states())).toEqual(new Set(['one', 'two']));
    one.unregister();
    expect(new Set(await states())).toEqual(new Set(['two']));
    two[Symbol.dispose]();
    expect(await registry.getMetricsAsJSON()).toEqual([]);
  });

  it('registers on an OpenMetrics registry too', async () => {
    const { instance } = createHarness({ name: 'om' });
    // prom-client's types declare no constructor argument (its runtime takes one), so set the type after.
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    registerMetrics(instance, { register: registry });
    const text = await registry.metrics();
    expect(text).toContain('vrrp_state{vrrp_instance="om",vrid="51",family="ipv4",state="initialize"} 1');
    expect(text).toContain('# TYPE vrrp_adverts_sent counter');
  });

  // Given two instances of one name, VRID and family (two interfaces); then refused, at once or registered apart:
  // their series would be one set (the last writer's gauges, summed counters).
  it('refuses two instances that would share one set of series', () => {
    const first = createHarness({ interface: 'eth0' });
    const second = createHarness({ interface: 'eth1' });
    expect(() => registerMetrics([first.instance, second.instance], { register: new Registry() })).toThrow(/two instances named "vrid-51" \(VRID 51, ipv4\) would share one set of series/);
    const registry = new Registry();
    registerMetrics(first.instance, { register: registry });
    expect(() => registerMetrics(second.instance, { register: registry })).toThrow(ConfigError);
    // The same instance twice is one instance: counted, not refused.
    expect(() => registerMetrics(first.instance, { register: registry })).not.toThrow();
  });

  // Given two instances on one registry; when all its metrics are scraped, then each instance's stats and status()
  // are read as often as for one metric: once for all of them (each read builds an object: read per metric, 255
  // instances took 69–76 ms a scrape).
  it('reads each instance once per scrape, whatever the number of metrics', async () => {
    const { net, a, b, registry } = await scriptedFailover();
    const spies = [a, b].map((instance) => ({ stats: vi.spyOn(instance, 'stats', 'get'), status: vi.spyOn(instance, 'status') }));
    const readsOf = async (scrape: () => Promise<unknown>): Promise<number[]> => {
      for (const spy of spies) for (const one of Object.values(spy)) one.mockClear();
      await scrape();
      return spies.flatMap((spy) => [spy.stats.mock.calls.length, spy.status.mock.calls.length]);
    };
    const one = await readsOf(() => registry.getSingleMetricAsString('vrrp_adverts_sent_total'));
    expect([one[0], one[2]].every((count) => (count ?? 0) > 0), `one counter read each instance's stats: ${one.join(', ')}`).toBe(true);
    expect(await readsOf(() => registry.metrics()), 'reads of stats, status() (a, b) for all metrics against one').toEqual(one);
    expect(await readsOf(() => registry.getMetricsAsJSON()), 'the same as JSON').toEqual(one);
    await net.stopAll();
  });

  // Given a scrape; when the instance goes on advertising, then the next scrape shows the new counts, not the
  // previous scrape's read.
  it('reads afresh at the next scrape', async () => {
    const { net, b, registry } = await scriptedFailover();
    const labels = { vrrp_instance: 'b', vrid: '51', family: 'ipv4' };
    const before = await valueOf(registry, 'vrrp_adverts_sent_total', labels);
    await net.advance(3000);
    expect(await valueOf(registry, 'vrrp_adverts_sent_total', labels)).toBe((before ?? 0) + 3);
    expect(b.stats.advertisementsSent).toBe((before ?? 0) + 3);
    await net.stopAll();
  });

  // Given an app whose tests fake queueMicrotask (Jest's and sinon's fake timers do); then a scrape still reads
  // afresh: the per-scrape reads end with a promise reaction, which no fake timer holds back.
  it('reads afresh at the next scrape with queueMicrotask faked', async () => {
    const { net, registry } = await scriptedFailover();
    const labels = { vrrp_instance: 'b', vrid: '51', family: 'ipv4' };
    const held: (() => void)[] = [];
    const real = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (callback) => void held.push(callback);
    try {
      const before = await valueOf(registry, 'vrrp_adverts_sent_total', labels);
      await net.advance(3000);
      expect(await valueOf(registry, 'vrrp_adverts_sent_total', labels)).toBe((before ?? 0) + 3);
    } finally {
      globalThis.queueMicrotask = real;
    }
    await net.stopAll();
  });

  it('refuses a missing registry, naming register', () => {
    const { instance } = createHarness();
    expect(() => registerMetrics(instance, {} as never)).toThrow(ConfigError);
    expect(() => registerMetrics(instance, {} as never)).toThrow(/register: must be a prom-client Registry/);
  });

  it('refuses a registry where a name is taken by a metric of someone else', () => {
    const { instance } = createHarness();
    const registry = new Registry();
    new Counter({ name: 'vrrp_adverts_sent_total', help: 'not ours', registers: [registry] });
    expect(() => registerMetrics(instance, { register: registry })).toThrow(/register: already has metrics named vrrp_adverts_sent_total/);
  });

  it('has a Grafana dashboard in docs that queries only metrics and labels registered here', () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    const used = new Set(exprs.flatMap((expr) => expr.match(/\bvrrp_[a-z_]+(?=[{[(\s)])/g) ?? []));
    expect([...used].filter((name) => !(METRIC_NAMES as readonly string[]).includes(name) && name !== 'vrrp_instance')).toEqual([]);
    expect(used).toContain('vrrp_state');
  });
});
