/**
 * The engine's drain before a late timer (VrrpSocket.drainIfStale, src/linux/transport/vrrp-socket.ts): many
 * instances' timers fire in one wake-up, and each one past the lateness bound asked for a drain — an empty recvmsg
 * per advert sent at 255 masters. A read that found the socket empty within the last millisecond stands for one.
 * Shown on a stand-in addon (no socket, no root): what reaches vrrpRecv, on a clock the test moves.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

const recvCalls: number[] = [];
let nowMs = 1000;

vi.mock('../../src/linux/addon.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/linux/addon.js')>();
  return {
    ...original,
    loadAddon: () => ({
      vrrpOpen: () => ({}),
      // An empty socket: every read finds nothing.
      vrrpRecv: () => {
        recvCalls.push(nowMs);
        return -1;
      },
      vrrpClose: () => {},
    }),
  };
});

const { acquireVrrpSocket } = await import('../../src/linux/transport/vrrp-socket.js');

describe('VrrpSocket.drainIfStale', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    recvCalls.length = 0;
  });

  it('reads when no read has found the socket empty yet', () => {
    vi.spyOn(performance, 'now').mockImplementation(() => nowMs);
    const socket = acquireVrrpSocket('stand-in0', 'ipv4');
    socket.drainIfStale();
    expect(recvCalls).toEqual([1000]);
  });

  it('skips a drain within a millisecond of a read that found the socket empty, and reads again after', () => {
    vi.spyOn(performance, 'now').mockImplementation(() => nowMs);
    const socket = acquireVrrpSocket('stand-in1', 'ipv4');
    nowMs = 2000;
    socket.drain(); // the readiness path's read, or the first late timer's
    nowMs = 2000.4;
    socket.drainIfStale(); // the wake-up's next instances: fresh, skipped
    nowMs = 2000.9;
    socket.drainIfStale();
    expect(recvCalls).toEqual([2000]);
    nowMs = 2001;
    socket.drainIfStale(); // a millisecond on: read again
    expect(recvCalls).toEqual([2000, 2001]);
  });

  it('always reads on drain itself (the readiness callback)', () => {
    vi.spyOn(performance, 'now').mockImplementation(() => nowMs);
    const socket = acquireVrrpSocket('stand-in2', 'ipv4');
    nowMs = 3000;
    socket.drain();
    socket.drain();
    expect(recvCalls).toEqual([3000, 3000]);
  });
});
