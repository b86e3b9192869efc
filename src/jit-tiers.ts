/**
 * Which of V8's compilers a `vrrp` command lets its process use. `vrrp run` runs its JavaScript in V8's interpreter
 * only (no Sparkplug baseline code, no TurboFan): it does little per advert (the addon sends routine adverts and
 * runs takeovers), and what the compilers made of it was mostly start-up code that the start of a few dozen
 * instances had made hot, while their code, its metadata and the optimizing compiler's own pages of the node
 * executable and zones cost megabytes (docs/linux.md, "Memory per instance", has the figures).
 */

/** The V8 flags `vrrp run` sets for its process, before any of its modules load. */
export const RUN_V8_FLAGS = '--max-opt=0';

/** An option on node's own command line that chooses V8's tiers: the operator's choice stands. */
const TIER_OPTION = /^--(?:no-)?(?:opt|turbofan|maglev|sparkplug|jitless)$|^--max-opt(?:=|$)/;

/**
 * The V8 flags to set for `vrrp` called with `args` (its arguments after the script) by a node started with
 * `execArgv`, or undefined for none: only `run` sets any, and not when node was given a tier option of its own.
 */
export function v8FlagsFor(args: readonly string[], execArgv: readonly string[]): string | undefined {
  if (args[0] !== 'run') return undefined;
  // V8 takes `--no_opt` as `--no-opt`.
  if (execArgv.some((option) => TIER_OPTION.test(option.replaceAll('_', '-')))) return undefined;
  return RUN_V8_FLAGS;
}
