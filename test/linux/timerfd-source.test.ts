/**
 * The Linux thread clock's wake-up source (src/linux/clock.ts) around a fake addon: the polled last stretch of a
 * precise timer handles the thread's own wait in C (waitDrain) before it wakes the clock, and does not wake it when
 * what ran in that drain armed the source again.
 */
import { describe, expect, it } from 'vitest';
import { timerfdWakeUpSource, type TimerAddon } from '../../src/linux/clock.js';

/** A fake addon that records its calls; `onDrain` runs inside waitDrain, as a socket's JavaScript would. */
function fakeAddon(onDrain: () => void = () => {}): { native: TimerAddon; calls: string[] } {
  const calls: string[] = [];
  const native: TimerAddon = {
    timerOpen: () => ({}),
    timerArm: () => calls.push('timerArm'),
    timerDisarm: () => calls.push('timerDisarm'),
    timerClose: () => calls.push('timerClose'),
    timerRef: () => {},
    monotonicMs: () => performance.now() + 1000,
    waitDrain: () => {
      calls.push('waitDrain');
      onDrain();
    },
  };
  return { native, calls };
}

/** Resolves after the turn's check phase (where the source's poll ticks) has run twice. */
const twoTurns = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

describe('timerfdWakeUpSource polling the last stretch', () => {
  it('drains the thread wait in C before it wakes the clock at the polled due time', async () => {
    const { native, calls } = fakeAddon();
    const source = timerfdWakeUpSource(() => calls.push('onWake'), native);
    calls.length = 0;
    source.poll?.(performance.now() - 1);
    await twoTurns();
    expect(calls).toEqual(['timerDisarm', 'waitDrain', 'onWake']);
  });

  it('does not wake the clock when what ran in the drain armed the source again', async () => {
    let rearm: () => void = () => {};
    const { native, calls } = fakeAddon(() => rearm());
    const source = timerfdWakeUpSource(() => calls.push('onWake'), native);
    rearm = () => source.arm(performance.now() + 60_000);
    calls.length = 0;
    source.poll?.(performance.now() - 1);
    await twoTurns();
    expect(calls).toEqual(['timerDisarm', 'waitDrain', 'timerArm']);
  });

  it('neither drains nor wakes before the polled due time', async () => {
    const { native, calls } = fakeAddon();
    const source = timerfdWakeUpSource(() => calls.push('onWake'), native);
    calls.length = 0;
    source.poll?.(performance.now() + 60_000);
    await twoTurns();
    source.close?.();
    expect(calls).toEqual(['timerDisarm', 'timerClose']);
  });
});
