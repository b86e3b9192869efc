/**
 * Configuration validation (src/config.ts): defaults are filled in, and a bad configuration is refused with a
 * ConfigError whose `issues` name every problem by path, so a user fixes them all in one run.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig, type VrrpConfig } from '../../src/config.js';
import { ConfigError, VrrpError } from '../../src/errors.js';
import { VrrpInstance } from '../../src/instance.js';

const check = (): boolean => true;

/** A minimal valid configuration; `overrides` replace fields. */
function config(overrides: Record<string, unknown> = {}): VrrpConfig {
  return { interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.100/24'], ...overrides } as VrrpConfig;
}

/** The ConfigError thrown for `input`; fails the test (saying so) if the input was accepted or another error came. */
function rejection(input: unknown): ConfigError {
  try {
    resolveConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw new Error(`expected a ConfigError, got ${String(error)}`);
  }
  throw new Error(`expected a ConfigError, but the config was accepted: ${JSON.stringify(input)}`);
}

/** The issue paths of the ConfigError thrown for `input`. */
function issuePaths(input: unknown): string[] {
  return rejection(input).issues.map((issue) => issue.path);
}

describe('defaults', () => {
  // Given only the required fields (interface, vrid, one VIP)
  // when the config is resolved
  // then every optional field carries its documented default.
  it('fills in every optional field with its documented default', () => {
    const resolved = resolveConfig(config());
    expect(resolved).toEqual({
      name: 'vrid-51',
      interface: 'eth0',
      vrid: 51,
      priority: 100,
      version: 3,
      family: 'ipv4',
      advertIntervalMs: 1000,
      virtualAddresses: [{ address: '192.0.2.100', prefixLength: 24, family: 'ipv4' }],
      excludedAddresses: [],
      heldAddresses: [{ address: '192.0.2.100', prefixLength: 24, family: 'ipv4' }],
      virtualRoutes: [],
      virtualRules: [],
      preempt: true,
      preemptDelayMs: 0,
      initialState: undefined,
      unicastPeers: [],
      primaryAddress: undefined,
      authentication: { type: 'none' },
      v3Ipv4Checksum: 'pseudo-header',
      strictChecksum: false,
      trackers: [],
      hookTimeoutMs: 30_000,
      garp: { repeat: 5, delayMs: 5000, refreshMs: 0 },
      vipLeaseMs: 5000,
    });
  });

  // Given a function tracker with only type, name and check
  // when the config is resolved
  // then it gets keepalived's vrrp_script defaults, and its timeout defaults to its interval.
  it('fills in tracker defaults, with timeoutMs defaulting to intervalMs', () => {
    const resolved = resolveConfig(config({ trackers: [{ type: 'function', name: 'db', check, intervalMs: 250 }] }));
    expect(resolved.trackers).toEqual([
      { type: 'function', name: 'db', check, intervalMs: 250, timeoutMs: 250, weight: 0, fall: 1, rise: 1, reverse: false, initFail: false },
    ]);
  });

  // Given a VIP without a prefix length
  // when the config is resolved
  // then it is a host address (/32).
  it('gives a VIP without a prefix the host prefix length', () => {
    const resolved = resolveConfig(config({ virtualAddresses: ['192.0.2.100'] }));
    expect(resolved.virtualAddresses).toEqual([{ address: '192.0.2.100', prefixLength: 32, family: 'ipv4' }]);
  });

  // Given a resolved config
  // then its VIP list and each VIP are frozen: the engine and the adapters read the configuration, never change it.
  it('freezes the resolved VIP list and its entries', () => {
    const resolved = resolveConfig(config({ virtualAddresses: ['192.0.2.100', '192.0.2.101/24'] }));
    expect(Object.isFrozen(resolved.virtualAddresses)).toBe(true);
    expect(resolved.virtualAddresses.every((vip) => Object.isFrozen(vip))).toBe(true);
  });

  // Given IPv6 VIPs written in a non-canonical form
  // when the config is resolved
  // then the family is ipv6 and the addresses are canonical.
  it('derives the ipv6 family from the VIPs and canonicalizes them', () => {
    const resolved = resolveConfig(config({ virtualAddresses: ['2001:DB8:0:0::1/64'] }));
    expect(resolved.family).toBe('ipv6');
    expect(resolved.virtualAddresses).toEqual([{ address: '2001:db8::1', prefixLength: 64, family: 'ipv6' }]);
  });

  // Given an invalid config
  // when a VrrpInstance is constructed with it
  // then the constructor throws the same ConfigError (code config_invalid) before anything starts.
  it('makes the VrrpInstance constructor throw ConfigError with code config_invalid', () => {
    let thrown: unknown;
    try {
      new VrrpInstance(config({ vrid: 0 }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown).toBeInstanceOf(VrrpError);
    expect((thrown as ConfigError).code).toBe('config_invalid');
  });
});

describe('every problem is reported with its path', () => {
  // Given vrid 0 and priority 300 (two field-level problems)
  // when the config is resolved
  // then both are listed, each under its own path.
  it('lists every field-level problem at once', () => {
    expect(issuePaths(config({ vrid: 0, priority: 300 }))).toEqual(['vrid', 'priority']);
  });

  // Given three problems that need several fields to see (mixed VIP families, a v2 interval that is not whole
  // seconds, a unicast peer of the wrong family)
  // when the config is resolved
  // then all three are listed, each under its own path.
  it('lists every cross-field problem at once', () => {
    const paths = issuePaths(
      config({ version: 2, advertIntervalMs: 1500, virtualAddresses: ['192.0.2.100', '2001:db8::1'], unicastPeers: ['2001:db8::2'] }),
    );
    expect(paths).toEqual(['virtualAddresses.1', 'advertIntervalMs', 'unicastPeers.0']);
  });

  // Given vrid 0
  // when the config is resolved
  // then the error message names the field and says why it is wrong, in lowercase.
  it('names the field and the reason in the error message', () => {
    const error = rejection(config({ vrid: 0 }));
    expect(error.message).toMatch(/vrid: must be at least 1/);
    expect(error.issues).toEqual([{ path: 'vrid', message: 'must be at least 1' }]);
  });

  // Given a second VIP that is not an address
  // when the config is resolved
  // then the issue points at that list element and quotes the bad text.
  it('points at the bad virtual address by index', () => {
    const error = rejection(config({ virtualAddresses: ['192.0.2.100', 'not-an-ip'] }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('virtualAddresses.1');
    expect(error.issues[0]?.message).toContain('not-an-ip');
  });
});

describe('protocol rules', () => {
  // Given one IPv4 and one IPv6 VIP
  // when the config is resolved
  // then the second VIP is refused: one family per instance.
  it('refuses VIPs of mixed families', () => {
    const error = rejection(config({ virtualAddresses: ['192.0.2.100', '2001:db8::1'] }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['virtualAddresses.1']);
    expect(error.issues[0]?.message).toBe("2001:db8::1 is ipv6 but the first address is ipv4: one family per instance is advertised (list the other family's in excludedAddresses)");
  });

  // Given version 2 with an IPv6 VIP
  // when the config is resolved
  // then `version` is refused (RFC 3768 is IPv4 only).
  it('refuses VRRPv2 with IPv6 addresses', () => {
    const error = rejection(config({ version: 2, virtualAddresses: ['2001:db8::1'] }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['version']);
    expect(error.issues[0]?.message).toMatch(/ipv6/i);
  });

  // Given version 2 with a 1500 ms interval
  // when the config is resolved
  // then `advertIntervalMs` is refused (v2 carries whole seconds).
  it('refuses a VRRPv2 interval that is not whole seconds', () => {
    const error = rejection(config({ version: 2, advertIntervalMs: 1500 }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['advertIntervalMs']);
    expect(error.issues[0]?.message).toMatch(/multiple of 1000/);
  });

  // Given version 3 with a 15 ms interval
  // when the config is resolved
  // then `advertIntervalMs` is refused (v3 carries centiseconds).
  it('refuses a VRRPv3 interval that is not whole centiseconds', () => {
    const error = rejection(config({ advertIntervalMs: 15 }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['advertIntervalMs']);
    expect(error.issues[0]?.message).toMatch(/multiple of 10/);
  });

  // Given version 3 (the default) with simple authentication
  // when the config is resolved
  // then `authentication` is refused (RFC 9568 has none).
  it('refuses authentication with VRRPv3', () => {
    const error = rejection(config({ authentication: { type: 'simple', password: 'secret' } }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['authentication']);
  });

  // Given version 2 with a 9-character password
  // when the config is resolved
  // then the password is refused (RFC 3768: 8 octets at most), not silently truncated.
  it('refuses a password longer than 8 characters', () => {
    const error = rejection(config({ version: 2, authentication: { type: 'simple', password: '123456789' } }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['authentication.password']);
    expect(error.issues[0]?.message).toMatch(/8/);
  });

  // Given version 2 with an 8-character password
  // when the config is resolved
  // then it is accepted as is (the limit is inclusive).
  it('accepts a password of exactly 8 characters with VRRPv2', () => {
    const resolved = resolveConfig(config({ version: 2, authentication: { type: 'simple', password: '12345678' } }));
    expect(resolved.authentication).toEqual({ type: 'simple', password: '12345678' });
  });

  // Given IPv4 VIPs and an IPv6 unicast peer
  // when the config is resolved
  // then the peer is refused by index.
  it('refuses a unicast peer of the other family', () => {
    const error = rejection(config({ unicastPeers: ['2001:db8::2'] }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['unicastPeers.0']);
    expect(error.issues[0]?.message).toMatch(/ipv6/);
  });
});

describe('shape of the config object', () => {
  // Given a field the schema does not know (a typo, say)
  // when the config is resolved
  // then it is refused by name rather than ignored.
  it('refuses an unknown field and names it', () => {
    const error = rejection(config({ prority: 150 }));
    expect(error.issues).toEqual([{ path: '', message: 'unknown field "prority"' }]);
    expect(error.message).toContain('prority');
  });

  // Given a tracker whose type is none of the known ones
  // when the config is resolved
  // then the tracker's type is refused and the known types are listed.
  it('refuses an unknown tracker type', () => {
    const error = rejection(config({ trackers: [{ type: 'snmp', name: 'script', check }] }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('trackers.0.type');
    expect(error.issues[0]?.message).toMatch(/unknown tracker type.*function/);
  });

  // Given two trackers with the same name
  // when the config is resolved
  // then the second one's name is refused.
  it('refuses duplicate tracker names', () => {
    const trackers = [
      { type: 'function', name: 'db', check },
      { type: 'function', name: 'db', check },
    ];
    const error = rejection(config({ trackers }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['trackers.1.name']);
    expect(error.issues[0]?.message).toContain('db');
  });

  // Given an address owner (priority 255) with a weighted tracker
  // when the config is resolved
  // then the weight is refused: the owner's priority is never adjusted.
  it('refuses a weighted tracker on priority 255', () => {
    const error = rejection(config({ priority: 255, trackers: [{ type: 'function', name: 'db', weight: 5, check }] }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['trackers.0.weight']);
  });

  // Given an address owner (priority 255) with a weight-0 tracker
  // when the config is resolved
  // then it is accepted: a weight-0 tracker only causes Fault.
  it('accepts a weight-0 tracker on priority 255', () => {
    const resolved = resolveConfig(config({ priority: 255, trackers: [{ type: 'function', name: 'db', check }] }));
    expect(resolved.trackers.map((tracker) => tracker.weight)).toEqual([0]);
  });
});

describe('every problem in one run', () => {
  // Given a config with two field errors and a bad address at once; when it is resolved
  // then all three problems are listed, each with its path — not one per run.
  it('lists schema errors and address errors together', () => {
    let error: unknown;
    try {
      resolveConfig({ interface: 'eth0', vrid: 0, priority: 300, virtualAddresses: ['192.0.2.100', 'nope'] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['vrid', 'priority', 'virtualAddresses.1']);
  });

  // Given schema errors (vrid, a tracker's port) beside problems only the checks between fields see (a v2
  // interval, v3 authentication, a peer of the other family, a duplicate tracker name); when resolved; then all of
  // them are listed together, not the second set after the first is fixed.
  it('lists the checks between fields beside the schema errors', () => {
    let error: unknown;
    try {
      resolveConfig({
        interface: 'eth0',
        vrid: 0,
        version: 3,
        authentication: { type: 'simple', password: 'secret' },
        virtualAddresses: ['192.0.2.1', '192.0.2.1'],
        unicastPeers: ['2001:db8::1'],
        trackers: [
          { type: 'tcp', name: 'db', host: 'localhost', port: 70000 },
          { type: 'file', name: 'f', path: '/tmp/x' },
          { type: 'file', name: 'f', path: '/tmp/y' },
        ],
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path).sort()).toEqual(
      ['vrid', 'trackers.0.port', 'authentication', 'virtualAddresses.1', 'unicastPeers.0', 'trackers.2.name'].sort(),
    );
  });
});

describe('vipLeaseMs', () => {
  // A lease shorter than the kernel's one-second unit cannot be honoured; 0 is the explicit "off".
  it('accepts 0 (off) and refuses a lease under one second, naming the field', () => {
    expect(resolveConfig({ interface: 'eth0', vrid: 1, virtualAddresses: ['192.0.2.1/32'], vipLeaseMs: 0 }).vipLeaseMs).toBe(0);
    expect(() => resolveConfig({ interface: 'eth0', vrid: 1, virtualAddresses: ['192.0.2.1/32'], vipLeaseMs: 500 })).toThrow(/vipLeaseMs: must be 0 \(leases off\) or at least 1000$/m);
  });

  // The error a user meets first must tell them the way out as well as the limit.
  it('says that 0 turns leases off when a lease is too long or not a number', () => {
    const message = (vipLeaseMs: unknown): string => {
      try {
        resolveConfig({ interface: 'eth0', vrid: 1, virtualAddresses: ['192.0.2.1/32'], vipLeaseMs } as never);
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(message(90_000_000)).toMatch(/vipLeaseMs: must be 0 \(leases off\) or at most 86400000$/m);
    expect(message('5s')).toMatch(/vipLeaseMs: must be 0 \(leases off\) or a whole number of ms from 1000 to 86400000$/m);
  });
});

describe('interface', () => {
  // The kernel's limit is 15 bytes (IFNAMSIZ - 1): a longer name once passed the config and failed at the socket
  // (ENODEV), and one whose 16th byte began a multi-byte character reached the addon cut to its first 15 bytes.
  it('refuses a name over 15 bytes, naming the field, and takes one of exactly 15', () => {
    const message = (name: string): string => {
      try {
        resolveConfig({ interface: name, vrid: 1, virtualAddresses: ['192.0.2.1/32'] });
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(message('x'.repeat(15))).toBe('accepted');
    expect(message('x'.repeat(16))).toMatch(/^  - interface: must be at most 15 bytes \(IFNAMSIZ\)$/m);
    expect(message(`${'x'.repeat(14)}é`)).toMatch(/interface: must be at most 15 bytes \(IFNAMSIZ\)$/m);
  });
});

describe('address labels', () => {
  // Given labels of 15 bytes, of 16, and of 15 characters that are 16 bytes in UTF-8
  // then the first is taken and the others refused at the label: the kernel counts bytes (IFA_LABEL, IFNAMSIZ),
  // and would refuse the third at every takeover.
  it('refuses a label over 15 bytes, also one of 15 characters', () => {
    const message = (label: string): string => {
      try {
        resolveConfig({ interface: 'eth0', vrid: 1, virtualAddresses: [{ address: '192.0.2.1', label }] });
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(message('x'.repeat(15))).toBe('accepted');
    expect(message('x'.repeat(16))).toMatch(/virtualAddresses\.0\.label: must be at most 15 bytes \(IFNAMSIZ\)$/m);
    expect(message(`${'x'.repeat(14)}é`)).toMatch(/virtualAddresses\.0\.label: must be at most 15 bytes \(IFNAMSIZ\)$/m);
  });
});

describe('excludedAddresses', () => {
  // Given an IPv4 instance with an IPv6 and an IPv4 address excluded (keepalived's virtual_ipaddress_excluded)
  // then they are accepted whatever their family, canonical, and held after the advertised ones.
  it('takes addresses of either family and holds them after the advertised ones', () => {
    const resolved = resolveConfig(config({ excludedAddresses: ['2001:DB8::0:1/64', { address: '198.51.100.7', label: 'eth0:x' }] }));
    expect(resolved.family).toBe('ipv4');
    expect(resolved.excludedAddresses).toEqual([
      { address: '2001:db8::1', prefixLength: 64, family: 'ipv6' },
      { address: '198.51.100.7', prefixLength: 32, family: 'ipv4', label: 'eth0:x' },
    ]);
    expect(resolved.heldAddresses.map((vip) => vip.address)).toEqual(['192.0.2.100', '2001:db8::1', '198.51.100.7']);
    expect(Object.isFrozen(resolved.heldAddresses) && Object.isFrozen(resolved.excludedAddresses[0])).toBe(true);
  });

  // An address in both lists would be added twice and removed once: refused where it is repeated.
  it('refuses an address listed in both lists, naming the second place', () => {
    const error = rejection(config({ excludedAddresses: ['198.51.100.7', '192.0.2.100/32'] }));
    expect(error.issues).toEqual([{ path: 'excludedAddresses.1', message: '192.0.2.100 is in virtualAddresses too: list it once' }]);
  });

  it('refuses a bad address, a repeat and an IPv6 label, each by its path', () => {
    const error = rejection(config({ excludedAddresses: ['not-an-ip', '2001:db8::1', '2001:db8::1', { address: '2001:db8::2', label: 'eth0:v6' }] }));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'excludedAddresses.0: "not-an-ip" is not an IPv4/IPv6 address or address/prefix',
      'excludedAddresses.2: 2001:db8::1 is listed twice',
      'excludedAddresses.3.label: labels exist for IPv4 addresses only',
    ]);
  });

  it('refuses a list that is not one', () => {
    expect(issuePaths(config({ excludedAddresses: '2001:db8::1' }))).toEqual(['excludedAddresses']);
  });
});

describe('an address on another interface (dev)', () => {
  // keepalived's `virtual_ipaddress { ADDR dev IF }`: kept on the address; the instance's own interface named is
  // the same as none, so that the engine groups by `dev` alone.
  it('keeps another interface, and drops the instance\'s own', () => {
    const resolved = resolveConfig(config({ virtualAddresses: [{ address: '192.0.2.100/24', dev: 'eth0' }, { address: '198.51.100.1/24', dev: 'eth1' }], excludedAddresses: [{ address: '2001:db8::1/64', dev: 'eth1' }] }));
    expect(resolved.heldAddresses.map((vip) => `${vip.address} ${vip.dev ?? '-'}`)).toEqual(['192.0.2.100 -', '198.51.100.1 eth1', '2001:db8::1 eth1']);
  });

  it('refuses a name the kernel would not take, by its path', () => {
    const error = rejection(config({ virtualAddresses: [{ address: '192.0.2.100', dev: 'a-very-long-interface-name' }, { address: '192.0.2.101', dev: '' }] }));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'virtualAddresses.0.dev: must be at most 15 bytes (IFNAMSIZ)',
      'virtualAddresses.1.dev: must not be empty',
    ]);
  });
});

describe('vmac', () => {
  // Given vmac as true, as options, as false and absent; then the resolved form is the defaults, the options, or none.
  it('resolves true to the defaults and false to none', () => {
    expect(resolveConfig(config({ vmac: true })).vmac).toEqual({ name: undefined, xmitBase: false });
    expect(resolveConfig(config({ vmac: { name: 'vrrp51', xmitBase: true } })).vmac).toEqual({ name: 'vrrp51', xmitBase: true });
    expect(resolveConfig(config({ vmac: false })).vmac).toBeUndefined();
    expect(resolveConfig(config()).vmac).toBeUndefined();
  });

  // Given names the kernel refuses, or the instance's own interface; then each is an issue at vmac.name.
  it.each([
    ['a name too long', 'vrrp.51.too.long', /at most 15 bytes/],
    ['a slash', 'vrrp/51', /must not be "\." or "\.\." or hold "\/", ":" or whitespace/],
    ['a colon', 'vrrp:51', /hold "\/", ":" or whitespace/],
    ['a space', 'vrrp 51', /hold "\/", ":" or whitespace/],
    ['..', '..', /must not be "\." or "\.\."/],
    ["the instance's interface", 'eth0', /is the instance's interface/],
  ])('refuses %s as the VMAC name', (_what, name, message) => {
    const issues = rejection(config({ vmac: { name } })).issues;
    expect(issues).toEqual([{ path: 'vmac.name', message: expect.stringMatching(message) }]);
  });

  // Given unicast peers with a VMAC that would send; then xmitBase is asked for, by path.
  it('asks for xmitBase with unicast peers', () => {
    expect(issuePaths(config({ vmac: true, unicastPeers: ['192.0.2.2'] }))).toEqual(['vmac.xmitBase']);
    expect(resolveConfig(config({ vmac: { xmitBase: true }, unicastPeers: ['192.0.2.2'] })).vmac?.xmitBase).toBe(true);
  });

  // Given an excluded address of the other family; then with a VMAC it stays on the interface (dev), without one it
  // has no dev (the instance's own interface either way).
  it("keeps the other family's excluded addresses on the interface", () => {
    const excludedAddresses = ['2001:db8::100/64', '192.0.2.101/24'];
    expect(resolveConfig(config({ vmac: true, excludedAddresses })).excludedAddresses.map((vip) => vip.dev)).toEqual(['eth0', undefined]);
    expect(resolveConfig(config({ excludedAddresses })).excludedAddresses.map((vip) => vip.dev)).toEqual([undefined, undefined]);
  });

  // Given a vmac that is neither a boolean nor the options; then one issue says what it may be.
  it('refuses a vmac of another shape', () => {
    expect(rejection(config({ vmac: 'yes' })).issues).toEqual([{ path: 'vmac', message: 'must be true, false or { name?, xmitBase? }' }]);
  });
});
