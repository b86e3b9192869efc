/**
 * Which of V8's compilers a `vrrp` command lets its process use, and when V8 gives a function its feedback. `vrrp
 * run` runs its JavaScript in V8's interpreter only (no Sparkplug baseline code, no TurboFan): it does little per
 * advert (the addon sends routine adverts and runs takeovers), and what the compilers made of it was mostly start-up
 * code that the start of a few dozen instances had made hot, while their code, its metadata and the optimizing
 * compiler's own pages of the node executable and zones cost megabytes. And it gives a function its feedback vector
 * (the interpreter's inline caches) after about 1,000 calls instead of V8's 8: code that runs once per instance at
 * start, run by a few dozen instances, had V8 keep a vector and its handlers for every such function, about 0.2 MB
 * that one instance never had (docs/linux.md, "Memory per instance", has the figures).
 */

/** The interpreter only: no Sparkplug, no TurboFan. */
const TIER_FLAG = '--max-opt=0';
/** Bytecode a function runs, in multiples of its own size, before V8 gives it a feedback vector (V8's default: 8). */
const FEEDBACK_FLAG = '--interrupt-budget-factor-for-feedback-allocation=1000';

/** The V8 flags `vrrp run` sets for its process, before any of its modules load. */
export const RUN_V8_FLAGS = `${TIER_FLAG} ${FEEDBACK_FLAG}`;

/** An option on node's own command line that chooses V8's tiers: the operator's choice stands. */
const TIER_OPTION = /^--(?:no-)?(?:opt|turbofan|maglev|sparkplug|jitless)$|^--max-opt(?:=|$)/;
/** An option on node's own command line that chooses when feedback is allocated: the operator's choice stands. */
const FEEDBACK_OPTION = /^--(?:no-)?lazy-feedback-allocation$|^--interrupt-budget(?:-factor)?-for-feedback-allocation(?:=|$)/;

/**
 * The V8 flags to set for `vrrp` called with `args` (its arguments after the script) by a node started with
 * `execArgv`, or undefined for none: only `run` sets any, and neither the tiers nor the feedback's allocation when
 * node was given an option of its own for it.
 */
export function v8FlagsFor(args: readonly string[], execArgv: readonly string[]): string | undefined {
  if (args[0] !== 'run') return undefined;
  // V8 takes `--no_opt` as `--no-opt`.
  const given = execArgv.map((option) => option.replaceAll('_', '-'));
  const flags = [
    ...(given.some((option) => TIER_OPTION.test(option)) ? [] : [TIER_FLAG]),
    ...(given.some((option) => FEEDBACK_OPTION.test(option)) ? [] : [FEEDBACK_FLAG]),
  ];
  return flags.length === 0 ? undefined : flags.join(' ');
}
