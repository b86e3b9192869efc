/**
 * FakeTransport can fail as a transport fails, so that an app can test its handling of both:
 * - `failNextOpen`: the next open rejects, so the instance's start() fails (`transport_failed`, the error its cause);
 * - `fail(error)`: an open transport dies, calling the `onFailure` the instance gave open: the instance reports
 *   `transport_failed` and goes to fault (src/engine/engine.ts, start).
 * Before, the fake dropped `onFailure` and its open never rejected: neither path could be played with the kit.
 */
import { describe, expect, it } from 'vitest';
import type { VrrpConfig } from '../../src/config.js';
import type { VrrpError } from '../../src/errors.js';
import { VrrpInstance } from '../../src/instance.js';
import { FakeLinkMonitor, FakeTransport, FakeVipManager, VirtualClock } from '../../src/testing/index.js';

const config: VrrpConfig = { interface: 'eth0', vrid: 51, version: 3, virtualAddresses: ['10.0.0.100/24'] };
/** Past a lone v3 router's Master_Down_Interval at priority 100 (3609.375 ms). */
const MASTER_AFTER_MS = 4000;

function node() {
  const clock = new VirtualClock();
  const transport = new FakeTransport({ primaryAddress: '10.0.0.1' });
  const instance = new VrrpInstance(config, { transport, vipManager: new FakeVipManager(), clock, linkMonitor: new FakeLinkMonitor() });
  const errors: VrrpError[] = [];
  instance.on('error', (error) => errors.push(error));
  return { clock, transport, instance, errors };
}

/** A node that is master, its transport about to be killed. */
async function master() {
  const made = node();
  await made.instance.start();
  await made.clock.advance(MASTER_AFTER_MS);
  expect(made.instance.state, 'the lone node did not become master').toBe('master');
  return made;
}

describe('FakeTransport.failNextOpen', () => {
  // Given a transport whose next open fails with "socket: EPERM"; when the instance starts; then start() rejects
  // with transport_failed whose cause is that error.
  it('makes start() reject with transport_failed caused by the open error', async () => {
    const { transport, instance } = node();
    const cause = new Error('socket: EPERM');
    transport.failNextOpen = cause;
    await expect(instance.start(), 'start() resolved though the transport could not open').rejects.toMatchObject({ code: 'transport_failed', cause });
  });

  // Given the same failed start; then the instance is still in initialize, having sent nothing.
  it('leaves the instance in initialize with nothing sent', async () => {
    const { transport, instance } = node();
    transport.failNextOpen = new Error('socket: EPERM');
    await instance.start().catch(() => undefined);
    expect(instance.state, 'a start whose open failed left its state').toBe('initialize');
    expect(transport.sent, 'something was sent through a transport that never opened').toEqual([]);
  });

  // Given a failed start; when the instance starts again; then the open succeeds (the failure was for one open).
  it('fails one open only', async () => {
    const { transport, instance } = node();
    transport.failNextOpen = new Error('socket: EPERM');
    await instance.start().catch(() => undefined);
    await instance.start();
    expect(instance.state, 'the second start failed too').toBe('backup');
    await instance.stop();
  });
});

describe('FakeTransport.fail', () => {
  // Given a master; when its transport dies; then an `error` event says transport_failed, with the error's message
  // and the error as its cause.
  it('makes the instance report transport_failed', async () => {
    const { clock, transport, instance, errors } = await master();
    const cause = new Error('recvmsg: ENETDOWN');
    transport.fail(cause);
    await clock.advance(0);
    expect(errors.map((error) => `${error.code}: ${error.message}`), 'no transport_failed error was emitted').toEqual(['transport_failed: recvmsg: ENETDOWN']);
    expect(errors[0]?.cause).toBe(cause);
    await instance.stop();
  });

  // Given a master; when its transport dies; then it goes to fault.
  it('takes a master to fault', async () => {
    const { clock, transport, instance } = await master();
    transport.fail(new Error('recvmsg: ENETDOWN'));
    await clock.advance(0);
    expect(instance.state, 'the instance stayed in its state on a dead transport').toBe('fault');
    await instance.stop();
  });

  // Given a transport the instance closed at its stop; when fail() is called; then it throws, saying so, where a
  // silent no-op would let the test go on testing nothing.
  it('throws when the transport is not open', async () => {
    const { transport, instance } = await master();
    await instance.stop();
    expect(() => transport.fail(new Error('too late'))).toThrow(/not open/);
  });
});
