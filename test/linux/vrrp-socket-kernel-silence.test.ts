/**
 * VRRP_KERNEL_SILENCE=0 turns the kernel's silence timers off (docs/linux.md). The transport reads it and tells the
 * addon at the socket's open (vrrpOpen's fourth argument): the addon no longer reads the environment itself, since
 * its getenv on the engine thread could race the main thread writing process.env. Shown on a stand-in addon (no
 * socket, no root) that records what it was asked.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

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
      vrrpClose: () => {},
    }),
  };
});

const { acquireVrrpSocket } = await import('../../src/linux/transport/vrrp-socket.js');

describe('VrrpSocket: the kernel silence timers at open', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    kernelSilenceAsked.length = 0;
  });

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
