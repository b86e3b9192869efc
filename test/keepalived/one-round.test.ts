/**
 * A keepalived.conf is reported in one round (issue 11): each instance is checked against the config schema even
 * when it, or an instance, group or tracker read after it, has errors already — a user who fixes the listed
 * problems does not meet new ones on the next run — and a line is not blamed twice.
 */
import { describe, expect, it } from 'vitest';
import { keepalivedToConfig, parseKeepalivedConf, type KeepalivedImport } from '../../src/keepalived/index.js';

const convert = (text: string): KeepalivedImport => keepalivedToConfig(parseKeepalivedConf(text, { file: 'k.conf' }));

/** `k.conf:N` of the first line of `text` containing `needle`. */
function at(text: string, needle: string): string {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`no line contains ${needle}`);
  return `k.conf:${index + 1}`;
}

/** VI_1: valid but for an IPv6 unicast peer on an IPv4 instance (only the schema check sees that). */
const VI_1 = `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 30
  virtual_ipaddress {
    192.0.2.10/24
  }
  unicast_peer {
    2001:db8::7
  }
}
`;

describe('keepalived.conf problems in one report', () => {
  it("reports an instance's schema problem although an instance read after it has an error", () => {
    const text = `${VI_1}vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 31
  priority 0
  virtual_ipaddress {
    192.0.2.11/24
  }
}
`;
    const { errors } = convert(text);
    expect(errors.map((error) => error.path)).toEqual([at(text, '2001:db8::7'), at(text, 'priority 0')]);
    expect(errors[0]?.message).toMatch(/unicastPeers\.0: 2001:db8::7 is ipv6 but the virtual addresses are ipv4/);
  });

  it("reports an instance's schema problem beside its own reading error on another line", () => {
    const text = VI_1.replace('  interface eth0\n', '  interface eth0\n  preempt_delay 5000\n');
    const { errors } = convert(text);
    expect(errors.map((error) => error.path)).toEqual([at(text, 'preempt_delay'), at(text, '2001:db8::7')]);
  });

  it('does not blame a line twice: a reading error and the schema on the same line give one problem', () => {
    const text = VI_1.replace('    192.0.2.10/24\n', '    192.0.2.10/24\n    2001:db8::5/64\n').replace(/  unicast_peer \{\n {4}2001:db8::7\n {2}\}\n/, '');
    const { errors } = convert(text);
    expect(errors.map((error) => error.path)).toEqual([at(text, '2001:db8::5/64')]);
    expect(errors[0]?.message).toMatch(/is ipv6 but the first address is ipv4/);
  });
});
