import { describe, expect, it } from 'vitest';
import { SimNetwork } from '../../src/testing/index.js';

describe('smoke', () => {
  it('two nodes elect the higher priority', async () => {
    const net = new SimNetwork({ seed: 1 });
    const a = net.addNode({ interface: 'eth0', vrid: 51, priority: 101, virtualAddresses: ['192.168.1.100/24'] }, { address: '192.168.1.1', name: 'a' });
    const b = net.addNode({ interface: 'eth0', vrid: 51, priority: 100, virtualAddresses: ['192.168.1.100/24'] }, { address: '192.168.1.2', name: 'b' });
    await net.advance(10_000);
    console.log(net.formatTrace((e) => e.kind !== 'deliver').split('\n').slice(0, 20).join('\n'));
    expect(net.masters()).toEqual([a]);
    expect(b.state).toBe('backup');
    expect([...net.node(a).vips.addresses]).toEqual(['192.168.1.100']);
  });
});
