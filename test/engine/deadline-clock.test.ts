/**
 * The engine thread's one timer: every instance's timers in one deadline heap over a single wake-up. Shown on a
 * fake wake-up source whose time the test moves, so each rule is checked exactly: due-time order, ties in setting
 * order, never early, one arming for many timers, cancel, and the thread held alive only while timers are pending.
 */
import { describe, expect, it } from 'vitest';
import { DeadlineClock, type WakeUpSource } from '../../src/engine/deadline-clock.js';
import { LONG_SLEEP_LEAD_MS, PRECISE_LEAD_MS, preciseLeadMs } from '../../src/linux/clock.js';

/** A wake-up source in virtual time: `advanceTo` wakes the clock once if the armed time has come. */
class FakeSource implements WakeUpSource {
  nowMs = 0;
  armedMs: number | undefined;
  arms = 0;
  referenced = false;
  constructor(readonly onWake: () => void) {}
  now(): number {
    return this.nowMs;
  }
  arm(dueMs: number): void {
    this.arms++;
    this.armedMs = dueMs;
  }
  disarm(): void {
    this.armedMs = undefined;
  }
  ref(ref: boolean): void {
    this.referenced = ref;
  }
  advanceTo(ms: number): void {
    this.nowMs = ms;
    if (this.armedMs !== undefined && this.armedMs <= ms) {
      this.armedMs = undefined;
      this.onWake();
    }
  }
}

function setUp(): { clock: DeadlineClock; source: FakeSource; fired: string[]; errors: unknown[] } {
  let source: FakeSource | undefined;
  const errors: unknown[] = [];
  const clock = new DeadlineClock((onWake) => (source = new FakeSource(onWake)), (error) => errors.push(error));
  return { clock, source: source as unknown as FakeSource, fired: [], errors };
}

