/**
 * The built-in trackers as the instance runs them (src/instance.ts with src/trackers/): every status change is a
 * `trackerChange` event with the result's reason; rise, fall, initFail and weights act as keepalived's; `file`
 * values move the priority; `exec` commands are killed at their timeout and never overlap.
 *
 * Instances run on the in-memory fakes and a virtual clock (base priority 100, 1 s adverts). Trackers that read a
 * fake link settle within the virtual instant; those on real processes, files and sockets are awaited through
 * their events, never by sleeping.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VrrpConfig } from '../../src/config.js';
import { VrrpInstance, type TrackerChangeEvent, type VrrpEvents } from '../../src/instance.js';
import { FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';
import type { InterfaceLinkState } from '../../src/trackers/types.js';
import { isRunning, pidsIn, tempDir, until } from '../trackers/helpers.js';

const tmp = tempDir('instance-trackers');
afterAll(() => tmp.remove());

/** An instance on fakes with the given trackers, a fake link table for `interface` trackers, and its events. */
function setUp(trackers: VrrpConfig['trackers'], links: Record<string, InterfaceLinkState> = {}) {
  const clock = new VirtualClock();
  const transport = new FakeTransport({ primaryAddress: '192.0.2.1' });
  const adapters = {
    transport,
    vipManager: new FakeVipManager(),
    clock,
    trackerHost: { interfaceLink: (name: string) => Promise.resolve(links[name] ?? { up: false, reason: 'no such interface' }) },
  };
  const instance = new VrrpInstance({ interface: 'eth0', vrid: 51, virtualAddresses: ['192.0.2.100/24'], trackers }, adapters);
  const changes: TrackerChangeEvent[] = [];
  instance.on('trackerChange', (event) => changes.push(event));
  return { clock, instance, links, changes };
}

/** The next `event` the instance emits that satisfies `accept`. */
function next<E extends keyof VrrpEvents>(instance: VrrpInstance, event: E, accept: (...args: VrrpEvents[E]) => boolean = () => true): Promise<VrrpEvents[E]> {
  return new Promise((resolve) => {
    const listener = (...args: VrrpEvents[E]): void => {
      if (!accept(...args)) return;
      (instance.off as (e: E, l: typeof listener) => void)(event, listener);
      resolve(args);
    };
    (instance.on as (e: E, l: typeof listener) => void)(event, listener);
  });
}

const up: InterfaceLinkState = { up: true, reason: 'up (operstate up)' };
const down: InterfaceLinkState = { up: false, reason: 'admin down' };

describe('trackerChange events', () => {
  // Given a function tracker whose check throws
  // when it runs at start
  // then one trackerChange unknown → down carries the error's message.
  it('reports the reason of a function check that throws', async () => {
    const { clock, instance, changes } = setUp([
      {
        type: 'function',
        name: 'db',
        weight: -10,
        check: () => {
          throw new Error('connection refused');
        },
      },
    ]);
    await instance.start();
    await clock.advance(0);
    expect(changes).toEqual([{ name: 'db', type: 'function', from: 'unknown', to: 'down', reason: 'check threw: connection refused' }]);
  });

  // Given a check that never settles (timeoutMs 200)
  // when 200 ms pass
  // then trackerChange says it timed out after 200 ms.
  it('reports a timeout as the reason', async () => {
    const { clock, instance, changes } = setUp([{ type: 'function', name: 'db', weight: -10, timeoutMs: 200, check: () => new Promise<boolean>(() => {}) }]);
    await instance.start();
    await clock.advanceTo(200);
    expect(changes).toEqual([{ name: 'db', type: 'function', from: 'unknown', to: 'down', reason: 'timed out after 200 ms' }]);
  });

  // Given a tracker that passes every time; when 5 s pass; then one event only: results that change nothing are quiet.
  it('emits on changes only', async () => {
    const { clock, instance, changes } = setUp([{ type: 'interface', name: 'uplink', interface: 'eth1', weight: 5 }], { eth1: up });
    await instance.start();
    await clock.advance(5000);
    expect(changes).toEqual([{ name: 'uplink', type: 'interface', from: 'unknown', to: 'up', reason: 'eth1 up (operstate up)' }]);
  });
});

