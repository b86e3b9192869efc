import { assert as fcAssert } from 'fast-check';
/**
 * Seeds for property tests: taken from FC_SEED when set (to replay a failure), otherwise fresh, and always
 * printed with the label of the property file so that any run can be replayed.
 */
export function propertySeed(label: string): number {
  const fromEnvironment = process.env.FC_SEED;
  let seed: number;
  if (fromEnvironment === undefined || fromEnvironment === '') {
    seed = (Date.now() ^ Math.floor(Math.random() * 0x1_0000_0000)) | 0;
  } else {
    const parsed = Number(fromEnvironment);
    if (!Number.isSafeInteger(parsed)) throw new Error(`FC_SEED must be an integer, got ${fromEnvironment}`);
    seed = parsed | 0;
  }
  console.log(`[${label}] fast-check seed ${seed} (replay with FC_SEED=${seed})`);
  return seed;
}

/**
 * A checker bound to one seed: runs a synchronous property `numRuns` times and, on failure, names the seed to
 * replay it with (fast-check's own report follows).
 */
export function seededCheck(seed: number): <T>(property: import('fast-check').IProperty<T>, numRuns: number) => void {
  return (property, numRuns) => {
    try {
      fcAssert(property, { numRuns, seed });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`property failed; replay with FC_SEED=${seed}\n${message}`, { cause: error });
    }
  };
}
