/**
 * releaseStartupPages (src/linux/memory.ts, native/memory.c) unmaps the node executable's clean read-only pages and
 * nothing else: checked in a fresh process, from its own /proc/self/smaps before and after, and by running code
 * afterwards (every page it needs again must come back from the file as it was). No root needed; Linux only, and
 * loud about skipping (under CI=true a skip fails).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { skipLoudly } from '../support/loud-skip.js';

const loader = fileURLToPath(new URL('../interop/fixtures/ts-loader.mjs', import.meta.url));
const memory = new URL('../../src/linux/memory.ts', import.meta.url).href;
const skip = process.platform === 'linux' ? undefined : `needs linux (/proc/self/smaps, the addon), this is ${process.platform}`;
skipLoudly('test/linux/startup-pages.test.ts', 'releaseStartupPages', skip);

/** Per mapping of the executable (by its range): perms, resident kB and anonymous kB, before and after. */
interface Mapping {
  range: string;
  perms: string;
  rssKb: number;
  anonymousKb: number;
}
interface Outcome {
  release: { executableKb: number; rssBeforeKb: number; rssAfterKb: number };
  before: Mapping[];
  after: Mapping[];
  /** What the process computed after the release, with code it had run before it. */
  work: string;
}

function releaseInFreshProcess(): Outcome {
  const script = `
    import { readFileSync, readlinkSync } from 'node:fs';
    const exe = readlinkSync('/proc/self/exe');
    const mappings = () => {
      const out = []; let current;
      for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\\n')) {
        const head = /^([0-9a-f]+-[0-9a-f]+) (\\S{4}) \\S+ \\S+ \\S+\\s*(.*)$/.exec(line);
        if (head) { current = head[3] === exe ? { range: head[1], perms: head[2], rssKb: 0, anonymousKb: 0 } : undefined; if (current) out.push(current); continue; }
        const field = /^(Rss|Anonymous):\\s+(\\d+) kB/.exec(line);
        if (current && field) current[field[1] === 'Rss' ? 'rssKb' : 'anonymousKb'] = Number(field[2]);
      }
      return out;
    };
    const work = () => JSON.stringify([new Intl.NumberFormat('de-DE').format(1234.5), 'a-b-c'.split(/-/).reverse().join('+'), [3, 1, 2].sort()]);
    work();
    const { releaseStartupPages } = await import(${JSON.stringify(memory)});
    const before = mappings();
    const release = releaseStartupPages();
    const after = mappings();
    console.log(JSON.stringify({ release, before, after, work: work() }));
  `;
  const out = execFileSync(process.execPath, ['--import', loader, '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as Outcome;
}

describe.skipIf(skip !== undefined)('releaseStartupPages', () => {
  const outcome = skip === undefined ? releaseInFreshProcess() : undefined;

  it('unmaps the executable’s clean read-only mappings and reports what they held', () => {
    const { release, before, after } = outcome!;
    const clean = (m: Mapping): boolean => m.perms[1] === '-' && m.perms[3] === 'p' && m.anonymousKb === 0;
    const heldBefore = before.filter(clean).reduce((kb, m) => kb + m.rssKb, 0);
    expect(heldBefore, 'the executable’s clean read-only pages mapped before the release').toBeGreaterThan(1024);
    // The second reading runs JavaScript (file read, regular expressions), which maps back what it uses: some MB,
    // since a fault maps its neighbours too (fault-around); without the release nothing would have gone.
    const heldAfter = after.filter((m) => before.some((b) => b.range === m.range && clean(b))).reduce((kb, m) => kb + m.rssKb, 0);
    expect(heldAfter, 'still mapped right after the release').toBeLessThan(heldBefore / 2);
    expect(release.executableKb, 'executableKb: what those mappings held').toBeGreaterThan(heldBefore * 0.9);
    expect(release.rssAfterKb, 'the resident set after').toBeLessThan(release.rssBeforeKb - release.executableKb * 0.9);
  });

  it('leaves the executable’s mappings with the process’s own pages (writable data, relocated read-only data) as they were', () => {
    const { before, after } = outcome!;
    const own = before.filter((m) => m.anonymousKb > 0);
    expect(own.length, 'mappings of the executable holding anonymous pages (.data, .bss-adjacent, RELRO)').toBeGreaterThan(0);
    for (const mapping of own) {
      const later = after.find((m) => m.range === mapping.range);
      expect(later?.anonymousKb, `anonymous kB of ${mapping.range} ${mapping.perms} after the release`).toBeGreaterThanOrEqual(mapping.anonymousKb);
    }
  });

  it('runs the same code afterwards with the same results', () => {
    expect(outcome!.work).toBe(JSON.stringify(['1.234,5', 'c+b+a', [1, 2, 3]]));
  });
});
