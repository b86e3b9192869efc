/**
 * Packet fuzzing at scale: a million seeded random and mutated VRRP packets through the codec and through running
 * state machines in every state (the engine and its invariants: test/fuzz/fuzzer.ts).
 *
 *   npm run fuzz [-- [--seed N] [--count 1000000]]
 *
 * Prints the seed, the count, the time, where every packet ended (accepted, or the one drop counter that counted
 * it), the codec's verdicts and how many packets each scenario's router took in each state. A broken invariant
 * stops the run with the failing case, its bytes and the command that replays it; the exit code is then 1.
 * `npm test` runs a CI-sized share of the same engine (test/fuzz/packets.test.ts).
 */
import { FuzzFailure, formatReport, runFuzz } from '../test/fuzz/fuzzer.js';

const DEFAULT_COUNT = 1_000_000;

interface Options {
  seed: number;
  count: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { seed: (Date.now() ^ Math.floor(Math.random() * 0x1_0000_0000)) >>> 0, count: DEFAULT_COUNT };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--seed': {
        options.seed = Number(value());
        // Negative seeds come from the vitest run (FC_SEED is a signed 32-bit integer); mulberry32 takes both.
        if (!Number.isSafeInteger(options.seed)) usage('--seed: a whole number');
        break;
      }
      case '--count': {
        options.count = Number(value().replaceAll('_', ''));
        if (!Number.isSafeInteger(options.count) || options.count < 1) usage('--count: a whole number ≥ 1');
        break;
      }
      case '--help':
      case '-h':
        usage();
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  return options;
}

function usage(problem?: string): never {
  const text =
    'usage: npm run fuzz [-- [--seed N] [--count 1000000]]\n' +
    '  --seed N    seed of the run (default: random, printed); the same seed draws the same packets\n' +
    '  --count N   packets to generate (default 1000000)\n';
  process.stderr.write(problem === undefined ? text : `${problem}\n${text}`);
  process.exit(problem === undefined ? 0 : 2);
}

const options = parseArgs(process.argv.slice(2));
// Printed before the run, so a run that dies (out of memory, killed) can still be replayed.
console.log(`vrrp fuzz: seed ${options.seed}, ${options.count} packets`);
try {
  console.log(formatReport(runFuzz(options)));
} catch (error) {
  if (!(error instanceof FuzzFailure)) throw error;
  console.error(`FAILED ${error.message}`);
  process.exitCode = 1;
}
