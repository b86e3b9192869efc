/**
 * `node:diagnostics_channel` channels: state changes, VIP changes, advertisements sent and received, for tracing
 * tools and APMs that subscribe by name. Nothing is built or published while a channel has no subscriber
 * (`channel.hasSubscribers`), so an app that does not listen pays one property read per event.
 *
 * Where they are published (docs/observability.md, "Diagnostics channels"):
 * - `vrrp:state` and `vrrp:vip`: on the app's thread, by the instance, from the engine's events (with the engine
 *   thread, a transition and a VIP change already cross as a message; nothing is added).
 * - `vrrp:advert:sent` and `vrrp:advert:received`: by the engine, on the thread it runs on. With custom adapters or
 *   in `SimNetwork` that is the app's thread. With the default Linux adapters it is the engine thread, where the
 *   app cannot subscribe; there the main thread hears of each subscription to them as it is made
 *   ({@link onAdvertSubscriptions}), and only while they have subscribers does the engine thread forward each
 *   advert (a message per packet — the cost the subscriber asked for; none otherwise).
 *
 * Messages are plain data (they may have crossed threads): the instance by `name` and `vrid`, never the object.
 */
import { channel, subscribe, unsubscribe, type Channel } from 'node:diagnostics_channel';
import type { AddressFamily, VrrpVersion } from './core/advertisement.js';
import type { RouterState, TransitionReason } from './core/router.js';

/** The channel names, one per kind of event. */
export const CHANNELS = {
  /** {@link StateChannelMessage}: an instance changed state (after the transition's actions were applied). */
  state: 'vrrp:state',
  /** {@link VipChannelMessage}: an instance added or removed its virtual addresses. */
  vip: 'vrrp:vip',
  /** {@link AdvertChannelMessage}: an instance sent an advertisement (one per destination). */
  advertSent: 'vrrp:advert:sent',
  /** {@link AdvertChannelMessage}: an advertisement for an instance's VRID arrived and decoded (accepted or not). */
  advertReceived: 'vrrp:advert:received',
} as const;

/** What identifies the instance in every message. */
export interface ChannelInstance {
  /** The instance's name (`config.name`). */
  name: string;
  /** Its VRID. */
  vrid: number;
  /** Its address family. */
  family: AddressFamily;
  /** Its interface. */
  interface: string;
}

/** A message on `vrrp:state`. */
export interface StateChannelMessage extends ChannelInstance {
  /** State left. */
  from: RouterState;
  /** State entered. */
  to: RouterState;
  /** Why. */
  reason: TransitionReason;
  /** The router whose advertisement caused it, when one did. */
  peer?: string;
  /** The instance's mastership count (see `VrrpInstance.term`). */
  term: number;
}

/** A message on `vrrp:vip`. */
export interface VipChannelMessage extends ChannelInstance {
  /** Added (becoming master, or retrying) or removed (leaving master, stopping). */
  action: 'add' | 'remove';
  /** The addresses, canonical text. */
  addresses: string[];
}

/** A message on `vrrp:advert:sent` or `vrrp:advert:received`. */
export interface AdvertChannelMessage extends ChannelInstance {
  /** Source address (ours for a sent advert). */
  src: string;
  /** Destination: the multicast group or a unicast peer. */
  dst: string;
  /** VRRP version of the packet. */
  version: VrrpVersion;
  /** Priority advertised (0: the master resigns). */
  priority: number;
  /** Advertisement interval advertised, in ms. */
  advertIntervalMs: number;
  /** Virtual addresses carried. */
  addresses: string[];
  /** Received only: the TTL / hop limit it arrived with, when the transport knows it. */
  ttl?: number;
}

/** The channels, created once (a channel object is cheap to keep and `hasSubscribers` reads it). */
export const stateChannel = channel(CHANNELS.state);
/** See {@link CHANNELS}.vip. */
export const vipChannel = channel(CHANNELS.vip);
/** See {@link CHANNELS}.advertSent. */
export const advertSentChannel = channel(CHANNELS.advertSent);
/** See {@link CHANNELS}.advertReceived. */
export const advertReceivedChannel = channel(CHANNELS.advertReceived);

/**
 * How often, in ms, the app's thread looks whether the advert channels gained or lost subscribers, on a Node where
 * it cannot hear of each subscription ({@link ADVERT_SUBSCRIPTIONS_WATCHED} false). A subscriber there hears adverts
 * from at most this long after it subscribed.
 */
