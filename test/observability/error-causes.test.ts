/**
 * Why a failure happened reaches the operator: several engine errors carry their errno only in `cause`, so a
 * `NODE_DEBUG=vrrp` line shows an error's cause chain (name, message, code of each, bounded, cycle-safe), and the
 * process warning for an error nobody listens to adds its causes' messages and codes to its own message.
 * `util.debuglog` is replaced by a recorder that is on, as `NODE_DEBUG=vrrp` would turn it on.
 */
import { describe, expect, it, vi } from 'vitest';
import { emitVrrpWarning, VrrpError } from '../../src/errors.js';
import { debugLogger } from '../../src/logger.js';
import { vrrpWarningsDuring } from '../support/warnings.js';

const written: unknown[][] = [];
vi.mock('node:util', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:util')>();
  return { ...actual, debuglog: () => Object.assign((...args: unknown[]) => void written.push(args), { enabled: true }) };
});

/** An errno error as Node makes them: the code in the message and in `code`. */
const errno = (message: string, code: string): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

/** The fields of the one line `log` writes through debuglog, parsed back from its JSON. */
function loggedFields(log: () => void): Record<string, unknown> {
  written.length = 0;
  log();
  expect(written, 'one debuglog line').toHaveLength(1);
  const [format, level, message, json] = written[0] as [string, string, string, string];
  expect([format, level, message]).toEqual(['%s %s %s', 'error', 'failed']);
  return JSON.parse(json) as Record<string, unknown>;
}

describe('NODE_DEBUG=vrrp lines of an error', () => {
  it("show the error's cause with its name, message and code", () => {
    const error = new VrrpError('transport_failed', 'could not pick an address to send VRRP from', { cause: errno('getifaddrs EMFILE', 'EMFILE') });
    const fields = loggedFields(() => debugLogger().error({ err: error }, 'failed'));
    expect(fields.err, 'the errno is only in the cause').toEqual({
      name: 'VrrpError',
      message: 'could not pick an address to send VRRP from',
      code: 'transport_failed',
      cause: { name: 'Error', message: 'getifaddrs EMFILE', code: 'EMFILE' },
    });
  });

  it('follow a chain of causes, and mark a cycle instead of losing the line', () => {
    const inner = errno('read ENOMEM', 'ENOMEM');
    const middle = new Error('netlink dump failed', { cause: inner });
    inner.cause = middle; // a cycle: inner → middle → inner
    const error = new VrrpError('vip_failed', 'could not add virtual addresses', { cause: middle });
    const fields = loggedFields(() => debugLogger().error({ err: error }, 'failed'));
    expect(fields.err).toEqual({
      name: 'VrrpError',
      message: 'could not add virtual addresses',
      code: 'vip_failed',
      cause: { name: 'Error', message: 'netlink dump failed', cause: { name: 'Error', message: 'read ENOMEM', code: 'ENOMEM', cause: '(cycle)' } },
    });
  });

  it('stop following a chain of causes after a few', () => {
    let error: Error = new Error('cause 0');
    for (let n = 1; n <= 20; n += 1) error = new Error(`cause ${n}`, { cause: error });
    const fields = loggedFields(() => debugLogger().error({ err: error }, 'failed'));
    let depth = 0;
    let at = fields.err as { cause?: unknown };
    while (typeof at.cause === 'object') {
      at = at.cause as { cause?: unknown };
      depth += 1;
    }
    expect(at.cause, 'what stands for the causes left out').toBe('(more causes)');
    expect(depth).toBeLessThanOrEqual(10);
  });
});

describe('the warning for an error nobody listens to', () => {
  it("adds the cause's message and code to the error's message", async () => {
    const error = new VrrpError('transport_failed', 'could not pick an address to send VRRP from', { cause: errno('getifaddrs EMFILE', 'EMFILE') });
    const warnings = await vrrpWarningsDuring(() => emitVrrpWarning(error));
    expect(warnings.map((warning) => [warning.code, warning.message])).toEqual([['VRRP_TRANSPORT_FAILED', 'could not pick an address to send VRRP from; cause: getifaddrs EMFILE']]);
  });

  it('says a cause once when the message says it already, and adds a code the message lacks', async () => {
    const cause = Object.assign(new Error('socket closed'), { code: 'ERR_SOCKET_CLOSED' });
    const error = new VrrpError('send_failed', 'could not send: socket closed', { cause });
    const warnings = await vrrpWarningsDuring(() => emitVrrpWarning(error));
    expect(warnings.map((warning) => warning.message)).toEqual(['could not send: socket closed; cause: ERR_SOCKET_CLOSED']);
  });

  it('follows a chain of causes and stops at a cycle', async () => {
    const inner = errno('read ENOMEM', 'ENOMEM');
    const middle = new Error('netlink dump failed', { cause: inner });
    inner.cause = middle;
    const error = new VrrpError('vip_failed', 'could not add virtual addresses', { cause: middle });
    const warnings = await vrrpWarningsDuring(() => emitVrrpWarning(error));
    expect(warnings.map((warning) => warning.message)).toEqual(['could not add virtual addresses; cause: netlink dump failed; cause: read ENOMEM']);
  });
});
