/**
 * The rtnetlink address requests a takeover sends, encoded by our pure encoder: byte for byte what the netlink
 * module encodes for the same address (the encoder the VIP manager used before), field by field where it matters.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { VirtualAddress } from '../../src/config.js';
import { keptBytes } from '../../src/linux/kept-bytes.js';
import { addressRequest, requestPayload, RTM_DELADDR, RTM_NEWADDR } from '../../src/linux/vip/address-request.js';

interface NetlinkEncoder {
  AttrStream: new () => { bufs: Buffer[] };
  rt: { formatAddressMessage(message: unknown, out: { bufs: Buffer[] }): void };
}

/** The netlink module's encoding of the same payload, as the VIP manager built it before. */
function netlinkPayload(index: number, vip: VirtualAddress, withLabel: boolean): string {
  const netlink = createRequire(import.meta.url)('netlink') as NetlinkEncoder;
  const bytes = Buffer.from(vip.address.includes(':') ? ipv6Bytes(vip.address) : vip.address.split('.').map(Number));
  const ipv6 = vip.family === 'ipv6';
  const attrs: Record<string, unknown> = { local: bytes, address: bytes };
  if (withLabel && vip.label !== undefined) attrs.label = vip.label;
  if (ipv6) attrs.cacheInfo = { ifaPrefered: 0, ifaValid: 0xffffffff };
  const data: Record<string, unknown> = { family: ipv6 ? 10 : 2, prefixlen: vip.prefixLength, index };
  if (ipv6) data.flags = { nodad: true };
  const stream = new netlink.AttrStream();
  netlink.rt.formatAddressMessage({ kind: 'address', data, attrs }, stream);
  return Buffer.concat(stream.bufs).toString('hex');
}

