/**
 * Notify scripts for real: a recording script (its arguments and timestamps appended to a file) shows the order,
 * that scripts never overlap, that stale ones are skipped, keepalived's arguments on `any`, the timeout killing the
 * script's whole process group, and the scripts' output reported line by line.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vrrpWarningsDuring } from '../support/warnings.js';
import { attachNotify, NotifyRunner, type NotifyDoneEvent, type NotifyOutputEvent, type NotifySkipEvent } from '../../src/notify.js';
import { SimNetwork } from '../../src/testing/index.js';
import { skipLoudly } from '../support/loud-skip.js';
import { until } from '../trackers/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vrrp-notify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let logCount = 0;

/**
 * A script that appends `start <args> <ns>` and, `sleepS` later, `end <args> <ns>` to a fresh log file, and says
 * its arguments on stdout and stderr. Returns the argv prefix to run it and the log's path.
 */
function recorder(sleepS = 0.2): { argv: string[]; log: string } {
  const log = join(dir, `log-${++logCount}`);
  const script = join(dir, `rec-${logCount}.sh`);
  writeFileSync(
    script,
    `#!/bin/sh\necho "start $* $(date +%s%N)" >> '${log}'\nsleep ${sleepS}\necho "out $*"\necho "err $*" >&2\necho "end $* $(date +%s%N)" >> '${log}'\n`,
  );
  writeFileSync(log, '');
  return { argv: ['/bin/sh', script], log };
}

interface Record {
  what: 'start' | 'end';
  args: string;
  ns: bigint;
}

function records(log: string): Record[] {
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const words = line.split(' ');
      return { what: words[0] as 'start' | 'end', args: words.slice(1, -1).join(' '), ns: BigInt(words.at(-1) ?? '0') };
    });
}

/** Asserts that the runs in the log never overlap: each start comes after the previous run's end. */
function expectOneAtATime(list: Record[]): void {
  for (let i = 0; i < list.length; i += 2) {
    expect(list[i]?.what).toBe('start');
    expect(list[i + 1]).toMatchObject({ what: 'end', args: list[i]?.args });
    if (i > 0) expect((list[i]?.ns ?? 0n) >= (list[i - 1]?.ns ?? 0n)).toBe(true);
  }
}

