/**
 * The generated configuration reference (docs/configuration.md) and JSON Schema (schema/vrrp-config.schema.json)
 * stay true to src/config.ts:
 * - they are what scripts/gen-config-docs.mjs writes from the schema today, so a schema change without
 *   `node scripts/gen-config-docs.mjs` fails here;
 * - the JSON Schema accepts what `vrrp run` accepts (its validator, `resolveRunConfig`) and refuses what it refuses,
 *   on sample configs, on every keepalived.conf fixture the importer converts without errors, and on every config
 *   shown in the guides.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../src/errors.js';
import { importKeepalivedConf } from '../../src/keepalived/index.js';
import { resolveRunConfig } from '../../src/run-config.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const jsonSchema = JSON.parse(readFileSync(`${root}schema/vrrp-config.schema.json`, 'utf8')) as Record<string, unknown>;
const editorSchema = z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]);

/** Whether `vrrp run` takes the file (one instance, or `{ instances, groups, global }`). */
function runs(file: Record<string, unknown>): boolean {
  try {
    resolveRunConfig(file);
    return true;
  } catch (error) {
    if (error instanceof ConfigError) return false;
    throw error;
  }
}

const vrrp = { interface: 'eth0', vrid: 51, virtualAddresses: ['192.168.1.100'] };

describe('docs/configuration.md and schema/vrrp-config.schema.json', () => {
  it('are what scripts/gen-config-docs.mjs generates from src/config.ts and src/run-config.ts now', async () => {
    const run = promisify(execFile)(process.execPath, [`${root}scripts/gen-config-docs.mjs`, '--check'], { cwd: root });
    await expect(run).resolves.toBeDefined(); // on failure: "… out of date with src/…: run node scripts/gen-config-docs.mjs"
  });

  it('name themselves ($schema, $id), and allow a "$schema" key in a config exactly where vrrp run does', () => {
    expect(jsonSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(jsonSchema.$id).toEqual(expect.any(String));
    for (const file of [{ $schema: './node_modules/vrrp/schema/vrrp-config.schema.json', instances: [vrrp] }, { $schema: 'x', ...vrrp }]) {
      expect(editorSchema.safeParse(file).success).toBe(runs(file));
    }
  });

  const samples: [string, Record<string, unknown>, boolean][] = [
    ['the smallest instance', vrrp, true],
    ['the tutorial with an exec tracker', { ...vrrp, version: 2, priority: 101, trackers: [{ type: 'exec', name: 'chk_haproxy', command: 'killall -0 haproxy', intervalMs: 2000, weight: 2 }] }, true],
    ['every tracker type JSON can hold', { ...vrrp, trackers: [
      { type: 'exec', name: 'a', command: ['/bin/true'] },
      { type: 'tcp', name: 'b', host: '127.0.0.1', port: 5432 },
      { type: 'http', name: 'c', url: 'http://127.0.0.1/health', status: [200, 204], bodyMatch: '/ok/i' },
      { type: 'process', name: 'd', process: 'haproxy', quorum: 1 },
      { type: 'file', name: 'e', path: '/run/weight' },
      { type: 'interface', name: 'f', interface: 'eth1', weight: -20 },
      { type: 'eventLoopLag', thresholdMs: 2000 },
    ] }, true],
    ['{ instances } with unicast peers', { instances: [{ ...vrrp, unicastPeers: ['10.0.0.2'], primaryAddress: '10.0.0.1', virtualAddresses: ['10.0.0.100/24'] }] }, true],
    ['notify scripts, a sync group and global settings', {
      instances: [{ ...vrrp, name: 'a', notify: { master: '/usr/local/bin/promote', any: ['/usr/bin/logger', 'vrrp'] } }, { ...vrrp, name: 'b', vrid: 52 }],
      groups: [{ name: 'g', members: ['a', 'b'], notify: { fault: 'page-me' } }],
      global: { startupDelayMs: 1000, routerId: 'lb1' },
    }, true],
    ['an unknown top-level field', { instances: [vrrp], defaults: {} }, false],
    ['a notify script for a state that does not exist', { instances: [{ ...vrrp, notify: { promoted: 'x' } }] }, false],
    ['a missing vrid', { interface: 'eth0', virtualAddresses: ['192.168.1.100'] }, false],
    ['a priority out of range', { ...vrrp, priority: 256 }, false],
    ['a misspelt field', { ...vrrp, preemt: false }, false],
    ['a tracker type that does not exist', { ...vrrp, trackers: [{ type: 'ping', name: 'x' }] }, false],
    ['a function tracker (library only)', { ...vrrp, trackers: [{ type: 'function', name: 'x', check: 'true' }] }, false],
    ['an empty instances list', { instances: [] }, false],
  ];
  it.each(samples)('agree with vrrp run on %s', (_name, config, valid) => {
    expect(runs(config)).toBe(valid);
    expect(editorSchema.safeParse(config).success).toBe(valid);
  });

  const fixtures = `${root}test/keepalived/fixtures/`;
  const imported = readdirSync(fixtures)
    .filter((name) => name.endsWith('.conf'))
    .map((name) => [name, importKeepalivedConf(`${fixtures}${name}`)] as const)
    .filter(([, result]) => result.errors.length === 0);
  it.each(imported.map(([name, result]) => [name, result.config]))('accept what vrrp import-keepalived writes for %s', (_name, config) => {
    expect(runs(config as unknown as Record<string, unknown>)).toBe(true);
    const parsed = editorSchema.safeParse(config);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });
  it('check the importer on more than the tutorial', () => {
    expect(imported.length).toBeGreaterThanOrEqual(5);
  });

  // The guides written beside the generated page (other pages are checked by their own tests).
  const guides = ['getting-started.md', 'configuration.md', 'containers.md', 'firewalls.md', 'clouds.md'];
  const shown = guides.flatMap((name) =>
    [...readFileSync(`${root}docs/${name}`, 'utf8').matchAll(/```json\n([\s\S]*?)```/g)]
      .map((match) => match[1] ?? '')
      .filter((text) => /"(vrid|instances)"/.test(text) && !text.includes('…'))
      .map((text) => [name, text] as const),
  );
  it('find the configs the guides show (a pattern that stopped matching would leave nothing checked)', () => {
    expect(shown.length).toBeGreaterThanOrEqual(3); // getting-started, configuration and clouds show one each
  });
  it.each(shown)('take the config shown in docs/%s', (_name, text) => {
    const config = JSON.parse(text) as Record<string, unknown>;
    expect(runs(config)).toBe(true);
    const parsed = editorSchema.safeParse(config);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });
});
