/**
 * The endpoint behind `vrrp run --metrics`: a scripted failover's metrics over HTTP from a registry of its own, in
 * Prometheus' text format; other paths 404, other methods 405; closed, it listens no more and its metrics are gone.
 */
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startMetricsServer } from '../../src/metrics-server.js';
import { SimNetwork } from '../../src/testing/index.js';
import type { VrrpConfig } from '../../src/index.js';

const node = (name: string, priority: number): VrrpConfig => ({ name, interface: 'eth0', vrid: 51, priority, virtualAddresses: ['192.0.2.100/24'] });

async function failover() {
  const net = new SimNetwork({ seed: 21 });
  const a = net.addNode(node('a', 200), { address: '192.0.2.1' });
  const b = net.addNode(node('b', 100), { address: '192.0.2.2' });
  await net.advance(5000);
  await net.kill(a);
  await net.advance(5000);
  const server = await startMetricsServer([a, b], { host: '127.0.0.1', port: 0 });
  const url = (path: string): string => `http://127.0.0.1:${server.address.port}${path}`;
  return { net, server, url };
}

describe('metrics endpoint', () => {
  it("serves the instances' metrics at /metrics in Prometheus' text format", async () => {
    const { net, server, url } = await failover();
    try {
      const response = await fetch(url('/metrics'));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(text).toContain('# TYPE vrrp_master_down_expirations_total counter');
      expect(text).toContain('vrrp_state{vrrp_instance="b",vrid="51",family="ipv4",state="master"} 1');
      expect(text).toContain('vrrp_master_down_expirations_total{vrrp_instance="b",vrid="51",family="ipv4"} 1');
      expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
    } finally {
      await server.close();
      await net.stopAll();
    }
  });

  it('answers 404 elsewhere and 405 to other methods', async () => {
    const { net, server, url } = await failover();
    try {
      expect((await fetch(url('/'))).status).toBe(404);
      const post = await fetch(url('/metrics'), { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
    } finally {
      await server.close();
      await net.stopAll();
    }
  });

  it('listens no more once closed', async () => {
    const { net, server, url } = await failover();
    await server.close();
    await expect(fetch(url('/metrics'))).rejects.toThrow();
    await net.stopAll();
  });
});