describe('DeadlineClock', () => {
  it('fires timers in due-time order, ties in the order they were set', () => {
    const { clock, source, fired } = setUp();
    clock.setTimer(30, () => fired.push('c'));
    clock.setTimer(10, () => fired.push('a'));
    clock.setTimer(10, () => fired.push('b'));
    source.advanceTo(100);
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  it('never fires a timer before its due time', () => {
    const { clock, source, fired } = setUp();
    clock.setTimer(10, () => fired.push('a'));
    clock.setTimer(20, () => fired.push('b'));
    source.advanceTo(15);
    expect(fired).toEqual(['a']);
    expect(source.armedMs).toBe(20);
    source.advanceTo(20);
    expect(fired).toEqual(['a', 'b']);
  });

  it('arms the wake-up only when a new timer is due before the armed one', () => {
    const { clock, source } = setUp();
    clock.setTimer(100, () => {});
    for (let i = 0; i < 200; i++) clock.setTimer(200 + i, () => {});
    expect(source.arms).toBe(1);
    clock.setTimer(50, () => {});
    expect(source.arms).toBe(2);
    expect(source.armedMs).toBe(50);
  });

  it('a cancelled timer never fires, and the one after it still does', () => {
    const { clock, source, fired } = setUp();
    const cancel = clock.setTimer(10, () => fired.push('cancelled'));
    clock.setTimer(20, () => fired.push('kept'));
    cancel();
    cancel(); // idempotent
    source.advanceTo(10);
    expect(fired).toEqual([]);
    expect(source.armedMs).toBe(20);
    source.advanceTo(20);
    expect(fired).toEqual(['kept']);
  });

  it('a timer set from a callback at zero delay fires in the same wake-up, after those already due', () => {
    const { clock, source, fired } = setUp();
    clock.setTimer(10, () => {
      fired.push('a');
      clock.setTimer(0, () => fired.push('c'));
    });
    clock.setTimer(10, () => fired.push('b'));
    source.advanceTo(10);
    expect(fired).toEqual(['a', 'b', 'c']);
  });

  it('a throwing callback is reported and does not stop the others due with it', () => {
    const { clock, source, fired, errors } = setUp();
    clock.setTimer(10, () => {
      throw new Error('boom');
    });
    clock.setTimer(10, () => fired.push('after'));
    source.advanceTo(10);
    expect(fired).toEqual(['after']);
    expect(errors).toHaveLength(1);
  });

  it('holds the thread alive only while a timer is pending', () => {
    const { clock, source } = setUp();
    expect(source.referenced).toBe(false);
    const cancel = clock.setTimer(10, () => {});
    expect(source.referenced).toBe(true);
    cancel();
    expect(source.referenced).toBe(false);
    clock.setTimer(10, () => {});
    source.advanceTo(10);
    expect(source.referenced).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('many instances re-arming their timers cost one wake-up per distinct due time', () => {
    const { clock, source, fired } = setUp();
    // 255 backups, each re-armed by 10 adverts: every re-arm cancels the previous timer.
    const cancels: (() => void)[] = [];
    for (let round = 0; round < 10; round++) {
      for (let vrid = 1; vrid <= 255; vrid++) {
        cancels[vrid]?.();
        cancels[vrid] = clock.setTimer(1000 + round, () => fired.push(`vrid ${vrid}`));
      }
    }
    let wakeUps = 0;
    while (source.armedMs !== undefined) {
      wakeUps++;
      source.advanceTo(source.armedMs);
    }
    expect(fired).toHaveLength(255);
    expect(wakeUps).toBeLessThanOrEqual(10);
  });

  it('a cancel called late, after its timer fired and another took its place, cancels nothing', () => {
    const { clock, source, fired } = setUp();
    const cancelFirst = clock.setTimer(10, () => fired.push('first'));
    source.advanceTo(10);
    // The first timer's entry is free again: the next timer may be given it.
    const cancelSecond = clock.setTimer(10, () => fired.push('second'));
    cancelFirst();
    cancelFirst();
    source.advanceTo(20);
    expect(fired).toEqual(['first', 'second']);
    cancelSecond();
    expect(clock.pending).toBe(0);
  });

  it('a cancel called late, after its cancelled timer left the heap and another took its place, cancels nothing', async () => {
    const { clock, source, fired } = setUp();
    const cancelFirst = clock.setTimer(10, () => fired.push('first'));
    clock.setTimer(5, () => fired.push('early'));
    cancelFirst();
    source.advanceTo(20); // 'early' fires; the cancelled entry leaves the heap on the way
    clock.setTimer(10, () => fired.push('second'));
    cancelFirst();
    source.advanceTo(40);
    expect(fired).toEqual(['early', 'second']);
  });

  it('re-arms the source once per wake-up, however many timers its callbacks set', () => {
    const { clock, source, fired } = setUp();
    // 255 masters due together, each setting its next Adver_Timer from its callback (the same instant for all).
    for (let vrid = 1; vrid <= 255; vrid++) {
      clock.setTimer(100, () => {
        fired.push(`vrid ${vrid}`);
        clock.setTimer(100, () => {});
      });
    }
    const armsBefore = source.arms;
    source.advanceTo(100);
    expect(fired).toHaveLength(255);
    expect(source.arms - armsBefore).toBe(1);
    expect(source.armedMs).toBe(200);
  });
});

describe('DeadlineClock woken by a source whose clock runs a little ahead', () => {
  // Given a wake-up source that fires when its own clock reaches the armed time, while the clock the timers read
  // is a few microseconds behind it (two readings of one clock through two paths)
  // when it wakes the DeadlineClock for the earliest timer
  // then that timer fires in this wake-up — the source's word is trusted — and the source is not re-armed for a
  // time already past (which made it fire again at once, in a loop).
  it('fires the armed timer on the wake-up it asked for, without re-arming for the past', () => {
    const { clock, source, fired } = setUp();
    clock.setTimer(10, () => fired.push('a'));
    clock.setTimer(20, () => fired.push('b'));
    source.nowMs = 9.997; // our reading: 3 µs short of the due time the source woke us for
    source.onWake();
    expect(fired).toEqual(['a']);
    expect(source.armedMs).toBe(20);
    expect(source.arms).toBe(2);
  });
});

describe('DeadlineClock re-arming after the earliest timer is cancelled', () => {
  // Given the source armed for the earliest of several timers
  // when that timer is cancelled (a backup's Master_Down_Timer, moved by an advert)
  // then by the end of the turn the source is armed for the next live timer — it does not wake for nothing — and
  // several cancellations in one turn cost one re-arm.
  it('re-arms once per turn for the next live timer', async () => {
    const { clock, source } = setUp();
    const cancels = [10, 20, 30].map((ms) => clock.setTimer(ms, () => {}));
    expect(source.armedMs).toBe(10);
    const armsBefore = source.arms;
    cancels[0]?.();
    cancels[1]?.();
    await Promise.resolve();
    expect(source.armedMs).toBe(30);
    expect(source.arms - armsBefore).toBe(1);
  });

  it('disarms when the last live timer is cancelled', async () => {
    const { clock, source } = setUp();
    const cancel = clock.setTimer(10, () => {});
    cancel();
    await Promise.resolve();
    expect(source.armedMs).toBeUndefined();
  });
});

describe('DeadlineClock with an early wake for precise timers', () => {
  function setUpLead(leadMs: number | ((delayMs: number) => number)): { clock: DeadlineClock; source: FakeSource; fired: string[] } {
    let source: FakeSource | undefined;
    const clock = new DeadlineClock((onWake) => (source = new FakeSource(onWake)), () => {}, { preciseLeadMs: leadMs });
    return { clock, source: source as unknown as FakeSource, fired: [] };
  }

  // Given a precise timer (a backup's Master_Down_Timer) due at 100 ms and a 1 ms lead
  // then the source is armed at 99 ms; that wake fires nothing and re-arms at 100 ms, where the timer fires.
  it('wakes once a lead before a precise timer, and fires it at its due time, not before', () => {
    const { clock, source, fired } = setUpLead(1);
    clock.setTimer(100, () => fired.push('takeover'), { precise: true });
    expect(source.armedMs).toBe(99);
    source.advanceTo(99);
    expect(fired).toEqual([]);
    expect(source.armedMs).toBe(100);
    source.advanceTo(100);
    expect(fired).toEqual(['takeover']);
  });

  // Given the Linux thread's lead (src/linux/clock.ts, preciseLeadMs)
  // then a clean stop's 609 ms Skew_Time at 1 s adverts wakes the thread 3 ms early, and a fresh backup's 3.6 s
  // Master_Down_Timer at 1 s adverts 8 ms early: the early wake's JavaScript after seconds asleep ran past 3 ms.
  it('wakes the Linux thread 3 ms before a precise timer under a second, 8 ms before a longer one', () => {
    const { clock, source: s, fired } = setUpLead(preciseLeadMs);
    clock.setTimer(609, () => fired.push('skew'), { precise: true });
    expect(s.armedMs).toBe(609 - PRECISE_LEAD_MS);
    s.advanceTo(606);
    expect(fired).toEqual([]);
    s.advanceTo(609);
    expect(fired).toEqual(['skew']);
    clock.setTimer(3600, () => fired.push('master down'), { precise: true });
    expect(s.armedMs).toBe(609 + 3600 - LONG_SLEEP_LEAD_MS);
    expect([PRECISE_LEAD_MS, LONG_SLEEP_LEAD_MS]).toEqual([3, 8]);
  });

  it('arms an ordinary timer at its due time', () => {
    const { clock, source } = setUpLead(1);
    clock.setTimer(100, () => {});
    expect(source.armedMs).toBe(100);
  });
});

describe('DeadlineClock polling the last stretch of a precise timer', () => {
  /** A source that can poll: `polledMs` is the due time it polls for. */
  class PollingSource extends FakeSource {
    polledMs: number | undefined;
    poll(dueMs: number): void {
      this.armedMs = undefined;
      this.polledMs = dueMs;
    }
    override arm(dueMs: number): void {
      this.polledMs = undefined;
      super.arm(dueMs);
    }
    override advanceTo(ms: number): void {
      if (this.polledMs !== undefined && this.polledMs <= ms) {
        this.nowMs = ms;
        this.polledMs = undefined;
        this.onWake();
        return;
      }
      super.advanceTo(ms);
    }
  }

  // Given a precise timer due at 100 ms, a 1 ms lead and a source that can poll
  // then it wakes at 99 ms, polls the last millisecond, and fires at 100 ms; an ordinary timer is never polled.
  it('wakes a lead early, then polls to the due time', () => {
    let source: PollingSource | undefined;
    const clock = new DeadlineClock((onWake) => (source = new PollingSource(onWake)), () => {}, { preciseLeadMs: 1 });
    const fired: string[] = [];
    clock.setTimer(100, () => fired.push('takeover'), { precise: true });
    clock.setTimer(200, () => fired.push('advert'));
    const s = source as PollingSource;
    expect(s.armedMs).toBe(99);
    s.advanceTo(99);
    expect(s.polledMs).toBe(100);
    expect(fired).toEqual([]);
    s.advanceTo(100);
    expect(fired).toEqual(['takeover']);
    expect(s.armedMs).toBe(200);
    expect(s.polledMs).toBeUndefined();
  });

  // Given the poll of a precise timer, when that timer is cancelled (an advert came in time), then the poll stops
  // and the source is armed for the next timer.
  it('stops polling when the precise timer is cancelled', async () => {
    let source: PollingSource | undefined;
    const clock = new DeadlineClock((onWake) => (source = new PollingSource(onWake)), () => {}, { preciseLeadMs: 1 });
    const cancel = clock.setTimer(100, () => {}, { precise: true });
    clock.setTimer(200, () => {});
    const s = source as PollingSource;
    s.advanceTo(99);
    expect(s.polledMs).toBe(100);
    cancel();
    await Promise.resolve();
    expect(s.polledMs).toBeUndefined();
    expect(s.armedMs).toBe(200);
  });
});
