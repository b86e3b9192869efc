/**
 * Logs: an app's pino-shaped logger receives what an operator follows — transitions at info with the instance's
 * bindings, VIP changes, tracker changes, drops at warn, failures at error — on a scripted failover in SimNetwork;
 * a bad logger is a config error naming the field; without a logger nothing is written unless NODE_DEBUG=vrrp.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { warningsDuring } from '../support/warnings.js';
import { ConfigError, VrrpGroup, VrrpInstance, type VrrpConfig } from '../../src/index.js';
import type { VrrpLogFields, VrrpLogger, VrrpLogLevel } from '../../src/logger.js';
import { SimNetwork } from '../../src/testing/index.js';
import { createHarness, peerAdvert, startAsMaster } from '../instance/harness.js';

interface LogLine {
  level: VrrpLogLevel;
  bindings: VrrpLogFields;
  fields: VrrpLogFields;
  message: string;
}

/** A logger that records every call with the bindings of the child it was made on. */
function recordingLogger(): { logger: VrrpLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (bindings: VrrpLogFields): VrrpLogger => {
    const at = (level: VrrpLogLevel) => (fields: VrrpLogFields, message: string) => void lines.push({ level, bindings, fields, message });
    return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => make({ ...bindings, ...more }) };
  };
  return { logger: make({}), lines };
}

const VIP = '192.0.2.100';
const node = (name: string, priority: number, logger: VrrpLogger): VrrpConfig => ({ name, interface: 'eth0', vrid: 51, priority, virtualAddresses: [`${VIP}/24`], logger });

/** a (priority 200) becomes master, is killed, b takes over; returns each node's log. */
async function scriptedFailover() {
  const net = new SimNetwork({ seed: 7 });
  const a = recordingLogger();
  const b = recordingLogger();
  const first = net.addNode(node('a', 200, a.logger), { address: '192.0.2.1' });
  const second = net.addNode(node('b', 100, b.logger), { address: '192.0.2.2' });
  await net.advance(5000);
  expect(first.state).toBe('master');
  await net.kill(first);
  await net.advance(5000);
  expect(second.state).toBe('master');
  await net.stopAll();
  return { a: a.lines, b: b.lines };
}

const infoMessages = (lines: LogLine[]) => lines.filter((line) => line.level === 'info').map((line) => line.message);

