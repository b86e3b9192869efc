/**
 * How many dumps one link event costs the link monitor's hub (src/linux/link-monitor.ts), on a netlink faked here
 * (no root, no kernel): every watched interface is read again after a change, and the reads must share their dumps —
 * one of the links and one of the addresses for all of them. Read one after another, each made two of its own: with
 * a VMAC per instance, an interface each, 255 instances cost 512 dumps of the whole namespace per change.
 */
import { describe, expect, it, vi } from 'vitest';

const dumps = { links: 0, addresses: 0 };
const NAMES = Array.from({ length: 20 }, (_, i) => `vmac${i}`);
let onReadable: (() => void) | undefined;
let pending: Uint8Array | undefined;

/** A dump's answer, a turn later (as the kernel's comes back through the socket). */
const later = <T>(value: T): Promise<T> => new Promise((resolve) => setImmediate(() => resolve(value)));

vi.mock('../../src/linux/native.js', () => ({
  loadNetlink: () => ({
    createRtNetlink: () => ({
      socket: { on: () => undefined, close: () => undefined },
      getLinks: () => {
        dumps.links++;
        return later(NAMES.map((ifname, i) => ({ data: { index: 10 + i, flags: { up: true, running: true } }, attrs: { ifname, address: new Uint8Array(6) } })));
      },
      getAddresses: () => {
        dumps.addresses++;
        return later([]);
      },
    }),
  }),
}));

vi.mock('../../src/linux/addon.js', () => ({
  loadAddon: () => ({
    eventsOpen: (_groups: readonly number[], callback: () => void) => {
      onReadable = callback;
      return {};
    },
    eventsRecv: (_handle: unknown, buffer: Uint8Array) => {
      const datagram = pending;
      pending = undefined;
      if (datagram === undefined) return -1;
      buffer.set(datagram);
      return datagram.length;
    },
    eventsIgnore: () => 0,
    eventsClose: () => undefined,
  }),
}));

const { watchLink } = await import('../../src/linux/link-monitor.js');

/** An RTM_NEWLINK notification (its header and an empty ifinfomsg): news to every watcher. */
function linkNotice(): Uint8Array {
  const bytes = new Uint8Array(32);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 32, true);
  view.setUint16(4, 16, true); // RTM_NEWLINK
  return bytes;
}

describe("the link monitor's re-read after an event", () => {
  it('reads 20 watched interfaces with one links dump and one addresses dump', async () => {
    const stops = await Promise.all(NAMES.map((name) => watchLink(name, () => undefined)));
    // The re-read the adds asked for (a change may have raced their first reads), then a quiet start.
    for (let i = 0; i < 100; i++) await later(undefined);
    dumps.links = 0;
    dumps.addresses = 0;
    pending = linkNotice();
    onReadable?.();
    // Each fake dump answers a turn later: 100 turns are more than 20 reads one after another would take.
    for (let i = 0; i < 100; i++) await later(undefined);
    expect(dumps).toEqual({ links: 1, addresses: 1 });
    for (const stop of stops) stop();
  });
});
