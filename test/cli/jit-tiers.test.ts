/**
 * Which V8 flags a `vrrp` command line sets (src/jit-tiers.ts): the interpreter only for `run`, and an operator's own
 * tier option on node's command line stands. That the flag reaches V8 in a real `vrrp run` is shown in
 * test/interop/jit-tiers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { RUN_V8_FLAGS, v8FlagsFor } from '../../src/jit-tiers.js';

describe('v8FlagsFor', () => {
  it('keeps run to the interpreter', () => {
    expect(v8FlagsFor(['run', 'vrrp.json'], [])).toBe('--max-opt=0');
    expect(RUN_V8_FLAGS).toBe('--max-opt=0');
  });

  it('sets nothing for the short commands', () => {
    for (const command of ['status', 'doctor', 'import-keepalived', '--help']) expect(v8FlagsFor([command], []), command).toBeUndefined();
    expect(v8FlagsFor([], [])).toBeUndefined();
  });

  it('leaves the tiers to an operator who chose them on node’s command line', () => {
    for (const option of ['--turbofan', '--opt', '--no-opt', '--no_opt', '--max-opt=3', '--max-opt', '--maglev', '--no-sparkplug', '--jitless']) {
      expect(v8FlagsFor(['run', 'vrrp.json'], ['--enable-source-maps', option]), option).toBeUndefined();
    }
  });

  it('is not put off by node options that only name a tier', () => {
    for (const option of ['--trace-opt', '--trace-deopt', '--optimize-for-size', '--max-old-space-size=64']) {
      expect(v8FlagsFor(['run', 'vrrp.json'], [option]), option).toBe('--max-opt=0');
    }
  });
});
