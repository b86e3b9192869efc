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

const config = resolveConfig({ interface: 'eth0', vrid: 51, priority: 100, virtualAddresses: ['192.0.2.10'] });

afterEach(() => {
  ScriptedWorker.failNext = undefined;
  ScriptedWorker.onStart = (worker, message) => worker.say({ type: 'started', id: message.id });
});

describe('the engine host', () => {
  // Given a thread that cannot be made (no build to start it from, a Worker refused)
  // when an engine starts, fails, and another then runs on a thread that could be made and stops
  // then the failed start is not counted as a run: the thread is let go (unref) once the other stops.
  it('counts a start whose thread could not be made as no run', async () => {
    ScriptedWorker.failNext = new Error('cannot make a thread here');
    const registeredBefore = engineHost().registeredEngines;
    const failed = new RemoteEngine(config, () => {});
    await expect(failed.start()).rejects.toThrow('cannot make a thread here');
    expect(engineHost().registeredEngines, 'the engine of the failed start is still registered').toBe(registeredBefore);
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
});
