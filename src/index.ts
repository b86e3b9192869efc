/**
 * `vrrp`: VRRP (RFC 3768 / RFC 9568) failover inside a Node.js app. Start with {@link VrrpInstance}.
 *
 * @module vrrp
 */
export {
  VrrpInstance,
  type VrrpState,
  type VrrpEvents,
  type StateChangeEvent,
  type PriorityChangeEvent,
  type ProtocolErrorEvent,
  type HookErrorEvent,
  type TrackerChangeEvent,
  type HookContext,
  type Hook,
  type HookKind,
  type InstanceStats,
  type VrrpMaster,
  type MasterChangeEvent,
  type LowerMasterHeardEvent,
  type WhileMasterWork,
  type WhileMasterContext,
} from './instance.js';
export {
  resolveConfig,
  formatVirtualRoute,
  type VrrpConfig,
  type ResolvedConfig,
  type TrackerConfig,
  type FunctionTrackerConfig,
  type ExecTrackerConfig,
  type TcpTrackerConfig,
  type HttpTrackerConfig,
  type ProcessTrackerConfig,
  type FileTrackerConfig,
  type InterfaceTrackerConfig,
  type EventLoopLagTrackerConfig,
  type TrackerType,
  type TrackerCommonConfig,
  type TrackerCheck,
  type AuthenticationConfig,
  type VirtualAddress,
  type VirtualAddressConfig,
  type VirtualRoute,
  type VirtualRouteConfig,
  type VirtualRouteScope,
  type VirtualRouteType,
  type GarpConfig,
  type ResolvedTrackerConfig,
  type ResolvedFunctionTrackerConfig,
  type ResolvedEventLoopLagTrackerConfig,
  type ResolvedExecTrackerConfig,
  type ResolvedTcpTrackerConfig,
  type ResolvedHttpTrackerConfig,
  type ResolvedProcessTrackerConfig,
  type ResolvedFileTrackerConfig,
  type ResolvedInterfaceTrackerConfig,
} from './config.js';
export {
  resolveNotifyConfig,
  resolveSyncGroupConfig,
  type NotifyConfig,
  type NotifyCommand,
  type NotifyScript,
  type NotifyUsers,
  type ResolvedNotifyConfig,
  type SyncGroupConfig,
  type ResolvedSyncGroupConfig,
} from './config.js';
export {
  VrrpGroup,
  type GroupState,
  type GroupTransitionReason,
  type GroupStateChangeEvent,
  type GroupHoldEvent,
  type VrrpGroupEvents,
  type VrrpGroupOptions,
} from './group.js';
export {
  STATUS_COUNTER_NAMES,
  type VrrpStatus,
  type VrrpGroupStatus,
  type TrackerStatusEntry,
  type MasterStatus,
  type TimerStatus,
  type VipStatus,
  type EngineStatus,
  type ProtocolErrorStatus,
  type StatusCounters,
  type NewMasterReason,
  type ProtoErrReason,
} from './status.js';
export type { RunStatus, RunGroupStatus } from './control.js';
export {
  attachNotify,
  NotifyRunner,
  type NotifyState,
  type NotifySource,
  type NotifyOptions,
  type NotifyEvents,
  type NotifyEventBase,
  type NotifyStartEvent,
  type NotifyOutputEvent,
  type NotifyDoneEvent,
  type NotifySkipEvent,
  type TransitionSource,
} from './notify.js';
export {
  resolveRunConfig,
  loadRunConfig,
  RunConfigError,
  type RunConfig,
  type RunInstanceConfig,
  type RunGlobalConfig,
  type ResolvedRunConfig,
  type LoadedRunConfig,
} from './run-config.js';
export type { KeepalivedIssue } from './keepalived/index.js';
export type { TrackerHost, InterfaceLinkReader, InterfaceLinkState } from './trackers/types.js';
export { LOG_LEVELS, type VrrpLogger, type VrrpLogFn, type VrrpLogFields, type VrrpLogLevel } from './logger.js';
export { CHANNELS, type ChannelInstance, type StateChannelMessage, type VipChannelMessage, type AdvertChannelMessage } from './diagnostics.js';
export { VrrpError, ConfigError, type ConfigIssue, type VrrpErrorCode } from './errors.js';
export {
  systemClock,
  type Adapters,
  type Clock,
  type Transport,
  type TransportOptions,
  type TransportOpened,
  type AbsorbedRepeats,
  type CounterTally,
  type RepeatSilence,
  type TakeoverBurst,
  type RepeatedAdverts,
  type ReceivedPacket,
  type SharedSocketStats,
  type VipManager,
  type LinkMonitor,
  type LinkWatch,
} from './adapters/types.js';
export * from './core/index.js';
