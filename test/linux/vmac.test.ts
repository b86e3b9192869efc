/**
 * The pure parts of the VMAC code (src/linux/vmac.ts), without root: the virtual router MAC, keepalived's names,
 * the choice among the links there are, and the RTM_NEWLINK / RTM_DELLINK requests byte for byte (read back with
 * the same attribute reader the link dump uses). The lab shows the kernel's side: test/interop/vmac.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decodeLinkInfo, nestedAttributes, readHostU16, readHostU32, type LinkDetails } from '../../src/linux/interfaces.js';
import { addrGenModeNoneRequest, chooseVmac, isAnyVmac, isVmacOf, linkDeleteRequest, lowerIndexOf, linkUpRequest, MACVLAN_MODE_PRIVATE, RTM_DELLINK, RTM_NEWLINK, vmacAddress, vmacCreateRequest, vmacNames } from '../../src/linux/vmac.js';

const hex = (bytes: Uint8Array): string => [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');

function link(name: string, index: number, fields: Partial<LinkDetails> = {}): LinkDetails {
  return { name, index, adminUp: true, running: true, mac: Uint8Array.of(2, 0, 0, 0, 0, index), parentIndex: undefined, kind: undefined, macvlanMode: undefined, ...fields };
}

const eth0 = link('eth0', 2, { kind: 'veth' });
const vmacOf = (name: string, index: number, mac: Uint8Array, fields: Partial<LinkDetails> = {}): LinkDetails =>
  link(name, index, { kind: 'macvlan', parentIndex: 2, macvlanMode: MACVLAN_MODE_PRIVATE, mac, ...fields });

describe('the virtual router MAC and its names', () => {
  // RFC 9568 §7.3: 00-00-5E-00-01-{VRID} for IPv4, 00-00-5E-00-02-{VRID} for IPv6.
  it('is 00:00:5e:00:01:VRID for IPv4 and 00:00:5e:00:02:VRID for IPv6', () => {
    expect(hex(vmacAddress('ipv4', 51))).toBe('00:00:5e:00:01:33');
    expect(hex(vmacAddress('ipv6', 255))).toBe('00:00:5e:00:02:ff');
  });

  // keepalived's order: vrrp.N, (IPv6) vrrp6.N, then vrrp1.N… — never vrrp6.N twice.
  it("are tried in keepalived's order", () => {
    expect(vmacNames('ipv4', 7).slice(0, 3)).toEqual(['vrrp.7', 'vrrp1.7', 'vrrp2.7']);
    expect(vmacNames('ipv6', 7).slice(0, 3)).toEqual(['vrrp.7', 'vrrp6.7', 'vrrp1.7']);
    expect(vmacNames('ipv6', 7).filter((name) => name === 'vrrp6.7')).toHaveLength(1);
  });
});

describe('choosing the VMAC among the links there are', () => {
  const mac4 = vmacAddress('ipv4', 51);
  const mac6 = vmacAddress('ipv6', 51);

  it('makes vrrp.N when nothing is there', () => {
    expect(chooseVmac([eth0], eth0, 'ipv4', 51, undefined)).toEqual({ name: 'vrrp.51', existing: undefined, replace: [] });
  });

  // A crashed run's VMAC, whatever its name, is taken as it is (keepalived adopts it too).
  it('takes a VMAC of this VRID and family that is there, under any name', () => {
    const left = vmacOf('old51', 9, mac4);
    expect(chooseVmac([eth0, left], eth0, 'ipv4', 51, undefined)).toEqual({ name: 'old51', existing: left, replace: [] });
  });

  // The IPv4 VMAC holds vrrp.51: the IPv6 one of the same VRID takes vrrp6.51, as keepalived's would.
  it("takes vrrp6.N for IPv6 when vrrp.N is the IPv4 VMAC's", () => {
    expect(chooseVmac([eth0, vmacOf('vrrp.51', 9, mac4)], eth0, 'ipv6', 51, undefined).name).toBe('vrrp6.51');
  });

  // A name another VMAC of this thread holds is passed over without a name, and refused as a configured one.
  it("never takes a name another VMAC of the thread holds", () => {
    expect(chooseVmac([eth0], eth0, 'ipv4', 51, undefined, new Set(['vrrp.51'])).name).toBe('vrrp1.51');
    expect(() => chooseVmac([eth0], eth0, 'ipv4', 51, 'v51', new Set(['v51']))).toThrow(/VMAC v51: another instance's VMAC has that name/);
  });

  it('takes a configured name that is this VMAC already', () => {
    const there = vmacOf('v51', 9, mac6);
    expect(chooseVmac([eth0, there], eth0, 'ipv6', 51, 'v51')).toEqual({ name: 'v51', existing: there, replace: [] });
  });

  // A macvlan of the configured name that is no VMAC (another MAC, or not private) is made again.
  it.each([
    ['with a MAC that is not a virtual router MAC', { mac: Uint8Array.of(2, 0, 0, 0, 0, 9) }],
    ['in bridge mode', { macvlanMode: 4 }],
  ])('replaces a macvlan of the configured name %s', (_what, fields) => {
    const unfit = vmacOf('v51', 9, mac4, fields);
    expect(chooseVmac([eth0, unfit], eth0, 'ipv4', 51, 'v51')).toEqual({ name: 'v51', existing: undefined, replace: [unfit] });
  });

  // Another virtual router's VMAC under the configured name (another VRID, or on another interface, another
  // process's maybe) is never deleted: the name is refused.
  it.each([
    ['of another VRID', { mac: vmacAddress('ipv4', 52) }],
    ['on another device', { parentIndex: 3 }],
  ])("refuses a configured name that another virtual router's VMAC has (%s)", (_what, fields) => {
    const theirs = vmacOf('v51', 9, mac4, fields);
    expect(isAnyVmac(theirs)).toBe(true);
    expect(() => chooseVmac([eth0, theirs], eth0, 'ipv4', 51, 'v51')).toThrow(/VMAC v51: that name is another virtual router's VMAC/);
  });

  // The kernel refuses a second macvlan with one MAC on one device: our VMAC under the old name goes first.
  it('replaces our VMAC under another name when a name is configured', () => {
    const old = vmacOf('vrrp.51', 9, mac4);
    expect(chooseVmac([eth0, old], eth0, 'ipv4', 51, 'v51')).toEqual({ name: 'v51', existing: undefined, replace: [old] });
  });

  // Both at once: the unfit macvlan of the name and our VMAC under another name go, or the make's up meets EADDRINUSE.
  it('replaces both an unfit macvlan of the configured name and our VMAC under another name', () => {
    const unfit = vmacOf('v51', 9, mac4, { macvlanMode: 4 });
    const old = vmacOf('vrrp.51', 10, mac4);
    expect(chooseVmac([eth0, unfit, old], eth0, 'ipv4', 51, 'v51')).toEqual({ name: 'v51', existing: undefined, replace: [unfit, old] });
  });

  it('refuses a configured name that another kind of link has', () => {
    expect(() => chooseVmac([eth0, link('v51', 9, { kind: 'dummy' })], eth0, 'ipv4', 51, 'v51')).toThrow(/VMAC v51: an interface of that name is there and is not a macvlan \(dummy\)/);
  });

  // A container's eth0 is often a macvlan itself: a macvlan made on it sits on its lower device, which IFLA_LINK names.
  it("knows a VMAC on a base that is a macvlan by the base's lower device", () => {
    const macvlanBase = link('eth0', 5, { kind: 'macvlan', parentIndex: 2, macvlanMode: 4 });
    expect(lowerIndexOf(macvlanBase)).toBe(2);
    expect(lowerIndexOf(eth0)).toBe(2);
    const ours = vmacOf('vrrp.51', 9, mac4); // parentIndex 2: eth0's lower device
    expect(isVmacOf(ours, macvlanBase, mac4)).toBe(true);
    expect(chooseVmac([macvlanBase, ours], macvlanBase, 'ipv4', 51, undefined)).toEqual({ name: 'vrrp.51', existing: ours, replace: [] });
  });
});

/** A request's header fields and its attributes by type (the reader the link dump uses). */
function read(message: Uint8Array) {
  return {
    length: readHostU32(message, 0),
    type: readHostU16(message, 4),
    flags: readHostU16(message, 6),
    index: readHostU32(message, 20),
    ifFlags: readHostU32(message, 24),
    ifChange: readHostU32(message, 28),
    attributes: nestedAttributes(message.subarray(32)),
  };
}

