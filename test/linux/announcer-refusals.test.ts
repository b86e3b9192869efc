/**
 * How the announcer meets a frame the kernel refuses, on a packet socket faked here (no root, nothing sent): a full
 * queue (EAGAIN, ENOBUFS) costs that frame only — the rest of the announcement goes out, the socket is kept, and the
 * refusal is thrown once it is done; any other failure drops the socket and is thrown at once.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const sent: string[] = [];
let refuse: ((frameIndex: number) => string | undefined) | undefined;
let opened = 0;
let closed = 0;

vi.mock('../../src/linux/packet-socket.js', () => ({
  openPacketSocket: (ifname: string) => {
    opened++;
    return {
      ifname,
      ifindex: 2,
      mac: new Uint8Array([2, 0, 0, 0, 0, 1]),
      send: (frame: Uint8Array) => {
        // The ARP's target address: the frame's last four bytes.
        const target = Array.from(frame.subarray(frame.length - 4)).join('.');
        const code = refuse?.(sent.length);
        sent.push(target);
        if (code !== undefined) throw Object.assign(new Error(`send: ${code}`), { code });
      },
      close: () => {
        closed++;
      },
    };
  },
}));

const { Announcer } = await import('../../src/linux/announcer.js');
const addresses = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address) => ({ address, family: 'ipv4' as const }));

describe('an announcement the kernel refuses a frame of', () => {
  beforeEach(() => {
    sent.length = 0;
    refuse = undefined;
    opened = 0;
    closed = 0;
  });

  for (const code of ['EAGAIN', 'ENOBUFS']) {
    it(`sends every other frame past a full queue's ${code}, keeps the socket, and throws it at the end`, async () => {
      const announcer = new Announcer({ followLink: false });
      refuse = (index) => (index === 1 ? code : undefined);
      await expect(announcer.announce('eth0', addresses, { repeat: 2 })).rejects.toMatchObject({ code });
      expect(sent, 'frames tried, in order').toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1', '10.0.0.2', '10.0.0.3']);
      expect(closed, 'sockets closed').toBe(0);
      await announcer.announce('eth0', addresses, { repeat: 1 });
      expect(opened, 'sockets opened: the same one serves the next announcement').toBe(1);
    });
  }

  it('drops the socket and throws at once on any other failure (ENXIO: the interface went)', async () => {
    const announcer = new Announcer({ followLink: false });
    refuse = (index) => (index === 1 ? 'ENXIO' : undefined);
    await expect(announcer.announce('eth0', addresses, { repeat: 2 })).rejects.toMatchObject({ code: 'ENXIO' });
    expect(sent).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(closed).toBe(1);
  });
});
