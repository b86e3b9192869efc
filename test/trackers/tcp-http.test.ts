/**
 * `tcp` and `http` probes against servers on 127.0.0.1 with ephemeral ports: a connection that opens is up, a
 * refused one is down with ECONNREFUSED; an HTTP status outside the range, or a body that does not match, is down
 * with the status in the reason; redirects are judged, not followed; an abort ends a hung request.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpProbe } from '../../src/trackers/http.js';
import { createTcpProbe } from '../../src/trackers/tcp.js';

const never = new AbortController().signal;

/** A port on 127.0.0.1 that nothing listens on: one just released by a server of ours. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('tcp', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // Given a listening server; when probed; then up.
  it('is up when the connection opens', async () => {
    expect(await createTcpProbe({ host: '127.0.0.1', port })(never)).toEqual({ up: true, reason: `connected to 127.0.0.1:${port}` });
  });

  // Given a port nobody listens on; when probed; then down, ECONNREFUSED.
  it('is down with the error code when the connection is refused', async () => {
    expect(await createTcpProbe({ host: '127.0.0.1', port: await closedPort() })(never)).toEqual({ up: false, reason: 'ECONNREFUSED' });
  });

  // Given a probe whose signal aborts before the connection opens; then it settles down at once.
  it('gives up when aborted', async () => {
    const controller = new AbortController();
    const run = createTcpProbe({ host: '127.0.0.1', port })(controller.signal);
    controller.abort();
    expect(await run).toEqual({ up: false, reason: 'aborted while connecting' });
  });
});

describe('http', () => {
  let server: HttpServer;
  let base: string;
  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      switch (req.url) {
        case '/ok':
          res.end('{"status":"ok","role":"primary"}');
          break;
        case '/down':
          res.writeHead(503).end('maintenance');
          break;
        case '/moved':
          res.writeHead(302, { location: '/ok' }).end();
          break;
        case '/hang':
          break; // never answers
        default:
          res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const probe = (path: string, extra: { status?: [number, number]; bodyMatch?: string } = {}) =>
    createHttpProbe({ url: `${base}${path}`, status: extra.status ?? [200, 299], bodyMatch: extra.bodyMatch });

  // Given 200; when probed with the default range; then up.
  it('is up on a status in range', async () => {
    expect(await probe('/ok')(never)).toEqual({ up: true, reason: 'status 200' });
  });

  // Given 503; then down with the status and the range expected.
  it('is down on a status out of range', async () => {
    expect(await probe('/down')(never)).toEqual({ up: false, reason: 'status 503, expected 200–299' });
    expect(await probe('/down', { status: [503, 503] })(never)).toEqual({ up: true, reason: 'status 503' });
  });

  // Given a 302 to /ok; then it is judged as 302 (not followed): down by default, up when 3xx is accepted.
  it('does not follow redirects', async () => {
    expect((await probe('/moved')(never)).reason).toBe('status 302, expected 200–299');
    expect((await probe('/moved', { status: [200, 399] })(never)).up).toBe(true);
  });

  // Given bodyMatch as a substring and as a /regex/; then the body decides.
  it('matches the body by substring or /regex/flags', async () => {
    expect(await probe('/ok', { bodyMatch: '"role":"primary"' })(never)).toEqual({ up: true, reason: 'status 200, body matches "\\"role\\":\\"primary\\""' });
    expect(await probe('/ok', { bodyMatch: '/ROLE":"PRIM/i' })(never)).toEqual({ up: true, reason: 'status 200, body matches /ROLE":"PRIM/i' });
    expect(await probe('/ok', { bodyMatch: '/"role":"replica"/' })(never)).toEqual({
      up: false,
      reason: 'status 200 but the body does not match /"role":"replica"/',
    });
  });

  // Given a server port that is closed; then down with ECONNREFUSED.
  it('is down with the error code when nothing listens', async () => {
    expect(await createHttpProbe({ url: `http://127.0.0.1:${await closedPort()}/`, status: [200, 299] })(never)).toEqual({ up: false, reason: 'ECONNREFUSED' });
  });

  // Given an https URL written in upper case (validation takes it: the URL parser lowers the scheme); when probed
  // against a closed port; then node:https tries it and the check fails with ECONNREFUSED. node:http was picked by
  // a prefix test, and its request() threw ERR_INVALID_PROTOCOL: the probe rejected at every check.
  it('probes an HTTPS:// URL in upper case with https', async () => {
    const result = createHttpProbe({ url: `HTTPS://127.0.0.1:${await closedPort()}/`, status: [200, 299] })(never);
    await expect(result).resolves.toEqual({ up: false, reason: 'ECONNREFUSED' });
  });

  // Given a URL that request() refuses outright (a scheme it has no client for); when probed; then the check fails
  // with the reason, and the probe does not reject.
  it('fails a check whose request cannot even start, without rejecting', async () => {
    const result = createHttpProbe({ url: 'ftp://127.0.0.1/', status: [200, 299] })(never);
    await expect(result).resolves.toMatchObject({ up: false, reason: expect.stringMatching(/ERR_INVALID_PROTOCOL|not supported/) });
  });

  // Given a request the server never answers; when the signal aborts; then the probe settles down.
  it('gives up on a hung request when aborted', async () => {
    const controller = new AbortController();
    const run = probe('/hang')(controller.signal);
    setImmediate(() => controller.abort());
    expect(await run).toEqual({ up: false, reason: 'aborted' });
  });
});
