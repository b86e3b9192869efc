/** The pure protocol core: codec, state machine, election and timer arithmetic. No I/O, no clock. */
export type { Advertisement, AddressFamily, VrrpVersion, AuthType } from './advertisement.js';
export { VRRP_MULTICAST_GROUP, VRRP_IP_PROTOCOL } from './advertisement.js';
export {
  decodeAdvertisement,
  encodeAdvertisement,
  encodingLength,
  type CodecContext,
  type EncodeOptions,
  type DecodeOptions,
  type DecodeResult,
  type DecodeError,
  type DecodeErrorCode,
  type V3Ipv4ChecksumMode,
} from './codec.js';
export {
  VirtualRouter,
  type RouterConfig,
  type RouterInput,
  type RouterAction,
  type RouterState,
  type MasterInfo,
  type TransitionReason,
  type ResumeState,
  type ProtocolErrorCode,
  type Authentication,
} from './router.js';
export { skewTimeMs, masterDownIntervalMs } from './timers.js';
export {
  effectivePriority,
  applyTrackerResult,
  trackerAdjustment,
  trackerFaults,
  trackerPending,
  initialTrackerState,
  valuedAdjustment,
  OWNER_PRIORITY,
  MIN_EFFECTIVE_PRIORITY,
  MAX_EFFECTIVE_PRIORITY,
  type TrackerSpec,
  type TrackerState,
  type TrackerStatus,
} from './priority.js';
export { createStats, type VrrpStats } from './stats.js';
