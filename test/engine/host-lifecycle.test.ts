/**
 * The engine host's bookkeeping at the edges of a run (src/engine/host.ts), with a stand-in for the engine thread:
 * node:worker_threads' Worker is replaced by a scripted one, so that each message the thread would send comes when
 * the test says — a `startFailed` before the answer to an idle asked meanwhile, a thread that cannot be made.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FromEngine, ToEngine } from '../../src/engine/messages.js';

/** The engine thread's stand-in: what it was sent, whether it holds the process, and a way to answer. */
class ScriptedWorker extends EventEmitter {
  /** Made so far, latest last. */
  static made: ScriptedWorker[] = [];
  /** The next construction throws this (a Worker that cannot be made). */
  static failNext: Error | undefined;
  /** What each `start` is answered with, by the test's choice (default: `started` at once). */
  static onStart: (worker: ScriptedWorker, message: Extract<ToEngine, { type: 'start' }>) => void = (worker, message) => worker.say({ type: 'started', id: message.id });

  readonly sent: ToEngine[] = [];
  refed = true;

  constructor() {
    super();
    const failure = ScriptedWorker.failNext;
    ScriptedWorker.failNext = undefined;
    if (failure) throw failure;
    ScriptedWorker.made.push(this);
  }

  postMessage(message: ToEngine): void {
    this.sent.push(message);
    if (message.type === 'start') ScriptedWorker.onStart(this, message);
    else if (message.type === 'stop') this.say({ type: 'stopped', id: message.id });
  }

  /** The thread says `message` (delivered at once, as a message event). */
  say(message: FromEngine): void {
    this.emit('message', message);
  }

  ref(): void {
    this.refed = true;
  }

  unref(): void {
    this.refed = false;
  }
}

vi.mock('node:worker_threads', async (importOriginal) => ({ ...(await importOriginal<object>()), Worker: ScriptedWorker }));

const { RemoteEngine, engineHost } = await import('../../src/engine/host.js');
const { resolveConfig } = await import('../../src/config.js');
const { advertSentChannel } = await import('../../src/diagnostics.js');

const config = resolveConfig({ interface: 'eth0', vrid: 51, priority: 100, virtualAddresses: ['192.0.2.10'] });

/** Starts an engine whose thread cannot be made: its start rejects, and it is not left registered. */
async function failToMakeThread(): Promise<void> {
  ScriptedWorker.failNext = new Error('cannot make a thread here');
  const registeredBefore = engineHost().registeredEngines;
  const failed = new RemoteEngine(config, () => {});
  await expect(failed.start()).rejects.toThrow('cannot make a thread here');
  expect(engineHost().registeredEngines, 'the engine of the failed start is still registered').toBe(registeredBefore);
}

/** Ends the current thread (no engine runs on it): the next start makes a new one. */
function loseThread(): void {
  ScriptedWorker.made.at(-1)?.emit('exit', 0);
}

afterEach(() => {
  ScriptedWorker.failNext = undefined;
  ScriptedWorker.onStart = (worker, message) => worker.say({ type: 'started', id: message.id });
});

