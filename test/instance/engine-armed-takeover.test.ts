/**
 * Armed takeovers (docs/architecture.md, "The prepare → takeover contract"; native/vrrp_socket.c, "Armed
 * takeovers"), on fakes in virtual time: a transport that sends a backup's takeover advert and fires the VIP
 * manager's burst itself at the Master_Down_Timer's expiry must leave the protocol as if the engine had done it —
 * the same instant, one advert, the addresses up and announced once — and must never leave an address behind.
 */
import { describe, expect, it } from 'vitest';
import type { TakeoverBurst } from '../../src/adapters/types.js';
import type { VirtualAddress } from '../../src/config.js';
import { resolveConfig, type VrrpConfig } from '../../src/config.js';
import { Engine, type EngineConfig, type EngineEvent } from '../../src/engine/engine.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';
import { baseConfig, MASTER_DOWN_MS, PRIMARY, peerAdvert } from './harness.js';

/** What went on the wire, and when: from the transport's alarm (`fired`) or from the engine's own send. */
interface WireSend {
  atMs: number;
  bytes: Uint8Array;
  fired: boolean;
}

/**
 * A transport that fires an armed takeover at its time, as the addon does: it sends the adverts itself, runs the
 * burst, and tells the engine later (never inside a call). The engine's send of those same bytes is then not made
 * again. `leaveToEngine` plays the addon finding a datagram unread at the deadline: it disarms instead.
 */
class ArmingTransport extends FakeTransport {
  readonly wire: WireSend[] = [];
  /** Every arming: its delay and sends; undefined for a disarm. */
  readonly armings: ({ inMs: number; sends: readonly { dst: string; bytes: Uint8Array }[] } | undefined)[] = [];
  leaveToEngine = false;
  #cancel: (() => void) | undefined;
  #fired: { sends: { dst: string; bytes: Uint8Array }[] } | undefined;

  constructor(
    readonly clock: VirtualClock,
    readonly vips: BurstVipManager,
  ) {
    super({ primaryAddress: PRIMARY });
  }

  armTakeover(sends: readonly { dst: string; bytes: Uint8Array }[] | undefined, inMs = 0, burst?: TakeoverBurst, onFired?: () => void): boolean {
    if (this.#fired !== undefined) return false; // fired, not caught up with yet: kept
    this.#cancel?.();
    this.#cancel = undefined;
    this.armings.push(sends && { inMs, sends });
    if (sends === undefined) return false;
    this.#cancel = this.clock.setTimer(inMs, () => {
      this.#cancel = undefined;
      if (this.leaveToEngine) return;
      for (const send of sends) this.wire.push({ atMs: this.clock.now(), bytes: send.bytes, fired: true });
      if (burst !== undefined) this.vips.fire(burst);
      this.#fired = { sends: [...sends] };
      this.clock.setTimer(0.05, () => onFired?.());
    });
    return true;
  }

  takeoverFired(): boolean {
    return this.#fired !== undefined;
  }

  settleTakeover(): boolean {
    this.#cancel?.();
    this.#cancel = undefined;
    const fired = this.#fired !== undefined;
    this.#fired = undefined;
    return fired;
  }

  override send(dst: string, bytes: Uint8Array): void {
    const fired = this.#fired;
    const index = fired?.sends.findIndex((send) => send.bytes === bytes && send.dst === dst) ?? -1;
    if (fired !== undefined && index >= 0) {
      fired.sends.splice(index, 1);
      if (fired.sends.length === 0) this.#fired = undefined;
      return;
    }
    // The engine sends on its own: whatever was armed is not fired any more.
    this.#cancel?.();
    this.#cancel = undefined;
    super.send(dst, bytes);
    this.wire.push({ atMs: this.clock.now(), bytes, fired: false });
  }
}

/** A VIP manager whose takeover a transport may fire (as the Linux one's prepared burst); the next addAndAnnounce takes it. */
class BurstVipManager extends FakeVipManager {
  readonly burst: TakeoverBurst = { native: 'burst' };
  /** Bursts fired by the transport, and addAndAnnounce calls that took a fired one instead of adding. */
  firings = 0;
  taken = 0;
  #fired = false;

  constructor(readonly clock: VirtualClock) {
    super();
  }

  /** What each takeoverBurst call asked for: interface and addresses. */
  readonly burstsAsked: string[] = [];

  takeoverBurst(iface: string, addresses: readonly VirtualAddress[]): TakeoverBurst {
    this.burstsAsked.push(`${iface} ${addresses.map((vip) => vip.address).join(' ')}`);
    return this.burst;
  }

