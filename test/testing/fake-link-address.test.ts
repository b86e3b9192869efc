/**
 * The fakes pick the address to send from as the Linux adapters do:
 * - FakeTransport answers the configured `primaryAddress` first (the Linux transport's pick), then its own;
 * - FakeLinkMonitor.setUp(true) on a link already up tells its watchers up again, as the real monitor does when the
 *   address to send from changed (a renumbering), so that the instance asks the transport for it anew. It did
 *   nothing, and a test could not play an interface renumbered under a running instance.
 */
import { describe, expect, it } from 'vitest';
import type { VrrpConfig } from '../../src/config.js';
import { decodeAdvertisement } from '../../src/core/codec.js';
import { VrrpInstance } from '../../src/instance.js';
import { FakeLinkMonitor, FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';

const config: VrrpConfig = { interface: 'eth0', vrid: 51, version: 3, virtualAddresses: ['10.0.0.100/24'] };
/** Past a lone v3 router's Master_Down_Interval at priority 100 (3609.375 ms). */
const MASTER_AFTER_MS = 4000;

/** Decodes `transport`'s latest advert as sent from `src`; the v3 checksum covers it. */
function sentFrom(transport: FakeTransport, src: string): string {
  const last = transport.sent.at(-1);
  if (last === undefined) return 'nothing sent';
  const decoded = decodeAdvertisement(last.bytes, { family: 'ipv4', src, dst: last.dst, v3Ipv4Checksum: 'pseudo-header' });
  return decoded.ok ? src : `not from ${src}: ${decoded.error.message}`;
}

describe('FakeTransport', () => {
  // Given a transport whose own address is 10.0.0.1, and an instance configured with primaryAddress 10.0.0.5;
  // when the instance opens it and later asks it again; then both answers are 10.0.0.5.
  it('answers the configured primaryAddress before its own', async () => {
    const transport = new FakeTransport({ primaryAddress: '10.0.0.1' });
    const opened = await transport.open(
      { interface: 'eth0', family: 'ipv4', vrid: 51, unicastPeers: [], primaryAddress: '10.0.0.5', virtualAddresses: [] },
      () => {},
    );
    expect(opened.primaryAddress).toBe('10.0.0.5');
    expect(await transport.resolvePrimaryAddress()).toBe('10.0.0.5');
  });
});

describe('FakeLinkMonitor', () => {
  // Given a watcher of a link that is up; when setUp(true) is called; then the watcher is told up again.
  it('tells its watchers up again when set up while up', async () => {
    const link = new FakeLinkMonitor();
    const told: boolean[] = [];
    await link.watch('eth0', (up) => told.push(up));
    link.setUp(true);
    expect(told, 'setUp(true) on a link already up told nobody').toEqual([true]);
  });

  // Given a watcher of a link that is down; when setUp(false) is called; then nobody is told (nothing changed).
  it('tells nobody when set down while down', async () => {
    const link = new FakeLinkMonitor(false);
    const told: boolean[] = [];
    await link.watch('eth0', (up) => told.push(up));
    link.setUp(false);
    expect(told).toEqual([]);
  });

  // Given a master on the default (up) link monitor sending from 10.0.0.1; when the transport's address becomes
  // 10.0.0.9 and the link is set up (a renumbering); then its adverts go from 10.0.0.9.
  it('lets a running instance pick up a new transport address on setUp(true)', async () => {
    const clock = new VirtualClock();
    const transport = new FakeTransport({ primaryAddress: '10.0.0.1' });
    const link = new FakeLinkMonitor();
    const instance = new VrrpInstance(config, { transport, vipManager: new FakeVipManager(), clock, linkMonitor: link });
    await instance.start();
    await clock.advance(MASTER_AFTER_MS);
    expect(sentFrom(transport, '10.0.0.1')).toBe('10.0.0.1');
    transport.primaryAddress = '10.0.0.9';
    link.setUp(true);
    await clock.advance(1000);
    expect(sentFrom(transport, '10.0.0.9'), 'the instance still sends from its old address').toBe('10.0.0.9');
    await instance.stop();
  });
});
