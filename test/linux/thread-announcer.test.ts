/**
 * The thread's announcer as the VIP managers of a thread see it (src/linux/announcer.ts, threadAnnouncer). No socket
 * is opened here: the view is made without one.
 */
import { describe, it, expect } from 'vitest';
import { threadAnnouncer } from '../../src/linux/announcer.js';

describe('threadAnnouncer', () => {
  // One view for every manager of the thread: a view (five functions) per manager was ~0.4 KB an instance.
  it('hands every VIP manager of a thread the same view of the shared announcer', () => {
    const first = threadAnnouncer();
    expect(threadAnnouncer()).toBe(first);
  });
});
