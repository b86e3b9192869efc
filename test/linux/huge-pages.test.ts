/**
 * moveExecutableToHugePages (src/linux/memory.ts, native/memory.c) moves the node executable's mostly mapped
 * read-only stretches into anonymous huge pages at the same addresses: checked in a fresh process from its own
 * /proc/self/smaps before and after, and by running code afterwards (the moved text and data must be the file's).
 * No root needed; Linux only, and loud about skipping (under CI=true a skip fails). On a machine whose
 * administrator turned transparent huge pages off, what is checked is that nothing moved and the reason was said.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { HugePagesMove } from '../../src/linux/memory.js';
import { hugePagesAllowed } from '../support/huge-pages.js';
import { skipLoudly } from '../support/loud-skip.js';

const loader = fileURLToPath(new URL('../interop/fixtures/ts-loader.mjs', import.meta.url));
const memory = new URL('../../src/linux/memory.ts', import.meta.url).href;
const skip = process.platform === 'linux' ? undefined : `needs linux (/proc/self/smaps, the addon), this is ${process.platform}`;
skipLoudly('test/linux/huge-pages.test.ts', 'moveExecutableToHugePages', skip);

/** A mapping: its range, perms, path (empty for anonymous), resident and huge kB. */
interface Mapping {
  start: number;
  end: number;
  perms: string;
  path: string;
  rssKb: number;
  hugeKb: number;
}
interface Outcome {
  move: HugePagesMove;
  exe: string;
  before: Mapping[];
  after: Mapping[];
  /** What the process computed after the move, with code it had run before it. */
  work: string;
}

function moveInFreshProcess(minResidentPercent: number): Outcome {
  const script = `
    import { readFileSync, readlinkSync } from 'node:fs';
    const exe = readlinkSync('/proc/self/exe');
    const mappings = () => {
      const out = []; let current;
      for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\\n')) {
        const head = /^([0-9a-f]+)-([0-9a-f]+) (\\S{4}) \\S+ \\S+ \\S+\\s*(.*)$/.exec(line);
        if (head) { current = { start: parseInt(head[1], 16), end: parseInt(head[2], 16), perms: head[3], path: head[4], rssKb: 0, hugeKb: 0 }; out.push(current); continue; }
        const field = /^(Rss|AnonHugePages):\\s+(\\d+) kB/.exec(line);
        if (current && field) current[field[1] === 'Rss' ? 'rssKb' : 'hugeKb'] = Number(field[2]);
      }
      return out;
    };
    const work = () => JSON.stringify([new Intl.NumberFormat('de-DE').format(1234.5), 'a-b-c'.split(/-/).reverse().join('+'), [3, 1, 2].sort(), new Date(0).toISOString()]);
    work();
    const { moveExecutableToHugePages } = await import(${JSON.stringify(memory)});
    const before = mappings();
    const move = moveExecutableToHugePages(${minResidentPercent});
    const after = mappings();
    console.log(JSON.stringify({ move, exe, before, after, work: work() }));
  `;
  const out = execFileSync(process.execPath, ['--import', loader, '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as Outcome;
}

const allowed = skip === undefined && hugePagesAllowed();

describe.skipIf(skip !== undefined)('moveExecutableToHugePages', () => {
  const outcome = skip === undefined ? moveInFreshProcess(50) : undefined;

  it('puts the executable’s mostly mapped stretches in huge pages at the same addresses (where huge pages are turned off: nothing, and says so)', () => {
    const { move, exe, before, after } = outcome!;
    if (!allowed) {
      expect(move, 'huge pages are turned off on this machine').toMatchObject({ movedKb: 0, unavailable: 'disabled' });
      return;
    }
    expect(move.unavailable, 'reason given for doing nothing').toBeUndefined();
    expect(move.movedKb, 'kB moved (node maps tens of MB of its text and data at start-up)').toBeGreaterThanOrEqual(2048);
    const fileKb = (maps: Mapping[]): number => maps.filter((m) => m.path === exe && m.perms[1] === '-').reduce((kb, m) => kb + (m.end - m.start) / 1024, 0);
    expect(fileKb(before) - fileKb(after), 'kB of the executable no longer mapped from its file').toBe(move.movedKb);
    // The moved stretches lie where the executable's mappings were, now anonymous and huge.
    const span = before.filter((m) => m.path === exe);
    const startKb = Math.min(...span.map((m) => m.start));
    const endKb = Math.max(...span.map((m) => m.end));
    const hugeThere = after.filter((m) => m.path === '' && m.start >= startKb && m.end <= endKb).reduce((kb, m) => kb + m.hugeKb, 0);
    expect(hugeThere, 'huge-page kB inside the executable’s old range').toBe(move.movedKb);
  });

  it('counts what it left below the threshold, and moves less at a higher one', () => {
    const { move } = outcome!;
    if (!allowed) {
      expect(move.leftKb, 'nothing looked at where huge pages are turned off').toBe(0);
      return;
    }
    expect(move.leftKb, 'kB left: node never maps all of its text').toBeGreaterThan(0);
    const strict = moveInFreshProcess(100).move;
    expect(strict.movedKb + strict.failedKb, 'kB moved or tried at 100 %').toBeLessThan(move.movedKb + move.failedKb);
  });

  it('runs the same code afterwards with the same results', () => {
    expect(outcome!.work).toBe(JSON.stringify(['1.234,5', 'c+b+a', [1, 2, 3], '1970-01-01T00:00:00.000Z']));
  });

  it('refuses a threshold outside 1…100 with a clear error', async () => {
    const { moveExecutableToHugePages } = await import('../../src/linux/memory.js');
    expect(() => moveExecutableToHugePages(0)).toThrow(/1\.\.\.100/);
  });
});
