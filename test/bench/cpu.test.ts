/**
 * The scale and stall benchmarks' arithmetic (bench/cpu.ts): parsing /proc/<pid>/stat, /proc/<pid>/status and a
 * thread's schedstat,
 * CPU percentages, growth per instance, process trees, and the advert-interval percentiles.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asDeployed,
  cpuPercent,
  cpuPercentFromNs,
  growthPerInstance,
  intervalJitter,
  wireTakeovers,
  jitterSummary,
  parseProcStat,
  parseSchedstatRunNs,
  parseSmapsRss,
  parseVmRssKb,
  percentile,
  ratio,
  ratiosByRound,
  treeOf,
} from '../../bench/cpu.js';
import { startedByNpm } from '../../src/parent-watch.js';
import { propertySeed, seededCheck } from '../support/seed.js';

const check = seededCheck(propertySeed('bench/cpu'));

/** A /proc/<pid>/stat line as the kernel writes it (52 fields), with the fields the benchmark reads set. */
function statLine(pid: number, comm: string, fields: { state?: string; ppid?: number; utime?: number; stime?: number; threads?: number }): string {
  // Fields 3…52; index k − 3 holds field k.
  const rest = Array.from({ length: 50 }, () => '0');
  rest[0] = fields.state ?? 'S';
  rest[4 - 3] = String(fields.ppid ?? 1);
  rest[14 - 3] = String(fields.utime ?? 0);
  rest[15 - 3] = String(fields.stime ?? 0);
  rest[20 - 3] = String(fields.threads ?? 1);
  return `${pid} (${comm}) ${rest.join(' ')}\n`;
}

describe('asDeployed', () => {
  // Given the environment a benchmark started by `npm run` has; when it is made as deployed
  // then npm's two markers (what src/parent-watch.ts's startedByNpm reads) are gone and nothing else changed.
  it("removes npm's markers from the environment and leaves the rest", () => {
    const env: NodeJS.ProcessEnv = { npm_command: 'run-script', npm_lifecycle_event: 'bench:scale', PATH: '/usr/bin', npm_config_cache: '/c' };
    asDeployed(env);
    expect(env).toEqual({ PATH: '/usr/bin', npm_config_cache: '/c' });
    expect(startedByNpm(env)).toBe(false);
  });
});

describe('parseProcStat', () => {
  it('reads pid, comm, state, ppid, utime, stime and thread count of a real line', () => {
    // A node process's line, as read from /proc (trimmed of nothing).
    const line =
      '4242 (node) S 4200 4242 4200 0 -1 4194560 12345 0 0 0 731 214 0 0 20 0 11 0 987654 1234567890 16384 ' +
      '18446744073709551615 1 1 0 0 0 0 0 16781312 134234626 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n';
    expect(parseProcStat(line)).toEqual({ pid: 4242, comm: 'node', state: 'S', ppid: 4200, utime: 731, stime: 214, numThreads: 11 });
  });

  it('keeps spaces and parentheses inside the process name', () => {
    const parsed = parseProcStat(statLine(7, 'a (b) c) d', { state: 'R', ppid: 3, utime: 5, stime: 6, threads: 2 }));
    expect(parsed).toMatchObject({ pid: 7, comm: 'a (b) c) d', state: 'R', ppid: 3, utime: 5, stime: 6, numThreads: 2 });
  });

  it('parses any name the kernel can hold (up to 15 bytes, any character but NUL and newline)', () => {
    check(
      fc.property(
        fc.integer({ min: 1, max: 4_194_304 }),
        fc.string({ maxLength: 15 }).filter((s) => !/[\0\n]/.test(s)),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (pid, comm, ppid, utime, stime) => {
          const parsed = parseProcStat(statLine(pid, comm, { ppid, utime, stime }));
          expect(parsed).toMatchObject({ pid, comm, ppid, utime, stime });
        },
      ),
      300,
    );
  });

  it('refuses text that is not a stat line instead of returning NaN', () => {
    expect(() => parseProcStat('')).toThrow();
    expect(() => parseProcStat('12 node S 1 2 3')).toThrow();
    expect(() => parseProcStat('12 (node) S 1')).toThrow(/field/);
  });
});