  /** The transport's alarm ran the burst: the addresses are up and announced. */
  fire(burst: TakeoverBurst): void {
    expect(burst).toBe(this.burst);
    this.firings++;
    this.#fired = true;
    this.firedAtMs = this.clock.now();
  }

  firedAtMs: number | undefined;

  async addAndAnnounce(iface: string, addresses: readonly VirtualAddress[]): Promise<void> {
    if (this.#fired) {
      this.#fired = false;
      this.taken++;
      for (const vip of addresses) this.addresses.add(vip.address);
      return;
    }
    await this.add(iface, addresses);
    await this.announce(iface, addresses);
  }
}

interface Run {
  clock: VirtualClock;
  engine: Engine;
  transport: ArmingTransport;
  vips: BurstVipManager;
  events: { atMs: number; event: EngineEvent }[];
}

/** One backup engine on the arming fakes; `syncGroupId` makes it a sync group's only member. */
function setUp(overrides: Partial<VrrpConfig> = {}, syncGroupId?: string): Run {
  const clock = new VirtualClock();
  const vips = new BurstVipManager(clock);
  const transport = new ArmingTransport(clock, vips);
  const events: Run['events'] = [];
  const config: EngineConfig = resolveConfig(baseConfig(overrides));
  if (syncGroupId !== undefined) config.syncGroupId = syncGroupId;
  const engine = new Engine(config, { transport, vipManager: vips, clock }, (event) => events.push({ atMs: clock.now(), event }));
  return { clock, engine, transport, vips, events };
}

/** Schedules the peer's advert (priority 200) every second from `fromMs` to `toMs` (inclusive). */
function advertise(run: Run, fromMs: number, toMs: number): void {
  for (let atMs = fromMs; atMs <= toMs; atMs += 1000) run.clock.setTimer(atMs - run.clock.now(), () => run.transport.inject(peerAdvert({ priority: 200 })));
}

/** The state the engine's last transition reached. */
const stateOf = (run: Run): string | undefined =>
  run.events.findLast((entry): entry is { atMs: number; event: Extract<EngineEvent, { type: 'transition' }> } => entry.event.type === 'transition')?.event.to;

const takeoverAt = (run: Run): number | undefined =>
  run.events.find(({ event }) => event.type === 'transition' && event.to === 'master')?.atMs;

