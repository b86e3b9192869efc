/**
 * The process-wide rtnetlink sockets for dumps and address changes (src/linux/interfaces.ts) survive a failed read.
 * netlink 0.3 emits a failed recvmsg (ENOBUFS) or poll as 'error' on its inner socket; with no listener that was an
 * uncaught exception on the engine thread, and the request waiting on the socket was never answered, so every dump
 * queued behind it waited for ever. The failure is raised here the way the module's native code raises it: as
 * 'error' on the raw socket, while a request is waiting for its answer (which can only be read on a later turn).
 * NETLINK_ROUTE sockets need no privilege.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { changeRequestSocket, closeNetlinkSockets, getAllAddresses, serializedDump } from '../../src/linux/interfaces.js';
import type { RtNetlinkSocket } from '../../src/linux/native.js';

/** Raises `error` on the raw socket under an rtnetlink socket, as netlink's native read does. */
function failRead(socket: RtNetlinkSocket, error: Error): void {
  (socket.socket as unknown as { socket: EventEmitter }).socket.emit('error', error);
}

/** Collects the VrrpWarnings emitted until `settle` resolves and one more turn has passed. */
async function warningsDuring(settle: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (warning: Error & { code?: string }): void => {
    if (warning.name === 'VrrpWarning') seen.push(`${warning.code}: ${warning.message}`);
  };
  process.on('warning', listener);
  try {
    await settle();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

afterEach(() => closeNetlinkSockets());

describe('netlink request sockets', () => {
  it('a failed read rejects the dump waiting on the dump socket, warns, and the next dump runs on a new socket', async () => {
    let failed: RtNetlinkSocket | undefined;
    let outcome: unknown;
    const warnings = await warningsDuring(async () => {
      outcome = await serializedDump((socket) => {
        failed = socket;
        const waiting = socket.getLinks();
        failRead(socket, new Error('Error when receiving Netlink message: recvmsg ENOBUFS'));
        return waiting;
      }).then(
        () => 'answered',
        (error: Error) => error.message,
      );
    });
    expect(outcome, 'the dump that was waiting when the read failed').toMatch(/ENOBUFS/);
    expect(warnings).toEqual([expect.stringMatching(/^VRRP_NETLINK_FAILED: netlink dump socket: .*ENOBUFS.*new socket/)]);
    let next: RtNetlinkSocket | undefined;
    const addresses = await serializedDump((socket) => {
      next = socket;
      return socket.getAddresses();
    });
    expect(next, 'the socket of the dump after the failure').not.toBe(failed);
    expect(addresses.length, 'addresses read after the failure (lo has 127.0.0.1)').toBeGreaterThan(0);
    await expect(getAllAddresses(), 'a shared dump after the failure').resolves.not.toHaveLength(0);
  });

  it('a failed read rejects the request waiting on the address-change socket and the next call opens a new socket', async () => {
    const failed = changeRequestSocket();
    // RTM_GETLINK (18) with no payload beyond an empty ifinfomsg: answered by the kernel, but only on a later turn.
    const waiting = failed.socket.request(18, [Buffer.alloc(16)]).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    const warnings = await warningsDuring(async () => {
      failRead(failed, new Error('error when polling socket: EIO'));
      expect(await waiting, 'the request that was waiting when the read failed').toMatch(/EIO/);
    });
    expect(warnings).toEqual([expect.stringMatching(/^VRRP_NETLINK_FAILED: netlink address change socket: .*EIO/)]);
    expect(changeRequestSocket(), 'the address-change socket after the failure').not.toBe(failed);
  });
});
