/**
 * The engine thread publishes each instance's counters into a shared Float64Array with a field-by-field writer (a
 * loop over the key names was a megamorphic lookup per key, after every step). The main thread reads that array in
 * ENGINE_STATS_KEYS order, so the writer must put every counter at its key's index.
 */
import { describe, expect, it } from 'vitest';
import { createStats } from '../../src/core/stats.js';
import { ENGINE_STATS_KEYS, writeCounters, type EngineStats } from '../../src/engine/engine.js';

describe('writeCounters', () => {
  it('puts every counter at the index of its name in ENGINE_STATS_KEYS', () => {
    // A distinct value per counter, so a swapped pair or a missed field shows as a wrong or zero slot.
    const values = Object.fromEntries(ENGINE_STATS_KEYS.map((key, i) => [key, 1000 + i])) as unknown as EngineStats;
    const statsView = { ...createStats() };
    for (const key of Object.keys(statsView) as (keyof typeof statsView)[]) statsView[key] = values[key];
    const sink = new Float64Array(ENGINE_STATS_KEYS.length + 1).fill(-1);
    writeCounters(sink, { statsView }, values);
    const written = Object.fromEntries(ENGINE_STATS_KEYS.map((key, i) => [key, sink[i]]));
    expect(written).toEqual(Object.fromEntries(ENGINE_STATS_KEYS.map((key) => [key, values[key]])));
    expect(sink[ENGINE_STATS_KEYS.length]).toBe(-1); // nothing past the counters
  });
});
