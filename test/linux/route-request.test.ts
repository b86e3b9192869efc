/**
 * The virtual route requests (src/linux/vip/route-request.ts), checked two ways: the header and rtmsg byte for byte
 * against linux/rtnetlink.h's layout, and every attribute by the netlink module's own decoder, an implementation
 * that is not ours. The kernel's side (the route appears, and goes) is the lab's: test/interop/virtual-routing.test.ts.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { resolveConfig, type VirtualRouteConfig } from '../../src/config.js';
import { routeRequest, RTM_DELROUTE, RTM_NEWROUTE, RTPROT_VRRP } from '../../src/linux/vip/route-request.js';

const rt = createRequire(import.meta.url)('netlink/dist/rt/structs') as {
  parseRouteMessage(payload: Buffer): { data: Record<string, unknown>; attrs: Record<string, unknown> };
};

function route(config: VirtualRouteConfig) {
  const [resolved] = resolveConfig({ interface: 'eth0', vrid: 1, virtualAddresses: ['10.0.0.100'], virtualRoutes: [config] }).virtualRoutes;
  if (!resolved) throw new Error('no route resolved');
  return resolved;
}

/** The netlink module's reading of a request's payload (after the 16-byte header). */
function decoded(message: Uint8Array) {
  return rt.parseRouteMessage(Buffer.from(message.subarray(16)));
}

describe('route requests', () => {
  it('an install: create|excl, our protocol, the route scope and type, its attributes in order', () => {
    const request = routeRequest(RTM_NEWROUTE, route({ to: '10.9.0.0/24', via: '10.0.0.254', src: '10.0.0.100', table: 100, metric: 5 }), 7);
    const m = request.message;
    const view = new DataView(m.buffer, m.byteOffset, m.byteLength);
    // nlmsghdr: length, RTM_NEWROUTE, REQUEST|ACK|EXCL|CREATE, seq 0, pid 0.
    expect([view.getUint32(0, true), view.getUint16(4, true), view.getUint16(6, true).toString(16), view.getUint32(8, true), view.getUint32(12, true)]).toEqual([m.length, 24, '605', 0, 0]);
    // rtmsg: AF_INET, /24, src_len 0, tos 0, table 100, protocol 112, scope universe (it has a gateway), RTN_UNICAST, flags 0.
    expect([...m.subarray(16, 28)]).toEqual([2, 24, 0, 0, 100, RTPROT_VRRP, 0, 1, 0, 0, 0, 0]);
    const { attrs } = decoded(m);
    expect({ ...attrs, dst: [...(attrs.dst as Buffer)], gateway: [...(attrs.gateway as Buffer)], prefsrc: [...(attrs.prefsrc as Buffer)] }).toEqual({
      dst: [10, 9, 0, 0],
      table: 100,
      gateway: [10, 0, 0, 254],
      oif: 7,
      prefsrc: [10, 0, 0, 100],
      priority: 5,
    });
    // Attributes padded to 4: 4 + 4 (dst) + 8 (table) + 8 (gateway) + 8 (oif) + 8 (prefsrc) + 8 (priority).
    expect(m.length).toBe(16 + 12 + 5 * 8 + 8);
  });

  it('a removal: no flags but REQUEST|ACK, scope nowhere (any matches), the same route otherwise', () => {
    const resolved = route({ to: '10.9.0.0/24', dev: 'eth1' });
    const install = routeRequest(RTM_NEWROUTE, resolved, 3).message;
    const removal = routeRequest(RTM_DELROUTE, resolved, 3).message;
    expect(new DataView(removal.buffer).getUint16(4, true)).toBe(25);
    expect(new DataView(removal.buffer).getUint16(6, true)).toBe(0x5);
    expect([install[22], removal[22]]).toEqual([253, 255]); // link for the install, nowhere for the removal
    expect([...removal.subarray(28)]).toEqual([...install.subarray(28)]);
  });

  it('a table above 255 travels in RTA_TABLE only; a default route has no RTA_DST; IPv6 metric 0 goes as 1024', () => {
    const m = routeRequest(RTM_NEWROUTE, route({ to: '::/0', via: 'fe80::1', dev: 'eth0', table: 1000 }), 2).message;
    expect([m[16], m[17], m[20]]).toEqual([10, 0, 0]); // AF_INET6, /0, RT_TABLE_UNSPEC
    const { attrs } = decoded(m);
    expect(Object.keys(attrs).sort()).toEqual(['gateway', 'oif', 'priority', 'table']);
    expect([attrs.table, attrs.priority]).toEqual([1000, 1024]);
  });

  it('an IPv4 route of metric 0 leaves the metric out, as ip route does', () => {
    const { attrs } = decoded(routeRequest(RTM_DELROUTE, route({ to: '10.9.0.0/24', via: '10.0.0.1' }), undefined).message);
    expect(Object.keys(attrs).sort()).toEqual(['dst', 'gateway', 'table']);
  });

  it('blackhole, unreachable and prohibit carry their RTN_ type', () => {
    const types = (['blackhole', 'unreachable', 'prohibit'] as const).map((type) => routeRequest(RTM_NEWROUTE, route({ to: '10.8.0.0/16', type }), undefined).message[23]);
    expect(types).toEqual([6, 7, 8]);
  });
});
