/**
 * Diagnostics channels with the engine on the engine thread (the default Linux adapters): state and VIP changes
 * reach the app's subscribers, and adverts sent on the engine thread reach a subscriber on the app's thread that
 * subscribed after the start (the thread forwards them once it learns of the subscriber). The app runs in a
 * network namespace of its own (`unshare -rn`, gone with the process) with eth0 up; it needs dist/ (npm run build).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { OWN_NETNS_SETUP, ownNetnsAvailable } from '../support/own-netns.js';

const app = fileURLToPath(new URL('./fixtures/channels-app.mjs', import.meta.url));
const available = { ok: ownNetnsAvailable('test/interop/channels-engine-thread.test.ts') };

interface Finding {
  channel?: string;
  message?: Record<string, unknown>;
  messages?: Record<string, unknown>[];
  done?: boolean;
}

describe.skipIf(!available.ok)('diagnostics channels from the engine thread', () => {
  it('reaches subscribers on the app thread: state and VIP changes, and adverts once subscribed', async () => {
    const { stdout } = await promisify(execFile)('unshare', ['-rn', 'sh', '-c', OWN_NETNS_SETUP, 'sh', process.execPath, app], { timeout: 30_000 });
    const findings = stdout.trim().split('\n').map((line) => JSON.parse(line) as Finding);
    expect(findings.at(-1)).toEqual({ done: true });
    const states = findings.filter((f) => f.channel === 'vrrp:state').map((f) => `${String(f.message?.from)} → ${String(f.message?.to)}`);
    expect(states).toEqual(['initialize → backup', 'backup → master', 'master → initialize']);
    const vips = findings.filter((f) => f.channel === 'vrrp:vip').map((f) => [f.message?.action, f.message?.addresses]);
    expect(vips).toEqual([
      ['add', ['192.168.1.100']],
      ['remove', ['192.168.1.100']],
    ]);
    const adverts = findings.find((f) => f.channel === 'vrrp:advert:sent')?.messages ?? [];
    expect(adverts).toHaveLength(3);
    expect(adverts[0]).toEqual({ name: 'web', vrid: 51, family: 'ipv4', interface: 'eth0', src: '192.168.1.10', dst: '224.0.0.18', version: 3, priority: 150, advertIntervalMs: 100, addresses: ['192.168.1.100'] });
  });
});
