/**
 * What every tracker probe shares: one run of a check, its result with a reason a person can read, and the host
 * facilities the built-in probes read (replaceable, so tests and simulations can fake an interface's link).
 *
 * A probe is one run of a check. It never throws: every failure is a result with `up: false` and a reason. It is
 * given an AbortSignal that fires at the tracker's timeout or at stop, and must release what it holds (a child
 * process, a socket) when it fires; the instance reports the timeout itself and starts the next run only once this
 * one has settled, so runs never overlap.
 */

/** The result of one run of a check. */
export interface ProbeResult {
  /** The check passed (for a `file` tracker: the value read does not fault). */
  up: boolean;
  /** Why, in a few words: `exit code 1`, `ECONNREFUSED`, `status 503`, `2 of quorum 3 processes`. */
  reason: string;
  /** A `file` tracker's reading: the integer in the file. */
  value?: number;
}

/** One run of a check; `signal` aborts it (timeout or stop). Never rejects. */
export type Probe = (signal: AbortSignal) => Promise<ProbeResult>;

/** An interface's link as an `interface` tracker sees it. */
export interface InterfaceLinkState {
  /** Administratively up and running (keepalived's IFF_UP and IFF_RUNNING). */
  up: boolean;
  /** `up`, `admin down`, `no carrier (operstate down)`, `no such interface`, … */
  reason: string;
}

/** Reads one interface's link state. */
export type InterfaceLinkReader = (name: string, signal: AbortSignal) => Promise<InterfaceLinkState>;

/**
 * The host facilities the built-in trackers read. An instance uses {@link Adapters.trackerHost} where given
 * (each field optional), and these defaults otherwise: sysfs for links, /proc for processes.
 */
export interface TrackerHost {
  /** Link state for `interface` trackers (default: /sys/class/net/<name>/flags and operstate). */
  interfaceLink: InterfaceLinkReader;
  /** Where the proc filesystem is mounted, for `process` trackers (default `/proc`). */
  procRoot: string;
}

/** Shortens `text` to at most `maxChars`, keeping its end (where a failing command says why). */
export function tail(text: string, maxChars: number): string {
  const trimmed = text.trim();
  return trimmed.length <= maxChars ? trimmed : `…${trimmed.slice(trimmed.length - maxChars + 1)}`;
}

/** The `code` of a Node.js system error (`ECONNREFUSED`), or its message, for a reason string. */
export function errorReason(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, cause } = error as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return code;
    if (cause !== undefined && cause !== error) {
      const inner = errorReason(cause);
      if (/^E[A-Z0-9_]+$/.test(inner)) return inner;
    }
    if (error instanceof Error) return error.message;
  }
  return String(error);
}