describe('parseVmRssKb', () => {
  it('reads VmRSS in kB from a status text', () => {
    expect(parseVmRssKb('Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t   65432 kB\nRssAnon:\t  1 kB\n')).toBe(65432);
  });

  it('is undefined without a VmRSS line (kernel thread, zombie)', () => {
    expect(parseVmRssKb('Name:\tkthreadd\nState:\tS (sleeping)\n')).toBeUndefined();
  });
});

describe('parseSmapsRss', () => {
  /** An smaps entry: its header and the lines after it, Rss among them as the kernel writes it. */
  const entry = (header: string, rssKb: number): string =>
    `${header}\nSize:               2048 kB\nKernelPageSize:        4 kB\nRss:              ${String(rssKb).padStart(5)} kB\nPss:                 ${rssKb} kB\nVmFlags: rd wr mr mw me ac\n`;
  const exe = '/usr/bin/node';
  const smaps = [
    entry('55d0c1a00000-55d0c1b00000 r--p 00000000 fe:01 1234                       /usr/bin/node', 100),
    entry('55d0c1b00000-55d0c1c00000 r-xp 00100000 fe:01 1234                       /usr/bin/node', 200),
    entry('55d0c2000000-55d0c2100000 rw-p 00000000 00:00 0                          [heap]', 30),
    entry('7f0000000000-7f0000040000 rw-p 00000000 00:00 0 ', 7),
    entry('7f0000040000-7f0000080000 rwxp 00000000 00:00 0 ', 11),
    entry('7f0000080000-7f00000c0000 r-xp 00000000 00:00 0', 13),
    entry('7f1000000000-7f1000010000 r-xp 00000000 fe:01 99                         /usr/lib/x86_64-linux-gnu/libc.so.6', 50),
    entry('7f1000010000-7f1000020000 r-xp 00000000 fe:01 98                         /opt/app/build/Release/vrrp native.node', 5),
    entry('7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]', 3),
    entry('7ffd00030000-7ffd00032000 r-xp 00000000 00:00 0                          [vdso]', 1),
  ].join('');

  it('sums resident kB by kind: code made at run time, anonymous, brk, the executable, libraries, the kernel\'s', () => {
    expect(parseSmapsRss(smaps, exe)).toEqual({ code: 24, anonymous: 7, brk: 30, executable: 300, libraries: 55, other: 4 });
  });

  it('counts another executable\'s file as a library', () => {
    expect(parseSmapsRss(smaps, '/usr/sbin/keepalived')).toMatchObject({ executable: 0, libraries: 355 });
  });

  it('reads nothing from a text without mappings', () => {
    expect(parseSmapsRss('', exe)).toEqual({ code: 0, anonymous: 0, brk: 0, executable: 0, libraries: 0, other: 0 });
  });
});

describe('cpuPercent', () => {
  it('is 100 for one core busy the whole window', () => {
    expect(cpuPercent(100, 100, 1_000)).toBe(100);
    expect(cpuPercent(3_000, 100, 30_000)).toBe(100);
  });

  it('scales with ticks and CLK_TCK, and can exceed 100 for several threads', () => {
    expect(cpuPercent(3, 100, 30_000)).toBeCloseTo(0.1, 12);
    expect(cpuPercent(250, 250, 1_000)).toBe(100);
    expect(cpuPercent(400, 100, 2_000)).toBe(200);
  });

  it('refuses an empty window or a zero CLK_TCK', () => {
    expect(() => cpuPercent(1, 100, 0)).toThrow(RangeError);
    expect(() => cpuPercent(1, 0, 1_000)).toThrow(RangeError);
  });
});

describe('run time (schedstat)', () => {
  it("reads a thread's run time in ns from the first field of its schedstat", () => {
    expect(parseSchedstatRunNs('2869312561 140386027 2573\n')).toBe(2_869_312_561);
  });

  it('refuses a text that is not a schedstat line', () => {
    expect(() => parseSchedstatRunNs('')).toThrow(/not a schedstat line/);
    expect(() => parseSchedstatRunNs('abc 1 2')).toThrow(/not a schedstat line/);
  });

  it('is 100 % for one core busy the whole window, and 0.1 % for 30 ms in 30 s', () => {
    expect(cpuPercentFromNs(1e9, 1_000)).toBe(100);
    expect(cpuPercentFromNs(30e6, 30_000)).toBeCloseTo(0.1, 12);
    expect(() => cpuPercentFromNs(1, 0)).toThrow(RangeError);
  });
});