describe('weights, rise, fall and initFail (interface trackers on a fake link)', () => {
  // Given an interface tracker with weight 10, fall 2, rise 3 (1 s interval), its link up at start
  // when the link goes down, then up again
  // then the priority drops only at the second down result and comes back only at the third up result.
  it('applies fall and rise after the first result', async () => {
    const { clock, instance, links, changes } = setUp([{ type: 'interface', name: 'uplink', interface: 'eth1', weight: 10, fall: 2, rise: 3 }], { eth1: up });
    await instance.start();
    await clock.advance(0);
    expect(instance.effectivePriority, 'the first result decides at once').toBe(110);
    links.eth1 = down;
    await clock.advance(1000);
    expect(instance.effectivePriority, 'one failure of fall 2').toBe(110);
    await clock.advance(1000);
    expect(instance.effectivePriority).toBe(100);
    links.eth1 = up;
    await clock.advance(2000);
    expect(instance.effectivePriority, 'two successes of rise 3').toBe(100);
    await clock.advance(1000);
    expect(instance.effectivePriority).toBe(110);
    expect(changes.map((c) => [c.from, c.to, c.reason])).toEqual([
      ['unknown', 'up', 'eth1 up (operstate up)'],
      ['up', 'down', 'eth1 admin down'],
      ['down', 'up', 'eth1 up (operstate up)'],
    ]);
  });

  // Given weight +5 (added while up), -7 (subtracted while down), and +3 reversed (subtracted while up)
  // when each link is up or down
  // then the priority is keepalived's sum.
  it('adds a positive weight while up, a negative one while down, and reverse flips the sign', async () => {
    const { clock, instance, links } = setUp(
      [
        { type: 'interface', name: 'a', interface: 'eth1', weight: 5 },
        { type: 'interface', name: 'b', interface: 'eth2', weight: -7 },
        { type: 'interface', name: 'c', interface: 'eth3', weight: 3, reverse: true },
      ],
      { eth1: up, eth2: up, eth3: up },
    );
    await instance.start();
    await clock.advance(0);
    expect(instance.effectivePriority).toBe(100 + 5 - 3);
    Object.assign(links, { eth1: down, eth2: down, eth3: down });
    await clock.advance(1000);
    expect(instance.effectivePriority).toBe(100 - 7);
  });

  // Given a weight-0 interface tracker
  // when its link goes down, then up
  // then the instance enters fault, then returns to backup.
  it('faults while a weight-0 interface is down', async () => {
    const { clock, instance, links } = setUp([{ type: 'interface', name: 'uplink', interface: 'eth1' }], { eth1: up });
    await instance.start();
    expect(instance.state).toBe('backup');
    links.eth1 = down;
    await clock.advance(1000);
    expect(instance.state).toBe('fault');
    links.eth1 = up;
    await clock.advance(1000);
    expect(instance.state).toBe('backup');
  });

  // Given a weight-0 tracker with initFail and rise 2, its link up
  // when the instance starts
  // then it is in fault from the start (not held in initialize), and backup after the second success.
  it('starts a weight-0 initFail tracker failed: fault until rise successes', async () => {
    const { clock, instance, changes } = setUp([{ type: 'interface', name: 'uplink', interface: 'eth1', initFail: true, rise: 2 }], { eth1: up });
    await instance.start();
    expect(instance.state).toBe('fault');
    await clock.advance(0);
    expect(instance.state, 'one success of rise 2').toBe('fault');
    await clock.advance(1000);
    expect(instance.state).toBe('backup');
    expect(changes.map((c) => [c.from, c.to])).toEqual([['down', 'up']]);
  });

  // Given a weight -20 tracker with initFail; when the instance starts; then its priority is 80 before any result.
  it('counts a weighted initFail tracker as failed before its first result', async () => {
    const { instance } = setUp([{ type: 'interface', name: 'uplink', interface: 'eth1', weight: -20, initFail: true, rise: 3 }], { eth1: up });
    await instance.start();
    expect(instance.effectivePriority).toBe(80);
  });
});

describe('file trackers', () => {
  // Given a file tracker with weight -10 over a file holding 3
  // when the file changes to 0, then to 30 (a product of -300)
  // then the priority goes 70 → 100, then the instance faults; each change is an event with the value.
  it('moves the priority by value × weight and faults below -253', async () => {
    const path = join(tmp.dir, 'maintenance');
    writeFileSync(path, '3\n');
    const { clock, instance, changes } = setUp([{ type: 'file', name: 'maint', path, weight: -10 }]);
    await instance.start();
    expect(instance.state, 'the first value was read before the first transition').toBe('backup');
    expect(instance.effectivePriority).toBe(70);
    writeFileSync(path, '0\n');
    const restored = next(instance, 'priorityChange');
    await clock.advance(1000);
    expect((await restored)[0]).toEqual({ from: 70, to: 100 });
    writeFileSync(path, '30\n');
    const fault = next(instance, 'fault');
    await clock.advance(1000);
    await fault;
    expect(changes).toEqual([
      { name: 'maint', type: 'file', from: 'unknown', to: 'up', value: 3, reason: 'value 3 × weight -10 = -30' },
      { name: 'maint', type: 'file', from: 'up', to: 'up', value: 0, reason: 'value 0 × weight -10 = 0' },
      { name: 'maint', type: 'file', from: 'up', to: 'down', value: 30, reason: 'value 30 × weight -10 = -300: below -253, faults' },
    ]);
  });

  // Given a file tracker with the default weight (1, as keepalived's) over a missing file
  // when the instance starts
  // then the missing file reads 0: backup at the base priority.
  it('reads a missing file as 0', async () => {
    const { instance, changes } = setUp([{ type: 'file', name: 'maint', path: join(tmp.dir, 'not-there') }]);
    await instance.start();
    expect(instance.state).toBe('backup');
    expect(instance.effectivePriority).toBe(100);
    expect(changes[0]?.reason).toMatch(/not-there ENOENT, read as 0: value 0 × weight 1 = 0$/);
  });
});

