/**
 * `process` probes against this machine's /proc: processes of our own, started under a name nothing else uses (a
 * copy of `sleep`), are counted by name, by whole command line and through a pid file, against quorum and
 * quorumMax; zombies do not count.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createProcessProbe, type ProcessProbeConfig } from '../../src/trackers/process.js';
import { isRunning, tempDir, until } from './helpers.js';

const tmp = tempDir('process');
const never = new AbortController().signal;
/** A name no other process has: the comm of our copy of sleep (at most 15 characters). */
const name = `vt${process.pid.toString(36)}${Math.random().toString(36).slice(2, 8)}`.slice(0, 15);
const binary = join(tmp.dir, name);
copyFileSync('/bin/sleep', binary);
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }
});
afterAll(() => tmp.remove());

/** Starts our copy of sleep with `args`; resolves once /proc shows it running under its name. */
async function start(args: string[]): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: 'ignore' });
  children.push(child);
  await until(() => child.pid !== undefined && commOf(child.pid) === name, `${name} to run`);
  return child;
}

function commOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  } catch {
    return undefined;
  }
}

const probe = (config: Partial<ProcessProbeConfig>) => createProcessProbe({ quorum: 1, ...config });

describe('by name', () => {
  // Given three processes named like ours and quorum 3
  // when one of them exits
  // then the probe goes from up "3 processes (quorum 3)" to down "2 of quorum 3 processes".
  it('is up while at least quorum processes run', async () => {
    await Promise.all([start(['600']), start(['600']), start(['600'])]);
    expect(await probe({ process: name, quorum: 3 })(never)).toEqual({ up: true, reason: '3 processes (quorum 3)' });
    const victim = children[0] as ChildProcess;
    const exited = new Promise((resolve) => victim.once('exit', resolve));
    victim.kill('SIGKILL');
    await exited;
    expect(await probe({ process: name, quorum: 3 })(never)).toEqual({ up: false, reason: '2 of quorum 3 processes' });
  });

  // Given two processes and quorumMax 1; then down, above quorumMax. quorum 0, quorumMax 0: up only while none run.
  it('is down when more than quorumMax run', async () => {
    await Promise.all([start(['600']), start(['600'])]);
    expect(await probe({ process: name, quorumMax: 1 })(never)).toEqual({ up: false, reason: '2 processes, above quorumMax 1' });
    expect((await probe({ process: name, quorum: 0, quorumMax: 0 })(never)).up).toBe(false);
  });

  // Given no such process; then down, 0 of quorum 1.
  it('is down when none runs', async () => {
    expect(await probe({ process: name })(never)).toEqual({ up: false, reason: '0 of quorum 1 processes' });
  });

  // Given a zombie of our name (a child that exited and whose parent, an exec'd sleep, never reaps it)
  // when probed
  // then it does not count.
  it('does not count zombies', async () => {
    const parent = spawn('sh', ['-c', `${binary} 0 & exec sleep 600`], { stdio: 'ignore' });
    children.push(parent);
    await until(() => zombiesNamed(name) > 0, 'a zombie of our name');
    expect(await probe({ process: name })(never)).toEqual({ up: false, reason: '0 of quorum 1 processes' });
  });
});

describe('by command line', () => {
  // Given one process `<copy> 600.<unique>` and one `<copy> 600`
  // when probed with args = the first's whole command line
  // then exactly one matches; a prefix of it matches nothing.
  it('matches the whole command line exactly', async () => {
    const unique = `600.${Date.now() % 100000}`;
    await Promise.all([start([unique]), start(['600'])]);
    expect(await probe({ args: `${binary} ${unique}` })(never)).toEqual({ up: true, reason: '1 process (quorum 1)' });
    expect((await probe({ args: binary })(never)).up).toBe(false);
    expect(await probe({ process: name, args: `${binary} ${unique}`, quorum: 2 })(never)).toEqual({ up: false, reason: '1 of quorum 2 processes' });
  });
});

describe('by command and parameters (keepalived full_command, param_match)', () => {
  // Given our copy running with arguments (`<copy> 600 <unique>`)
  // when probed with command = the copy's path, no params (keepalived's full_command alone)
  // then it matches: the arguments are not looked at. Before, the import made this a whole-line match that no
  // process with arguments could meet, and an instance tracking it stayed in fault.
  it('matches the program alone when no parameters are given', async () => {
    await start(['600', `${1 + (Date.now() % 100000)}`]); // sleep adds its arguments up
    expect(await probe({ command: binary })(never)).toEqual({ up: true, reason: '1 process (quorum 1)' });
  });

  // Given the same process; then exact parameters must be all of them, partial the first ones, initial a prefix.
  it('compares parameters exactly, partially or by their start', async () => {
    const unique = `${10 + (Date.now() % 100000)}`; // sleep adds its arguments up
    await start(['600', unique]);
    expect((await probe({ command: binary, params: ['600', unique] })(never)).up).toBe(true);
    expect((await probe({ command: binary, params: ['600'] })(never)).up).toBe(false);
    expect((await probe({ command: binary, params: ['600'], paramMatch: 'partial' })(never)).up).toBe(true);
    expect((await probe({ command: binary, params: ['600', unique.slice(0, 2)], paramMatch: 'initial' })(never)).up).toBe(true);
    expect((await probe({ command: binary, paramMatch: 'exact' })(never)).up).toBe(false);
  });
});

describe('by pid file', () => {
  // Given a pid file holding this test process's pid; then up; narrowed by a name it does not have, down.
  it('looks at the process whose pid the file holds', async () => {
    const pidFile = join(tmp.dir, 'self.pid');
    writeFileSync(pidFile, `${process.pid}\n`);
    expect(await probe({ pidFile })(never)).toEqual({ up: true, reason: '1 process (quorum 1)' });
    expect(await probe({ pidFile, process: name })(never)).toEqual({
      up: false,
      reason: `pid ${process.pid} from ${pidFile} is not a matching running process, so 0 of quorum 1 processes`,
    });
  });

  // Given a pid file of a process that exited, a missing one, and one without a pid; then down, saying why.
  it('is down when the pid file is missing, empty or stale', async () => {
    const child = await start(['600']);
    const pid = child.pid as number;
    const stale = join(tmp.dir, 'stale.pid');
    writeFileSync(stale, String(pid));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(isRunning(pid)).toBe(false);
    expect((await probe({ pidFile: stale })(never)).reason).toBe(`pid ${pid} from ${stale} is not a matching running process, so 0 of quorum 1 processes`);
    const missing = join(tmp.dir, 'missing.pid');
    expect((await probe({ pidFile: missing })(never)).reason).toBe(`pid file ${missing}: ENOENT, so 0 of quorum 1 processes`);
    const garbage = join(tmp.dir, 'garbage.pid');
    writeFileSync(garbage, 'haproxy\n');
    expect((await probe({ pidFile: garbage })(never)).reason).toBe(`pid file ${garbage}: no pid in it ("haproxy\\n"), so 0 of quorum 1 processes`);
  });
});

function zombiesNamed(comm: string): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) === comm && stat[close + 2] === 'Z') count++;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}
