/**
 * The addon's precise timer (native/precise_timer.c: a timerfd polled on the event loop) and the Linux clock built
 * on it (src/linux/clock.ts). No root needed: only Linux and the built addon. Without them the suite skips with
 * one line on stderr; under CI=true it fails instead.
 *
 * No test asserts how soon a timer fires (that is the failover benchmark's job): only that it never fires early,
 * fires once, and that disarm, re-arm, close, process lifetime and exceptions behave. "Did not fire" is always
 * checked when a later timer fires, never after a sleep.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { linuxClock } from '../../src/linux/clock.js';
import { openPreciseTimer, type PacketSocketError } from '../../src/linux/packet-socket.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ADDON = join(ROOT, 'build', 'Release', 'vrrp_packet.node');

function whyNotRunnable(): string | undefined {
  if (process.platform !== 'linux') return `needs linux (timerfd), this is ${process.platform}`;
  if (!existsSync(ADDON)) return `needs the addon (${ADDON}); run \`npm run build:native\``;
  return undefined;
}
const skipReason = whyNotRunnable();
if (skipReason !== undefined && process.env.CI !== 'true') process.stderr.write(`SKIPPED test/linux/precise-timer.test.ts: ${skipReason}\n`);
const suite = skipReason === undefined || process.env.CI === 'true' ? describe : describe.skip;

/** Resolves with performance.now() when a fresh precise timer armed for `delayMs` (spinning `spinMs`) fires. */
function firedAt(delayMs: number, spinMs = 0): Promise<number> {
  return new Promise((resolvePromise) => {
    const timer = openPreciseTimer(
      () => {
        timer.close();
        resolvePromise(performance.now());
      },
      { spinMs },
    );
    timer.arm(delayMs);
  });
}

/** Runs `code` (an ES module) in a child node with the addon's path in ADDON; resolves with its stdout. */
function runChild(code: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, ADDON },
    encoding: 'utf8',
    timeout: 10_000,
  });
}

