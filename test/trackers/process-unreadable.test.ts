/**
 * A `process` tracker on a /proc where some processes cannot be read (another user's under `hidepid=1`): they count
 * as absent, and when that leaves the tracker down its reason says so. Shown on a stand-in /proc (a directory of
 * our own) whose reads of one process fail with EACCES, since root reads anything whatever its mode.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from './helpers.js';

vi.mock('node:fs/promises', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...original,
    readFile: (async (path: unknown, ...rest: unknown[]) => {
      if (String(path).includes('/hidden-proc/2/')) throw Object.assign(new Error(`EACCES: permission denied, open '${String(path)}'`), { code: 'EACCES' });
      return (original.readFile as (...args: unknown[]) => Promise<unknown>)(path, ...rest);
    }) as typeof original.readFile,
  };
});

const { createProcessProbe } = await import('../../src/trackers/process.js');

const tmp = tempDir('process-unreadable');
afterAll(() => tmp.remove());
const procRoot = join(tmp.dir, 'hidden-proc');
for (const [pid, comm] of [['1', 'other'], ['2', 'haproxy']] as const) {
  mkdirSync(join(procRoot, pid), { recursive: true });
  writeFileSync(join(procRoot, pid, 'stat'), `${pid} (${comm}) S 0 0 0`);
}
const never = new AbortController().signal;

describe('process tracker: processes it may not read', () => {
  // Given haproxy's /proc entry unreadable (EACCES) and quorum 1; then down, and the reason names the unreadable one.
  it('says how many processes could not be read when it is down for want of them', async () => {
    const result = await createProcessProbe({ process: 'haproxy', quorum: 1 }, procRoot)(never);
    expect(result).toEqual({ up: false, reason: "1 process could not be read (EACCES: another user's, /proc hidepid?), so 0 of quorum 1 processes" });
  });

  // Given the same /proc and a process that is readable; then up, and nothing said of the unreadable one.
  it('says nothing of them when the readable ones are enough', async () => {
    const result = await createProcessProbe({ process: 'other', quorum: 1 }, procRoot)(never);
    expect(result).toEqual({ up: true, reason: '1 process (quorum 1)' });
  });
});
