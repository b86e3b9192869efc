/**
 * VrrpSocket (src/linux/transport/vrrp-socket.ts) on a stand-in addon (no socket, no root) that records what it was
 * asked, on a clock the test moves.
 *
 * The drain before a late timer (drainIfStale): many instances' timers fire in one wake-up, and each one past the
 * lateness bound asked for a drain — an empty recvmsg per advert sent at 255 masters. A read that found the socket
 * empty within the last millisecond stands for one.
 *
 * VRRP_KERNEL_SILENCE=0 turns the kernel's silence timers off (docs/linux.md). The transport reads it and tells the
 * addon at the socket's open (vrrpOpen's fourth argument): the addon no longer reads the environment itself, since
 * its getenv on the engine thread could race the main thread writing process.env.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

const recvCalls: number[] = [];
let nowMs = 1000;
/** The fourth argument of each vrrpOpen the stand-in saw. */
const kernelSilenceAsked: unknown[] = [];

vi.mock('../../src/linux/addon.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/linux/addon.js')>();
  return {
    ...original,
    loadAddon: () => ({
      vrrpOpen: (...args: unknown[]) => {
        kernelSilenceAsked.push(args[3]);
        return {};
      },
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

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  recvCalls.length = 0;
  kernelSilenceAsked.length = 0;
});

describe('VrrpSocket.drainIfStale', () => {
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

describe('VrrpSocket: the kernel silence timers at open', () => {
  it('asks for them when VRRP_KERNEL_SILENCE is not set', () => {
    vi.stubEnv('VRRP_KERNEL_SILENCE', undefined);
    acquireVrrpSocket('stand-in-ks0', 'ipv4');
    expect(kernelSilenceAsked).toEqual([true]);
  });

  it('turns them off when VRRP_KERNEL_SILENCE=0', () => {
    vi.stubEnv('VRRP_KERNEL_SILENCE', '0');
    acquireVrrpSocket('stand-in-ks1', 'ipv6');
    expect(kernelSilenceAsked).toEqual([false]);
  });
});
