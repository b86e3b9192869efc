/**
 * `virtualRules` validation (src/config.ts): rules come out canonical with their family known, and what `ip rule`
 * would refuse or read otherwise is refused with the field to fix.
 */
import { describe, expect, it } from 'vitest';
import { formatVirtualRule, resolveConfig, type VrrpConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

function resolveRules(rules: unknown[]) {
  return resolveConfig({ interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.100/24'], virtualRules: rules } as VrrpConfig).virtualRules;
}

function problems(rules: unknown[]): string[] {
  try {
    resolveRules(rules);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(rules)}`);
}

describe('virtualRules', () => {
  // A removal that names no preference removes the first matching rule of any: each rule says its own.
  it('need a preference', () => {
    expect(problems([{ from: '10.0.0.0/8', table: 5 }])).toEqual(['virtualRules.0.priority: must be a number']);
  });

  it('come out canonical, their family from their prefixes, else from family, else IPv4', () => {
    const [bySource, byMark, v6] = resolveRules([
      { from: '192.0.2.100', table: 100, priority: 100 },
      { fwmark: 7, fwmask: 255, iif: 'eth1', action: 'prohibit', invert: true, priority: 101 },
      { to: '2001:DB8::/32', oif: 'eth0', table: 1000, priority: 102 },
    ]);
    expect(bySource).toEqual({
      family: 'ipv4',
      from: { address: '192.0.2.100', prefixLength: 32 },
      to: undefined,
      iif: undefined,
      oif: undefined,
      fwmark: undefined,
      fwmask: undefined,
      invert: false,
      priority: 100,
      table: 100,
      action: undefined,
    });
    expect([bySource, byMark, v6].map((rule) => rule && formatVirtualRule(rule))).toEqual([
      'from 192.0.2.100 lookup 100 pref 100',
      'not from all fwmark 7/255 iif eth1 prohibit pref 101',
      '-6 from all to 2001:db8::/32 oif eth0 lookup 1000 pref 102',
    ]);
    expect(resolveRules([{ fwmark: 1, table: 5, family: 'ipv6', priority: 1 }])[0]?.family).toBe('ipv6');
  });

  it('need exactly one of a table and an action', () => {
    expect(problems([{ from: '10.0.0.0/8', priority: 1 }, { from: '10.0.0.0/8', table: 5, action: 'blackhole', priority: 2 }])).toEqual([
      'virtualRules.0: needs exactly one of table (look it up) and action (blackhole, unreachable, prohibit)',
      'virtualRules.1: needs exactly one of table (look it up) and action (blackhole, unreachable, prohibit)',
    ]);
  });

  // The kernel refuses a second identical rule (NLM_F_EXCL: EEXIST), at every takeover: refused here, by its path.
  it('refuse a rule listed twice, an address and its /32 alike', () => {
    expect(problems([{ from: '10.0.0.100', table: 100, priority: 100 }, { from: '10.0.0.100/32', table: 100, priority: 100 }])).toEqual([
      'virtualRules.1: from 10.0.0.100 lookup 100 pref 100 is virtualRules.0 too: list it once',
    ]);
  });

  // A mark with no mask is matched with all ones (the kernel's default), so it is the same rule as one with that mask.
  it('refuse a rule listed twice, a mark with and without its all-ones mask alike', () => {
    expect(problems([{ fwmark: 7, table: 7, priority: 7 }, { fwmark: 7, fwmask: 0xffffffff, table: 7, priority: 7 }])).toEqual([
      'virtualRules.1: from all fwmark 7/4294967295 lookup 7 pref 7 is virtualRules.0 too: list it once',
    ]);
  });

  it('take rules that differ in their preference only', () => {
    expect(resolveRules([{ from: '10.0.0.100', table: 100, priority: 100 }, { from: '10.0.0.100', table: 100, priority: 101 }])).toHaveLength(2);
  });

  it('refuse mixed families, host bits, and a mask without a mark', () => {
    const p = { priority: 1 };
    expect(problems([{ from: '10.0.0.0/8', to: '2001:db8::/32', table: 5, ...p }, { from: '10.0.0.1/8', table: 5, ...p }, { fwmask: 255, table: 5, ...p }, { from: '10.0.0.0/8', family: 'ipv6', table: 5, ...p }])).toEqual([
      'virtualRules.0.to: 2001:db8::/32 is ipv6 but the rule is ipv4',
      'virtualRules.1.from: 10.0.0.1/8 has host bits set: the network is 10.0.0.0/8',
      'virtualRules.2.fwmask: a mask needs a fwmark',
      "virtualRules.3.family: is ipv6 but the rule's prefixes are ipv4",
    ]);
  });
});
