/**
 * The routing watch when it cannot open (src/linux/vip/routing-watch.ts): the failure is said once, not at every
 * hold — it is tried again at each, and a takeover holds once per instance with routes — and said too when the
 * addon itself cannot load, which it was not (found by review). A stand-in addon whose events socket fails.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

/** What the stand-in's loadAddon does: throw (no addon), or give an addon whose eventsOpen throws. */
let addonLoads = true;

vi.mock('../../src/linux/addon.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/linux/addon.js')>();
  return {
    ...original,
    loadAddon: () => {
      if (!addonLoads) throw new Error('native addon unavailable');
      return {
        eventsOpen: () => {
          throw Object.assign(new Error('socket: EMFILE'), { code: 'EMFILE' });
        },
      };
    },
  };
});

/** The routing watch as a fresh process has it (its "said already" state is the module's). */
async function freshWatch(): Promise<typeof import('../../src/linux/vip/routing-watch.js')> {
  vi.resetModules();
  return import('../../src/linux/vip/routing-watch.js');
}

const holder = () => ({ routeDeleted: () => {}, ruleDeleted: () => {}, lost: () => {} });
const route = new Map([['10.9.0.0/24 via 10.0.0.254', { to: '10.9.0.0/24', via: '10.0.0.254' } as never]]);

/** The VRRP_ROUTE_WATCH_FAILED warnings emitted while `act` runs (and the turn after, when warnings are delivered). */
async function warningsDuring(act: () => void): Promise<string[]> {
  const seen: string[] = [];
  const listener = (warning: Error & { code?: string }): void => {
    if (warning.code === 'VRRP_ROUTE_WATCH_FAILED') seen.push(warning.message);
  };
  process.on('warning', listener);
  try {
    act();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('the routing watch that cannot open', () => {
  afterEach(() => {
    addonLoads = true;
  });

  // Given an events socket that cannot be opened; when three holders hold routes; then each hold fails (nothing is
  // watched) and the failure is said once.
  it('says once that deletions cannot be watched, however many hold', async () => {
    const { holdRouting, releaseRouting } = await freshWatch();
    const holders = [holder(), holder(), holder()];
    const warnings = await warningsDuring(() => {
      for (const one of holders) expect(holdRouting(one, route, new Map())).toBe(false);
    });
    expect(warnings).toEqual([expect.stringContaining('cannot watch for their deletion (socket: EMFILE)')]);
    for (const one of holders) releaseRouting(one);
  });

  // Given no addon at all; when two holders hold routes; then that is said too, once: nothing was said.
  it('says so when the addon cannot load', async () => {
    const { holdRouting, releaseRouting } = await freshWatch();
    addonLoads = false;
    const holders = [holder(), holder()];
    const warnings = await warningsDuring(() => {
      for (const one of holders) expect(holdRouting(one, route, new Map())).toBe(false);
    });
    expect(warnings).toEqual([expect.stringContaining('cannot watch for their deletion (native addon unavailable)')]);
    for (const one of holders) releaseRouting(one);
  });
});
