/**
 * The parent watch of `vrrp run` (under npm, or with --exit-with-parent) when /proc does not answer plainly: a read
 * that fails for want of descriptors or memory is no news of the parent — the watch goes on and says so once — while
 * a parent gone (ENOENT, ESRCH) still stops the run; and a watch that begins with the parent already gone stops the
 * run at its first poll, while one that can follow nothing says so. /proc's files are faked through a wrapped
 * readFileSync, the kernel's answer to signal 0 through a spy on process.kill, and the poll's timer is faked.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { launchers, watchProcesses, type WatchedProcess } from '../../src/parent-watch.js';

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return { ...actual, readFileSync: vi.fn(actual.readFileSync) };
});

const { readFileSync: realReadFileSync } = await vi.importActual<typeof import('node:fs')>('node:fs');

/** An error as Node's fs throws it. */
const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: failed`), { code });

/** A /proc/<pid>/stat line: the parent and start time where `readProcStat` reads them. */
const stat = (pid: number | 'self', ppid: number, startTime: string): string => `${pid === 'self' ? 4000 : pid} (node) S ${ppid} ${'0 '.repeat(17)}${startTime} 0 0\n`;

/** Answers reads of the given /proc files with their text or by throwing their error; other paths are read for real. */
function fakeProc(files: Record<string, string | NodeJS.ErrnoException>): void {
  vi.mocked(readFileSync).mockImplementation(((path: string, options: unknown) => {
    const file = files[String(path)];
    if (file === undefined) return realReadFileSync(path, options as BufferEncoding);
    if (typeof file !== 'string') throw file;
    return file;
  }) as typeof readFileSync);
}

let warnings: MockInstance<typeof process.emitWarning>;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
});
afterEach(() => {
  vi.useRealTimers();
  vi.mocked(readFileSync).mockReset();
  vi.restoreAllMocks();
});

/** The messages of the parent watch's warnings so far. */
const watchWarnings = (): string[] => warnings.mock.calls.filter((call) => (call[1] as { code?: string } | undefined)?.code === 'VRRP_PARENT_WATCH').map((call) => String(call[0]));

const PARENT: WatchedProcess = { pid: 4242, startTime: '777', role: 'parent' };

describe('the parent watch, when /proc cannot be read', () => {
  it('keeps watching a parent whose /proc entry cannot be read for want of descriptors (EMFILE)', () => {
    fakeProc({ '/proc/4242/stat': errno('EMFILE') });
    const onGone = vi.fn();
    watchProcesses([PARENT], onGone, 1000);
    vi.advanceTimersByTime(5000);
    expect(onGone, 'EMFILE was taken for the end of the parent, which stops the run').not.toHaveBeenCalled();
  });

  it('says once that it cannot read the parent, however many polls fail', () => {
    fakeProc({ '/proc/4242/stat': errno('ENOMEM') });
    watchProcesses([PARENT], () => {}, 1000);
    vi.advanceTimersByTime(5000);
    expect(watchWarnings(), 'the VRRP_PARENT_WATCH warnings emitted').toEqual(['cannot read /proc/4242/stat of the parent process (ENOMEM): still watching it']);
  });

  it('stops the run when the parent is gone (ENOENT), as before', () => {
    fakeProc({ '/proc/4242/stat': errno('ENOENT') });
    const onGone = vi.fn();
    watchProcesses([PARENT], onGone, 1000);
    vi.advanceTimersByTime(1000);
    expect(onGone).toHaveBeenCalledWith(PARENT);
  });

  it('stops the run when the parent ended while its entry was read (ESRCH)', () => {
    fakeProc({ '/proc/4242/stat': errno('ESRCH') });
    const onGone = vi.fn();
    watchProcesses([PARENT], onGone, 1000);
    vi.advanceTimersByTime(1000);
    expect(onGone).toHaveBeenCalledWith(PARENT);
  });
});

describe('the parent watch, when it begins', () => {
  it('stops the run at the first poll when the parent that started it is gone and it was given to init', () => {
    const starter = process.ppid; // the parent as the module loaded
    fakeProc({ '/proc/self/stat': stat('self', 1, '900'), [`/proc/${starter}/stat`]: errno('ENOENT') });
    const watched = launchers();
    expect(watched, 'a parent gone before the watch began was not watched: the run would go on').toEqual([{ pid: starter, startTime: '', role: 'parent' }]);
    const onGone = vi.fn();
    watchProcesses(watched, onGone, 1000);
    vi.advanceTimersByTime(1000);
    expect(onGone).toHaveBeenCalledWith(watched[0]);
  });

  it('stops the run at the first poll when the parent ends between reading our entry and its own', () => {
    const parent = process.ppid;
    fakeProc({ '/proc/self/stat': stat('self', parent, '900'), [`/proc/${parent}/stat`]: errno('ENOENT') });
    vi.spyOn(process, 'kill').mockImplementation(() => {
      throw errno('ESRCH');
    });
    expect(launchers(), 'a parent gone before the watch began was not watched').toEqual([{ pid: parent, startTime: '', role: 'parent' }]);
  });

  it('warns, and watches nothing, when the parent is alive but hidden from /proc (hidepid)', () => {
    const parent = process.ppid;
    fakeProc({ '/proc/self/stat': stat('self', parent, '900'), [`/proc/${parent}/stat`]: errno('ENOENT') });
    vi.spyOn(process, 'kill').mockImplementation(() => {
      throw errno('EPERM');
    });
    expect(launchers()).toEqual([]);
    expect(watchWarnings(), 'the VRRP_PARENT_WATCH warnings emitted').toEqual([`cannot watch the parent process (pid ${parent}): it is alive but not in /proc (mounted with hidepid?)`]);
  });

  it('warns, and watches nothing, when the parent cannot be read for want of descriptors', () => {
    const parent = process.ppid;
    fakeProc({ '/proc/self/stat': stat('self', parent, '900'), [`/proc/${parent}/stat`]: errno('EMFILE') });
    expect(launchers()).toEqual([]);
    expect(watchWarnings(), 'the VRRP_PARENT_WATCH warnings emitted').toEqual([`cannot watch the parent process (pid ${parent}): /proc/${parent}/stat cannot be read (EMFILE)`]);
  });

  it('warns, and watches nothing, when started by pid 1', () => {
    fakeProc({ '/proc/self/stat': stat('self', 1, '900') });
    expect(launchers(1)).toEqual([]);
    expect(watchWarnings(), 'the VRRP_PARENT_WATCH warnings emitted').toEqual(["not watching the parent process: it is pid 1 (init, or a container's first process), which outlives us"]);
  });
});
