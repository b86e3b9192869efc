/**
 * `importKeepalivedConf(path, { readInterfaceMtus: true })` — what `vrrp run` does — reads each instance's
 * interface MTU from sysfs, as keepalived does when it starts, to know how many virtual addresses one advert
 * carries; an interface this host does not have is taken at 1500, and said to be assumed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importKeepalivedConf } from '../../src/keepalived/index.js';

const dir = mkdtempSync(join(tmpdir(), 'vrrp-mtu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function confFile(ifname: string): string {
  const addresses = Array.from({ length: 100 }, (_, i) => `        2001:db8::${(i + 1).toString(16)}/64`).join('\n');
  const path = join(dir, `${ifname}.conf`);
  writeFileSync(path, `vrrp_instance V6 {\n    interface ${ifname}\n    virtual_router_id 61\n    virtual_ipaddress {\n${addresses}\n    }\n}\n`);
  return path;
}

describe('interface MTUs read at import', () => {
  it("keeps 100 IPv6 addresses advertised on lo, whose MTU (65536) has room for 255", () => {
    const result = importKeepalivedConf(confFile('lo'), { readInterfaceMtus: true });
    expect(result.config.instances[0]?.virtualAddresses).toHaveLength(100);
    expect(result.warnings).toEqual([]);
  });

  it('assumes 1500 for an interface this host does not have, and says so', () => {
    const result = importKeepalivedConf(confFile('nosuch0'), { readInterfaceMtus: true });
    expect(result.config.instances[0]?.virtualAddresses).toHaveLength(89);
    expect(result.warnings.map((warning) => warning.message)).toEqual([expect.stringContaining("at MTU 1500 (assumed: keepalived reads nosuch0's where it runs)")]);
  });
});
