/**
 * A test file that cannot run on this machine says so: on stderr when run by hand, and as a failing test under
 * CI=true, where a skip is a failure.
 */
import { describe, it } from 'vitest';

/** Call at a test file's top level with why it cannot run here (undefined: it runs, nothing is said). */
export function skipLoudly(testFile: string, suite: string, reason: string | undefined): void {
  if (reason === undefined) return;
  if (process.env.CI === 'true') {
    describe(suite, () => {
      it('runs under CI (CI=true forbids skipping it)', () => {
        throw new Error(`${suite} cannot run: ${reason}`);
      });
    });
  } else {
    process.stderr.write(`SKIPPED ${testFile}: ${reason}\n`);
  }
}
