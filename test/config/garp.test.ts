/**
 * `garp` (src/config.ts): keepalived's announcement knobs. `repeat: 0` is taken as written — no gratuitous ARP or
 * unsolicited NA at all, the second burst and the refreshes included (src/linux/vip/schedule.ts,
 * src/linux/vip-manager.ts) — where keepalived 2.2.7 reads `garp_master_repeat 0` as 1 (and our importer with it).
 * Since that silence is easy to ask for by mistake, the field's documentation says so.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveConfig, type VrrpConfig } from '../../src/config.js';
import { laterBursts } from '../../src/linux/vip/schedule.js';

const config = (garp: VrrpConfig['garp']): VrrpConfig => ({ interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.100/24'], garp });

/** The description the generated JSON Schema (and with it docs/configuration.md) gives `garp.repeat`. */
function repeatDescription(): string {
  const schema = JSON.parse(readFileSync(new URL('../../schema/vrrp-config.schema.json', import.meta.url), 'utf8')) as unknown;
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    const garp = (record.properties as Record<string, { properties?: Record<string, { description?: string }> }> | undefined)?.garp;
    const description = garp?.properties?.repeat?.description;
    if (description !== undefined) found.push(description);
    for (const value of Object.values(record)) walk(value);
  };
  walk(schema);
  if (found.length === 0) throw new Error('schema/vrrp-config.schema.json has no description of garp.repeat');
  return found[0] as string;
}

describe('garp.repeat', () => {
  it('takes 0 as 0: no announcement at all, the later bursts included', () => {
    const { garp } = resolveConfig(config({ repeat: 0, delayMs: 5000, refreshMs: 60_000 }));
    expect(garp).toEqual({ repeat: 0, delayMs: 5000, refreshMs: 60_000 });
    expect(laterBursts(garp)).toEqual([]);
  });

  it('is documented as turning the announcements off at 0', () => {
    expect(repeatDescription(), 'the reference does not say what repeat: 0 does').toMatch(/0 turns .*off/);
  });
});
