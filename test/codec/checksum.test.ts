/**
 * The RFC 1071 Internet checksum and the two pseudo-headers VRRPv3 may sum under it.
 */
import { describe, it, expect } from 'vitest';
import { internetChecksum, pseudoHeaderIpv4, pseudoHeaderIpv6 } from '../../src/core/checksum.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));

describe('internetChecksum', () => {
  it('matches the numerical example of RFC 1071 §3 (sum ddf2, checksum 220d)', () => {
    expect(internetChecksum(bytes('0001 f203 f4f5 f6f7'))).toBe(0x220d);
  });

  it('is 0xffff over no data at all', () => {
    expect(internetChecksum()).toBe(0xffff);
  });

  it('pads an odd final byte with a zero low half', () => {
    // 0x0100 + 0x0200 = 0x0300 → complement 0xfcff
    expect(internetChecksum(bytes('0100 02'))).toBe(0xfcff);
  });

  it('wraps carries around (end-around carry)', () => {
    // 0xffff + 0x0001 = 0x1_0000 → folds to 0x0001 → complement 0xfffe
    expect(internetChecksum(bytes('ffff 0001'))).toBe(0xfffe);
  });

  it('sums to zero over data that carries its own checksum', () => {
    const data = bytes('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
    const checksum = internetChecksum(data);
    data[10] = checksum >> 8;
    data[11] = checksum & 0xff;
    expect(internetChecksum(data)).toBe(0);
  });

  it('gives the same result for every split of the data into two chunks, odd lengths included', () => {
    const data = bytes('01 23 45 67 89 ab cd ef fe dc ba');
    const whole = internetChecksum(data);
    for (let cut = 0; cut <= data.length; cut++) {
      expect(internetChecksum(data.subarray(0, cut), data.subarray(cut)), `cut at ${cut}`).toBe(whole);
    }
  });

  it('gives the same result for every split of the data into three chunks, including empty ones', () => {
    const data = bytes('01 23 45 67 89 ab cd ef fe dc ba');
    const whole = internetChecksum(data);
    for (let first = 0; first <= data.length; first++) {
      for (let second = first; second <= data.length; second++) {
        const chunks = [data.subarray(0, first), data.subarray(first, second), data.subarray(second)];
        expect(internetChecksum(...chunks), `cuts at ${first}, ${second}`).toBe(whole);
      }
    }
  });
});

describe('pseudoHeaderIpv4', () => {
  it('lays out source, destination, zero, protocol 112 and the 16-bit length', () => {
    const header = pseudoHeaderIpv4(bytes('0a630001'), bytes('e0000012'), 16);
    expect(Buffer.from(header).toString('hex')).toBe(
      '0a630001' + // source 10.99.0.1
        'e0000012' + // destination 224.0.0.18
        '00' + // zero
        '70' + // protocol 112
        '0010', // VRRP message length 16
    );
  });

  it('throws RangeError on an address that is not 4 bytes', () => {
    expect(() => pseudoHeaderIpv4(new Uint8Array(16), new Uint8Array(4), 8)).toThrow(RangeError);
  });

  it('throws RangeError on a length that does not fit 16 bits', () => {
    expect(() => pseudoHeaderIpv4(new Uint8Array(4), new Uint8Array(4), 0x10000)).toThrow(RangeError);
  });
});

describe('pseudoHeaderIpv6', () => {
  it('lays out source, destination, the 32-bit length, three zeros and next header 112 (RFC 8200 §8.1)', () => {
    const src = bytes('fe80 0000 0000 0000 dc3d a2ff fee0 1ca6');
    const dst = bytes('ff02 0000 0000 0000 0000 0000 0000 0012');
    const header = pseudoHeaderIpv6(src, dst, 56);
    expect(Buffer.from(header).toString('hex')).toBe(
      'fe80000000000000dc3da2fffee01ca6' + // source fe80::dc3d:a2ff:fee0:1ca6
        'ff020000000000000000000000000012' + // destination ff02::12
        '00000038' + // upper-layer packet length 56
        '000000' + // zero
        '70', // next header 112
    );
  });

  it('throws RangeError on an address that is not 16 bytes', () => {
    expect(() => pseudoHeaderIpv6(new Uint8Array(4), new Uint8Array(16), 8)).toThrow(RangeError);
  });
});