describe('the engine host', () => {
  // Given a thread that cannot be made (no build to start it from, a Worker refused)
  // when an engine starts, fails, and another then runs on a thread that could be made and stops
  // then the failed start is not counted as a run: the thread is let go (unref) once the other stops.
  it('counts a start whose thread could not be made as no run', async () => {
    await failToMakeThread();
    const engine = new RemoteEngine(config, () => {});
    await engine.start();
    const worker = ScriptedWorker.made.at(-1);
    expect(worker?.refed, 'the running engine holds the thread').toBe(true);
    await engine.stop();
    expect(worker?.refed, 'after the last run stopped, the thread must not hold the process').toBe(false);
  });

  // Given an engine whose start is still under way, and an idle asked meanwhile (a sync group's hold waits on one)
  // when the thread says startFailed and then answers the idle (to an id no longer registered)
  // then the idle is answered all the same: nothing waits for ever on a run that never began.
  it('answers an idle asked during a start that then fails', async () => {
    let startId = -1;
    ScriptedWorker.onStart = (_worker, message) => {
      startId = message.id;
    };
    const engine = new RemoteEngine(config, () => {});
    const start = engine.start();
    const worker = ScriptedWorker.made.at(-1)!;
    let idled = false;
    const idle = engine.idle().then(() => {
      idled = true;
    });
    const request = worker.sent.findLast((message) => message.type === 'idle');
    worker.say({ type: 'startFailed', id: startId, error: { code: 'transport_failed', message: 'no such interface' } });
    if (request?.type === 'idle') worker.say({ type: 'idle', id: startId, request: request.request });
    await expect(start).rejects.toThrow('no such interface');
    await new Promise((resolve) => setImmediate(resolve));
    expect(idled, 'the idle asked during the failed start is still pending').toBe(true);
    await idle;
  });

  // Given an advert channel with a subscriber (the host makes the thread as the first run starts, to tell it) and a
  // thread that cannot be made
  // when an engine starts, fails, and another then runs on a thread that could be made
  // then the failed start counts as no run, and the new thread is told to forward adverts. The failed start's run
  // stayed counted (the thread then held the process for ever) and the new thread was never told.
  it('counts a start that failed making the thread for a subscriber as no run, and tells the next thread', async () => {
    const subscriber = (): void => {};
    advertSentChannel.subscribe(subscriber);
    try {
      loseThread();
      await failToMakeThread();
      const engine = new RemoteEngine(config, () => {});
      await engine.start();
      const worker = ScriptedWorker.made.at(-1)!;
      expect(worker.sent.some((message) => message.type === 'forwardAdverts' && message.sent), 'the new thread was not told to forward sent adverts').toBe(true);
      await engine.stop();
      expect(worker.refed, 'after the last run stopped, the thread must not hold the process').toBe(false);
    } finally {
      advertSentChannel.unsubscribe(subscriber);
    }
  });

  // Given a thread that died with an 'error' (a failed module evaluation), whose 'exit' comes later, and an engine
  // started meanwhile on the next thread
  // when the first thread's 'exit' comes
  // then it is not taken for the second thread's death: the engine there hears no error, and the next start goes
  // to the same thread. It was reported `engine_failed` while its thread ran it, and the thread was orphaned.
  it("does not take a dead thread's late exit for its successor's death", async () => {
    const nowhere = resolveConfig({ interface: 'vrrptest-none', vrid: 61, priority: 100, virtualAddresses: ['192.0.2.61'] });
    const first = new RemoteEngine(nowhere, () => {});
    await first.start();
    const dead = ScriptedWorker.made.at(-1)!;
    dead.emit('error', new Error('module evaluation failed'));
    await first.released();
    const errors: string[] = [];
    const second = new RemoteEngine({ ...nowhere, vrid: 62 }, (event) => {
      if (event.type === 'error') errors.push(event.code);
    });
    await second.start();
    const successor = ScriptedWorker.made.at(-1)!;
    expect(successor, 'the second engine should run on a new thread').not.toBe(dead);
    dead.emit('exit', 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors, "the dead thread's exit was taken for its successor's death").toEqual([]);
    const third = new RemoteEngine({ ...nowhere, vrid: 63 }, () => {});
    await third.start();
    expect(ScriptedWorker.made.at(-1), 'the next start made another thread: the host lost its running one').toBe(successor);
    await Promise.all([second.stop(), third.stop()]);
  });

  describe('the heartbeat of eventLoopLag trackers', () => {
    const lag = (vrid: number, thresholdMs: number) => resolveConfig({ interface: 'eth0', vrid, priority: 100, virtualAddresses: [`192.0.2.${vrid}`], trackers: [{ type: 'eventLoopLag', thresholdMs, weight: -10 }] });
    const beatOf = (worker: ScriptedWorker): Int32Array => {
      const message = worker.sent.findLast((m) => m.type === 'heartbeat');
      if (message?.type !== 'heartbeat') throw new Error('the thread was not handed a heartbeat');
      return new Int32Array(message.beat);
    };

    // Given an engine with an eventLoopLag tracker that ran and stopped (the beat stops with the last run)
    // when it starts again
    // then the counter moves at once: the thread's last look before the stop saw it, and an unmoved counter at its
    // first look would read as all the time since — a weight-0 tracker faulted an idle app at its restart.
    it('beats at once when it starts again', async () => {
      const engine = new RemoteEngine(lag(71, 400), () => {});
      await engine.start();
      const beat = beatOf(ScriptedWorker.made.at(-1)!);
      await engine.stop();
      const before = Atomics.load(beat, 0);
      // A new run is a new engine (as VrrpInstance makes one per start).
      const again = new RemoteEngine(lag(71, 400), () => {});
      const restart = again.start();
      expect(Atomics.load(beat, 0), 'the counter did not move as the heartbeat started again').toBeGreaterThan(before);
      await restart;
      await again.stop();
    });

    // Given an engine with a 40 ms threshold (a 5 ms beat) and another without a lag tracker, both running
    // when the first stops
    // then the beat stops with it, the other still running: it kept waking the main thread every 5 ms for good.
    it('stops beating when the engine that asked for it stops, others running', async () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const fast = new RemoteEngine(lag(72, 40), () => {});
        const other = new RemoteEngine({ ...config, vrid: 73 }, () => {});
        await fast.start();
        await other.start();
        const beat = beatOf(ScriptedWorker.made.at(-1)!);
        const atStart = Atomics.load(beat, 0);
        vi.advanceTimersByTime(100);
        expect(Atomics.load(beat, 0) - atStart, 'a 40 ms threshold should beat every 5 ms').toBeGreaterThanOrEqual(20);
        await fast.stop();
        const afterStop = Atomics.load(beat, 0);
        vi.advanceTimersByTime(1000);
        expect(Atomics.load(beat, 0) - afterStop, 'the heartbeat went on after the only engine that needed it stopped').toBe(0);
        await other.stop();
      } finally {
        vi.useRealTimers();
      }
    });
  });
});
