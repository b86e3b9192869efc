/**
 * Errors thrown or emitted by the library. One base class with a literal `code`, so callers switch on codes,
 * never on message text. Messages are short and lowercase.
 */

/** Codes of every {@link VrrpError} the library produces. */
export type VrrpErrorCode =
  | 'config_invalid'
  | 'not_started'
  | 'already_started'
  | 'no_adapters'
  | 'transport_failed'
  | 'send_failed'
  | 'vip_failed'
  | 'announce_failed'
  | 'route_failed'
  | 'hook_failed'
  | 'hook_timeout'
  | 'while_master_failed'
  | 'while_master_timeout'
  | 'tracker_failed'
  | 'listener_failed'
  | 'engine_failed'
  | 'control_failed'
  | 'notify_failed'
  | 'aborted';

/** Base class of every error the library throws or emits. */
export class VrrpError extends Error {
  /** Stable machine-readable code. */
  readonly code: VrrpErrorCode;

  /** Creates an error with a code, a short lowercase message and an optional cause. */
  constructor(code: VrrpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VrrpError';
    this.code = code;
  }
}

/** One problem found in a configuration: where (`path`, e.g. `trackers.0.weight`) and why. */
export interface ConfigIssue {
  /** Dotted path of the offending field; empty for the whole object. */
  path: string;
  /** What is wrong with it. */
  message: string;
}

/** A configuration was rejected; `issues` lists every problem, each with its path. */
export class ConfigError extends VrrpError {
  /** Every problem found, in field order. */
  readonly issues: readonly ConfigIssue[];

  /** Creates the error from its issues; the message lists them all, one per line. */
  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map((issue) => `  - ${issue.path || '(config)'}: ${issue.message}`);
    super('config_invalid', `invalid vrrp config (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** An emitter that counts its listeners, as eventemitter3's do. */
export interface ListenerCounter {
  /** How many listeners `event` has. */
  listenerCount(event: string): number;
}

/**
 * Makes `error` a process warning when `event` has no listener on `emitter`, and says whether it did. eventemitter3
 * drops an event nobody hears, and no failure may pass unseen: Node prints warnings on stderr unless the app handles
 * 'warning' events or runs with --no-warnings.
 */
export function warnIfUnheard(emitter: ListenerCounter, event: string, error: VrrpError): boolean {
  if (emitter.listenerCount(event) > 0) return false;
  emitVrrpWarning(error);
  return true;
}

/** How many causes of an error its reports follow: enough for a wrapped errno, bounded against a runaway chain. */
export const MAX_CAUSES = 5;

/**
 * The causes of `error`, outermost first, for a report of it (a warning, a log line): `cause` after `cause` down
 * the chain, ending after one that is not an Error, before one met already, or after {@link MAX_CAUSES}. Returns
 * why it ended: `end`, `cycle` (the next was met already) or `more` (the chain goes on).
 */
export function* causesOf(error: Error): Generator<unknown, 'end' | 'cycle' | 'more'> {
  const seen = new Set<unknown>([error]);
  let cause: unknown = error.cause;
  for (let depth = 0; cause !== undefined; depth += 1) {
    if (depth === MAX_CAUSES) return 'more';
    if (seen.has(cause)) return 'cycle';
    seen.add(cause);
    yield cause;
    if (!(cause instanceof Error)) return 'end';
    cause = cause.cause;
  }
  return 'end';
}

/**
 * `error` as a process warning of type `VrrpWarning`, its code `VRRP_` and the error's code in capitals. The text is
 * the message and then each cause's message and code it does not say already (`…; cause: sendmsg EMFILE`): several
 * engine errors carry their errno only in `cause`, and a warning is all an app without an `error` listener sees.
 */
export function emitVrrpWarning(error: VrrpError): void {
  process.emitWarning(withCauses(error), { type: 'VrrpWarning', code: `VRRP_${error.code.toUpperCase()}` });
}

/** `error.message` followed by its causes' messages and codes, skipping what the text holds already; cycle-safe. */
function withCauses(error: Error): string {
  let text = error.message;
  for (const cause of causesOf(error)) {
    if (cause === null) break;
    const message = cause instanceof Error ? cause.message : typeof cause === 'object' ? '' : String(cause);
    const code = typeof cause === 'object' && 'code' in cause && cause.code !== undefined ? String(cause.code) : '';
    let part = message !== '' && !text.includes(message) ? message : '';
    if (code !== '' && !text.includes(code) && !part.includes(code)) part = part === '' ? code : `${part} (${code})`;
    if (part !== '') text += `; cause: ${part}`;
  }
  return text;
}
