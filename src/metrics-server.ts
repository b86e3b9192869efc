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

/** Most connections the endpoint holds at once; a connection beyond them is closed as soon as it is accepted. */
export const METRICS_MAX_CONNECTIONS = 32;
/** How long a client has, from its connection, to send its whole request, in ms. */
export const METRICS_REQUEST_TIMEOUT_MS = 5000;
/** How long a connection may pass with nothing sent or read before it is destroyed, in ms. */
export const METRICS_IDLE_TIMEOUT_MS = 10_000;

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
  // Scrapes that arrive while one is being collected share it: a collection walks every instance on the app's
  // thread, and one per request let a few dozen concurrent GETs a second take that thread. Cleared once settled, so
  // that the next request gets fresh numbers, never a stored answer.
  let inFlight: Promise<string> | undefined;
  const scrape = (): Promise<string> =>
    (inFlight ??= registry.metrics().finally(() => {
      inFlight = undefined;
    }));
  const server: Server = createServer(
    // Headers and body within METRICS_REQUEST_TIMEOUT_MS of the request's start, checked every second (Node's default
    // check runs every 30 s): a client that connects and sends nothing, or dribbles its request, is dropped.
    { headersTimeout: METRICS_REQUEST_TIMEOUT_MS, requestTimeout: METRICS_REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 },
    (request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (path !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
        return;
      }
      scrape().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`could not collect metrics: ${error instanceof Error ? error.message : String(error)}\n`),
      );
    },
  );
  // A scrape is a short request; a client that holds a connection open must not hold the process at exit.
  server.keepAliveTimeout = 5000;
  // A connection with no traffic either way for this long is destroyed (Node destroys a socket that times out when
  // the server has no 'timeout' listener): a client that sent its GET and never reads the answer no longer holds
  // its socket, nor the answer's buffers, for ever.
  server.timeout = METRICS_IDLE_TIMEOUT_MS;
  // Prometheus needs one connection per server scraping; beyond the cap a new connection is closed at once, so a
  // flood of them costs a descriptor each for an instant, not the app's thread or its descriptors.
  server.maxConnections = METRICS_MAX_CONNECTIONS;
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