function ipv6Bytes(text: string): number[] {
  const [head = '', tail = ''] = text.split('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const V4: VirtualAddress = { address: '10.0.0.5', prefixLength: 24, family: 'ipv4', label: 'eth0:vip' };
const V4_PLAIN: VirtualAddress = { address: '192.0.2.100', prefixLength: 32, family: 'ipv4' };
const V6: VirtualAddress = { address: '2001:db8::1', prefixLength: 64, family: 'ipv6' };

describe('addressRequest', () => {
  for (const [name, vip] of [['IPv4 with a label', V4], ['IPv4 /32', V4_PLAIN], ['IPv6', V6]] as const) {
    // The netlink module leaves a last attribute of odd length (a label) unpadded; we pad it to 4 bytes, as
    // NLMSG_ALIGN wants (the attribute's own length still says 13): same bytes, then zeros.
    it(`encodes the same add payload as the netlink module: ${name}`, () => {
      const ours = hex(requestPayload(addressRequest(RTM_NEWADDR, 7, vip)));
      const theirs = netlinkPayload(7, vip, true);
      expect(ours.slice(0, theirs.length)).toBe(theirs);
      expect(ours.slice(theirs.length)).toMatch(/^(00){0,3}$/);
    });
    it(`encodes the same delete payload as the netlink module, without a label: ${name}`, () => {
      expect(hex(requestPayload(addressRequest(RTM_DELADDR, 7, vip)))).toBe(netlinkPayload(7, vip, false));
    });
  }

  it('heads an add with its length, RTM_NEWADDR and request|ack|excl|create, in host order', () => {
    const { message } = addressRequest(RTM_NEWADDR, 7, V4_PLAIN);
    const view = new DataView(message.buffer, message.byteOffset);
    expect(view.getUint32(0, true)).toBe(message.length);
    expect(view.getUint16(4, true)).toBe(20);
    expect(view.getUint16(6, true)).toBe(0x1 | 0x4 | 0x200 | 0x400);
    expect(view.getUint32(8, true)).toBe(0); // seq: the sender's
    expect(message.length % 4).toBe(0);
  });

  it('asks no create|excl for a delete', () => {
    const { message } = addressRequest(RTM_DELADDR, 7, V4_PLAIN);
    expect(new DataView(message.buffer, message.byteOffset).getUint16(6, true)).toBe(0x1 | 0x4);
  });

  it('writes a big-endian host in big-endian order', () => {
    const { message } = addressRequest(RTM_NEWADDR, 0x01020304, V4_PLAIN, { littleEndian: false });
    const view = new DataView(message.buffer, message.byteOffset);
    expect(view.getUint32(0, false)).toBe(message.length);
    expect(view.getUint32(16 + 4, false)).toBe(0x01020304);
  });

  // A lease is the kernel's valid lifetime: IPv4 gets valid = preferred = the lease, IPv6 stays deprecated
  // (preferred 0). The same bytes as the netlink module's cacheInfo attribute.
  it('carries a leased IPv4 address its lifetimes, as the netlink module encodes them', () => {
    const netlink = createRequire(import.meta.url)('netlink') as NetlinkEncoder;
    const stream = new netlink.AttrStream();
    const bytes = Buffer.from([192, 0, 2, 100]);
    netlink.rt.formatAddressMessage(
      { kind: 'address', data: { family: 2, prefixlen: 32, index: 7 }, attrs: { local: bytes, address: bytes, cacheInfo: { ifaPrefered: 5, ifaValid: 5 } } },
      stream,
    );
    expect(hex(requestPayload(addressRequest(RTM_NEWADDR, 7, V4_PLAIN, { leaseS: 5 })))).toBe(Buffer.concat(stream.bufs).toString('hex'));
  });

  it('keeps a leased IPv6 address deprecated (preferred 0) with the lease as its valid lifetime', () => {
    const { message } = addressRequest(RTM_NEWADDR, 7, V6, { leaseS: 5 });
    const view = new DataView(message.buffer, message.byteOffset);
    const cacheInfoAt = message.length - 16; // the last attribute's payload
    expect(view.getUint16(cacheInfoAt - 2, true)).toBe(6); // IFA_CACHEINFO
    expect(view.getUint32(cacheInfoAt, true)).toBe(0);
    expect(view.getUint32(cacheInfoAt + 4, true)).toBe(5);
  });

  it('renews a lease with replace|create, so that a vanished address comes back', () => {
    const { message } = addressRequest(RTM_NEWADDR, 7, V4_PLAIN, { leaseS: 5, refresh: true });
    expect(new DataView(message.buffer, message.byteOffset).getUint16(6, true)).toBe(0x1 | 0x4 | 0x100 | 0x400);
  });

  // A warm-up's request must change nothing whatever the interface holds: a valid lifetime of 0, which the kernel
  // refuses (EINVAL) before it looks for the address (test/interop/linux-adapters.test.ts sees it refused).
  it('gives a refused request a valid lifetime of 0, in either family', () => {
    for (const vip of [V4_PLAIN, V6]) {
      const { message } = addressRequest(RTM_NEWADDR, 7, vip, { refused: true });
      const view = new DataView(message.buffer, message.byteOffset);
      const cacheInfoAt = message.length - 16;
      expect(view.getUint16(cacheInfoAt - 2, true), vip.family).toBe(6); // IFA_CACHEINFO
      expect([view.getUint32(cacheInfoAt, true), view.getUint32(cacheInfoAt + 4, true)], vip.family).toEqual([0, 0]);
    }
  });

  it('puts no lifetimes on a delete', () => {
    expect(hex(requestPayload(addressRequest(RTM_DELADDR, 7, V4_PLAIN, { leaseS: 5 })))).toBe(netlinkPayload(7, V4_PLAIN, false));
  });

  it('refuses a lease that is not a whole number of seconds from 1', () => {
    expect(() => addressRequest(RTM_NEWADDR, 7, V4_PLAIN, { leaseS: 0.5 })).toThrow(RangeError);
    expect(() => addressRequest(RTM_NEWADDR, 7, V4_PLAIN, { leaseS: 0 })).toThrow(RangeError);
  });

  it('encodes into the bytes `allocate` gives, past their offset and the same as without it', () => {
    const slab = new Uint8Array(256).fill(0xee);
    const allocate = (length: number): Uint8Array => slab.subarray(40, 40 + length).fill(0);
    const { message } = addressRequest(RTM_NEWADDR, 7, V6, { leaseS: 5, allocate });
    expect(message.buffer).toBe(slab.buffer);
    expect(message.byteOffset).toBe(40);
    expect(hex(message)).toBe(hex(addressRequest(RTM_NEWADDR, 7, V6, { leaseS: 5 }).message));
    expect(slab[39]).toBe(0xee); // nothing written before the view
    expect(slab[40 + message.length]).toBe(0xee); // or after it
  });

  it('refuses bytes from `allocate` of another length than the request', () => {
    expect(() => addressRequest(RTM_NEWADDR, 7, V4_PLAIN, { allocate: (length) => new Uint8Array(length + 4) })).toThrow(/allocate gave/);
  });

  it('refuses an address that does not parse', () => {
    expect(() => addressRequest(RTM_NEWADDR, 1, { address: 'nope', prefixLength: 32, family: 'ipv4' })).toThrow(TypeError);
  });
});

describe('keptBytes', () => {
  it('hands out zeroed views of one shared buffer that do not overlap', () => {
    const views = [keptBytes(36), keptBytes(52), keptBytes(44)];
    for (const view of views) expect([...view].every((byte) => byte === 0)).toBe(true);
    expect(new Set(views.map((view) => view.buffer)).size).toBe(1);
    const ranges = views.map((view) => [view.byteOffset, view.byteOffset + view.length] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThanOrEqual(ranges[i - 1]![1]);
  });

  it('starts each view 8-aligned', () => {
    for (const length of [1, 13, 36, 7]) expect(keptBytes(length).byteOffset % 8).toBe(0);
  });

  it('starts a new buffer when the current one is full, and gives a large request its own', () => {
    const first = keptBytes(200);
    let next = keptBytes(200);
    for (let i = 0; i < 8 && next.buffer === first.buffer; i++) next = keptBytes(200);
    expect(next.buffer).not.toBe(first.buffer);
    expect(next.length).toBe(200);
    const large = keptBytes(4096);
    expect(large.byteOffset).toBe(0);
    expect(large.buffer.byteLength).toBe(4096);
  });

  it('refuses a byte count that is not a whole number from 0', () => {
    expect(() => keptBytes(-1)).toThrow(RangeError);
    expect(() => keptBytes(1.5)).toThrow(RangeError);
  });
});
