/**
 * The testing kit's edges: a VirtualClock refuses times that are not finite numbers (NaN made its time NaN for
 * good, and an advance to NaN never ended), and a SimNetwork node's address is matched in its canonical form, as
 * the configs' unicast peers are (an upper-case IPv6 address was never reached: both nodes became master).
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, VirtualClock } from '../../src/testing/index.js';

describe('VirtualClock', () => {
  it('refuses a timer whose delay is not a finite number, and keeps its time', () => {
    const clock = new VirtualClock();
    expect(() => clock.setTimer(Number.NaN, () => {})).toThrow(RangeError);
    expect(() => clock.setTimer(Number.POSITIVE_INFINITY, () => {})).toThrow(RangeError);
    expect(clock.now()).toBe(0);
  });

  it('refuses to advance by or to a time that is not a finite number', async () => {
    const clock = new VirtualClock();
    await expect(clock.advance(Number.NaN)).rejects.toThrow(RangeError);
    await expect(clock.advanceTo(Number.NaN)).rejects.toThrow(RangeError);
    expect(clock.now()).toBe(0);
  });
});

describe('SimNetwork', () => {
  // Given two unicast nodes whose addresses are written in upper case, each naming the other in lower case (as the
  // config's canonical form has it); then they hear each other: one master, one backup.
  it('delivers unicast to a node whose address was written in another case', async () => {
    const net = new SimNetwork({ seed: 7 });
    const config = { interface: 'eth0', vrid: 51, virtualAddresses: ['2001:db8::100'] };
    const high = net.addNode({ ...config, name: 'high', priority: 150, unicastPeers: ['2001:db8::11'] }, { address: '2001:DB8::10' });
    const low = net.addNode({ ...config, name: 'low', priority: 100, unicastPeers: ['2001:db8::10'] }, { address: '2001:DB8::11' });
    await net.advance(10_000);
    expect([high.state, low.state]).toEqual(['master', 'backup']);
  });
});
