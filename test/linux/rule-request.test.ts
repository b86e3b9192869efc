/**
 * The virtual rule requests (src/linux/vip/rule-request.ts): the header byte for byte against linux/fib_rules.h's
 * layout, the attributes by the netlink module's own decoder (not ours). The kernel's side is the lab's:
 * test/interop/virtual-routing.test.ts.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { resolveConfig, type VirtualRuleConfig } from '../../src/config.js';
import { ruleRequest, RTM_DELRULE, RTM_NEWRULE } from '../../src/linux/vip/rule-request.js';

const rt = createRequire(import.meta.url)('netlink/dist/rt/structs') as {
  parseRuleMessage(payload: Buffer): { data: Record<string, unknown>; attrs: Record<string, unknown> };
};

function rule(config: VirtualRuleConfig) {
  const [resolved] = resolveConfig({ interface: 'eth0', vrid: 1, virtualAddresses: ['10.0.0.100'], virtualRules: [config] }).virtualRules;
  if (!resolved) throw new Error('no rule resolved');
  return resolved;
}

describe('rule requests', () => {
  it('an install: create|excl, the lookup action, its selectors, its preference, our protocol', () => {
    const m = ruleRequest(RTM_NEWRULE, rule({ from: '10.0.0.0/24', to: '10.9.0.0/16', iif: 'eth1', fwmark: 7, fwmask: 255, priority: 100, table: 100 })).message;
    const view = new DataView(m.buffer);
    expect([view.getUint32(0, true), view.getUint16(4, true), view.getUint16(6, true).toString(16)]).toEqual([m.length, 32, '605']);
    // fib_rule_hdr: AF_INET, dst_len 16, src_len 24, tos 0, table 100, res, res, FR_ACT_TO_TBL; flags 0.
    expect([...m.subarray(16, 28)]).toEqual([2, 16, 24, 0, 100, 0, 0, 1, 0, 0, 0, 0]);
    const { attrs } = rt.parseRuleMessage(Buffer.from(m.subarray(16)));
    expect({ ...attrs, src: [...(attrs.src as Buffer)], dst: [...(attrs.dst as Buffer)] }).toEqual({
      src: [10, 0, 0, 0],
      dst: [10, 9, 0, 0],
      iifname: 'eth1',
      fwmark: 7,
      fwmask: 255,
      priority: 100,
      table: 100,
      protocol: 112,
    });
  });

  it('a removal: the same rule, no create|excl', () => {
    const resolved = rule({ from: '10.0.0.100', table: 100, priority: 100 });
    const install = ruleRequest(RTM_NEWRULE, resolved).message;
    const removal = ruleRequest(RTM_DELRULE, resolved).message;
    expect([new DataView(removal.buffer).getUint16(4, true), new DataView(removal.buffer).getUint16(6, true)]).toEqual([33, 0x5]);
    expect([...removal.subarray(16)]).toEqual([...install.subarray(16)]);
  });

  it('not sets FIB_RULE_INVERT; an action replaces the table; a table above 255 travels in FRA_TABLE only', () => {
    const inverted = ruleRequest(RTM_NEWRULE, rule({ fwmark: 1, action: 'unreachable', invert: true, family: 'ipv6', priority: 5 })).message;
    expect([inverted[16], inverted[20], inverted[23], new DataView(inverted.buffer).getUint32(24, true)]).toEqual([10, 0, 7, 2]);
    expect(Object.keys(rt.parseRuleMessage(Buffer.from(inverted.subarray(16))).attrs).sort()).toEqual(['fwmark', 'priority', 'protocol']);
    const big = ruleRequest(RTM_NEWRULE, rule({ oif: 'eth0', table: 1000, priority: 7 })).message;
    expect(big[20]).toBe(0);
    expect(rt.parseRuleMessage(Buffer.from(big.subarray(16))).attrs).toEqual({ oifname: 'eth0', priority: 7, table: 1000, protocol: 112 });
  });
});
