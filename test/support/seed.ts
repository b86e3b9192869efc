/**
 * Seeds for property tests: taken from FC_SEED when set (to replay a failure), otherwise fresh, and always
 * printed so that any run can be replayed.
 */
export function propertySeed(label: string): number {
  const fromEnv = process.env.FC_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : (Date.now() ^ (process.pid << 16)) >>> 0;
  console.log(`[${label}] fast-check seed ${seed} (replay with FC_SEED=${seed})`);
  return seed;
}
