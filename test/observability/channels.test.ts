/**
 * Diagnostics channels on a scripted failover in SimNetwork (engines on this thread): vrrp:state and vrrp:vip from
 * the instances, vrrp:advert:sent and vrrp:advert:received from the engines, each message plain data naming the
 * instance; and nothing published while a channel has no subscriber.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { advertReceivedChannel, advertSentChannel, CHANNELS, stateChannel, vipChannel, type AdvertChannelMessage, type StateChannelMessage, type VipChannelMessage } from '../../src/diagnostics.js';
import { SimNetwork } from '../../src/testing/index.js';
import type { VrrpConfig } from '../../src/index.js';

const VIP = '192.0.2.100';
const node = (name: string, priority: number): VrrpConfig => ({ name, interface: 'eth0', vrid: 51, priority, virtualAddresses: [`${VIP}/24`] });

const subscriptions: [string, (message: unknown) => void][] = [];
function listen<T>(name: string): T[] {
  const messages: T[] = [];
  const onMessage = (message: unknown): void => void messages.push(message as T);
  subscribe(name, onMessage);
  subscriptions.push([name, onMessage]);
  return messages;
}
afterEach(() => {
  for (const [name, onMessage] of subscriptions.splice(0)) unsubscribe(name, onMessage);
  vi.restoreAllMocks();
});

/** a (200) is master from 3.2 s, is killed at 8 s, b (100) takes over; both stop at 13 s. */
async function scriptedFailover(): Promise<void> {
  const net = new SimNetwork({ seed: 11 });
  const a = net.addNode(node('a', 200), { address: '192.0.2.1' });
  net.addNode(node('b', 100), { address: '192.0.2.2' });
  await net.advance(8000);
  await net.kill(a);
  await net.advance(5000);
  await net.stopAll();
}

describe('diagnostics channels', () => {
  it('publishes each state change on vrrp:state with the instance, reason and term', async () => {
    const messages = listen<StateChannelMessage>(CHANNELS.state);
    await scriptedFailover();
    const b = messages.filter((message) => message.name === 'b');
    expect(b.map((message) => `${message.from} → ${message.to} (${message.reason})`)).toEqual([
      'initialize → backup (startup)',
      'backup → master (master-down-timer-expired)',
      'master → initialize (stopped)',
    ]);
    expect(b[1]).toEqual({ name: 'b', vrid: 51, family: 'ipv4', interface: 'eth0', from: 'backup', to: 'master', reason: 'master-down-timer-expired', term: 1 });
  });

  it('publishes the VIPs added and removed on vrrp:vip', async () => {
    const messages = listen<VipChannelMessage>(CHANNELS.vip);
    await scriptedFailover();
    expect(messages.map((message) => `${message.name} ${message.action} ${message.addresses.join(',')}`)).toEqual([
      `a add ${VIP}`,
      `a remove ${VIP}`,
      `b add ${VIP}`,
      `b remove ${VIP}`,
    ]);
  });

  it('publishes every advert sent, with what it advertises, on vrrp:advert:sent', async () => {
    const messages = listen<AdvertChannelMessage>(CHANNELS.advertSent);
    await scriptedFailover();
    const fromA = messages.filter((message) => message.name === 'a');
    // a is master from 3.2 s (Master_Down_Interval at 200) to the kill at 8 s: an advert a second.
    expect(fromA.length).toBeGreaterThanOrEqual(3);
    expect(fromA[0]).toEqual({ name: 'a', vrid: 51, family: 'ipv4', interface: 'eth0', src: '192.0.2.1', dst: '224.0.0.18', version: 3, priority: 200, advertIntervalMs: 1000, addresses: [VIP] });
    expect(messages.filter((message) => message.name === 'b').at(-1)?.priority).toBe(0);
  });

  it('publishes every advert received, decoded, with its TTL, on vrrp:advert:received', async () => {
    const messages = listen<AdvertChannelMessage>(CHANNELS.advertReceived);
    await scriptedFailover();
    const heardByB = messages.filter((message) => message.name === 'b');
    expect(heardByB.length).toBeGreaterThanOrEqual(3);
    expect(heardByB[0]).toEqual({ name: 'b', vrid: 51, family: 'ipv4', interface: 'eth0', src: '192.0.2.1', dst: '224.0.0.18', version: 3, priority: 200, advertIntervalMs: 1000, addresses: [VIP], ttl: 255 });
  });

  it('publishes nothing, and builds no message, while no one subscribes', async () => {
    const published = [stateChannel, vipChannel, advertSentChannel, advertReceivedChannel].map((channel) => vi.spyOn(channel, 'publish'));
    const net = new SimNetwork({ seed: 11 });
    const a = net.addNode(node('a', 200), { address: '192.0.2.1' });
    const b = net.addNode(node('b', 100), { address: '192.0.2.2' });
    await net.advance(8000);
    const heard = b.stats.advertisementsReceived;
    await net.stopAll();
    expect(a.stats.masterTransitions).toBe(1);
    expect(heard).toBeGreaterThan(2);
    expect(published.map((spy) => spy.mock.calls.length)).toEqual([0, 0, 0, 0]);
  });
});