describe('the link requests', () => {
  it('makes a private macvlan with the MAC, the name and the lower device, exclusively', () => {
    const request = vmacCreateRequest('vrrp.51', 2, vmacAddress('ipv4', 51), true);
    const got = read(request.message);
    expect(got.length).toBe(request.message.length);
    expect(got.type).toBe(RTM_NEWLINK);
    expect(got.flags).toBe(0x1 | 0x4 | 0x200 | 0x400); // REQUEST | ACK | EXCL | CREATE
    expect(new TextDecoder().decode(got.attributes.get(3))).toBe('vrrp.51\0');
    expect(readHostU32(got.attributes.get(5) as Uint8Array, 0)).toBe(2);
    expect(hex(got.attributes.get(1) as Uint8Array)).toBe('00:00:5e:00:01:33');
    expect(decodeLinkInfo(got.attributes.get(18))).toEqual({ kind: 'macvlan', macvlanMode: MACVLAN_MODE_PRIVATE });
  });

  it("turns the kernel's IPv6 addresses off on the link: IFLA_AF_SPEC → AF_INET6 → addr_gen_mode none", () => {
    const got = read(addrGenModeNoneRequest(9, true).message);
    expect([got.type, got.index]).toEqual([RTM_NEWLINK, 9]);
    const inet6 = nestedAttributes(got.attributes.get(26) as Uint8Array).get(10) as Uint8Array;
    expect([...(nestedAttributes(inet6).get(8) as Uint8Array)]).toEqual([1]);
  });

  it('sets a link up, and deletes one, by index', () => {
    const up = read(linkUpRequest(9, true).message);
    expect([up.type, up.index, up.ifFlags, up.ifChange]).toEqual([RTM_NEWLINK, 9, 1, 1]);
    const gone = read(linkDeleteRequest(9, true).message);
    expect([gone.type, gone.index]).toEqual([RTM_DELLINK, 9]);
  });
});
