/**
 * How the app's thread hears that the advert channels gained or lost subscribers (src/diagnostics.ts,
 * `onAdvertSubscriptions`): at the subscription itself, by name or on the channel object, with `hasSubscribers`
 * already current — what lets the engine host drop its once-a-second look.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADVERT_SUBSCRIPTIONS_WATCHED, advertSubscribers, CHANNELS, onAdvertSubscriptions, type AdvertForwarding } from '../../src/diagnostics.js';

const stops: (() => void)[] = [];
/** Listens for subscription changes, recording what `advertSubscribers()` said at each. */
function record(): AdvertForwarding[] {
  const seen: AdvertForwarding[] = [];
  stops.push(onAdvertSubscriptions(() => void seen.push(advertSubscribers())));
  return seen;
}
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  vi.restoreAllMocks();
});

const noop = (): void => {};

describe('advert channel subscriptions', () => {
  it('are heard as they are made on this Node (the engine host polls otherwise)', () => {
    expect(ADVERT_SUBSCRIPTIONS_WATCHED).toBe(true);
  });

  it('tells a subscribe and an unsubscribe by name, hasSubscribers already current', () => {
    const seen = record();
    subscribe(CHANNELS.advertSent, noop);
    expect(seen.at(-1)).toEqual({ sent: true, received: false });
    unsubscribe(CHANNELS.advertSent, noop);
    expect(seen.at(-1)).toEqual({ sent: false, received: false });
  });

  it('tells a subscription made on the channel object', () => {
    const seen = record();
    const received = channel(CHANNELS.advertReceived);
    received.subscribe(noop);
    expect(seen.at(-1)).toEqual({ sent: false, received: true });
    expect(received.unsubscribe(noop)).toBe(true);
    expect(seen.at(-1)).toEqual({ sent: false, received: false });
  });

  it('tells a store bound and unbound', () => {
    const seen = record();
    const store = new AsyncLocalStorage();
    const sent = channel(CHANNELS.advertSent);
    sent.bindStore(store);
    expect(seen.at(-1)).toEqual({ sent: true, received: false });
    sent.unbindStore(store);
    expect(seen.at(-1)).toEqual({ sent: false, received: false });
  });

  it('leaves what Node returns and publishes unchanged', () => {
    record();
    const messages: unknown[] = [];
    const onMessage = (message: unknown): void => void messages.push(message);
    subscribe(CHANNELS.advertSent, onMessage);
    channel(CHANNELS.advertSent).publish({ n: 1 });
    expect(unsubscribe(CHANNELS.advertSent, onMessage)).toBe(true);
    expect(unsubscribe(CHANNELS.advertSent, onMessage)).toBe(false);
    expect(messages).toEqual([{ n: 1 }]);
  });

  it('stops telling a listener once stopped', () => {
    const seen = record();
    (stops.pop() as () => void)();
    subscribe(CHANNELS.advertSent, noop);
    unsubscribe(CHANNELS.advertSent, noop);
    expect(seen).toEqual([]);
  });

  it("keeps a listener's failure out of the subscriber's call and reports it as a warning", () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    stops.push(
      onAdvertSubscriptions(() => {
        throw new Error('listener broke');
      }),
    );
    expect(() => subscribe(CHANNELS.advertReceived, noop)).not.toThrow();
    unsubscribe(CHANNELS.advertReceived, noop);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('listener broke'), expect.objectContaining({ type: 'VrrpWarning' }));
  });
});
