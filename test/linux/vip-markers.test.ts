/**
 * The VIP manager's pure parts, without root: the crash-cleanup marker format and its judgement (which leftover a
 * starting run removes, and which it must never touch), and keepalived's announcement schedule.
 */
import { describe, expect, it } from 'vitest';
import { isMarkerOf, judgeLeftover, MARKER_WIDTH, markerFileName, markerRecord, ownerAlive, parseMarker, processStartTicks } from '../../src/linux/vip/markers.js';
import { laterBursts } from '../../src/linux/vip/schedule.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const SELF = { pid: 4242, startTicks: 1000 };
const OTHER = { pid: 7, startTicks: 55 };

describe('marker records', () => {
  it('are fixed width, so a takeover rewrites them in place', () => {
    for (const state of ['standby', 'adding', 4294967295] as const) {
      const record = markerRecord({ pid: 4194304, startTicks: 9999999999999 }, state);
      expect(record.length).toBe(MARKER_WIDTH);
      expect(text(record).endsWith('\n')).toBe(true);
    }
  });

  it('parse back to their owner (pid and start time) and state', () => {
    expect(parseMarker(text(markerRecord(SELF, 'adding')))).toEqual({ owner: SELF, state: 'adding' });
    expect(parseMarker(text(markerRecord(SELF, 'standby')))).toEqual({ owner: SELF, state: 'standby' });
    expect(parseMarker(text(markerRecord(SELF, 987)))).toEqual({ owner: SELF, state: 987 });
  });

  it("read an older version's record, which has the pid alone", () => {
    expect(parseMarker('4242 1234\n')).toEqual({ owner: { pid: 4242 }, state: 1234 });
  });

  it('refuse what is not a marker', () => {
    for (const bad of ['', 'hello', '12', '12 maybe', '-3 adding', '0 adding', '12 adding extra', 'x adding', '12: adding', '12:x adding', ':5 adding']) {
      expect(parseMarker(bad), bad).toBeUndefined();
    }
  });
});

describe('marker file names', () => {
  it('are one per process and address, and an IPv6 address has no colon', () => {
    expect(markerFileName('10.0.0.1', 42)).toBe('10.0.0.1@42');
    expect(markerFileName('fd00::1', 42)).toBe('fd00__1@42');
  });

  it("name their address whatever the process, and an older version's plain name too", () => {
    for (const name of ['10.0.0.1@42', '10.0.0.1@7', '10.0.0.1']) expect(isMarkerOf(name, '10.0.0.1'), name).toBe(true);
    for (const name of ['10.0.0.10@42', '10.0.0.1@', '10.0.0.1@x', '10.0.0.1x', '10.0.0.10']) expect(isMarkerOf(name, '10.0.0.1'), name).toBe(false);
  });
});

describe("a marker's owner", () => {
  it("has the start time of a /proc/<pid>/stat line, whose command may hold spaces and parentheses", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)); // field 3 onwards
    fields[19] = '123456'; // field 22
    expect(processStartTicks(`77 (a) b (c)) ${fields.join(' ')}`)).toBe(123456);
    expect(processStartTicks('garbage')).toBeUndefined();
    expect(processStartTicks('1 (x) S 0')).toBeUndefined();
  });

  it('is alive when its pid is and the process with that pid started when the marker says', () => {
    expect(ownerAlive(OTHER, { pidAlive: true, startTicksNow: 55 })).toBe(true);
  });

  it('is dead when its pid now names a process that started at another time (a recycled pid)', () => {
    expect(ownerAlive(OTHER, { pidAlive: true, startTicksNow: 56 })).toBe(false);
  });

  it('is dead when its pid is', () => {
    expect(ownerAlive(OTHER, { pidAlive: false, startTicksNow: undefined })).toBe(false);
  });

  it("is alive by its pid alone when the marker (an older version's) or /proc cannot tell the start time", () => {
    expect(ownerAlive({ pid: 7 }, { pidAlive: true, startTicksNow: 56 })).toBe(true);
    expect(ownerAlive(OTHER, { pidAlive: true, startTicksNow: undefined })).toBe(true);
  });
});

describe('judging a marker at start', () => {
  const facts = { self: SELF, ownerAlive: false, presentStamp: 500 };

  it('keeps what a live process holds, whatever it says', () => {
    expect(judgeLeftover({ owner: OTHER, state: 'adding' }, { ...facts, ownerAlive: true })).toBe('keep');
    expect(judgeLeftover({ owner: OTHER, state: 500 }, { ...facts, ownerAlive: true })).toBe('keep');
  });

  it('removes the very address a dead run added (stamps match)', () => {
    expect(judgeLeftover({ owner: OTHER, state: 500 }, facts)).toBe('remove');
  });

  it('never removes an address configured since (stamps differ): forgets the marker', () => {
    expect(judgeLeftover({ owner: OTHER, state: 499 }, facts)).toBe('forget');
  });

  it('removes an address a dead run was adding (no stamp written yet)', () => {
    expect(judgeLeftover({ owner: OTHER, state: 'adding' }, facts)).toBe('remove');
  });

  it('leaves an address alone when the marker says standby', () => {
    expect(judgeLeftover({ owner: OTHER, state: 'standby' }, facts)).toBe('forget');
  });

  it('forgets a marker whose address is gone', () => {
    expect(judgeLeftover({ owner: OTHER, state: 'adding' }, { ...facts, presentStamp: undefined })).toBe('forget');
  });

  it('treats a marker of this very process as a leftover (a dead engine thread), even though it is alive', () => {
    expect(judgeLeftover({ owner: SELF, state: 500 }, { ...facts, ownerAlive: true })).toBe('remove');
    expect(judgeLeftover({ owner: { pid: SELF.pid }, state: 500 }, { ...facts, ownerAlive: true })).toBe('remove');
  });

  it('forgets a file that is not a marker', () => {
    expect(judgeLeftover(undefined, facts)).toBe('forget');
  });
});

describe("keepalived's announcement schedule", () => {
  it('defaults: one second burst 5 s later, no refresh', () => {
    expect(laterBursts({ repeat: 5, delayMs: 5000, refreshMs: 0 })).toEqual([{ delayMs: 5000, repeating: false }]);
  });

  it('refresh repeats at its period', () => {
    expect(laterBursts({ repeat: 5, delayMs: 0, refreshMs: 60_000 })).toEqual([{ delayMs: 60_000, repeating: true }]);
  });

  it('repeat 0 means no announcements at all', () => {
    expect(laterBursts({ repeat: 0, delayMs: 5000, refreshMs: 1000 })).toEqual([]);
  });
});
