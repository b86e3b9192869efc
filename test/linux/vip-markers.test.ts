/**
 * The VIP manager's pure parts, without root: the crash-cleanup marker format and its judgement (which leftover a
 * starting run removes, and which it must never touch), and keepalived's announcement schedule.
 */
import { describe, expect, it } from 'vitest';
import { judgeLeftover, MARKER_WIDTH, markerRecord, parseMarker } from '../../src/linux/vip/markers.js';
import { laterBursts } from '../../src/linux/vip/schedule.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const SELF = 4242;

describe('marker records', () => {
  it('are fixed width, so a takeover rewrites them in place', () => {
    for (const state of ['standby', 'adding', 123456789] as const) {
      const record = markerRecord(SELF, state);
      expect(record.length).toBe(MARKER_WIDTH);
      expect(text(record).endsWith('\n')).toBe(true);
    }
  });

  it('parse back to their owner and state', () => {
    expect(parseMarker(text(markerRecord(SELF, 'adding')))).toEqual({ owner: SELF, state: 'adding' });
    expect(parseMarker(text(markerRecord(SELF, 'standby')))).toEqual({ owner: SELF, state: 'standby' });
    expect(parseMarker(text(markerRecord(SELF, 987)))).toEqual({ owner: SELF, state: 987 });
  });

  it('refuse what is not a marker', () => {
    for (const bad of ['', 'hello', '12', '12 maybe', '-3 adding', '12 adding extra', 'x adding']) expect(parseMarker(bad), bad).toBeUndefined();
  });
});

describe('judging a marker at start', () => {
  const facts = { selfPid: SELF, ownerAlive: false, presentStamp: 500 };

  it('keeps what a live process holds, whatever it says', () => {
    expect(judgeLeftover({ owner: 7, state: 'adding' }, { ...facts, ownerAlive: true })).toBe('keep');
    expect(judgeLeftover({ owner: 7, state: 500 }, { ...facts, ownerAlive: true })).toBe('keep');
  });

  it('removes the very address a dead run added (stamps match)', () => {
    expect(judgeLeftover({ owner: 7, state: 500 }, facts)).toBe('remove');
  });

  it('never removes an address configured since (stamps differ): forgets the marker', () => {
    expect(judgeLeftover({ owner: 7, state: 499 }, facts)).toBe('forget');
  });

  it('removes an address a dead run was adding (no stamp written yet)', () => {
    expect(judgeLeftover({ owner: 7, state: 'adding' }, facts)).toBe('remove');
  });

  it('leaves an address alone when the marker says standby', () => {
    expect(judgeLeftover({ owner: 7, state: 'standby' }, facts)).toBe('forget');
  });

  it('forgets a marker whose address is gone', () => {
    expect(judgeLeftover({ owner: 7, state: 'adding' }, { ...facts, presentStamp: undefined })).toBe('forget');
  });

  it('treats a marker of this very process as a leftover (a dead engine thread), even though it is alive', () => {
    expect(judgeLeftover({ owner: SELF, state: 500 }, { ...facts, ownerAlive: true })).toBe('remove');
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