export const ADVERT_FORWARD_POLL_MS = 1000;

/**
 * Where the listeners of a channel's subscriptions live: on the channel object itself, under a registered symbol, so
 * that two copies of this package in one process (two versions in node_modules) share one wrapper per channel.
 */
const SUBSCRIPTION_LISTENERS = Symbol.for('vrrp.diagnostics.subscriptionListeners');

/** The Channel methods that change whether a channel has subscribers. */
const SUBSCRIPTION_METHODS = ['subscribe', 'unsubscribe', 'bindStore', 'unbindStore'] as const;

type WatchedChannel = Channel & { [SUBSCRIPTION_LISTENERS]?: Set<() => void> };

/**
 * The listeners told after every subscription change of `target`, wrapping its subscription methods once. Why: Node
 * has no event for a subscription, and looking every second cost the app's thread a wake-up a second for the life of
 * the process (measured at one instance: a fifth of a backup's CPU beside keepalived). Node's own methods run as
 * before: the wrapper calls the method of the channel's prototype as it stands at the call (Node swaps it on the
 * first subscriber), then the listeners.
 */
function subscriptionListeners(target: WatchedChannel): Set<() => void> {
  const existing = target[SUBSCRIPTION_LISTENERS];
  if (existing !== undefined) return existing;
  const listeners = new Set<() => void>();
  Object.defineProperty(target, SUBSCRIPTION_LISTENERS, { value: listeners });
  for (const method of SUBSCRIPTION_METHODS) {
    if (typeof (target as unknown as Record<string, unknown>)[method] !== 'function') continue;
    Object.defineProperty(target, method, {
      configurable: true,
      writable: true,
      value(this: Channel, ...args: unknown[]): unknown {
        const own = (Object.getPrototypeOf(this) as Record<string, (...a: unknown[]) => unknown>)[method] as (...a: unknown[]) => unknown;
        const result = own.apply(this, args);
        for (const listener of listeners) {
          try {
            listener();
          } catch (error) {
            // Never the subscriber's failure: theirs is done. Reported, not thrown into their code.
            const message = error instanceof Error ? error.message : String(error);
            process.emitWarning(`advert channel subscription listener failed: ${message}`, { type: 'VrrpWarning', code: 'VRRP_CHANNEL_LISTENER_FAILED' });
          }
        }
        return result;
      },
    });
  }
  return listeners;
}

/**
 * Calls `listener` after every subscription change of the advert channels on this thread (`subscribe`,
 * `unsubscribe`, `bindStore`, `unbindStore`, by name or on the channel object); returns the function that stops
 * it. Only where {@link ADVERT_SUBSCRIPTIONS_WATCHED} is true.
 */
export function onAdvertSubscriptions(listener: () => void): () => void {
  const sets = [subscriptionListeners(advertSentChannel), subscriptionListeners(advertReceivedChannel)];
  for (const set of sets) set.add(listener);
  return () => {
    for (const set of sets) set.delete(listener);
  };
}

/**
 * Whether subscriptions to the advert channels are heard as they are made (checked once, at load, by subscribing
 * and unsubscribing a no-op by name): false on a Node whose `subscribe` would go around the channel object, where
 * the app's thread polls every {@link ADVERT_FORWARD_POLL_MS} instead.
 */
export const ADVERT_SUBSCRIPTIONS_WATCHED: boolean = ((): boolean => {
  let heard = 0;
  const stop = onAdvertSubscriptions(() => heard++);
  const noop = (): void => {};
  try {
    subscribe(CHANNELS.advertSent, noop);
    const afterSubscribe = heard;
    unsubscribe(CHANNELS.advertSent, noop);
    return afterSubscribe > 0 && heard > afterSubscribe;
  } finally {
    stop();
  }
})();

/** Which advert channels have subscribers on this thread: what the engine thread should forward. */
export interface AdvertForwarding {
  /** Forward sent adverts. */
  sent: boolean;
  /** Forward received adverts. */
  received: boolean;
}

/** Which advert channels have subscribers on this thread now. */
export function advertSubscribers(): AdvertForwarding {
  return { sent: advertSentChannel.hasSubscribers, received: advertReceivedChannel.hasSubscribers };
}
