/**
 * `exec` probes (src/trackers/exec.ts) against real commands: exit 0 is up, anything else down with a reason that
 * carries the exit code and a tail of the output; an abort kills the command's whole process group (SIGTERM, then
 * SIGKILL for what ignores it); `user` switches uid as root and says plainly why it cannot otherwise.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { skipLoudly } from '../support/loud-skip.js';
import { commandArgv } from '../../src/trackers/command-line.js';
import { createExecProbe, runAsRefusal } from '../../src/trackers/exec.js';
import { isRunning, pidsIn, tempDir, until } from './helpers.js';

const tmp = tempDir('exec');
afterAll(() => tmp.remove());

/** The probe of `command` (a string split as keepalived splits `script`, or an argv). */
function probeOf(command: string | string[], options: Parameters<typeof createExecProbe>[1] = {}, user?: string) {
  const split = commandArgv(command);
  if (!split.ok) throw new Error(`set-up: ${split.error}`);
  return createExecProbe(user === undefined ? { argv: split.argv } : { argv: split.argv, user }, options);
}

const never = new AbortController().signal;

describe('exit status', () => {
  // Given `true`; when run; then up, reason 'exit code 0'.
  it('is up when the command exits 0', async () => {
    expect(await probeOf(['true'])(never)).toEqual({ up: true, reason: 'exit code 0' });
  });

  // Given sh -c 'exit 1' as a keepalived-style string; when run; then down with 'exit code 1'.
  it('is down with the exit code when the command fails', async () => {
    expect(await probeOf("sh -c 'exit 1'")(never)).toEqual({ up: false, reason: 'exit code 1' });
  });

  // Given a command that prints to stdout and stderr and exits 3
  // when run
  // then the reason ends with a short tail of what it said, lines joined by ' | '.
  it('puts a tail of the output in the reason of a failure', async () => {
    const result = await probeOf(['sh', '-c', 'echo starting; echo "haproxy: no process found" >&2; exit 3'])(never);
    expect(result).toEqual({ up: false, reason: 'exit code 3: starting | haproxy: no process found' });
  });

  // Given a command that prints 10 KB and fails; when run; then the reason stays short and keeps the end.
  it('keeps the reason short for a command that says a lot', async () => {
    const result = await probeOf(['sh', '-c', 'i=0; while [ $i -lt 1000 ]; do echo "line $i"; i=$((i+1)); done; exit 2'])(never);
    expect(result.reason.length).toBeLessThan(230);
    expect(result.reason).toMatch(/^exit code 2: …/);
    expect(result.reason).toMatch(/line 999$/);
  });

  // Given a command that kills itself with SIGKILL; when run; then down, 'killed by SIGKILL'.
  it('says which signal ended a command', async () => {
    expect(await probeOf(['sh', '-c', 'kill -KILL $$'])(never)).toEqual({ up: false, reason: 'killed by SIGKILL' });
  });

  // Given a program that does not exist; when run; then down, naming the program and ENOENT.
  it('is down when the program cannot be started', async () => {
    expect(await probeOf(['/nonexistent/chk_haproxy'])(never)).toEqual({ up: false, reason: 'cannot run /nonexistent/chk_haproxy: ENOENT' });
  });

  // Given a script file without a #! line (keepalived runs those through the shell too)
  // when run
  // then its exit status counts.
  it('runs a script without a #! line through the shell', async () => {
    const script = join(tmp.dir, 'no-shebang.sh');
    writeFileSync(script, 'exit 4\n', { mode: 0o755 });
    expect(await probeOf([script])(never)).toEqual({ up: false, reason: 'exit code 4' });
  });
});

describe('a process the command leaves running', () => {
  // Given a command that starts a process in the background and exits at once
  // when that process writes to the command's stdout 300 ms later, after the run has settled
  // then it is not killed by SIGPIPE: it goes on to write its file (keepalived gives scripts /dev/null).
  it('outlives the run and may still write to the output it inherited', async () => {
    const file = join(tmp.dir, 'background-alive');
    const result = await probeOf(['sh', '-c', `(sleep 0.3; echo log; echo err >&2; echo alive > ${file}) & exit 0`])(never);
    expect(result).toEqual({ up: true, reason: 'exit code 0' });
    await until(() => existsSync(file), 'the background process to write its file after writing to stdout', 5000);
  });
});

