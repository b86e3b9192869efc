/**
 * A master frozen (SIGSTOP) while its link is cut goes to fault promptly once thawed, with a few errors, not one per
 * advert that waited. While it was frozen, a lower-priority peer took over and advertised into its socket; after
 * SIGCONT the engine thread reads that backlog before the link event (the VRRP socket became readable first), and
 * the master answered each advert with an advert and an announcement, all failing on the dead link: ~2 error events
 * per waiting advert (chaos seed 3244800387, event 45: KNOWN_BUGS `thawed-on-cut-link`). An embedded app, as in the
 * chaos run; the peer is `vrrp run`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lab, labAvailable, requireLab } from './lab.js';
import { ourConfig } from './scenario.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

/** How long the peer advertises into the frozen master's socket before the cut: ~20 adverts at 100 ms. */
const BACKLOG_MS = 2_000;
/** At most: the overdue advert, one answer to the whole backlog (advert and announcement), the priority 0. */
const MAX_ERRORS = 4;

describe.skipIf(!labAvailable.ok)('a master thawed on a link cut while it was frozen', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['us', 'peer'] });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  // Given our master (priority 150, embedded) and a backup (priority 120), when the master is frozen, the backup
  // takes over and advertises for 2 s, the master's link is cut and the master thawed,
  // then it goes to fault (link-down) with at most 4 error events in between.
  it('goes to fault without answering every advert that waited', async () => {
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }), { embedded: true });
    await us.waitForState('master', 5_000);
    const peer = startVrrp(lab, 'peer', ourConfig(lab, 'peer', { priority: 120 }));
    await peer.waitForState('backup', 5_000);

    us.signal('SIGSTOP');
    try {
      await peer.waitForState('master', 5_000);
      await new Promise((resolve) => setTimeout(resolve, BACKLOG_MS));
      await lab.linkDown('us', 'host');
    } finally {
      us.signal('SIGCONT');
    }
    const from = us.events.length;
    const fault = await us.waitForState('fault', 5_000, from);
    const errors = us.events.slice(from, us.events.indexOf(fault)).filter((e) => e.event === 'error');
    expect(fault.reason, us.describe()).toBe('link-down');
    expect(errors.length, errors.map((e) => JSON.stringify(e)).join('\n')).toBeLessThanOrEqual(MAX_ERRORS);

    expect(await us.stop(), us.describe()).toBe(0);
    expect(await peer.stop(), peer.describe()).toBe(0);
  });
});
