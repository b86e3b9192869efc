/**
 * Which V8 flags a `vrrp` command line sets (src/jit-tiers.ts): for `run` the interpreter only and feedback after
 * about 1,000 calls, and an operator's own option on node's command line for either stands. That the tier flag
 * reaches V8 in a real `vrrp run` is shown in test/interop/jit-tiers.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RUN_V8_FLAGS, v8FlagsFor } from '../../src/jit-tiers.js';

describe('v8FlagsFor', () => {
  const RUN = '--max-opt=0 --interrupt-budget-factor-for-feedback-allocation=1000';

  it('keeps run to the interpreter, with feedback after about 1,000 calls', () => {
    expect(v8FlagsFor(['run', 'vrrp.json'], [])).toBe(RUN);
    expect(RUN_V8_FLAGS).toBe(RUN);
  });

  it('sets only flags this node’s V8 knows (an unknown one is ignored with a line on stderr)', () => {
    const result = spawnSync(process.execPath, ['-e', `require('node:v8').setFlagsFromString(${JSON.stringify(RUN_V8_FLAGS)})`], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('sets nothing for the short commands', () => {
    for (const command of ['status', 'doctor', 'import-keepalived', '--help']) expect(v8FlagsFor([command], []), command).toBeUndefined();
    expect(v8FlagsFor([], [])).toBeUndefined();
  });

  it('leaves the tiers to an operator who chose them on node’s command line', () => {
    for (const option of ['--turbofan', '--opt', '--no-opt', '--no_opt', '--max-opt=3', '--max-opt', '--maglev', '--no-sparkplug', '--jitless']) {
      expect(v8FlagsFor(['run', 'vrrp.json'], ['--enable-source-maps', option]), option).toBe('--interrupt-budget-factor-for-feedback-allocation=1000');
    }
  });

  it('leaves the feedback’s allocation to an operator who chose it on node’s command line', () => {
    for (const option of ['--no-lazy-feedback-allocation', '--lazy_feedback_allocation', '--interrupt-budget-factor-for-feedback-allocation=8', '--interrupt-budget-for-feedback-allocation=100']) {
      expect(v8FlagsFor(['run', 'vrrp.json'], [option]), option).toBe('--max-opt=0');
    }
    expect(v8FlagsFor(['run', 'vrrp.json'], ['--jitless', '--no-lazy-feedback-allocation'])).toBeUndefined();
  });

  it('is not put off by node options that only name a tier', () => {
    for (const option of ['--trace-opt', '--trace-deopt', '--optimize-for-size', '--max-old-space-size=64']) {
      expect(v8FlagsFor(['run', 'vrrp.json'], [option]), option).toBe(RUN);
    }
  });
});
