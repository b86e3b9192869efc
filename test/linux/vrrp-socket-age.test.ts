/**
 * A packet's age as VrrpSocket hands it over (src/linux/transport/vrrp-socket.ts): the addon measures it from the
 * kernel's receive timestamp when it reads the datagram, and the JavaScript that then parses and dispatches it adds
 * to it. The engine dates the packet as now minus its age, so an age as of the read put a backup's
 * Master_Down_Timer late by that JavaScript's time (0.3-2.2 ms for a backup's first advert, measured in the
 * failover benchmark's lab). Shown on a stand-in addon (no socket, no root), on a clock the test moves.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ReceivedPacket } from '../../src/adapters/types.js';

/** The datagram the stand-in's next read returns, with the age the addon would have measured. */
let waiting: { datagram: Uint8Array; ageMs: number } | undefined;

vi.mock('../../src/linux/addon.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/linux/addon.js')>();
  return {
    ...original,
    loadAddon: () => ({
      vrrpOpen: () => ({}),
      vrrpJoin: () => {},
      vrrpHold: () => {},
      vrrpAbsorb: () => false,
      vrrpRepeat: () => false,
      vrrpRecv: (_handle: unknown, data: Uint8Array, addresses: Uint8Array, meta: Float64Array) => {
        if (waiting === undefined) return -1;
        const { datagram, ageMs } = waiting;
        waiting = undefined;
        data.set(datagram);
        addresses.fill(0);
        meta[0] = ageMs;
        meta[1] = -1;
        return datagram.length;
      },
      vrrpClose: () => {},
    }),
  };
});

const { acquireVrrpSocket } = await import('../../src/linux/transport/vrrp-socket.js');

const VRID = 51;
/** An IPv4 datagram (TTL 255, protocol 112, 192.0.2.1 → 224.0.0.18) carrying a VRRP message for VRID 51. */
function vrrpDatagram(): Uint8Array {
  const payload = [0x31, VRID, 100, 1, 0, 100, 0, 0, 192, 0, 2, 100];
  const total = 20 + payload.length;
  return Uint8Array.from([0x45, 0xc0, 0, total, 0, 0, 0, 0, 255, 112, 0, 0, 192, 0, 2, 1, 224, 0, 0, 18, ...payload]);
}

/** performance.now() answering `times` in turn, then the last of them. */
function clockReading(times: number[]): void {
  let at = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => times[Math.min(at++, times.length - 1)] as number);
}

describe('VrrpSocket: a packet is dated as it is handed over', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    waiting = undefined;
  });

  it('adds the time its dispatch took to the age the addon measured at the read', () => {
    const socket = acquireVrrpSocket('stand-in-age0', 'ipv4');
    const handed: ReceivedPacket[] = [];
    socket.register(VRID, { onPacket: (packet) => handed.push(packet) }, true);
    waiting = { datagram: vrrpDatagram(), ageMs: 5 };
    // The dispatch reads the clock as it starts (1000) and again as it hands over (1002.5): 2.5 ms of JavaScript.
    clockReading([1000, 1002.5]);
    socket.drain();
    expect(handed).toHaveLength(1);
    expect(handed[0]?.ageMs).toBe(7.5);
    socket.unregister(VRID);
  });

  it('leaves the age out when the addon had none to trust', () => {
    const socket = acquireVrrpSocket('stand-in-age1', 'ipv4');
    const handed: ReceivedPacket[] = [];
    socket.register(VRID, { onPacket: (packet) => handed.push(packet) }, true);
    waiting = { datagram: vrrpDatagram(), ageMs: -1 };
    clockReading([1000, 1002.5]);
    socket.drain();
    expect(handed).toHaveLength(1);
    expect(handed[0]?.ageMs).toBeUndefined();
    socket.unregister(VRID);
  });
});
