/**
 * How long a peer may hold a connection to `vrrp run`'s control socket: its request must be whole within 5 s of
 * connecting, however it trickles in; the request's size is counted in bytes; a reload is waited for beyond that
 * deadline, but not for ever; and a peer answered has 2 s to close before its socket is destroyed, whatever it sends.
 * Real sockets on a temporary Unix socket path; the server's timers are faked (setTimeout only), and `node:net`'s
 * createServer is wrapped only to hand the test the server, so that its side of each connection can be looked at.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_REQUEST_BYTES, RELOAD_REPLY_TIMEOUT_MS, REPLY_GRACE_MS, REQUEST_TIMEOUT_MS, startControlServer, type ControlServer, type RunReloadStatus, type RunStatus } from '../../src/control.js';

vi.mock('node:net', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:net')>();
  return { ...actual, createServer: vi.fn(actual.createServer) };
});

const RUN: RunStatus = { pid: 1, config: '/etc/vrrp.json', routerId: null, startedAt: '2026-01-01T00:00:00.000Z', at: '2026-01-01T00:00:01.000Z', instances: [], groups: [] };
const RELOADED: RunReloadStatus = { at: '2026-01-01T00:00:02.000Z', outcome: 'applied', message: null };

let scratch: string;
let control: ControlServer | undefined;
const clients: net.Socket[] = [];

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'vrrp-ctl-'));
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});

afterEach(async () => {
  vi.useRealTimers();
  for (const client of clients.splice(0)) client.destroy();
  await control?.close();
  control = undefined;
  rmSync(scratch, { recursive: true, force: true });
});

/** A control server (reloading with `reload`, if given), a client connected to it, and the server's side of it. */
async function connection(options: { reload?: () => Promise<RunReloadStatus>; allowHalfOpen?: boolean } = {}) {
  const path = join(scratch, 'run.sock');
  control = await startControlServer({ path, isDefault: false, status: () => RUN, ...(options.reload ? { reload: options.reload } : {}) });
  const server = vi.mocked(net.createServer).mock.results.at(-1)?.value as net.Server;
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect({ path, allowHalfOpen: options.allowHalfOpen ?? false });
  clients.push(client);
  client.on('error', () => {}); // a write after the server destroyed its side; the tests look at that side
  let text = '';
  client.setEncoding('utf8');
  client.on('data', (chunk: string) => (text += chunk));
  const answered = new Promise<string>((resolve) => client.once('end', () => resolve(text)));
  await once(client, 'connect');
  const [serverSide] = await accepted;
  /** Writes `data` and waits until the server has read it (its own listener runs first). */
  const send = async (data: string): Promise<void> => {
    const read = once(serverSide, 'data');
    client.write(data);
    await read;
  };
  return { client, serverSide, send, answered };
}

describe('control socket deadlines', () => {
  it(`gives a request ${REQUEST_TIMEOUT_MS / 1000} s from the connection, however it trickles in`, async () => {
    const { serverSide, send } = await connection();
    // A byte every 1.2 s: each would have reset an idle timer.
    for (let n = 0; n < 4; n += 1) {
      await send(' ');
      vi.advanceTimersByTime(1200);
    }
    await send(' ');
    expect(serverSide.destroyed, 'destroyed 4.8 s after the connection').toBe(false);
    vi.advanceTimersByTime(REQUEST_TIMEOUT_MS - 4800);
    expect(serverSide.destroyed, `a request still incomplete ${REQUEST_TIMEOUT_MS} ms after its connection was left open`).toBe(true);
  });

  it(`counts a request's size in bytes: a line of ${MAX_REQUEST_BYTES / 2 + 10} two-byte characters is refused`, async () => {
    const { send, answered } = await connection();
    // Fewer characters than MAX_REQUEST_BYTES, more bytes.
    await send(`{"command":"status","pad":"${'é'.repeat(MAX_REQUEST_BYTES / 2 + 10)}"}\n`);
    expect(JSON.parse(await answered), `a request of more than ${MAX_REQUEST_BYTES} bytes was taken`).toEqual({ ok: false, error: `request longer than ${MAX_REQUEST_BYTES} bytes` });
  });

  it(`destroys the connection of a peer that has not closed ${REPLY_GRACE_MS} ms after its answer, whatever it sends`, async () => {
    const { serverSide, send, answered } = await connection({ allowHalfOpen: true });
    await send('{"command":"status"}\n');
    expect(JSON.parse(await answered)).toEqual({ ok: true, status: RUN });
    // The peer neither closes nor stops talking.
    await send(' ');
    vi.advanceTimersByTime(REPLY_GRACE_MS - 1);
    await send(' ');
    expect(serverSide.destroyed, 'destroyed before the grace ended').toBe(false);
    vi.advanceTimersByTime(1);
    expect(serverSide.destroyed, `an answered peer that did not close held its socket beyond ${REPLY_GRACE_MS} ms`).toBe(true);
  });

  it(`waits for a reload that outlasts the request's ${REQUEST_TIMEOUT_MS / 1000} s, and answers it`, async () => {
    let finish!: (status: RunReloadStatus) => void;
    const { serverSide, send, answered } = await connection({ reload: () => new Promise((resolve) => (finish = resolve)) });
    await send('{"command":"reload"}\n');
    vi.advanceTimersByTime(60_000);
    expect(serverSide.destroyed, 'the connection of a reload under way was dropped').toBe(false);
    finish(RELOADED);
    expect(JSON.parse(await answered)).toEqual({ ok: true, reload: RELOADED });
  });

  it(`destroys a silent peer's connection ${REPLY_GRACE_MS} ms after a reload's answer`, async () => {
    let finish!: (status: RunReloadStatus) => void;
    const { serverSide, send, answered } = await connection({ reload: () => new Promise((resolve) => (finish = resolve)), allowHalfOpen: true });
    await send('{"command":"reload"}\n');
    vi.advanceTimersByTime(60_000);
    finish(RELOADED);
    await answered;
    vi.advanceTimersByTime(REPLY_GRACE_MS);
    expect(serverSide.destroyed, `a peer answered after a reload held its socket beyond ${REPLY_GRACE_MS} ms`).toBe(true);
  });

  it(`answers a reload still under way after ${RELOAD_REPLY_TIMEOUT_MS / 60_000} minutes that it goes on`, async () => {
    const { serverSide, send, answered } = await connection({ reload: () => new Promise<RunReloadStatus>(() => {}) });
    await send('{"command":"reload"}\n');
    vi.advanceTimersByTime(RELOAD_REPLY_TIMEOUT_MS);
    expect(serverSide.writableEnded, `no answer ${RELOAD_REPLY_TIMEOUT_MS} ms into a reload`).toBe(true);
    expect(JSON.parse(await answered)).toEqual({ ok: false, error: `reload not done within ${RELOAD_REPLY_TIMEOUT_MS / 1000} s: it goes on; vrrp status says how it ended` });
  });
});
