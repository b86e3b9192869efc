/**
 * The built-in tracker probes, and the one place that picks a probe for a tracker's configuration. The instance
 * runs every tracker but `eventLoopLag` (which the engine measures) through {@link createProbe}: one run per
 * interval, never two at once, the timeout and the result bookkeeping being the instance's.
 */
import type { ResolvedTrackerConfig } from '../config.js';
import { errorReason, type Probe, type TrackerHost } from './types.js';
import { createExecProbe } from './exec.js';
import { createFileProbe } from './file.js';
import { createHttpProbe } from './http.js';
import { createInterfaceProbe, sysfsInterfaceLink } from './interface.js';
import { createProcessProbe } from './process.js';
import { sharedRun } from './shared-run.js';
import { createTcpProbe } from './tcp.js';

export { commandArgv, splitCommandLine, type SplitResult } from './command-line.js';
export { createExecProbe, resolveUser, type ExecProbeConfig, type ExecProbeOptions } from './exec.js';
export { createFileProbe, parseTrackFileValue, type FileProbeConfig, type TrackFileValue } from './file.js';
export { createHttpProbe, type HttpProbeConfig } from './http.js';
export { createInterfaceProbe, sysfsInterfaceLink } from './interface.js';
export { createProcessProbe, type ProcessProbeConfig } from './process.js';
export { createTcpProbe, type TcpProbeConfig } from './tcp.js';
export type { Probe, ProbeResult, TrackerHost, InterfaceLinkReader, InterfaceLinkState } from './types.js';

/** The real host: sysfs for links, /proc for processes. */
export function defaultTrackerHost(): TrackerHost {
  return { interfaceLink: sysfsInterfaceLink(), procRoot: '/proc' };
}

/** The trackers the instance runs itself (all but `eventLoopLag`, which runs in the engine). */
export type InstanceTrackerConfig = Exclude<ResolvedTrackerConfig, { type: 'eventLoopLag' }>;

/** The probe of one tracker, reading the host through `host`. */
export function createProbe(tracker: InstanceTrackerConfig, host: TrackerHost): Probe {
  switch (tracker.type) {
    case 'function': {
      const { check } = tracker;
      return async (signal) => {
        try {
          const result = await check(signal);
          // Only `true` passes: a check that returns 'yes' or 1 by mistake must not keep a sick node master.
          return result === true ? { up: true, reason: 'check returned true' } : { up: false, reason: `check returned ${String(result)}` };
        } catch (error) {
          return { up: false, reason: `check threw: ${errorReason(error)}` };
        }
      };
    }
    case 'exec':
      // keepalived runs a vrrp_script once per interval for all the instances tracking it (src/trackers/shared-run.ts).
      return sharedRun(
        JSON.stringify(['exec', tracker.name, tracker.argv, tracker.user ?? null, tracker.timeoutMs, tracker.intervalMs]),
        { windowMs: tracker.intervalMs, timeoutMs: tracker.timeoutMs },
        createExecProbe(tracker),
      );
    case 'tcp':
      return createTcpProbe(tracker);
    case 'http':
      return createHttpProbe(tracker);
    case 'process':
      return createProcessProbe(tracker, host.procRoot);
    case 'file':
      return createFileProbe(tracker);
    case 'interface':
      return createInterfaceProbe(tracker, host.interfaceLink);
  }
}