/** Whether `pid` is gone (or a zombie waiting for a reaper that is not us) within a second. */
/** The `done` and `output` events `runner` emits from now on, each in its own list as they come. */
function recordEnds(runner: NotifyRunner): { done: NotifyDoneEvent[]; output: NotifyOutputEvent[] } {
  const done: NotifyDoneEvent[] = [];
  const output: NotifyOutputEvent[] = [];
  runner.on('done', (event) => done.push(event));
  runner.on('output', (event) => output.push(event));
  return { done, output };
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    if (/^\d+ \(.*\) Z/.test(stat)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('notify scripts', () => {
  // Given a master script that runs 200 ms; when master → backup → master arrive while it runs
  // then it finishes, the first master's `any` and the backup's scripts are skipped as stale, and the last master's
  // scripts run after it, one at a time, `any` with keepalived's four arguments.
  it('run in transition order, one at a time, skipping the scripts of states already left', async () => {
    const { argv, log } = recorder(0.2);
    const runner = new NotifyRunner({ kind: 'instance', name: 'VI_1' }, { master: [...argv, 'm'], backup: [...argv, 'b'], any: [...argv, 'any'] });
    const skipped: NotifySkipEvent[] = [];
    runner.on('skip', (event) => skipped.push(event));
    runner.transition('master', 100);
    await new Promise((resolve) => setTimeout(resolve, 50));
    runner.transition('backup', 100);
    runner.transition('master', 101);
    await runner.idle();
    const list = records(log);
    expect(list.map((r) => `${r.what} ${r.args}`)).toEqual(['start m', 'end m', 'start m', 'end m', 'start any INSTANCE VI_1 MASTER 101', 'end any INSTANCE VI_1 MASTER 101']);
    expectOneAtATime(list);
    expect(skipped.map((event) => `${event.state}/${event.script}`)).toEqual(['master/any', 'backup/backup', 'backup/any']);
  });

  // Given an instance on the simulated network with every script recording; when it flaps (link down and up
  // twice) faster than its scripts run
  // then no two scripts overlap, scripts of transitions already superseded are skipped, and the last transition's
  // scripts always run, last.
  it('follow an instance through rapid transitions: order kept, stale skipped, the last state always notified', async () => {
    const { argv, log } = recorder(0.05);
    const net = new SimNetwork({ seed: 3 });
    const instance = net.addNode({ name: 'VI_1', interface: 'eth0', vrid: 1, priority: 150, virtualAddresses: ['10.0.0.100'] }, { address: '10.0.0.1', start: false });
    const runner = attachNotify(instance, { master: [...argv, 'm'], backup: [...argv, 'b'], fault: [...argv, 'f'], stop: [...argv, 's'], any: [...argv, 'any'] });
    const transitions: string[] = [];
    instance.on('stateChange', (event) => transitions.push(event.to));
    const started = instance.start();
    await net.advance(10);
    await started;
    await net.advance(4000);
    for (const up of [false, true, false, true]) {
      net.setLink(instance, up);
      await net.advance(100);
    }
    await net.advance(4000);
    await net.stopAll();
    await runner.idle();
    expect(transitions).toEqual(['backup', 'master', 'fault', 'backup', 'fault', 'backup', 'master', 'initialize']);
    const list = records(log);
    expectOneAtATime(list);
    const ran = list.filter((r) => r.what === 'start').map((r) => r.args);
    // Every run belongs to a transition, in order; the stop is last, `any` after the state's own script.
    expect(ran.slice(-2)).toEqual(['s', 'any INSTANCE VI_1 STOP 150']);
    expect(ran.length).toBeLessThan(transitions.length * 2);
  });

  // Given an app's stateChange listener, registered before the notify scripts, that throws at every change
  // when the instance becomes backup and then master
  // then the scripts run all the same: an app's listener does not stand between a change and its script.
  it('run even when an app listener registered before them throws', async () => {
    const { argv, log } = recorder(0);
    const net = new SimNetwork({ seed: 4 });
    const instance = net.addNode({ name: 'VI_1', interface: 'eth0', vrid: 1, priority: 150, virtualAddresses: ['10.0.0.100'] }, { address: '10.0.0.1', start: false });
    const listenerErrors: string[] = [];
    instance.on('error', (error) => listenerErrors.push(error.code));
    instance.on('stateChange', () => {
      throw new Error('app bug');
    });
    const runner = attachNotify(instance, { backup: [...argv, 'b'], master: [...argv, 'm'] });
    const started = instance.start();
    await net.advance(10);
    await started;
    await net.advance(4000);
    await runner.idle();
    expect(records(log).filter((r) => r.what === 'start').map((r) => r.args)).toEqual(['b', 'm']);
    expect(listenerErrors, 'the app listener\'s throws are reported').toEqual(['listener_failed', 'listener_failed']);
    await net.stopAll();
    await runner.idle();
  });

  // Given a runner whose master script has started and whose `any` script is queued behind it
  // when a reload replaces it with a runner of new scripts, which then has a transition to backup
  // then the master script finishes before the new backup script starts, and the old queued `any` is skipped as
  // stale: one at a time, in transition order, across the change.
  it('run after the scripts of the runner they replace, whose queued ones go stale', async () => {
    const { argv, log } = recorder(0.3);
    const old = new NotifyRunner({ kind: 'instance', name: 'VI_1' }, { master: [...argv, 'm'], any: [...argv, 'any'] });
    const skipped: NotifySkipEvent[] = [];
    old.on('skip', (event) => skipped.push(event));
    old.transition('master', 100);
    await until(() => records(log).length > 0, 'the master script to start', 5000);
    old.detach();
    const next = new NotifyRunner({ kind: 'instance', name: 'VI_1' }, { backup: [...argv, 'b'] }, { replaces: old });
    next.transition('backup', 100);
    await next.idle();
    const list = records(log);
    expectOneAtATime(list);
    expect(list.filter((r) => r.what === 'start').map((r) => r.args)).toEqual(['m', 'b']);
    expect(skipped.map((event) => event.script)).toEqual(['any']);
  });

  // Given a script that starts a background sleep and waits, with a 300 ms timeout
  // then at 300 ms its process group gets SIGTERM: the script and its background child are gone, and `done` says
  // it timed out; a script that ignores SIGTERM is SIGKILLed after the grace period.
  it('kill the whole process group at the timeout, SIGKILL after the grace period', async () => {
    const runner = new NotifyRunner(
      { kind: 'instance', name: 'VI_1' },
      { master: ['/bin/sh', '-c', 'sleep 30 & echo "child $!"; wait'], fault: ['/bin/sh', '-c', "trap '' TERM; echo ready; sleep 30 & wait; sleep 30"], timeoutMs: 300 },
      { killGraceMs: 200 },
    );
    const { done, output } = recordEnds(runner);
    runner.transition('master', 100);
    await runner.idle();
    // timedOut and SIGTERM say the timeout ended it (how soon is not this test's to time).
    expect(done[0]).toMatchObject({ script: 'master', timedOut: true, signal: 'SIGTERM', exitCode: null });
    const child = Number(/^child (\d+)$/.exec(output.find((event) => event.line.startsWith('child'))?.line ?? '')?.[1]);
    expect(child).toBeGreaterThan(0);
    expect(await gone(child)).toBe(true);
    runner.transition('fault', 100);
    await runner.idle();
    expect(done[1]).toMatchObject({ script: 'fault', timedOut: true, signal: 'SIGKILL' });
    expect(done[1]?.durationMs).toBeGreaterThanOrEqual(450);
  });

  // Given a notify_master that starts a daemon in the background and exits (a common pattern)
  // when the daemon writes to the script's stdout 300 ms after the script's `done`
  // then it is not killed by SIGPIPE: it goes on to write its file; what it says after `done` is not reported.
  it('leave a process started in the background running, even when it writes to their output', async () => {
    const file = join(dir, 'daemon-alive');
    const runner = new NotifyRunner({ kind: 'instance', name: 'VI_1' }, { master: ['/bin/sh', '-c', `(sleep 0.3; echo daemon; echo daemon-err >&2; echo alive > '${file}') & exit 0`] });
    const { done, output } = recordEnds(runner);
    runner.transition('master', 100);
    await runner.idle();
    expect(done[0]).toMatchObject({ script: 'master', exitCode: 0 });
    await until(() => existsSync(file), 'the daemon to write its file after writing to stdout', 5000);
    expect(output).toEqual([]);
  });

  // Given scripts writing to stdout and stderr, one without a final newline; then each line is an `output` event
  // with its stream, in order per stream.
  it('report their output line by line, per stream', async () => {
    const runner = new NotifyRunner({ kind: 'group', name: 'G' }, { backup: ['/bin/sh', '-c', 'echo one; echo two >&2; printf "three"'] });
    const output: NotifyOutputEvent[] = [];
    runner.on('output', (event) => output.push(event));
    runner.transition('backup', 0);
    await runner.idle();
    expect(output.map((event) => `${event.stream}: ${event.line}`).sort()).toEqual(['stderr: two', 'stdout: one', 'stdout: three']);
    expect(output[0]).toMatchObject({ kind: 'group', name: 'G', state: 'backup', script: 'backup' });
  });

  // Given command strings; then they are split as keepalived splits them (quotes group, no shell), only `any` gets
  // the four arguments, and every script finds them in its environment.
  it("split strings as keepalived does and append keepalived's arguments to `any` only", async () => {
    const runner = new NotifyRunner(
      { kind: 'instance', name: 'VI_1' },
      { master: `/bin/sh -c 'echo "master: $# [$*] $VRRP_SOURCE $VRRP_NAME $VRRP_STATE $VRRP_PRIORITY"' x`, any: `/bin/sh -c 'echo "any: $#" "[$*]"' x` },
    );
    const lines: string[] = [];
    runner.on('output', (event) => lines.push(event.line));
    runner.transition('master', 102);
    await runner.idle();
    expect(lines).toEqual(['master: 0 [] INSTANCE VI_1 MASTER 102', 'any: 4 [INSTANCE VI_1 MASTER 102]']);
  });

  // Given a script that does not exist; then `done` says why, and the next script still runs.
  it('report a script that cannot start and go on', async () => {
    const runner = new NotifyRunner({ kind: 'instance', name: 'VI_1' }, { master: 'no-such-notify-script-here', any: ['/bin/true'] });
    const done: NotifyDoneEvent[] = [];
    runner.on('done', (event) => done.push(event));
    runner.transition('master', 100);
    await runner.idle();
    expect(done.map((event) => [event.script, event.exitCode, event.error])).toEqual([
      ['master', null, 'ENOENT'],
      ['any', 0, undefined],
    ]);
  });

  // Given nobody listening for `done`; when master's script exits 1, `any` cannot start and backup's succeeds
  // then each failure is a process warning naming the script and why (eventemitter3 drops an unheard event); the
  // script that succeeds says nothing.
  it('turn a failure nobody listens for into a process warning', async () => {
    const runner = new NotifyRunner({ kind: 'instance', name: 'VI_1' }, { master: ['sh', '-c', 'exit 1'], any: ['/nonexistent/notify-script'], backup: ['true'] });
    const warnings = await vrrpWarningsDuring(async () => {
      runner.transition('master', 100);
      await runner.idle();
      runner.transition('backup', 100);
      await runner.idle();
    });
    expect(warnings.map((warning) => `${warning.code} ${warning.message}`)).toEqual([
      'VRRP_NOTIFY_FAILED instance VI_1: master notify script sh for master exited with 1',
      'VRRP_NOTIFY_FAILED instance VI_1: any notify script /nonexistent/notify-script for master did not run: ENOENT',
      'VRRP_NOTIFY_FAILED instance VI_1: any notify script /nonexistent/notify-script for backup did not run: ENOENT',
    ]);
  });

  // Given a notify config with an empty command and an unknown field; then the runner refuses it, naming both.
  it('refuse a bad config with every problem', () => {
    expect(() => new NotifyRunner({ kind: 'instance', name: 'x' }, { master: '', backp: 'x' } as never)).toThrow(/notify: unknown field "backp"[\s\S]*notify\.master: is empty|notify\.master: is empty[\s\S]*unknown field "backp"/);
  });
});

describe('notify scripts as a user', () => {
  const root = process.getuid?.() === 0;
  skipLoudly('test/notify/notify.test.ts (a script run as another user)', 'notify scripts as another user, as root', root ? undefined : 'not root: switching user needs it');

  /** Runs `script`'s command of `config` for a transition to master and returns its done event and output. */
  async function runMaster(runner: NotifyRunner): Promise<{ done: NotifyDoneEvent[]; output: string[] }> {
    const done: NotifyDoneEvent[] = [];
    const output: string[] = [];
    runner.on('done', (event) => done.push(event));
    runner.on('output', (event) => output.push(event.line));
    runner.transition('master', 100);
    await runner.idle();
    return { done, output };
  }

  // Given root and user 'nobody' (uid 65534 in /etc/passwd) for every script, and 4321:4322 for the master's
  // then the master's script runs as 4321:4322 (its own user wins) and `any` as nobody.
  it.runIf(root)('runs each script as its user, the per-script user over the common one (as root)', async () => {
    const runner = new NotifyRunner(
      { kind: 'instance', name: 'VI_1' },
      { master: ['sh', '-c', 'echo "master $(id -u):$(id -g)"'], any: ['sh', '-c', 'echo "any $(id -u):$(id -g)"'], user: 'nobody', users: { master: '4321:4322' } },
    );
    const { output } = await runMaster(runner);
    expect(output).toEqual(['master 4321:4322', 'any 65534:65534']);
  });

  // Given a process that is not root (uid 1000, faked) and user 'nobody'
  // then the script does not run and its done event says that switching user needs root.
  it('does not run a script whose user this process may not switch to, and says why', async () => {
    const marker = join(dir, `not-run-${Date.now()}`);
    const runner = new NotifyRunner({ kind: 'instance', name: 'VI_1' }, { master: ['touch', marker], user: 'nobody' }, { ownUid: () => 1000 });
    const { done } = await runMaster(runner);
    expect(done.map((event) => event.error)).toEqual(['cannot run as user nobody: switching user needs root (this process runs as uid 1000)']);
    expect(() => readFileSync(marker)).toThrow();
  });

  // Given a user that does not exist; then the script does not run and the reason names the user.
  it('names a user that does not exist', async () => {
    const runner = new NotifyRunner({ kind: 'instance', name: 'VI_1' }, { master: ['true'], users: { master: 'no-such-user-here' } });
    const { done } = await runMaster(runner);
    expect(done.map((event) => event.error)).toEqual(['cannot run as user no-such-user-here: not found in /etc/passwd']);
  });
});