suite('precise timer (timerfd on the event loop)', () => {
  it('is available here', () => {
    expect(skipReason, 'the precise timer tests cannot run').toBeUndefined();
  });

  it('calls back once, never before its delay', async () => {
    const armedAt = performance.now();
    const at = await firedAt(15);
    expect(at - armedAt).toBeGreaterThanOrEqual(15);
  });

  it('takes a fractional delay and fires a delay of 0 or less at once, on a later turn of the loop', async () => {
    const calls: string[] = [];
    const timer = openPreciseTimer(() => calls.push('timer'));
    timer.arm(-5);
    calls.push('after arm');
    await new Promise<void>((done) => {
      const later = openPreciseTimer(() => {
        later.close();
        done();
      });
      later.arm(0.5);
    });
    timer.close();
    expect(calls).toEqual(['after arm', 'timer']);
  });

  it('does not call back once disarmed (checked when a later timer fires)', async () => {
    let calls = 0;
    const timer = openPreciseTimer(() => calls++);
    timer.arm(2);
    timer.disarm();
    await firedAt(20);
    timer.close();
    expect(calls).toBe(0);
  });

  it('re-arming replaces the due time instead of adding one', async () => {
    const fired: number[] = [];
    const armedAt = performance.now();
    const timer = openPreciseTimer(() => fired.push(performance.now() - armedAt));
    timer.arm(2);
    timer.arm(30);
    await firedAt(15);
    expect(fired).toEqual([]);
    await firedAt(30);
    timer.close();
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(30);
  });

  it('with a spin, calls back once, never before its delay', async () => {
    const armedAt = performance.now();
    const at = await firedAt(15, 5);
    expect(at - armedAt).toBeGreaterThanOrEqual(15);
  });

  it('a delay shorter than the spin spins from the start and still waits for its due time', async () => {
    const armedAt = performance.now();
    const at = await firedAt(4, 10);
    expect(at - armedAt).toBeGreaterThanOrEqual(4);
  });

  // The spin must not block the loop: a backup still has to read an advert that arrives in its last milliseconds.
  it('keeps serving the event loop while it spins: a timeout due during the spin runs before it fires', async () => {
    const order: string[] = [];
    const armedAt = performance.now();
    const fired = firedAt(40, 30).then((at) => order.push(`precise at ${at - armedAt >= 40 ? '≥' : '<'} 40 ms`));
    setTimeout(() => order.push('timeout at 20 ms'), 20);
    await fired;
    expect(order).toEqual(['timeout at 20 ms', 'precise at ≥ 40 ms']);
  });

  it('re-armed while spinning, waits for the new due time', async () => {
    let rearmedAt = Number.POSITIVE_INFINITY;
    const at = await new Promise<number>((done) => {
      const timer = openPreciseTimer(
        () => {
          timer.close();
          done(performance.now());
        },
        { spinMs: 20 },
      );
      timer.arm(25);
      setTimeout(() => {
        // About 10 ms in: spinning since 5 ms. Node's timers may run up to a millisecond off performance.now(),
        // so the re-arm's own instant is the reference.
        rearmedAt = performance.now();
        timer.arm(40);
      }, 10);
    });
    expect(at - rearmedAt).toBeGreaterThanOrEqual(40);
  });

  it('refuses a negative or non-finite spin', () => {
    expect(() => openPreciseTimer(() => undefined, { spinMs: -1 })).toThrow(RangeError);
    expect(() => openPreciseTimer(() => undefined, { spinMs: Number.NaN })).toThrow(RangeError);
  });

  it('refuses to arm once closed, with EBADF', () => {
    const timer = openPreciseTimer(() => undefined);
    timer.close();
    timer.close();
    expect(() => timer.arm(1)).toThrow(expect.objectContaining({ code: 'EBADF' }) as PacketSocketError);
  });

  it('keeps the process alive while armed and lets it exit when disarmed', () => {
    const out = runChild(`
      import { createRequire } from 'node:module';
      const addon = createRequire(import.meta.url)(process.env.ADDON);
      const idle = addon.timerOpen(() => console.log('idle fired'), 0);
      const disarmed = addon.timerOpen(() => console.log('disarmed fired'), 0);
      addon.timerArm(disarmed, 5);
      addon.timerDisarm(disarmed);
      const armed = addon.timerOpen(() => console.log('armed fired'), 2);
      addon.timerArm(armed, 30);
    `);
    expect(out.trim().split('\n')).toEqual(['armed fired']);
  });

  it('hands an exception thrown by its callback to uncaughtException, and the loop goes on', () => {
    const out = runChild(`
      import { createRequire } from 'node:module';
      const addon = createRequire(import.meta.url)(process.env.ADDON);
      process.on('uncaughtException', (error) => console.log('caught ' + error.message));
      const throwing = addon.timerOpen(() => { throw new Error('boom'); }, 0);
      addon.timerArm(throwing, 1);
      const next = addon.timerOpen(() => console.log('next fired'), 2);
      addon.timerArm(next, 20);
    `);
    expect(out.trim().split('\n')).toEqual(['caught boom', 'next fired']);
  });

  it('runs the microtasks its callback queues before the loop goes on', () => {
    const out = runChild(`
      import { createRequire } from 'node:module';
      const addon = createRequire(import.meta.url)(process.env.ADDON);
      const timer = addon.timerOpen(() => {
        Promise.resolve().then(() => console.log('microtask'));
        setImmediate(() => console.log('immediate'));
        console.log('callback');
      }, 0);
      addon.timerArm(timer, 1);
    `);
    expect(out.trim().split('\n')).toEqual(['callback', 'microtask', 'immediate']);
  });

  it('works in a worker thread, on that thread\'s loop', async () => {
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const addon = require(${JSON.stringify(ADDON)});
       const start = performance.now();
       const timer = addon.timerOpen(() => { parentPort.postMessage(performance.now() - start); addon.timerClose(timer); }, 2);
       addon.timerArm(timer, 10);`,
      { eval: true },
    );
    const elapsed = await new Promise<number>((done, fail) => {
      worker.once('message', done);
      worker.once('error', fail);
    });
    await worker.terminate();
    expect(elapsed).toBeGreaterThanOrEqual(10);
  });
});

suite('linuxClock', () => {
  it('fires a precise timer once, never before its delay', async () => {
    const armedAt = linuxClock.now();
    const at = await new Promise<number>((done) => linuxClock.setTimer(12, () => done(linuxClock.now()), { precise: true }));
    expect(at - armedAt).toBeGreaterThanOrEqual(12);
  });

  it('does not fire a cancelled precise timer (checked when a later one fires)', async () => {
    let calls = 0;
    const cancel = linuxClock.setTimer(2, () => calls++, { precise: true });
    cancel();
    await new Promise<void>((done) => linuxClock.setTimer(15, done, { precise: true }));
    expect(calls).toBe(0);
  });

  it('a stale cancel, after its timer fired, leaves the next timer on the same native timer armed', async () => {
    let cancelFirst: () => void = () => undefined;
    await new Promise<void>((done) => {
      cancelFirst = linuxClock.setTimer(1, done, { precise: true });
    });
    const second = new Promise<string>((done) => linuxClock.setTimer(5, () => done('second fired'), { precise: true }));
    cancelFirst();
    await expect(second).resolves.toBe('second fired');
  });

  it('runs several precise timers at once, each at its own time', async () => {
    const order: number[] = [];
    await Promise.all(
      [20, 5, 12].map(
        (delayMs) => new Promise<void>((done) => linuxClock.setTimer(delayMs, () => (order.push(delayMs), done()), { precise: true })),
      ),
    );
    expect(order).toEqual([5, 12, 20]);
  });
});
