/**
 * Which address notifications the link monitor's shared event socket treats as old news: an RTM_NEWADDR that only
 * repeats what the last re-read of its interface saw (a VIP's lease renewal) re-reads nothing, since every master
 * renews every few seconds and each re-read parses every address of the namespace (docs/linux.md). Anything that
 * could change a watcher's judgement must still be news. The socket path itself runs in the lab tests
 * (test/interop/vip-lease.test.ts: a VIP deleted behind a live master comes back).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { warningsDuring } from '../support/warnings.js';
import type { InterfaceAddress } from '../../src/linux/interfaces.js';
import { PackedEntries, reportUnfiltered, repeatsLastRead, type LastRead } from '../../src/linux/link-monitor.js';
import { propertySeed, seededCheck } from '../support/seed.js';

const check = seededCheck(propertySeed('link monitor packed entries'));

const address = (overrides: Partial<InterfaceAddress & { index: number }> = {}): InterfaceAddress & { index: number } => ({
  index: 2,
  address: '10.0.0.10',
  prefixLength: 32,
  family: 'ipv4',
  secondary: false,
  tentative: false,
  label: 'eth0',
  ...overrides,
});

const read = (addresses: InterfaceAddress[], overrides: Partial<LastRead> = {}): LastRead => ({
  index: 2,
  families: new Set(['ipv4']),
  addresses: { ipv4: addresses.filter((a) => a.family === 'ipv4'), ipv6: addresses.filter((a) => a.family === 'ipv6') },
  ...overrides,
});

describe('repeatsLastRead', () => {
  it('calls a renewal of an address the last read saw unchanged old news', () => {
    expect(repeatsLastRead(address(), [read([address({ address: '10.0.0.1', prefixLength: 24 }), address()])])).toBe(true);
  });

  it('calls an address the last read did not see news', () => {
    expect(repeatsLastRead(address({ address: '10.0.0.11' }), [read([address()])])).toBe(false);
  });

  it('calls a changed prefix length news', () => {
    expect(repeatsLastRead(address({ prefixLength: 24 }), [read([address()])])).toBe(false);
  });

  it('calls a changed secondary flag news (a promotion after the primary left)', () => {
    expect(repeatsLastRead(address({ secondary: false }), [read([address({ secondary: true })])])).toBe(false);
  });

  it('calls a changed tentative flag news (duplicate address detection passed)', () => {
    const ipv6 = { family: 'ipv6' as const, address: 'fe80::1', prefixLength: 64, label: undefined };
    const last = read([address({ ...ipv6, tentative: true })], { families: new Set(['ipv6']) });
    expect(repeatsLastRead(address({ ...ipv6, tentative: false }), [last])).toBe(false);
  });

  it('calls a changed label news', () => {
    expect(repeatsLastRead(address({ label: 'eth0:vip' }), [read([address()])])).toBe(false);
  });

  it('calls the same address on another interface index news', () => {
    expect(repeatsLastRead(address({ index: 3 }), [read([address()])])).toBe(false);
  });

  it('calls an address of a family the last read did not cover news', () => {
    const ipv6 = address({ family: 'ipv6', address: '2001:db8::1', prefixLength: 128 });
    const last: LastRead = { index: 2, families: new Set(['ipv4']), addresses: { ipv4: [], ipv6: [ipv6] } };
    expect(repeatsLastRead(ipv6, [last])).toBe(false);
  });

  it('calls everything news before any read', () => {
    expect(repeatsLastRead(address(), [])).toBe(false);
  });

  it('finds the read of the right interface among several', () => {
    const other = read([address({ index: 5 })], { index: 5 });
    expect(repeatsLastRead(address(), [other, read([address()])])).toBe(true);
  });
});

describe('reportUnfiltered', () => {
  it('warns once per thread, with the reason, that lease renewals the kernel filter left out wake the engine thread', async () => {
    const warnings = await warningsDuring(() => {
      reportUnfiltered('100 of 255 fit');
      reportUnfiltered('setsockopt(SO_ATTACH_FILTER): EINVAL');
    });
    expect(warnings.map((w) => [w.code, w.name])).toEqual([['VRRP_LINK_FILTER', 'VrrpWarning']]);
    expect(warnings[0]?.message).toContain('100 of 255 fit');
  });
});

// The old news the hub declares to its event socket's filter: one buffer for all of them (src/linux/link-monitor.ts).
describe('PackedEntries', () => {
  it('hands out every entry with its own bytes, in order, however often the buffer grew', () => {
    // Entries of the sizes the hub keeps (an ifaddrmsg and an IPv4 or IPv6 address: 16 or 28 bytes) and more, enough
    // of them to outgrow the first buffer (256 bytes) several times.
    const entryArbitrary = fc.uint8Array({ minLength: 1, maxLength: 40, size: 'max' });
    check(
      fc.property(fc.array(entryArbitrary, { maxLength: 80, size: 'max' }), fc.integer({ min: 0, max: 80 }), (entries, clearAt) => {
        const packed = new PackedEntries();
        let expected: Uint8Array[] = [];
        entries.forEach((entry, i) => {
          if (i === clearAt) {
            packed.clear();
            expected = [];
          }
          packed.add(entry);
          expected.push(entry.slice());
          entry.fill(0); // a copy is kept, not the caller's bytes
        });
        expect(packed.views.map((view) => [...view])).toEqual(expected.map((entry) => [...entry]));
      }),
      300,
    );
  });

  it('keeps nothing after a clear', () => {
    const packed = new PackedEntries();
    packed.add(Uint8Array.of(1, 2, 3));
    packed.clear(true);
    expect(packed.views).toEqual([]);
    packed.add(Uint8Array.of(4));
    expect(packed.views.map((view) => [...view])).toEqual([[4]]);
  });
});
