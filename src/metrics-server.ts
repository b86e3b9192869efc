/**
 * `vrrp run --metrics [HOST]:PORT`: serves the run's Prometheus metrics (src/prometheus.ts) over plain HTTP at
 * `/metrics`, from a registry of its own. Loaded by the CLI only when the flag is given, so that `vrrp run` works
 * without prom-client (an optional peer dependency); without it the flag fails with the package to install.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { VrrpGroup } from './group.js';
import type { VrrpInstance } from './instance.js';
import { registerMetrics, type MetricsRegistration } from './prometheus.js';

/** Where to listen (`vrrp run --metrics [HOST]:PORT`): `host` undefined means every interface. */
export interface MetricsListen {
  /** Address to bind, or undefined for all. */
  host: string | undefined;
  /** TCP port; 0 picks a free one (tests). */
  port: number;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The address and port it listens on (the port chosen when 0 was asked). */
  readonly address: AddressInfo;
  /** Serves the metrics of `target` too (an instance a reload added); a target served already is left as it is. */
  add(target: VrrpInstance | VrrpGroup): void;
  /** Stops serving the metrics of `target` (an instance a reload removed). */
  remove(target: VrrpInstance | VrrpGroup): void;
  /** Stops listening and unregisters the metrics. */
  close(): Promise<void>;
}

/** Registers the metrics of `targets` on a fresh registry and serves them at `/metrics` on `listen`. */
export async function startMetricsServer(targets: readonly (VrrpInstance | VrrpGroup)[], listen: MetricsListen): Promise<MetricsServer> {
  const registry = new Registry();
  // One registration per target, so that a reload can add and remove them one by one.
  const registrations = new Map<VrrpInstance | VrrpGroup, MetricsRegistration>();
  const add = (target: VrrpInstance | VrrpGroup): void => {
    if (!registrations.has(target)) registrations.set(target, registerMetrics(target, { register: registry }));
  };
  const unregisterAll = (): void => {
    for (const registration of registrations.values()) registration.unregister();
    registrations.clear();
  };
  try {
    for (const target of targets) add(target);
  } catch (error) {
    unregisterAll();
    throw error;
  }
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`could not collect metrics: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  // A scrape is a short request; a client that holds a connection open must not hold the process at exit.
  server.keepAliveTimeout = 5000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: listen.port, ...(listen.host === undefined ? {} : { host: listen.host }) }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    unregisterAll();
    throw error;
  }
  // A failure once listening (an accept refused for want of descriptors) is the server's 'error' event, which,
  // unheard, would end the process without a clean stop: reported, and the server goes on.
  server.on('error', (error) => process.emitWarning(`metrics server: ${error.message}`, { type: 'VrrpWarning', code: 'VRRP_METRICS_FAILED' }));
  return {
    address: server.address() as AddressInfo,
    add,
    remove: (target) => {
      registrations.get(target)?.unregister();
      registrations.delete(target);
    },
    close: async () => {
      unregisterAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