describe('exec, tcp and http trackers', () => {
  // Given an exec tracker (weight -10) whose command exits 1
  // when it runs
  // then the priority drops to 90 and the event says "exit code 1".
  it('runs a command and reports its exit code', async () => {
    const { instance } = setUp([{ type: 'exec', name: 'chk_haproxy', command: "sh -c 'exit 1'", weight: -10 }]);
    const change = next(instance, 'trackerChange');
    await instance.start();
    expect((await change)[0]).toEqual({ name: 'chk_haproxy', type: 'exec', from: 'unknown', to: 'down', reason: 'exit code 1' });
    await until(() => instance.effectivePriority === 90, 'priority 90');
  });

  // Given an exec tracker whose command hangs (timeoutMs 500 virtual)
  // when 500 ms of virtual time pass
  // then it is reported as timed out at that instant, and the command's process is killed.
  it('kills a command at its timeout', async () => {
    const pidFile = join(tmp.dir, 'hung.pid');
    const { clock, instance, changes } = setUp([
      { type: 'exec', name: 'hung', command: ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 60`], weight: -10, timeoutMs: 500 },
    ]);
    await instance.start();
    await until(() => pidsIn(pidFile).length === 1, 'the command to start');
    const [pid] = pidsIn(pidFile) as [number];
    await clock.advanceTo(499);
    expect(changes, 'nothing before the timeout').toEqual([]);
    await clock.advanceTo(500);
    expect(changes).toEqual([{ name: 'hung', type: 'exec', from: 'unknown', to: 'down', reason: 'timed out after 500 ms' }]);
    await until(() => !isRunning(pid), 'the timed-out command to be killed');
  });

  // Given an exec tracker with a 100 ms interval whose command takes about 100 ms of real time and notes any
  // overlap (a lock file it holds while it runs)
  // when virtual time runs far ahead of the commands
  // then no run ever started while another ran, and runs followed one another.
  it('never starts a run while the previous one is in flight', async () => {
    const log = join(tmp.dir, 'runs.log');
    const lock = join(tmp.dir, 'run.lock');
    const script = `if [ -e ${lock} ]; then echo overlap >> ${log}; fi; touch ${lock}; echo run >> ${log}; sleep 0.1; rm -f ${lock}`;
    const { clock, instance } = setUp([{ type: 'exec', name: 'slow', command: ['sh', '-c', script], weight: 2, intervalMs: 100, timeoutMs: 60_000 }]);
    await instance.start();
    const lines = (): string[] => linesOf(log);
    const deadline = Date.now() + 10_000;
    while (lines().filter((line) => line === 'run').length < 4) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for four runs: ${lines().join(', ')}`);
      // Virtual time races a second ahead per real turn: a scheduler that did not wait would start a run per 100 ms.
      await clock.advance(1000);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await instance.stop();
    expect(lines()).not.toContain('overlap');
  });

  // Given an exec command still running
  // when the instance stops
  // then the command is killed.
  it('kills a running command on stop', async () => {
    const pidFile = join(tmp.dir, 'at-stop.pid');
    const { instance } = setUp([{ type: 'exec', name: 'long', command: ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 60`], weight: 2, timeoutMs: 60_000 }]);
    await instance.start();
    await until(() => pidsIn(pidFile).length === 1, 'the command to start');
    const [pid] = pidsIn(pidFile) as [number];
    await instance.stop();
    await until(() => !isRunning(pid), 'the command to be killed');
  });

  // Given a weight-0 tcp tracker to a port nobody listens on
  // when the instance starts
  // then it enters fault, and the event says ECONNREFUSED.
  it('faults on a weight-0 tcp tracker whose connection is refused', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const { instance, changes } = setUp([{ type: 'tcp', name: 'pg', host: '127.0.0.1', port }]);
    await instance.start();
    expect(instance.state).toBe('fault');
    expect(changes).toEqual([{ name: 'pg', type: 'tcp', from: 'unknown', to: 'down', reason: 'ECONNREFUSED' }]);
  });
});

/** The non-empty lines of a file, or [] while it does not exist. */
function linesOf(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
