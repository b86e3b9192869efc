/**
 * commandMatches (src/trackers/process.ts): keepalived's full_command and param_match as its check_params
 * (keepalived/core/track_process.c) decides them, on argument lists — no /proc needed.
 */
import { describe, expect, it } from 'vitest';
import { commandMatches } from '../../src/trackers/process.js';

const argv = ['/usr/sbin/haproxy', '-f', '/etc/haproxy/haproxy.cfg', '-Ws'];

describe('commandMatches', () => {
  it('compares the first word exactly, and nothing else without params or paramMatch', () => {
    expect(commandMatches({ command: '/usr/sbin/haproxy' }, argv)).toBe(true);
    expect(commandMatches({ command: 'haproxy' }, argv)).toBe(false);
    expect(commandMatches({ command: '/usr/sbin/haproxy -f' }, argv)).toBe(false);
  });

  it('takes params without paramMatch as exact: every argument, no more', () => {
    expect(commandMatches({ command: '/usr/sbin/haproxy', params: ['-f', '/etc/haproxy/haproxy.cfg', '-Ws'] }, argv)).toBe(true);
    expect(commandMatches({ command: '/usr/sbin/haproxy', params: ['-f', '/etc/haproxy/haproxy.cfg'] }, argv)).toBe(false);
  });

  it('takes exact without params as no arguments at all', () => {
    expect(commandMatches({ command: '/usr/sbin/haproxy', paramMatch: 'exact' }, argv)).toBe(false);
    expect(commandMatches({ command: '/usr/sbin/haproxy', paramMatch: 'exact' }, ['/usr/sbin/haproxy'])).toBe(true);
  });

  it('takes partial as the first arguments, each whole', () => {
    expect(commandMatches({ command: '/usr/sbin/haproxy', params: ['-f'], paramMatch: 'partial' }, argv)).toBe(true);
    expect(commandMatches({ command: '/usr/sbin/haproxy', params: ['-f', '/etc/haproxy'], paramMatch: 'partial' }, argv)).toBe(false);
    expect(commandMatches({ command: '/usr/sbin/haproxy', paramMatch: 'partial' }, argv)).toBe(true);
  });

  it('takes initial as partial with the last argument a prefix', () => {
    expect(commandMatches({ command: '/usr/sbin/haproxy', params: ['-f', '/etc/haproxy'], paramMatch: 'initial' }, argv)).toBe(true);
    expect(commandMatches({ command: '/usr/sbin/haproxy', params: ['-', '/etc'], paramMatch: 'initial' }, argv)).toBe(false);
    expect(commandMatches({ command: '/usr/sbin/haproxy', params: ['-f', '/etc/haproxy/haproxy.cfg', '-Ws', '-x'], paramMatch: 'initial' }, argv)).toBe(false);
  });
});
