/**
 * Queued sends on the shared VRRP socket (VrrpSocket.queue, src/linux/transport/vrrp-socket.ts; native/vrrp_socket.c
 * "Batched adverts"): the routine adverts handed over in one task leave together in one vrrpSendMany once its
 * synchronous work is done, in the order they were handed over; a send at once, or a close, first sends what is
 * queued; a message the kernel refused is reported to its own sender only. Shown on a stand-in addon (no socket,
 * no root); the real sendmmsg runs in test/linux/addon-sockets.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

/** Every call that reached the stand-in addon's send side, in order. */
const calls: { op: 'send' | 'many' | 'close'; payloads: number[] }[] = [];
/** The errno the stand-in's sendmmsg gives each payload (by its first byte); absent: sent. */
const refusals = new Map<number, number>();

vi.mock('../../src/linux/addon.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/linux/addon.js')>();
  return {
    ...original,
    loadAddon: () => ({
      vrrpOpen: () => ({}),
      vrrpSend: (_handle: unknown, data: Uint8Array) => void calls.push({ op: 'send', payloads: [data[0] as number] }),
      vrrpSendMany: (_handle: unknown, data: Uint8Array[], _dst: Uint8Array[], _source: unknown[], count: number, errnos: Int32Array) => {
        const payloads = data.slice(0, count).map((bytes) => bytes[0] as number);
        calls.push({ op: 'many', payloads });
        payloads.forEach((payload, i) => (errnos[i] = refusals.get(payload) ?? 0));
        return payloads.filter((payload) => refusals.has(payload)).length;
      },
      vrrpClose: () => void calls.push({ op: 'close', payloads: [] }),
      vrrpAbsorb: () => false,
      vrrpRepeat: () => false,
      vrrpHold: () => {},
    }),
  };
});

const { acquireVrrpSocket } = await import('../../src/linux/transport/vrrp-socket.js');

const GROUP = new Uint8Array([224, 0, 0, 18]);
const message = (first: number): Uint8Array => new Uint8Array([first, 0, 0, 0]);
/** Where each sender's failures go: its reports, as `dst: errno name`. */
function sender(): { reports: string[]; failed: (dst: string, cause: unknown) => void } {
  const reports: string[] = [];
  return { reports, failed: (dst, cause) => void reports.push(`${dst}: ${(cause as { code?: string }).code}`) };
}
let nextSocket = 0;
const openSocket = () => acquireVrrpSocket(`stand-in${nextSocket++}`, 'ipv4');

describe('VrrpSocket.queue', () => {
  afterEach(() => {
    calls.length = 0;
    refusals.clear();
  });

  it('sends the messages queued in one task in one vrrpSendMany after its synchronous work, in order', async () => {
    const socket = openSocket();
    const { failed } = sender();
    for (const first of [1, 2, 3]) socket.queue(message(first), GROUP, null, '224.0.0.18', failed);
    expect(calls).toEqual([]); // nothing yet: the task is still running
    await Promise.resolve();
    expect(calls).toEqual([{ op: 'many', payloads: [1, 2, 3] }]);
  });

  it('sends what is queued before a send at once, keeping the order they were handed over in', () => {
    const socket = openSocket();
    socket.queue(message(1), GROUP, null, '224.0.0.18', sender().failed);
    socket.send(message(9), GROUP, null); // e.g. a stop's priority 0: it must not overtake the routine advert
    expect(calls).toEqual([
      { op: 'many', payloads: [1] },
      { op: 'send', payloads: [9] },
    ]);
  });

  it('sends what is queued before the socket closes', () => {
    const socket = openSocket();
    socket.register(7, { onPacket: () => {} }, false);
    socket.queue(message(1), GROUP, null, '224.0.0.18', sender().failed);
    socket.unregister(7); // the last instance leaves: the socket closes
    expect(calls).toEqual([
      { op: 'many', payloads: [1] },
      { op: 'close', payloads: [] },
    ]);
  });

  it('reports a refused message to its own sender, with its destination and errno, and to no one else', async () => {
    const socket = openSocket();
    const [a, b] = [sender(), sender()];
    refusals.set(2, 100); // ENETDOWN
    socket.queue(message(1), GROUP, null, '224.0.0.18', a.failed);
    socket.queue(message(2), new Uint8Array([10, 0, 0, 2]), null, '10.0.0.2', b.failed);
    socket.queue(message(3), GROUP, null, '224.0.0.18', a.failed);
    await Promise.resolve();
    expect(calls).toEqual([{ op: 'many', payloads: [1, 2, 3] }]);
    expect(a.reports).toEqual([]);
    expect(b.reports).toEqual(['10.0.0.2: ENETDOWN']);
  });

  it('starts a new batch after a flush: messages of the next task are not sent twice', async () => {
    const socket = openSocket();
    socket.queue(message(1), GROUP, null, '224.0.0.18', sender().failed);
    await Promise.resolve();
    socket.queue(message(2), GROUP, null, '224.0.0.18', sender().failed);
    await Promise.resolve();
    expect(calls).toEqual([
      { op: 'many', payloads: [1] },
      { op: 'many', payloads: [2] },
    ]);
  });
});
