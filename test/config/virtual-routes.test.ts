/**
 * `virtualRoutes` validation (src/config.ts): routes come out canonical with `ip route`'s defaults, and what the
 * kernel would refuse — or take for a route other than the one meant — is refused with the field to fix.
 */
import { describe, expect, it } from 'vitest';
import { formatVirtualRoute, resolveConfig, type VrrpConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

function resolveRoutes(routes: unknown[]) {
  return resolveConfig({ interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.100/24'], virtualRoutes: routes } as VrrpConfig).virtualRoutes;
}

/** The issues of the ConfigError thrown for `routes`, as "path: message". */
function problems(routes: unknown[]): string[] {
  try {
    resolveRoutes(routes);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(routes)}`);
}

describe('virtualRoutes', () => {
  // IPv6's metric 0 comes out as 1024, what the kernel stores: a removal must name the metric the route has.
  it('come out canonical, with the table, metric, type and scope ip route would choose', () => {
    expect(resolveRoutes([{ to: '2001:DB8:0::/48', via: '2001:db8:0:0::1' }, { to: '10.9.0.0/24', dev: 'eth1' }, { to: '10.8.0.0/16', type: 'blackhole' }])).toEqual([
      { family: 'ipv6', to: '2001:db8::', prefixLength: 48, via: '2001:db8::1', dev: undefined, src: undefined, metric: 1024, table: 254, scope: 'global', type: 'unicast' },
      { family: 'ipv4', to: '10.9.0.0', prefixLength: 24, via: undefined, dev: 'eth1', src: undefined, metric: 0, table: 254, scope: 'link', type: 'unicast' },
      { family: 'ipv4', to: '10.8.0.0', prefixLength: 16, via: undefined, dev: undefined, src: undefined, metric: 0, table: 254, scope: 'global', type: 'blackhole' },
    ]);
  });

  it("take 'default' in the family of via or src, and an address alone as a host route", () => {
    const [byVia, bySrc, host] = resolveRoutes([{ to: 'default', via: '10.0.0.1', table: 100 }, { to: 'default', src: 'fe80::1', dev: 'eth0' }, { to: '10.1.2.3', dev: 'eth0' }]);
    expect([byVia, bySrc, host].map((route) => route && formatVirtualRoute(route))).toEqual(['0.0.0.0/0 via 10.0.0.1 table 100', '::/0 dev eth0 src fe80::1 metric 1024', '10.1.2.3/32 dev eth0']);
  });

  it('refuse a destination with host bits set, naming its network', () => {
    expect(problems([{ to: '10.9.0.5/24', via: '10.0.0.1' }])).toEqual(['virtualRoutes.0.to: 10.9.0.5/24 has host bits set: the network is 10.9.0.0/24']);
  });

  it('refuse a gateway or source of the other family', () => {
    expect(problems([{ to: '10.9.0.0/24', via: '2001:db8::1', src: 'fe80::1' }])).toEqual([
      'virtualRoutes.0.via: 2001:db8::1 is ipv6 but the route is ipv4',
      'virtualRoutes.0.src: fe80::1 is ipv6 but the route is ipv4',
    ]);
  });

  it("refuse a unicast route with nowhere to go, and a blackhole given somewhere to go", () => {
    expect(problems([{ to: '10.9.0.0/24' }, { to: '10.8.0.0/16', type: 'unreachable', via: '10.0.0.1' }])).toEqual([
      'virtualRoutes.0: a unicast route needs via or dev (or a type: blackhole, unreachable, prohibit)',
      'virtualRoutes.1.type: an unreachable route goes nowhere: it takes neither via nor dev',
    ]);
  });

  it("refuse 'default' with nothing to tell its family, and text that is no address", () => {
    expect(problems([{ to: 'default', dev: 'eth0' }, { to: '10.9.0.0/33', via: '10.0.0.1' }, { to: '10.9.0.0/24', via: 'gateway' }])).toEqual([
      "virtualRoutes.0.to: 'default' needs via or src to tell its family: write 0.0.0.0/0 or ::/0",
      'virtualRoutes.1.to: "10.9.0.0/33" is not an IPv4/IPv6 address or address/prefix',
      'virtualRoutes.2.via: "gateway" is not an IP address',
    ]);
  });

  it('take an IPv6 route of metric 0 and one of metric 1024 for the one route they are in the kernel', () => {
    expect(problems([{ to: '2001:db8::/32', via: 'fe80::1', dev: 'eth0' }, { to: '2001:db8::/32', via: 'fe80::2', dev: 'eth0', metric: 1024 }])).toEqual([
      'virtualRoutes.1.to: 2001:db8::/32 table 254 metric 1024 is virtualRoutes.0 too: list it once',
    ]);
  });

  it('refuse one route listed twice: same destination, table and metric', () => {
    expect(problems([{ to: '10.9.0.0/24', via: '10.0.0.1' }, { to: '10.9.0.0/24', via: '10.0.0.2', metric: 5 }, { to: '10.9.0.0/24', dev: 'eth0' }])).toEqual([
      'virtualRoutes.2.to: 10.9.0.0/24 table 254 metric 0 is virtualRoutes.0 too: list it once',
    ]);
  });

  it('refuse unknown fields and values out of range by their path', () => {
    expect(problems([{ to: '10.9.0.0/24', via: '10.0.0.1', gw: '10.0.0.1', table: 0, scope: 'universe' }])).toEqual([
      'virtualRoutes.0.table: must be at least 1',
      "virtualRoutes.0.scope: must be 'global', 'site', 'link' or 'host'",
      'virtualRoutes.0: unknown field "gw"',
    ]);
  });
});
