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

/**
 * Each flag `vrrp run` sets, and the options on node's own command line that choose the same thing: given one, the
 * operator's choice stands and the flag is not set.
 */
const RUN_FLAGS: readonly { flag: string; chosenBy: RegExp }[] = [
  // The interpreter only: no Sparkplug, no TurboFan.
  { flag: '--max-opt=0', chosenBy: /^--(?:no-)?(?:opt|turbofan|maglev|sparkplug|jitless)$|^--max-opt(?:=|$)/ },
  // Bytecode a function runs, in multiples of its own size, before V8 gives it a feedback vector (V8's default: 8).
  {
    flag: '--interrupt-budget-factor-for-feedback-allocation=1000',
    chosenBy: /^--(?:no-)?lazy-feedback-allocation$|^--interrupt-budget(?:-factor)?-for-feedback-allocation(?:=|$)/,
  },
];

/** The V8 flags `vrrp run` sets for its process, before any of its modules load. */
export const RUN_V8_FLAGS = RUN_FLAGS.map(({ flag }) => flag).join(' ');

/**
 * The V8 flags to set for `vrrp` called with `args` (its arguments after the script) by a node started with
 * `execArgv`, or undefined for none: only `run` sets any, and none that node was given an option of its own for.
 */
export function v8FlagsFor(args: readonly string[], execArgv: readonly string[]): string | undefined {
  if (args[0] !== 'run') return undefined;
  // V8 takes `--no_opt` as `--no-opt`.
  const given = execArgv.map((option) => option.replaceAll('_', '-'));
  const flags = RUN_FLAGS.filter(({ chosenBy }) => !given.some((option) => chosenBy.test(option))).map(({ flag }) => flag);
  return flags.length === 0 ? undefined : flags.join(' ');
}