describe('logger', () => {
  it('logs every transition at info, in order, with the reason, through a child bound to the instance', async () => {
    const { b } = await scriptedFailover();
    const transitions = b.filter((line) => line.message.includes('→') && 'reason' in line.fields);
    expect(transitions.map((line) => line.message)).toEqual([
      'initialize → backup (startup)',
      'backup → master (master-down-timer-expired)',
      'master → initialize (stopped)',
    ]);
    for (const line of transitions) {
      expect(line.level).toBe('info');
      expect(line.bindings).toEqual({ instance: 'b', vrid: 51 });
    }
    expect(transitions[1]?.fields).toMatchObject({ from: 'backup', to: 'master', reason: 'master-down-timer-expired', term: 1 });
  });

  it('logs the VIPs added on becoming master and removed on leaving it, at info', async () => {
    const { a } = await scriptedFailover();
    const vipLines = a.filter((line) => 'action' in line.fields);
    expect(vipLines.map((line) => [line.level, line.message, line.fields.addresses])).toEqual([
      ['info', `added ${VIP}`, [VIP]],
      ['info', `removed ${VIP}`, [VIP]],
    ]);
  });

  it('logs the master as heard at debug, not info', async () => {
    const { b } = await scriptedFailover();
    expect(b.find((line) => line.message === 'master is 192.0.2.1 (priority 200)')?.level).toBe('debug');
    expect(infoMessages(b).some((message) => message.startsWith('master is'))).toBe(false);
  });

  it('logs a dropped advertisement at warn with its code and sender', async () => {
    const { logger, lines } = recordingLogger();
    const harness = createHarness({ logger });
    await harness.instance.start();
    harness.transport.inject(peerAdvert({ priority: 150, ttl: 64 }));
    await harness.instance.stop();
    const drop = lines.find((line) => line.level === 'warn');
    expect(drop?.fields).toEqual({ code: 'ttl', src: '192.0.2.2' });
    expect(drop?.message).toMatch(/^advertisement from 192\.0\.2\.2 dropped: /);
  });

  it('logs a failure at error and still turns it into a process warning when nobody listens for errors', async () => {
    const { logger, lines } = recordingLogger();
    const harness = createHarness({ logger });
    harness.vips.failNext.add = new Error('boom');
    const warnings = await warningsDuring(async () => {
      await startAsMaster(harness).catch(() => undefined);
      await harness.instance.stop();
    });
    const failure = lines.find((line) => line.level === 'error');
    expect(failure?.fields.code).toBe('vip_failed');
    expect(failure?.message).toBe('could not add virtual addresses: boom');
    expect(warnings.map((warning) => warning.message)).toContain(failure?.message);
  });

  it('logs a tracker going down at info with its reason, and each result at trace', async () => {
    const { logger, lines } = recordingLogger();
    let healthy = true;
    const harness = createHarness({ logger, trackers: [{ type: 'function', name: 'app', intervalMs: 1000, weight: -10, check: () => healthy }] });
    await harness.instance.start();
    healthy = false;
    await harness.clock.advance(1000);
    await harness.instance.stop();
    expect(lines.filter((line) => line.level === 'info' && 'tracker' in line.fields).map((line) => line.message)).toEqual([
      'tracker app unknown → up: check returned true',
      'tracker app up → down: check returned false',
    ]);
    expect(lines.filter((line) => line.level === 'trace').map((line) => line.fields.up)).toEqual([true, false]);
  });

  it('keeps the protocol going when the logger throws', async () => {
    const throwing: VrrpLogger = {
      trace: () => {},
      debug: () => {},
      info: () => {
        throw new Error('log sink full');
      },
      warn: () => {},
      error: () => {},
      child: () => throwing,
    };
    const harness = createHarness({ logger: throwing });
    await startAsMaster(harness);
    expect(harness.instance.state).toBe('master');
    await harness.instance.stop();
  });

  it('rejects a logger without the level methods, naming each missing one under logger', () => {
    const bad = { info: () => {}, child: () => bad } as unknown as VrrpLogger;
    const error = (() => {
      try {
        new VrrpInstance({ interface: 'eth0', vrid: 1, virtualAddresses: ['192.0.2.1'], logger: bad });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'logger.trace: must be a function',
      'logger.debug: must be a function',
      'logger.warn: must be a function',
      'logger.error: must be a function',
    ]);
  });

  it('lists a bad logger beside the other problems of the config, in one error', () => {
    expect(() => new VrrpInstance({ interface: 'eth0', vrid: 0, virtualAddresses: ['192.0.2.1'], logger: 'console' as unknown as VrrpLogger })).toThrow(
      /vrid: must be at least 1[\s\S]*logger: must be a logger/,
    );
  });

  it('logs a sync group\'s state changes through a child bound to the group', async () => {
    const { logger, lines } = recordingLogger();
    const net = new SimNetwork({ seed: 3 });
    const silent = recordingLogger().logger;
    const outside = net.addNode({ ...node('outside', 200, silent), vrid: 1 }, { address: '192.0.2.1', start: false });
    const inside = net.addNode({ ...node('inside', 200, silent), vrid: 2, virtualAddresses: ['192.0.2.101/24'] }, { address: '192.0.2.1', start: false });
    const group = new VrrpGroup('edge', [outside, inside], { logger });
    await group.start();
    await net.advance(5000);
    await net.stopAll();
    const changes = lines.filter((line) => line.level === 'info' && 'reason' in line.fields);
    expect(changes.map((line) => line.message)).toEqual([
      'initialize → backup (members-backup)',
      'backup → master (members-master)',
      'master → initialize (stopped)',
    ]);
    expect(changes[0]?.bindings).toEqual({ group: 'edge' });
  });
});

describe('NODE_DEBUG=vrrp', () => {
  const loader = fileURLToPath(new URL('../interop/fixtures/ts-loader.mjs', import.meta.url));
  const script = fileURLToPath(new URL('./fixtures/log-failover.ts', import.meta.url));
  const run = (env: NodeJS.ProcessEnv) => promisify(execFile)(process.execPath, ['--import', loader, script], { env: { ...process.env, ...env } });

  it('writes the instance\'s lines to stderr through util.debuglog when no logger is given', async () => {
    const { stderr } = await run({ NODE_DEBUG: 'vrrp' });
    expect(stderr).toMatch(/^VRRP \d+: info backup → master \(master-down-timer-expired\) \{"instance":"solo","vrid":7,"from":"backup"/m);
    expect(stderr).toMatch(/^VRRP \d+: info added 192\.0\.2\.77 \{"instance":"solo","vrid":7,"action":"add","addresses":\["192\.0\.2\.77"\]\}$/m);
  });

  it('writes nothing without NODE_DEBUG naming vrrp', async () => {
    const { stderr } = await run({ NODE_DEBUG: 'http' });
    expect(stderr).not.toMatch(/VRRP/);
  });
});
