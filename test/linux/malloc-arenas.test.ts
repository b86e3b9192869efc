/**
 * limitMallocArenas (src/linux/memory.ts, native/memory.c): threads started after the cap allocate from the arenas
 * that exist, instead of one new arena each. Seen from a fresh process's /proc/self/maps, where each glibc arena
 * other than the main one is a 64 MiB-aligned reservation: four worker threads that allocate make new ones without
 * the cap (the control, which shows the count can move) and none with it. No root needed; Linux with glibc only,
 * and loud about skipping (under CI=true a skip fails).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { skipLoudly } from '../support/loud-skip.js';

const loader = fileURLToPath(new URL('../interop/fixtures/ts-loader.mjs', import.meta.url));
const memory = new URL('../../src/linux/memory.ts', import.meta.url).href;
const glibc = process.platform === 'linux' && typeof (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime === 'string';
const skip = glibc ? undefined : `needs Linux with glibc (its arenas, the addon), this is ${process.platform}`;
skipLoudly('test/linux/malloc-arenas.test.ts', 'limitMallocArenas', skip);

interface Outcome {
  applied: boolean | null;
  before: number;
  after: number;
}

/** Arenas of a fresh process before and after four allocating worker threads, the cap set first when `cap`. */
function arenasAroundWorkers(cap: boolean): Outcome {
  const script = `
    import { readFileSync } from 'node:fs';
    import { Worker } from 'node:worker_threads';
    const ARENA = 64n * 1024n * 1024n;
    const arenas = () => {
      const rows = readFileSync('/proc/self/maps', 'utf8').trim().split('\\n').map((line) => {
        const [range, perms, , , , path] = line.split(/\\s+/);
        const [start, end] = range.split('-').map((hex) => BigInt('0x' + hex));
        return { start, end, perms, path };
      });
      let count = 0;
      for (let i = 0; i < rows.length; i++) {
        const m = rows[i];
        if (m.start % ARENA !== 0n || m.perms !== 'rw-p' || m.path) continue;
        const next = rows[i + 1];
        const end = next && next.start === m.end && next.perms === '---p' ? next.end : m.end;
        if (end - m.start === ARENA) count++;
      }
      return count;
    };
    let applied = null;
    if (${cap}) applied = (await import(${JSON.stringify(memory)})).limitMallocArenas(1);
    const before = arenas();
    const work = 'const kept = []; for (let i = 0; i < 2000; i++) kept.push(Buffer.alloc(1000 + i));';
    await Promise.all(Array.from({ length: 4 }, () => new Promise((resolve, reject) => {
      const worker = new Worker(work, { eval: true });
      worker.on('exit', resolve);
      worker.on('error', reject);
    })));
    console.log(JSON.stringify({ applied, before, after: arenas() }));
  `;
  // The caller's own MALLOC_ARENA_MAX would decide the control's outcome: not passed on.
  const env = { ...process.env };
  delete env.MALLOC_ARENA_MAX;
  delete env.GLIBC_TUNABLES;
  const out = execFileSync(process.execPath, ['--import', loader, '--input-type=module', '-e', script], { encoding: 'utf8', env });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as Outcome;
}

describe.skipIf(skip !== undefined)('limitMallocArenas', () => {
  it('without the cap, threads that allocate get arenas of their own (the control)', () => {
    const { before, after } = arenasAroundWorkers(false);
    expect(after, `arenas before the workers ${before}, after ${after}`).toBeGreaterThan(before);
  });

  it('with the cap, threads started afterwards make no arena and it says it applied', () => {
    const { applied, before, after } = arenasAroundWorkers(true);
    expect(applied, 'limitMallocArenas(1) on glibc').toBe(true);
    expect(after, `arenas before the workers ${before}, after ${after}`).toBe(before);
  });

  it('refuses a count outside 1…64 with a RangeError', async () => {
    const { limitMallocArenas } = await import('../../src/linux/memory.js');
    expect(() => limitMallocArenas(0)).toThrow(/count must be a whole number 1\.\.\.64/);
  });
});