describe('armed takeovers', () => {
  // Given a backup whose master (priority 200) advertises every second until t = 5.5 s, then falls silent
  // when its transport fires the armed takeover at the Master_Down_Timer's expiry
  // then the one advert on the wire is the transport's, at 5.5 s + Master_Down_Interval, the burst fired once and
  // was taken by the engine's addAndAnnounce, and the engine is master with the address up.
  it('leaves the takeover advert and burst to the transport at the deadline, and sends nothing twice', async () => {
    const run = setUp();
    await run.engine.start();
    advertise(run, 500, 5500);
    await run.clock.advance(10_000);
    const deadline = 5500 + MASTER_DOWN_MS;
    const takeover = run.transport.wire.filter((send) => send.atMs < deadline + 500);
    expect(takeover).toEqual([{ atMs: deadline, bytes: expect.any(Uint8Array), fired: true }]);
    expect(run.vips.firings).toBe(1);
    expect(run.vips.firedAtMs).toBe(deadline);
    expect(run.vips.taken).toBe(1);
    expect(stateOf(run)).toBe('master');
    expect([...run.vips.addresses]).toEqual(['192.0.2.100']);
    // The engine heard of it a moment later (the transport's notice), never before the deadline.
    expect(takeoverAt(run)).toBeGreaterThanOrEqual(deadline);
    expect(takeoverAt(run)).toBeLessThan(deadline + 1);
    await run.engine.stop();
  });

  // Given the same backup, its takeover armed in the transport (its master silent since 5.5 s)
  // when the engine warms its takeover path meanwhile (a release of start-up pages asks it to)
  // then the armed takeover stays armed, and fires from the transport at the deadline. The warm-up's rehearsal
  // disarmed it: the takeover ran from the engine's fallback timer, 0.5 ms late (found by review).
  it('keeps an armed takeover armed through a warm-up', async () => {
    const run = setUp();
    await run.engine.start();
    advertise(run, 500, 5500);
    await run.clock.advance(6000);
    const armedBefore = run.transport.armings.length;
    expect(run.transport.armings.at(-1), 'set-up: no takeover armed at 6 s').toBeDefined();
    await run.engine.warm();
    expect(run.transport.armings.slice(armedBefore), 'warm() disarmed (or re-armed) the takeover').toEqual([]);
    await run.clock.advance(4000);
    const deadline = 5500 + MASTER_DOWN_MS;
    expect(run.transport.wire.filter((send) => send.atMs < deadline + 500)).toEqual([{ atMs: deadline, bytes: expect.any(Uint8Array), fired: true }]);
    await run.engine.stop();
  });

  // Given the same backup, whose transport finds a datagram unread at the deadline and leaves the takeover to it
  // then the engine takes over itself, TAKEOVER_FALLBACK_MS (0.5 ms) after the deadline, with its own advert.
  it('takes over itself just after the deadline when the transport leaves the takeover to it', async () => {
    const run = setUp();
    run.transport.leaveToEngine = true;
    await run.engine.start();
    advertise(run, 500, 5500);
    await run.clock.advance(10_000);
    const deadline = 5500 + MASTER_DOWN_MS;
    expect(takeoverAt(run)).toBe(deadline + 0.5);
    expect(run.transport.wire.filter((send) => send.atMs < deadline + 500)).toEqual([{ atMs: deadline + 0.5, bytes: expect.any(Uint8Array), fired: false }]);
    expect(run.vips.firings).toBe(0);
    expect([...run.vips.addresses]).toEqual(['192.0.2.100']);
    await run.engine.stop();
  });

  // Given the same backup, whose master advertises once more 5 ms before the armed deadline
  // then the takeover is armed again for a Master_Down_Interval after that advert, and fires only then.
  it('arms again when a late advert moves the deadline', async () => {
    const run = setUp();
    await run.engine.start();
    advertise(run, 500, 5500);
    const lateMs = 5500 + MASTER_DOWN_MS - 5;
    run.clock.setTimer(lateMs, () => run.transport.inject(peerAdvert({ priority: 200 })));
    await run.clock.advance(20_000);
    expect(run.transport.wire.filter((send) => send.fired).map((send) => send.atMs)).toEqual([lateMs + MASTER_DOWN_MS]);
    expect(takeoverAt(run)).toBeGreaterThanOrEqual(lateMs + MASTER_DOWN_MS);
    expect(takeoverAt(run)).toBeLessThan(lateMs + MASTER_DOWN_MS + 1);
    await run.engine.stop();
  });

  // Given a takeover the transport fired, whose notice has not reached the engine yet
  // when the owner stops the instance in that moment
  // then the engine handles the expiry first (it is master, as the wire says), and the stop releases the address
  // and sends priority 0: nothing the transport added is left behind.
  it('handles a fired takeover before a stop that comes ahead of its notice, and leaves no address', async () => {
    const run = setUp();
    await run.engine.start();
    advertise(run, 500, 5500);
    const deadline = 5500 + MASTER_DOWN_MS;
    await run.clock.advanceTo(deadline); // fired; its notice is 0.05 ms away
    expect(run.vips.firings).toBe(1);
    expect(stateOf(run)).toBe('backup');
    await run.engine.stop();
    expect(run.events.some(({ event }) => event.type === 'transition' && event.to === 'master')).toBe(true);
    expect([...run.vips.addresses]).toEqual([]);
    expect(run.transport.sent.length).toBe(1); // the engine's own: priority 0, the takeover's advert was the transport's
  });

  // Given a backup with an address on another interface (dev eth1) beside its own
  // then the burst it arms is its own interface's alone, and once the transport fired it the engine adds and
  // announces the eth1 address after it: both up, each on its interface.
  it('arms the burst of its own interface only, and adds the other interface\'s addresses after it fired', async () => {
    const run = setUp({ virtualAddresses: ['192.0.2.100/24', { address: '198.51.100.1/24', dev: 'eth1' }] });
    await run.engine.start();
    advertise(run, 500, 5500);
    await run.clock.advance(10_000);
    expect([...new Set(run.vips.burstsAsked)]).toEqual(['eth0 192.0.2.100']);
    expect(run.vips.taken).toBe(1);
    expect(Object.fromEntries([...run.vips.byInterface].map(([iface, set]) => [iface, [...set]]))).toEqual({ eth1: ['198.51.100.1'] });
    expect([...run.vips.addresses].sort()).toEqual(['192.0.2.100', '198.51.100.1']);
    expect(run.vips.announcementsOn.get('eth1')).toBe(1);
    await run.engine.stop();
    expect([...run.vips.addresses]).toEqual([]);
  });

  // Given a sync group member (it only wishes at the expiry, and waits for its group)
  // then no takeover is armed for it: the transport may not take over on its own.
  it('arms nothing for a sync group member', async () => {
    const run = setUp({}, 'armed-takeover-test-group');
    await run.engine.start();
    advertise(run, 500, 5500);
    await run.clock.advance(10_000);
    expect(run.transport.armings.filter((arming) => arming !== undefined)).toEqual([]);
    expect(run.vips.firings).toBe(0);
    await run.engine.stop();
  });
});