describe('command strings, split as keepalived splits script "…"', () => {
  // Given 'test -n ""' — an empty quoted word is still a word
  // when run
  // then test sees an empty argument and fails, as it would under keepalived; `test -n x` passes.
  it('passes quoted words as single arguments, without a shell', async () => {
    expect((await probeOf('test -n ""')(never)).up).toBe(false);
    expect((await probeOf("test 'a b' = 'a b'")(never)).up).toBe(true);
    // No shell: `$HOME` and `;` are plain text to `test`.
    expect((await probeOf('test $HOME = $HOME;')(never)).up).toBe(false);
  });

  // Given keepalived's bash idiom "</dev/null" (a command that opens a file)
  // when run
  // then it goes to /bin/sh -c, as keepalived sends it to system(), and succeeds.
  it('hands a command starting with </ to /bin/sh -c', async () => {
    expect(commandArgv('</dev/null')).toEqual({ ok: true, argv: ['/bin/sh', '-c', '</dev/null'] });
    expect(await probeOf('</dev/null')(never)).toEqual({ up: true, reason: 'exit code 0' });
  });
});

describe('abort (timeout or stop)', () => {
  // Given a shell that started a background sleep and waits for it (both in the command's process group)
  // when the probe's signal aborts
  // then the probe settles down, and both the shell and the sleep are gone.
  it('kills the whole process group', async () => {
    const pidFile = join(tmp.dir, 'group.pids');
    const controller = new AbortController();
    const run = probeOf(['sh', '-c', `sleep 60 & echo $! $$ > ${pidFile}; wait`])(controller.signal);
    await until(() => pidsIn(pidFile).length === 2, 'the command to write its pids');
    const pids = pidsIn(pidFile);
    expect(pids.every(isRunning), 'set-up: both run before the abort').toBe(true);
    controller.abort();
    const result = await run;
    expect(result.up).toBe(false);
    expect(result.reason).toMatch(/^killed \(SIGTERM\) after it was aborted/);
    await until(() => !pids.some(isRunning), 'every process of the group to be gone');
  });

  // Given a command whose shell and child both ignore SIGTERM
  // when the probe's signal aborts (kill grace 200 ms)
  // then SIGKILL follows the grace, and the group is gone.
  it('sends SIGKILL to a group that ignores SIGTERM', async () => {
    const pidFile = join(tmp.dir, 'stubborn.pids');
    const controller = new AbortController();
    const run = probeOf(['sh', '-c', `trap '' TERM; sleep 60 & echo $! $$ > ${pidFile}; wait`], { killGraceMs: 200 })(controller.signal);
    await until(() => pidsIn(pidFile).length === 2, 'the command to write its pids');
    const pids = pidsIn(pidFile);
    const abortedAt = Date.now();
    controller.abort();
    const result = await run;
    expect(Date.now() - abortedAt, 'settled before the grace ran out').toBeGreaterThanOrEqual(190);
    expect(result.reason).toMatch(/^killed \(SIGKILL\) after it was aborted/);
    await until(() => !pids.some(isRunning), 'every process of the group to be gone');
  });

  // Given a command whose process group cannot be signalled (EPERM: run through sudo as another user, played here
  // by a process.kill that refuses the group)
  // when the probe's signal aborts (kill grace 100 ms)
  // then the run still ends, down, 1 s after the SIGKILL it could not send, with a reason that says so — the
  // tracker's checks go on instead of waiting for an exit that never comes.
  it('gives up a command it cannot kill, and says why', async () => {
    const pidFile = join(tmp.dir, 'unkillable.pid');
    const controller = new AbortController();
    const run = probeOf(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 60`], { killGraceMs: 100 })(controller.signal);
    await until(() => pidsIn(pidFile).length === 1, 'the command to write its pid');
    const [pid] = pidsIn(pidFile);
    const realKill = process.kill.bind(process);
    const refuse = vi.spyOn(process, 'kill').mockImplementation((target: number, signal?: string | number) => {
      if (target < 0) throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
      return realKill(target, signal);
    });
    try {
      controller.abort();
      const result = await run;
      expect(result).toEqual({ up: false, reason: 'did not exit after it was aborted and killed (cannot signal it: SIGTERM: EPERM); left running' });
    } finally {
      refuse.mockRestore();
      if (pid !== undefined && isRunning(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  // Given a signal that is already aborted; when the probe is called; then nothing is started.
  it('starts nothing once aborted', async () => {
    const marker = join(tmp.dir, 'never-created');
    const controller = new AbortController();
    controller.abort();
    expect((await probeOf(['touch', marker])(controller.signal)).up).toBe(false);
    expect(pidsIn(marker)).toEqual([]);
  });
});

describe('user', () => {
  const root = process.getuid?.() === 0;
  skipLoudly('test/trackers/exec.test.ts (a command run as another user)', 'exec trackers as another user, as root', root ? undefined : 'not root: switching user needs it');

  // Given root and user 'nobody' (uid 65534 in /etc/passwd)
  // when the command checks its own uid
  // then it runs as nobody.
  it.runIf(root)('runs the command as the given user (as root)', async () => {
    const probe = probeOf(['sh', '-c', 'test "$(id -u)" = 65534 && test "$(id -g)" = 65534'], {}, 'nobody');
    expect(await probe(never)).toEqual({ up: true, reason: 'exit code 0' });
    const numeric = probeOf(['sh', '-c', 'test "$(id -u):$(id -g)" = 4321:4322'], {}, '4321:4322');
    expect(await numeric(never)).toEqual({ up: true, reason: 'exit code 0' });
  });

  // Given a process that is not root (uid 1000, faked) and user 'nobody'
  // when run
  // then nothing runs and the reason says that switching user needs root.
  it('says plainly that switching user needs root', async () => {
    const probe = probeOf(['true'], { ownUid: () => 1000 }, 'nobody');
    expect(await probe(never)).toEqual({
      up: false,
      reason: 'cannot run as user nobody: switching user needs root (this process runs as uid 1000)',
    });
  });

  // Given users and groups that do not exist; when run; then the reason names what was not found.
  it('names a user or group that does not exist', async () => {
    expect((await probeOf(['true'], {}, 'no-such-user-here')(never)).reason).toBe('cannot run as user no-such-user-here: not found in /etc/passwd');
    expect((await probeOf(['true'], {}, 'nobody:no-such-group')(never)).reason).toBe('cannot run as group no-such-group: not found in /etc/group');
    expect((await probeOf(['true'], {}, '54321')(never)).reason).toMatch(/give its group too \(54321:GID\)/);
  });

  // Given the synchronous judgement a keepalived.conf import asks before it runs anything (runAsRefusal); then it
  // says what a check would say: nothing for a user this process can run as, else the same reason.
  it('judges synchronously what a check would refuse', () => {
    expect(runAsRefusal('nobody', 0)).toBeUndefined();
    expect(runAsRefusal('nobody', 65534)).toBeUndefined();
    expect(runAsRefusal('nobody', 1000)).toBe('cannot run as user nobody: switching user needs root (this process runs as uid 1000)');
    expect(runAsRefusal('no-such-user-here', 0)).toBe('cannot run as user no-such-user-here: not found in /etc/passwd');
    expect(runAsRefusal('nobody:no-such-group', 0)).toBe('cannot run as group no-such-group: not found in /etc/group');
    expect(runAsRefusal('nobody', 0, '/etc')).toBe('cannot run as user nobody: cannot read /etc (EISDIR)');
  });

  // Given a passwd or group file that cannot be read (a directory here: EISDIR); then the reason says so, not "not found".
  it('says a user or group file cannot be read instead of calling the user missing', async () => {
    expect((await probeOf(['true'], { passwdPath: '/etc' }, 'nobody')(never)).reason).toBe('cannot run as user nobody: cannot read /etc (EISDIR)');
    expect((await probeOf(['true'], { groupPath: '/etc' }, 'nobody:nogroup')(never)).reason).toBe('cannot run as group nogroup: cannot read /etc (EISDIR)');
  });
});
