/**
 * How the engine hands a takeover's virtual-address work to the VIP manager: in one `addAndAnnounce` call when the
 * manager has it (so a manager can announce the moment the addresses are up), else `add` then `announce`; and a
 * failure of the combined call is reported without stopping the new master.
 */
import { describe, expect, it } from 'vitest';
import type { VirtualAddress } from '../../src/config.js';
import { resolveConfig } from '../../src/config.js';
import { Engine, type EngineEvent } from '../../src/engine/engine.js';
import { VrrpError } from '../../src/errors.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';
import { MASTER_DOWN_MS } from './harness.js';

const config = resolveConfig({ interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.100/24'] });

/** A FakeVipManager with the optional combined call, logging every call by name. */
class CombinedVipManager extends FakeVipManager {
  readonly log: string[] = [];
  failCombined: Error | undefined;

  override async add(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    this.log.push('add');
    await super.add(iface, addresses);
  }

  override async announce(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    this.log.push('announce');
    await super.announce(iface, addresses);
  }

  addAndAnnounce(iface: string, addresses: readonly VirtualAddress[]): void {
    this.log.push(`addAndAnnounce ${iface} ${addresses.map((vip) => vip.address).join(',')}`);
    if (this.failCombined) throw this.failCombined;
    for (const vip of addresses) this.addresses.add(vip.address);
  }
}

async function takeOver(vipManager: FakeVipManager): Promise<{ events: EngineEvent[]; transport: FakeTransport; clock: VirtualClock; engine: Engine }> {
  const clock = new VirtualClock();
  const transport = new FakeTransport({ primaryAddress: '192.0.2.1' });
  const events: EngineEvent[] = [];
  const engine = new Engine(config, { transport, vipManager, clock }, (e) => events.push(e));
  await engine.start();
  await clock.advance(MASTER_DOWN_MS + 1);
  await engine.idle();
  return { events, transport, clock, engine };
}

describe('engine takeover and the VIP manager', () => {
  // Given a VIP manager with addAndAnnounce
  // when the Master_Down_Timer expires
  // then the engine calls it once with the interface and the VIPs, and neither add nor announce.
  it('hands a takeover to addAndAnnounce when the manager has it', async () => {
    const vips = new CombinedVipManager();
    const { events, engine } = await takeOver(vips);
    expect(events.some((e) => e.type === 'transition' && e.to === 'master')).toBe(true);
    expect(vips.log).toEqual(['addAndAnnounce eth0 192.0.2.100']);
    await engine.stop();
  });

  // Given a VIP manager without it
  // when the Master_Down_Timer expires
  // then the engine calls add, then announce.
  it('calls add then announce when the manager has no addAndAnnounce', async () => {
    const vips = new FakeVipManager();
    const { engine } = await takeOver(vips);
    expect(vips.calls.map((call) => call.op)).toEqual(['add', 'announce']);
    await engine.stop();
  });

  // Given addAndAnnounce throws at the takeover
  // then a vip_failed error names the combined step, and the new master keeps advertising.
  it('reports a failing addAndAnnounce and keeps the new master advertising', async () => {
    const vips = new CombinedVipManager();
    vips.failCombined = new VrrpError('announce_failed', 'cannot announce on eth0: ENETDOWN');
    const { events, transport, clock, engine } = await takeOver(vips);
    const error = events.find((e) => e.type === 'error');
    expect(error).toMatchObject({ code: 'vip_failed', message: 'could not add and announce virtual addresses: cannot announce on eth0: ENETDOWN' });
    const sentBefore = transport.sent.length;
    await clock.advance(3000);
    expect(transport.sent.length).toBeGreaterThanOrEqual(sentBefore + 3);
    await engine.stop();
  });

  // Given a manager whose combined add-and-announce fails in the add (the kernel refused an address)
  // when the engine takes over
  // then the takeover is not reported as master: the engine faults with reason 'vip-failed'.
  it('faults instead of reporting master when addAndAnnounce fails to add', async () => {
    const vips = new CombinedVipManager();
    vips.failCombined = new VrrpError('vip_failed', 'cannot add 192.0.2.100/32 on eth0: EACCES');
    const { events, engine } = await takeOver(vips);
    const transitions = events.filter((e) => e.type === 'transition').map((e) => `${e.from}>${e.to}:${e.reason}`);
    expect(transitions).toEqual(['initialize>backup:startup', 'backup>fault:vip-failed']);
    await engine.stop();
  });

  // Given a settled backup whose adapters can warm their takeover path (after the process gave back its start-up
  // pages, src/engine/worker.ts)
  // when the engine is asked to warm
  // then it asks the transport and the VIP manager (with the interface and the VIPs), sends nothing, changes no
  // address, and its next takeover runs as before.
  it('warm() asks the adapters to warm their takeover path and sends, adds and announces nothing', async () => {
    const clock = new VirtualClock();
    const warmed: string[] = [];
    const transport = Object.assign(new FakeTransport({ primaryAddress: '192.0.2.1' }), { warm: () => void warmed.push('transport') });
    const vips = Object.assign(new CombinedVipManager(), {
      warm: async (iface: string, addresses: readonly VirtualAddress[]) => void warmed.push(`vips ${iface} ${addresses.map((vip) => vip.address).join(',')}`),
    });
    const events: EngineEvent[] = [];
    const engine = new Engine(config, { transport, vipManager: vips, clock }, (e) => events.push(e));
    await engine.start();
    const sentBefore = transport.sent.length;
    await engine.warm();
    expect(warmed).toEqual(['transport', 'vips eth0 192.0.2.100']);
    expect(transport.sent.length, 'packets sent by warm()').toBe(sentBefore);
    expect(vips.log, 'VIP manager calls by warm()').toEqual([]);
    await clock.advance(MASTER_DOWN_MS + 1);
    await engine.idle();
    expect(vips.log).toEqual(['addAndAnnounce eth0 192.0.2.100']);
    expect(events.filter((e) => e.type === 'transition').map((e) => e.to)).toEqual(['backup', 'master']);
    await engine.stop();
  });
});
