/**
 * `vrrp/testing`: the kit apps use to test their own failover logic in virtual time — a clock, fake adapters and a
 * simulated L2 network of real `VrrpInstance`s.
 *
 * @module vrrp/testing
 */
export { VirtualClock, settle } from './virtual-clock.js';
export { FakeTransport, FakeVipManager, FakeLinkMonitor, type SentPacket, type VipCall } from './fakes.js';
export {
  SimNetwork,
  type SimNetworkOptions,
  type SimNode,
  type TraceEntry,
  type AddNodeOptions,
} from './sim-network.js';
