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
