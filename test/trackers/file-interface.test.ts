/**
 * `file` probes (keepalived's track_file) against temporary files: the number is read as C's strtol reads it, a
 * missing or empty file or one without a number reads 0, an out-of-range number is ignored; the reason shows what
 * the value is worth. `interface` probes against a fake sysfs tree and this machine's loopback.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileProbe, parseTrackFileValue } from '../../src/trackers/file.js';
import { createInterfaceProbe, sysfsInterfaceLink } from '../../src/trackers/interface.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('file');
afterAll(() => tmp.remove());
const never = new AbortController().signal;

describe('reading a track file', () => {
  // Given the texts keepalived's strtol(text, NULL, 0) reads; then the same numbers.
  it('reads numbers as strtol with base 0 does', () => {
    expect(parseTrackFileValue('5\n')).toEqual({ value: 5 });
    expect(parseTrackFileValue('  -12 apples')).toEqual({ value: -12 });
    expect(parseTrackFileValue('+7')).toEqual({ value: 7 });
    expect(parseTrackFileValue('0x1F')).toEqual({ value: 31 });
    expect(parseTrackFileValue('010')).toEqual({ value: 8 });
    expect(parseTrackFileValue('08')).toEqual({ value: 0 });
    expect(parseTrackFileValue('1.9')).toEqual({ value: 1 });
    expect(parseTrackFileValue('abc')).toEqual({ value: 0, note: 'no number in it, read as 0' });
    expect(parseTrackFileValue('99999999999')).toEqual({ invalid: '99999999999 is out of range, ignored' });
  });
});

describe('file probe', () => {
  const file = join(tmp.dir, 'weight');
  const probe = (weight: number, reverse = false) => createFileProbe({ path: file, weight, reverse });

  // Given weight -10 and the file holding 3; then up with the product in the reason and the value.
  it('reports the value and what it is worth', async () => {
    writeFileSync(file, '3\n');
    expect(await probe(-10)(never)).toEqual({ up: true, value: 3, reason: 'value 3 × weight -10 = -30' });
    expect(await probe(-10, true)(never)).toEqual({ up: true, value: 3, reason: 'value 3 × weight -10 reversed = 30' });
  });

  // Given weight -1 and 254 in the file; then down: a product below -253 faults.
  it('is down when the product is below -253', async () => {
    writeFileSync(file, '254');
    expect(await probe(-1)(never)).toEqual({ up: false, value: 254, reason: 'value 254 × weight -1 = -254: below -253, faults' });
  });

  // Given weight 0; then 0 is up, anything else faults (the other way round when reversed).
  it('faults on a non-zero value with weight 0', async () => {
    writeFileSync(file, '0');
    expect(await probe(0)(never)).toEqual({ up: true, value: 0, reason: 'value 0' });
    writeFileSync(file, '2');
    expect(await probe(0)(never)).toEqual({ up: false, value: 2, reason: 'value 2: faults with weight 0' });
    expect(await probe(0, true)(never)).toEqual({ up: true, value: 2, reason: 'value 2' });
  });

  // Given a missing file, an empty one, and one with no number; then each reads 0, and the reason says why.
  it('reads a missing, empty or non-numeric file as 0', async () => {
    const missing = createFileProbe({ path: join(tmp.dir, 'missing'), weight: 0, reverse: false });
    expect(await missing(never)).toEqual({ up: true, value: 0, reason: `${join(tmp.dir, 'missing')} ENOENT, read as 0: value 0` });
    writeFileSync(file, '');
    expect(await probe(5)(never)).toEqual({ up: true, value: 0, reason: `${file} empty, read as 0: value 0 × weight 5 = 0` });
    writeFileSync(file, 'healthy');
    expect(await probe(5)(never)).toEqual({ up: true, value: 0, reason: `${file} no number in it, read as 0: value 0 × weight 5 = 0` });
  });

  // Given a probe that read 4, then a number beyond 32 bits; then the 4 stands, as in keepalived.
  it('ignores an out-of-range number, keeping the last value', async () => {
    const p = probe(1);
    writeFileSync(file, '4');
    await p(never);
    writeFileSync(file, '99999999999');
    expect(await p(never)).toEqual({ up: true, value: 4, reason: `${file} 99999999999 is out of range, ignored; 4 stands: value 4 × weight 1 = 4` });
  });
});

describe('interface probe', () => {
  const sys = join(tmp.dir, 'sys-class-net');
  const fakeLink = (name: string, flags: string, operstate: string): void => {
    rmSync(join(sys, name), { recursive: true, force: true });
    mkdirSync(join(sys, name), { recursive: true });
    writeFileSync(join(sys, name, 'flags'), `${flags}\n`);
    writeFileSync(join(sys, name, 'operstate'), `${operstate}\n`);
  };
  const probe = (name: string) => createInterfaceProbe({ interface: name }, sysfsInterfaceLink(sys));

  // Given sysfs flags with IFF_UP and operstate up (or unknown: IFF_RUNNING is set for both); then up.
  it('is up when the link is up and running', async () => {
    fakeLink('eth9', '0x1003', 'up');
    expect(await probe('eth9')(never)).toEqual({ up: true, reason: 'eth9 up (operstate up)' });
    fakeLink('tun9', '0x1091', 'unknown');
    expect(await probe('tun9')(never)).toEqual({ up: true, reason: 'tun9 up (operstate unknown)' });
  });

  // Given a link without IFF_UP, one up without carrier, and one that does not exist; then down, saying which.
  it('is down when the link is admin down, not running, or missing', async () => {
    fakeLink('eth9', '0x1002', 'down');
    expect(await probe('eth9')(never)).toEqual({ up: false, reason: 'eth9 admin down' });
    fakeLink('eth9', '0x1003', 'lowerlayerdown');
    expect(await probe('eth9')(never)).toEqual({ up: false, reason: 'eth9 not running (operstate lowerlayerdown)' });
    expect(await probe('eth404')(never)).toEqual({ up: false, reason: 'eth404 no such interface' });
  });

  // Given this machine's loopback (flags without IFF_RUNNING in sysfs, operstate unknown); then up.
  it('reads the real loopback as up', async () => {
    expect(await createInterfaceProbe({ interface: 'lo' }, sysfsInterfaceLink())(never)).toEqual({ up: true, reason: 'lo up (operstate unknown)' });
  });

  // Given a reader that throws; then down with its message (a probe never rejects).
  it('turns a failing reader into a down result', async () => {
    const failing = createInterfaceProbe({ interface: 'eth1' }, () => Promise.reject(new Error('netlink gone')));
    expect(await failing(never)).toEqual({ up: false, reason: 'eth1: netlink gone' });
  });
});
