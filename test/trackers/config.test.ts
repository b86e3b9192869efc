/**
 * Tracker configuration (src/config.ts): every built-in type is accepted from plain JSON with keepalived's
 * defaults filled in, and every mistake is refused with the path of the field to fix.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const base = { interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.100/24'] };

/** The issues of the ConfigError thrown for these trackers; fails if they were accepted. */
function issues(trackers: unknown[]): { path: string; message: string }[] {
  try {
    resolveConfig({ ...base, trackers });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(trackers)}`);
}

const common = { intervalMs: 1000, timeoutMs: 1000, weight: 0, fall: 1, rise: 1, reverse: false, initFail: false };

describe('accepted from JSON, with defaults', () => {
  // Given the trackers as a vrrp.json file would hold them (the issue: JSON trackers failed "check: must be a function")
  // when resolved
  // then each carries keepalived's defaults: interval 1 s, timeout = interval, weight 0 (1 for file), fall/rise 1.
  it('resolves every built-in type from JSON text', () => {
    const json = `{
      "interface": "eth0", "vrid": 51, "virtualAddresses": ["192.0.2.100/24"],
      "trackers": [
        { "type": "exec", "name": "chk_haproxy", "command": "killall -0 haproxy", "intervalMs": 2000, "weight": 2 },
        { "type": "exec", "name": "argv", "command": ["/usr/bin/pg_isready", "-q"], "user": "postgres", "initFail": true },
        { "type": "tcp", "name": "pg", "host": "127.0.0.1", "port": 5432 },
        { "type": "http", "name": "api", "url": "http://127.0.0.1:8080/health", "bodyMatch": "/ok/i" },
        { "type": "process", "name": "haproxy", "process": "haproxy", "quorum": 2, "quorumMax": 4 },
        { "type": "file", "name": "maint", "path": "/run/vrrp/maint" },
        { "type": "interface", "name": "uplink", "interface": "eth1", "weight": -20 }
      ]
    }`;
    const { trackers } = resolveConfig(JSON.parse(json));
    expect(trackers).toEqual([
      { ...common, type: 'exec', name: 'chk_haproxy', command: 'killall -0 haproxy', argv: ['killall', '-0', 'haproxy'], intervalMs: 2000, timeoutMs: 2000, weight: 2 },
      { ...common, type: 'exec', name: 'argv', command: ['/usr/bin/pg_isready', '-q'], argv: ['/usr/bin/pg_isready', '-q'], user: 'postgres', initFail: true },
      { ...common, type: 'tcp', name: 'pg', host: '127.0.0.1', port: 5432 },
      { ...common, type: 'http', name: 'api', url: 'http://127.0.0.1:8080/health', status: [200, 299], bodyMatch: '/ok/i' },
      { ...common, type: 'process', name: 'haproxy', process: 'haproxy', quorum: 2, quorumMax: 4 },
      { ...common, type: 'file', name: 'maint', path: '/run/vrrp/maint', weight: 1, valued: true },
      { ...common, type: 'interface', name: 'uplink', interface: 'eth1', weight: -20 },
    ]);
  });

  // Given an http status as one code; then it resolves to the range [code, code].
  it('turns one status code into a range', () => {
    const { trackers } = resolveConfig({ ...base, trackers: [{ type: 'http', name: 'api', url: 'https://x.test/', status: 204 }] });
    expect(trackers[0]).toMatchObject({ status: [204, 204] });
  });
});

describe('refused, naming the field', () => {
  // Given exec commands that cannot run; then the command field is named with why.
  it('refuses an exec command that cannot be split or is missing', () => {
    expect(issues([{ type: 'exec', name: 'a', command: "killall -0 'haproxy" }])).toEqual([{ path: 'trackers.0.command', message: "has an unmatched ' quote" }]);
    expect(issues([{ type: 'exec', name: 'a', command: [] }])).toEqual([{ path: 'trackers.0.command', message: 'is empty' }]);
    expect(issues([{ type: 'exec', name: 'a' }]).map((issue) => issue.path)).toEqual(['trackers.0.command']);
    expect(issues([{ type: 'exec', name: 'a', command: 'true', user: 'a:b:c' }])).toEqual([
      { path: 'trackers.0.user', message: "must be 'user', 'user:group', 'uid' or 'uid:gid'" },
    ]);
  });

  // Given keepalived's keyword `script` instead of `command`; then it is an unknown field, named.
  it('names a field that does not exist', () => {
    expect(issues([{ type: 'exec', name: 'a', command: 'true', script: 'true' }])).toEqual([{ path: 'trackers.0', message: 'unknown field "script"' }]);
  });

  // Given bad common fields on a built-in type; then each is named.
  it('checks the common fields on every type', () => {
    expect(issues([{ type: 'tcp', name: 'a', host: 'h', port: 1, weight: 254, initFail: 'yes', fall: 0 }]).map((issue) => issue.path)).toEqual([
      'trackers.0.weight',
      'trackers.0.fall',
      'trackers.0.initFail',
    ]);
  });

  // Given tcp and http fields out of range; then each is named.
  it('refuses bad tcp and http fields', () => {
    expect(issues([{ type: 'tcp', name: 'a', host: '', port: 70000 }])).toEqual([
      { path: 'trackers.0.host', message: 'must not be empty' },
      { path: 'trackers.0.port', message: 'must be at most 65535' },
    ]);
    expect(issues([{ type: 'http', name: 'a', url: 'ftp://x/' }])).toEqual([{ path: 'trackers.0.url', message: 'must be http:// or https://, not ftp://' }]);
    expect(issues([{ type: 'http', name: 'a', url: 'not a url' }])).toEqual([{ path: 'trackers.0.url', message: '"not a url" is not a URL' }]);
    expect(issues([{ type: 'http', name: 'a', url: 'http://x/', status: [300, 200] }])).toEqual([
      { path: 'trackers.0.status', message: '[300, 200] is empty: min must not exceed max' },
    ]);
    expect(issues([{ type: 'http', name: 'a', url: 'http://x/', bodyMatch: '/[/' }])[0]?.path).toBe('trackers.0.bodyMatch');
  });

  // Given process trackers without a criterion, with a name the kernel cannot hold, and quorumMax below quorum.
  it('refuses process trackers that cannot match', () => {
    expect(issues([{ type: 'process', name: 'a' }])).toEqual([{ path: 'trackers.0', message: 'must give process, command, args or pidFile (what to look for)' }]);
    expect(issues([{ type: 'process', name: 'a', process: 'a-very-long-process-name' }])[0]?.path).toBe('trackers.0.process');
    expect(issues([{ type: 'process', name: 'a', process: 'haproxy', params: ['-f'] }])).toEqual([{ path: 'trackers.0.params', message: 'needs command (the program whose arguments these are)' }]);
    expect(issues([{ type: 'process', name: 'a', process: 'haproxy', paramMatch: 'prefix' }])[0]?.path).toBe('trackers.0.paramMatch');
    expect(issues([{ type: 'process', name: 'a', process: 'haproxy', quorum: 3, quorumMax: 2 }])).toEqual([
      { path: 'trackers.0.quorumMax', message: 'must be at least quorum (3)' },
    ]);
  });

  // Given a file weight beyond keepalived's ±254, and an interface name beyond IFNAMSIZ.
  it('refuses a file weight beyond ±254 and an interface name beyond 15 bytes', () => {
    expect(issues([{ type: 'file', name: 'a', path: '/x', weight: 255 }])).toEqual([{ path: 'trackers.0.weight', message: 'must be at most 254' }]);
    expect(issues([{ type: 'interface', name: 'a', interface: 'a-very-long-interface' }])).toEqual([
      { path: 'trackers.0.interface', message: 'must be at most 15 bytes (IFNAMSIZ)' },
    ]);
  });

  // Given an address owner (255) with a file tracker (weight 1 by default); then refused, as any weighted tracker.
  it('refuses a file tracker with its default weight on an address owner', () => {
    try {
      resolveConfig({ ...base, priority: 255, trackers: [{ type: 'file', name: 'a', path: '/x' }] });
      throw new Error('accepted');
    } catch (error) {
      expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['trackers.0.weight']);
    }
  });
});