describe('ratio and growthPerInstance', () => {
  it('divides, and has no ratio to a zero', () => {
    expect(ratio(1.5, 3)).toBe(0.5);
    expect(ratio(1, 0)).toBeUndefined();
  });

  it('spreads the growth over the added instances, none at the reference', () => {
    expect(growthPerInstance(70_000, 50, 65_000, 1)).toBeCloseTo(5_000 / 49, 12);
    expect(growthPerInstance(65_000, 1, 65_000, 1)).toBeUndefined();
    expect(growthPerInstance(64_000, 50, 65_000, 1)).toBeLessThan(0);
  });
});

describe('ratiosByRound', () => {
  it('divides each round by the baseline of the same round, not by another round', () => {
    expect(ratiosByRound([0.2, 0.3, 0.1], [0.1, 0.3, 0.4])).toEqual([2, 1, 0.25]);
  });

  it('leaves out a round that lacks either side or whose baseline is zero, and keeps round order', () => {
    expect(ratiosByRound([0.2, undefined, 0.3, 0.5], [0.1, 0.2, 0, 1])).toEqual([2, 0.5]);
    expect(ratiosByRound([0.2, 0.4], [undefined, 0.2])).toEqual([2]);
  });
});

describe('treeOf', () => {
  it('finds the root and every descendant, not siblings', () => {
    const ppids = new Map([
      [1, 0],
      [10, 1],
      [11, 10],
      [12, 10],
      [13, 12],
      [20, 1],
    ]);
    expect(treeOf(10, ppids).sort((a, b) => a - b)).toEqual([10, 11, 12, 13]);
    expect(treeOf(13, ppids)).toEqual([13]);
  });

  it('is the root alone when it is unknown', () => {
    expect(treeOf(99, new Map([[1, 0]]))).toEqual([99]);
  });
});

describe('percentile', () => {
  it('takes the nearest rank: always one of the values', () => {
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 50)).toBe(3);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(5);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
    expect(percentile(Array.from({ length: 1000 }, (_, i) => i + 1), 99)).toBe(990);
  });

  it('refuses an empty list and a percentile out of range', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('lies between the smallest and the largest value and grows with p', () => {
    check(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }), (values) => {
        const p50 = percentile(values, 50);
        const p99 = percentile(values, 99);
        expect(values).toContain(p50);
        expect(p50).toBeGreaterThanOrEqual(Math.min(...values));
        expect(p99).toBeLessThanOrEqual(Math.max(...values));
        expect(p99).toBeGreaterThanOrEqual(p50);
      }),
      300,
    );
  });
});

describe('intervalJitter and jitterSummary', () => {
  it('gives each interval minus the nominal, in time order', () => {
    expect(intervalJitter([1000, 1010.5, 1020, 1031], 10)).toEqual([0.5, -0.5, 1]);
    expect(intervalJitter([1020, 1000, 1010], 10)).toEqual([0, 0]);
  });

  it('has no interval for fewer than two adverts, and no summary then', () => {
    expect(intervalJitter([], 10)).toEqual([]);
    expect(intervalJitter([5], 10)).toEqual([]);
    expect(jitterSummary([])).toBeUndefined();
  });

  it('reports a lost role as one long interval, the max', () => {
    const times = [...Array.from({ length: 200 }, (_, i) => i * 10), 1990 + 1500];
    const summary = jitterSummary(intervalJitter(times, 10))!;
    expect(summary).toMatchObject({ p50: 0, p99: 0, max: 1490, count: 200 });
  });
});

describe('wireTakeovers', () => {
  const master = (timeMs: number) => ({ timeMs, fromBackup: false });
  const backup = (timeMs: number) => ({ timeMs, fromBackup: true });

  it('finds none while only the master advertises', () => {
    expect(wireTakeovers([master(0), master(10), master(20)])).toEqual([]);
  });

  it("dates a takeover at the backup's first advert, with the master's silence before it", () => {
    expect(wireTakeovers([master(0), master(10), backup(94), backup(104), master(105), master(115)])).toEqual([{ atMs: 94, masterSilentMs: 84 }]);
  });

  it('counts each return of the backup after the master as a takeover of its own, in capture order', () => {
    expect(wireTakeovers([backup(300), master(0), backup(50), master(60), master(200)])).toEqual([
      { atMs: 50, masterSilentMs: 50 },
      { atMs: 300, masterSilentMs: 100 },
    ]);
  });
});
