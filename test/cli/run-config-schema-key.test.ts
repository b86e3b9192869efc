/**
 * `vrrp run` and the `"$schema"` key editors add (and our schema/vrrp-config.schema.json invites): accepted at the
 * top of either form of the file, ignored, never passed on to an instance; anything but a string is an error
 * naming the key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { loadRunConfig, resolveRunConfig } from '../../src/run-config.js';

const SCHEMA = './node_modules/vrrp/schema/vrrp-config.schema.json';
const instance = { interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.100'] };

describe('vrrp run config: "$schema"', () => {
  it('accepts it in a one-instance file and leaves it out of the instance config', () => {
    const resolved = resolveRunConfig({ $schema: SCHEMA, ...instance });
    expect(resolved.instances).toHaveLength(1);
    expect(resolved.instances[0]?.config).toEqual(instance);
  });

  it('accepts it beside "instances"', () => {
    const resolved = resolveRunConfig({ $schema: SCHEMA, instances: [instance] });
    expect(resolved.instances.map((entry) => entry.name)).toEqual(['vrid-51']);
  });

  it('refuses one that is not a string, naming the key', () => {
    const issues = (file: unknown): unknown => {
      try {
        resolveRunConfig(file);
      } catch (error) {
        if (error instanceof ConfigError) return error.issues;
        throw error;
      }
      return [];
    };
    expect(issues({ $schema: 5, ...instance })).toEqual([{ path: '$schema', message: 'must be a string (the path or URL of the JSON Schema)' }]);
    expect(issues({ $schema: true, instances: [instance] })).toEqual([{ path: '$schema', message: 'must be a string (the path or URL of the JSON Schema)' }]);
  });

  it('loads a file written as the configuration reference shows it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vrrp-schema-key-'));
    try {
      const path = join(dir, 'vrrp.json');
      writeFileSync(path, JSON.stringify({ $schema: SCHEMA, instances: [{ ...instance, priority: 101 }] }, null, 2));
      const loaded = loadRunConfig(path);
      expect([loaded.format, loaded.config.instances[0]?.config.priority]).toEqual(['json', 101]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
