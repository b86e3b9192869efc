/**
 * The routing watch's reading of deletions (src/linux/vip/routing-watch.ts): a deleted route or rule of ours and the
 * configured one meet as one key, whatever else the kernel's message carries; others' routes and rules, and other
 * messages, are skipped. The messages here are our own requests retyped as deletions, with what the kernel adds
 * (RTA_TABLE always, a rule's mark mask); the kernel's own are the lab's (test/interop/virtual-routing.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig, type VirtualRouteConfig, type VirtualRuleConfig } from '../../src/config.js';
import { routeRequest, RTM_NEWROUTE } from '../../src/linux/vip/route-request.js';
import { ruleRequest, RTM_NEWRULE } from '../../src/linux/vip/rule-request.js';
import { routeKey, routingDeletions, ruleKey } from '../../src/linux/vip/routing-watch.js';

function resolved(routes: VirtualRouteConfig[], rules: VirtualRuleConfig[] = []) {
  return resolveConfig({ interface: 'eth0', vrid: 1, virtualAddresses: ['10.0.0.100'], virtualRoutes: routes, virtualRules: rules });
}

/** A request's bytes as a deletion notification: the type changed, attributes appended as the kernel would. */
function asDeletion(message: Uint8Array, type: number, extra: [number, Uint8Array][] = []): Uint8Array {
  const tail = extra.map(([attr, payload]) => {
    const bytes = new Uint8Array((4 + payload.length + 3) & ~3);
    new DataView(bytes.buffer).setUint16(0, 4 + payload.length, true);
    new DataView(bytes.buffer).setUint16(2, attr, true);
    bytes.set(payload, 4);
    return bytes;
  });
  const out = new Uint8Array(message.length + tail.reduce((n, b) => n + b.length, 0));
  out.set(message);
  let at = message.length;
  for (const bytes of tail) {
    out.set(bytes, at);
    at += bytes.length;
  }
  const view = new DataView(out.buffer);
  view.setUint32(0, out.length, true);
  view.setUint16(4, type, true);
  return out;
}

const u32 = (value: number): Uint8Array => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
};

describe('the routing watch', () => {
  it('reads a deleted route of ours as the key of the configured route (IPv4 metric 0, IPv6 1024, a table above 255)', () => {
    const { virtualRoutes } = resolved([{ to: '10.9.0.0/24', via: '10.0.0.254' }, { to: '2001:db8::/32', via: 'fe80::1', dev: 'eth0', table: 1000 }]);
    const [v4, v6] = virtualRoutes as [(typeof virtualRoutes)[number], (typeof virtualRoutes)[number]];
    const datagram = new Uint8Array([...asDeletion(routeRequest(RTM_NEWROUTE, v4, undefined).message, 25), ...asDeletion(routeRequest(RTM_NEWROUTE, v6, 2).message, 25)]);
    expect(routingDeletions(datagram).routes).toEqual([routeKey(v4), routeKey(v6)]);
    expect(routeKey(v6)).toBe('ipv6 2001:db8::/32 table 1000 metric 1024');
  });

  it("skips a route of another protocol, a rule of another protocol, and what is not a deletion", () => {
    const { virtualRoutes, virtualRules } = resolved([{ to: '10.9.0.0/24', via: '10.0.0.254' }], [{ from: '10.0.0.100', table: 100, priority: 100 }]);
    const route = asDeletion(routeRequest(RTM_NEWROUTE, virtualRoutes[0] as never, undefined).message, 25);
    route[16 + 5] = 3; // proto boot
    const rule = asDeletion(ruleRequest(RTM_NEWRULE, virtualRules[0] as never).message, 33);
    rule[rule.length - 4] = 3; // FRA_PROTOCOL, the last attribute: boot
    const added = routeRequest(RTM_NEWROUTE, virtualRoutes[0] as never, undefined).message; // RTM_NEWROUTE
    expect(routingDeletions(new Uint8Array([...route, ...rule, ...added]))).toEqual({ routes: [], rules: [] });
  });

  it('reads a deleted rule of ours as the key of the configured rule, with the mark mask the kernel reports', () => {
    const { virtualRules } = resolved([], [
      { from: '10.0.0.100', table: 100, priority: 100 },
      { fwmark: 7, iif: 'eth1', action: 'prohibit', invert: true, priority: 101 },
      { to: '2001:db8::/32', oif: 'eth0', table: 1000, priority: 102 },
    ]);
    const [plain, marked, v6] = virtualRules as [(typeof virtualRules)[number], (typeof virtualRules)[number], (typeof virtualRules)[number]];
    const datagram = new Uint8Array([
      ...asDeletion(ruleRequest(RTM_NEWRULE, plain).message, 33),
      ...asDeletion(ruleRequest(RTM_NEWRULE, marked).message, 33, [[16, u32(0xffffffff)]]), // FRA_FWMASK
      ...asDeletion(ruleRequest(RTM_NEWRULE, v6).message, 33),
    ]);
    expect(routingDeletions(datagram).rules).toEqual([ruleKey(plain), ruleKey(marked), ruleKey(v6)]);
    expect(ruleKey(marked)).toBe('ipv4 pref 101 from all to all fwmark 7/4294967295 iif eth1 oif - not prohibit');
  });

  // The kernel writes no FRA_FWMARK for a mark of 0, and FRA_FWMASK only when the mark or the mask is set.
  it('reads a rule of mark 0 as the kernel reports it: no mark, the mask only when one was given', () => {
    const { virtualRules } = resolved([], [
      { fwmark: 0, table: 5, priority: 5 },
      { fwmark: 0, fwmask: 255, table: 6, priority: 6 },
    ]);
    const [bare, masked] = virtualRules as [(typeof virtualRules)[number], (typeof virtualRules)[number]];
    const kernel = (message: Uint8Array, mask: number | undefined): Uint8Array => {
      // Our request with FRA_FWMARK (type 10) and FRA_FWMASK (16) taken out, and the mask put back when the kernel would.
      const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
      const kept: number[] = [...message.subarray(0, 28)];
      for (let at = 28; at < message.length; ) {
        const length = view.getUint16(at, true);
        const type = view.getUint16(at + 2, true);
        const padded = (length + 3) & ~3;
        if (type !== 10 && type !== 16) kept.push(...message.subarray(at, at + padded));
        at += padded;
      }
      return asDeletion(Uint8Array.from(kept), 33, mask === undefined ? [] : [[16, u32(mask)]]);
    };
    const datagram = new Uint8Array([...kernel(ruleRequest(RTM_NEWRULE, bare).message, undefined), ...kernel(ruleRequest(RTM_NEWRULE, masked).message, 255)]);
    expect(routingDeletions(datagram).rules).toEqual([ruleKey(bare), ruleKey(masked)]);
    expect([ruleKey(bare), ruleKey(masked)].map((key) => /fwmark \S+/.exec(key)?.[0])).toEqual(['fwmark 0/0', 'fwmark 0/255']);
  });
});
