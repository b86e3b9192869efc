/**
 * What the `vrrp run --metrics` endpoint costs its app under load or abuse: requests that arrive while a scrape is
 * being collected share it (one collection, not one per request); a connection's life is bounded (its request
 * within seconds, an idle socket destroyed); and connections beyond the cap are closed unanswered. The server is
 * the real one, on a loopback port; `node:http`'s createServer is wrapped only to hand the test that server.
 */
import { once } from 'node:events';
import { type Server } from 'node:http';
import * as http from 'node:http';
import { connect, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRICS_MAX_CONNECTIONS, startMetricsServer, type MetricsServer } from '../../src/metrics-server.js';
import { SimNetwork } from '../../src/testing/index.js';

vi.mock('node:http', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:http')>();
  return { ...actual, createServer: vi.fn(actual.createServer) };
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

/** A metrics endpoint serving one master of a SimNetwork, and the http.Server behind it. */
async function endpoint(): Promise<{ metrics: MetricsServer; server: Server; port: number }> {
  const net = new SimNetwork({ seed: 3 });
  const node = net.addNode({ name: 'a', interface: 'eth0', vrid: 51, priority: 200, virtualAddresses: ['192.0.2.100/24'] }, { address: '192.0.2.1' });
  await net.advance(5000);
  cleanups.push(() => net.stopAll());
  const metrics = await startMetricsServer([node], { host: '127.0.0.1', port: 0 });
  cleanups.push(() => metrics.close());
  const server = vi.mocked(http.createServer).mock.results.at(-1)?.value as Server;
  return { metrics, server, port: metrics.address.port };
}

/** A raw connection to the endpoint, and everything it receives until it closes (an error counts as a close). */
async function rawConnection(port: number): Promise<{ socket: Socket; received: Promise<string> }> {
  const socket = connect({ host: '127.0.0.1', port });
  cleanups.push(() => void socket.destroy());
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  const received = new Promise<string>((resolve) => {
    socket.on('error', () => {}); // a write to a connection the server closed: the close below says the rest
    socket.once('close', () => resolve(text));
  });
  await once(socket, 'connect');
  return { socket, received };
}

const GET = 'GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n';
const LAST_GET = 'GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n';

describe('metrics endpoint under load', () => {
  it('collects the metrics once for 50 requests that arrive while a scrape runs', async () => {
    const { server, port } = await endpoint();
    // The scrape is held until the server has read all 50 requests, so that all of them arrive while it runs.
    let requests = 0;
    const allArrived = new Promise<void>((resolve) => server.on('request', () => ++requests === 50 && resolve()));
    const realMetrics = Registry.prototype.metrics;
    const metrics = vi.spyOn(Registry.prototype, 'metrics').mockImplementation(function (this: Registry) {
      return allArrived.then(() => realMetrics.call(this));
    });
    // 10 connections, 5 requests pipelined on each: 50 requests in flight at once, under the connection cap.
    const connections = await Promise.all(Array.from({ length: 10 }, () => rawConnection(port)));
    for (const { socket } of connections) socket.write(GET.repeat(4) + LAST_GET);
    const answers = await Promise.all(connections.map(({ received }) => received));
    expect(answers.map((text) => text.match(/^HTTP\/1\.1 200 OK/gm)?.length ?? 0), 'each connection gets its 5 answers').toEqual(Array(10).fill(5));
    expect(answers[0]).toContain('vrrp_state{vrrp_instance="a",vrid="51",family="ipv4",state="master"} 1');
    expect(metrics, 'registry.metrics() calls for 50 concurrent requests').toHaveBeenCalledTimes(1);
  });

  it('collects afresh for a request that comes after the last scrape ended', async () => {
    const { port } = await endpoint();
    const metrics = vi.spyOn(Registry.prototype, 'metrics');
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    expect(metrics, 'a finished scrape must not be served again').toHaveBeenCalledTimes(2);
  });
});

describe('metrics endpoint connections', () => {
  it('gives a request a few seconds and destroys a connection idle for a few more', async () => {
    const { server } = await endpoint();
    // headersTimeout/requestTimeout drop a client that connects and sends nothing (or dribbles its request);
    // `timeout`, with no 'timeout' listener on the server, destroys a socket whose client never reads its answer.
    expect(server.headersTimeout, 'ms allowed for the request headers').toBeGreaterThan(0);
    expect(server.headersTimeout, 'ms allowed for the request headers').toBeLessThanOrEqual(10_000);
    expect(server.requestTimeout, 'ms allowed for the whole request (0 means no limit)').toBeGreaterThan(0);
    expect(server.requestTimeout, 'ms allowed for the whole request').toBeLessThanOrEqual(10_000);
    expect(server.timeout, 'idle socket timeout in ms (0 means never)').toBeGreaterThan(0);
    expect(server.timeout, 'idle socket timeout in ms').toBeLessThanOrEqual(30_000);
    expect(server.listenerCount('timeout'), "a 'timeout' listener would stop Node destroying the socket").toBe(0);
  });

  it(`closes unanswered a connection beyond the cap (${METRICS_MAX_CONNECTIONS} open at once)`, async () => {
    const { server, port } = await endpoint();
    let accepted = 0;
    const allAccepted = new Promise<void>((resolve) => server.on('connection', () => ++accepted === METRICS_MAX_CONNECTIONS && resolve()));
    // Connections that send nothing, as a client that opens sockets and sits on them.
    await Promise.all(Array.from({ length: METRICS_MAX_CONNECTIONS }, () => rawConnection(port)));
    await allAccepted;
    const extra = await rawConnection(port);
    extra.socket.write(LAST_GET);
    expect(await extra.received, `the connection after ${METRICS_MAX_CONNECTIONS} open ones was served`).toBe('');
  });
});
