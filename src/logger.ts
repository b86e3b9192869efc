/**
 * Logging: an optional pino-shaped logger given by the app (`logger` in an instance's config or a group's options),
 * `NODE_DEBUG=vrrp` when none is given, silence otherwise.
 *
 * Why pino-shaped and not an interface of our own: pino, bunyan-style wrappers and most structured loggers take
 * `(fields, message)` and have `child(bindings)`, so an app hands its logger over as is. We call only
 * `level(fields, message)` — never the `(message)` or printf forms — so any logger with that shape works.
 *
 * What is logged where (docs/observability.md, "Logs"): transitions at info, errors at error, protocol drops and a
 * healed split brain at warn, priority and tracker changes at info, the master as heard at debug, tracker results
 * at trace. Nothing per advertisement: adverts are handled on the engine thread, and a log call per packet would be
 * a message per packet to the app's thread (see the `vrrp:advert:*` diagnostics channels instead).
 */
import { debuglog } from 'node:util';
import { z } from 'zod';
import { causesOf, type ConfigIssue } from './errors.js';

/** Fields of one log line: merged by the logger with its bindings (`instance`, `vrid`, `group`). */
export type VrrpLogFields = Record<string, unknown>;

/** One level's method: `(fields, message)`, pino's argument order. */
export type VrrpLogFn = (fields: VrrpLogFields, message: string) => void;

/**
 * A structured logger: pino's shape (a pino logger is one). Every level method takes `(fields, message)`; `child`
 * returns a logger that adds `bindings` to each line (an instance's is `{ instance: name, vrid }`).
 */
export interface VrrpLogger {
  /** Finest detail: every tracker result. */
  trace: VrrpLogFn;
  /** Detail: the master as heard, lifecycle steps. */
  debug: VrrpLogFn;
  /** What an operator follows: state transitions, priority and tracker changes. */
  info: VrrpLogFn;
  /** Something to look at: dropped advertisements, a healed split brain, a hook that failed. */
  warn: VrrpLogFn;
  /** A failure: I/O, an engine thread that died, `whileMaster` work that threw. */
  error: VrrpLogFn;
  /** A logger adding `bindings` to every line. */
  child(bindings: VrrpLogFields): VrrpLogger;
}

/** The level names of {@link VrrpLogger}, finest first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

/** A level of {@link VrrpLogger}. */
export type VrrpLogLevel = (typeof LOG_LEVELS)[number];

const method = z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', { message: 'must be a function' });

/** An object with the five level methods and `child` (prototype methods count: a pino logger's are there). */
const loggerSchema = z.object(
  { trace: method, debug: method, info: method, warn: method, error: method, child: method },
  { error: 'must be a logger: an object with trace, debug, info, warn, error and child methods (a pino logger fits)' },
);

/**
 * Checks a logger given by the app, pushing one issue per missing method (under `path`). Returns it when it fits;
 * `undefined` when none was given or it did not fit (then `issues` says why).
 */
export function checkLogger(value: unknown, path: string, issues: ConfigIssue[]): VrrpLogger | undefined {
  if (value === undefined) return undefined;
  const result = loggerSchema.safeParse(value);
  if (result.success) return value as VrrpLogger;
  for (const issue of result.error.issues) issues.push({ path: [path, ...issue.path.map(String)].join('.'), message: issue.message });
  return undefined;
}

const noop = (): void => {};

/** The default without `NODE_DEBUG=vrrp`: says nothing, and its children are itself. */
export const silentLogger: VrrpLogger = Object.freeze({
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
});

/**
 * A logger writing to `util.debuglog('vrrp')` (stderr, `VRRP <pid>: <level> <message> <fields as JSON>`), or the
 * silent one when `NODE_DEBUG` does not name `vrrp`. Read once per call, as `debuglog` reads the environment once.
 */
export function debugLogger(): VrrpLogger {
  const write = debuglog('vrrp');
  if (!write.enabled) return silentLogger;
  const make = (bindings: VrrpLogFields): VrrpLogger => {
    const line =
      (level: VrrpLogLevel): VrrpLogFn =>
      (fields, message) =>
        write('%s %s %s', level, message, safeJson({ ...bindings, ...fields }));
    return {
      trace: line('trace'),
      debug: line('debug'),
      info: line('info'),
      warn: line('warn'),
      error: line('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}

/**
 * JSON of log fields; an Error as its name, message and code (JSON.stringify would print `{}`) with its causes the
 * same way, a cycle as a marker. The causes matter: several engine errors carry their errno only in `cause`.
 */
function safeJson(fields: VrrpLogFields): string {
  try {
    return JSON.stringify(fields, (_key, value: unknown) => (value instanceof Error ? errorFields(value) : typeof value === 'bigint' ? String(value) : value));
  } catch {
    return '"(fields not serialisable)"';
  }
}

/** One error's name, message and code. */
function ownFields(error: Error): Record<string, unknown> {
  return { name: error.name, message: error.message, ...('code' in error ? { code: error.code } : {}) };
}

/**
 * An error's fields, with `cause` nested likewise down its chain as far as {@link causesOf} follows it (then
 * `"(more causes)"`), and a cause met before written `"(cycle)"` — JSON.stringify would recurse on either until the
 * stack ran out, and the whole line would be lost. A cause that is not an Error is left to JSON as it is.
 */
function errorFields(error: Error): Record<string, unknown> {
  const top = ownFields(error);
  let at = top;
  const causes = causesOf(error);
  for (let step = causes.next(); ; step = causes.next()) {
    if (step.done === true) {
      if (step.value !== 'end') at.cause = step.value === 'cycle' ? '(cycle)' : '(more causes)';
      return top;
    }
    const cause = step.value;
    if (!(cause instanceof Error)) {
      at.cause = cause;
      return top;
    }
    const next = ownFields(cause);
    at.cause = next;
    at = next;
  }
}

/**
 * Calls a logger without letting it throw into the library: a broken logger must not stop a transition's events
 * or hooks (nor, on the engine's behalf, anything else). Its failure is dropped — there is nobody to tell but the
 * logger itself.
 */
export function logSafely(logger: VrrpLogger, level: VrrpLogLevel, fields: VrrpLogFields, message: string): void {
  try {
    logger[level](fields, message);
  } catch {
    // see above
  }
}

/** The app's logger, or `NODE_DEBUG=vrrp`'s, or silence: the logger an instance or group uses when given `given`. */
export function resolveLogger(given: VrrpLogger | undefined, bindings: VrrpLogFields): VrrpLogger {
  if (given === undefined) return debugLogger().child(bindings);
  try {
    return given.child(bindings);
  } catch {
    // A logger whose child() throws still logs, without the bindings in it.
    return given;
  }
}
