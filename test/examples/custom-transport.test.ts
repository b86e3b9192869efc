/**
 * examples/custom-transport: a user-written Transport (VRRP over UDP between unicast peers) carries a real election
 * and a failover — in this process, and between two processes — on loopback addresses 127.0.0.1 and 127.0.0.2, in
 * real time with 100 ms adverts. No root needed: a UDP socket needs no privilege.
 *
 * The two-process test runs examples/custom-transport/node.js with plain node, whose `import 'vrrp'` is the built
 * package (dist/, which `npm test` builds first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { VrrpInstance } from 'vrrp';
import { startNode } from '../../examples/custom-transport/node.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const INTERVAL_MS = 100;
// VRRPv3: Master_Down_Interval = 3 × interval + (256 − priority) × interval / 256; a backup at 100 takes over from
// a silent master within it, and within the skew alone after a priority-0 advert. Printed beside the times seen,
// not asserted (timing is the benchmarks'): the tests assert what caused each takeover.
const MASTER_DOWN_MS = 3 * INTERVAL_MS + ((256 - 100) * INTERVAL_MS) / 256;
const SKEW_MS = ((256 - 100) * INTERVAL_MS) / 256;

/** A UDP port free on both loopback addresses. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await bindAndClose(0, '127.0.0.1');
    if ((await bindAndClose(port, '127.0.0.2').catch(() => 0)) === port) return port;
  }
}

function bindAndClose(port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, address, () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}

/** Resolves with the time `instance` became `state`, or rejects after `ms`. */
function reaches(instance: VrrpInstance, state: 'master' | 'backup', ms: number): Promise<number> {
  return Promise.race([
    instance.waitFor(state).then(() => performance.now()),
    new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`${instance.config.name} not ${state} within ${ms} ms`)), ms)),
  ]);
}

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('custom transport: VRRP over UDP, in one process', () => {
  it('elects the higher priority and hands over within the skew on a clean stop', async () => {
    const port = await freePort();
    const quiet = (): void => {};
    const a = await startNode({ name: 'a', address: '127.0.0.1', peers: ['127.0.0.2'], priority: 200, port, advertIntervalMs: INTERVAL_MS, print: quiet });
    cleanups.push(() => a.stop());
    const b = await startNode({ name: 'b', address: '127.0.0.2', peers: ['127.0.0.1'], priority: 100, port, advertIntervalMs: INTERVAL_MS, print: quiet });
    cleanups.push(() => b.stop());

    await reaches(a, 'master', 2_000);
    await new Promise((resolve) => setTimeout(resolve, 5 * INTERVAL_MS));
    expect(b.state).toBe('backup'); // it hears a's adverts over UDP
    expect(b.stats.advertisementsReceived).toBeGreaterThan(0);
    expect(b.stats.checksumErrors).toBe(0); // the v3 checksum covers our addresses: the transport reports them right

    const stoppedAt = performance.now();
    const takeover = reaches(b, 'master', 2_000);
    await a.stop(); // sends priority 0 through the transport before closing it
    const tookMs = (await takeover) - stoppedAt;
    console.log(`[custom-transport] priority 0 → b master in ${tookMs.toFixed(1)} ms (Skew_Time ${SKEW_MS} ms)`);
    expect(b.stats.priorityZeroReceived).toBeGreaterThan(0); // the UDP transport carried a's resignation
  });

  it('refuses to open without unicast peers, saying why', async () => {
    await expect(startNode({ name: 'lonely', address: '127.0.0.1', peers: [], priority: 100, port: await freePort(), print: () => {} })).rejects.toThrow(/unicastPeers/);
  });
});

describe('custom transport: VRRP over UDP, between two processes', () => {
  const script = `${root}examples/custom-transport/node.js`;

  /** Starts node.js as its own process; `lines` collects its JSON output. */
  function spawnNode(name: string, address: string, peer: string, priority: number, port: number) {
    const child: ChildProcess = spawn(process.execPath, [script, '--name', name, '--address', address, '--peer', peer, '--priority', String(priority), '--port', String(port), '--interval', String(INTERVAL_MS)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => void child.kill('SIGKILL'));
    const lines: { event: string; to?: string; at: number }[] = [];
    const waiters: (() => void)[] = [];
    createInterface({ input: child.stdout! }).on('line', (text) => {
      lines.push({ ...JSON.parse(text), at: performance.now() });
      for (const wake of waiters.splice(0)) wake();
    });
    /** Resolves with the first line matching, waiting up to `ms`. */
    const next = (match: (line: (typeof lines)[number]) => boolean, ms: number) =>
      new Promise<(typeof lines)[number]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no matching line within ${ms} ms; got ${JSON.stringify(lines)}`)), ms);
        const look = (): void => {
          const found = lines.find(match);
          if (found) {
            clearTimeout(timer);
            resolve(found);
          } else waiters.push(look);
        };
        look();
      });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, lines, next, exited };
  }

  it('fails over when the master process is killed, and stops cleanly on SIGTERM', async () => {
    if (!existsSync(`${root}dist/index.js`)) throw new Error('dist/ is missing: run npm run build (npm test does)');
    const port = await freePort();
    const a = spawnNode('a', '127.0.0.1', '127.0.0.2', 200, port);
    const b = spawnNode('b', '127.0.0.2', '127.0.0.1', 100, port);
    await a.next((line) => line.to === 'master', 5_000);
    await b.next((line) => line.to === 'backup', 5_000);

    const killedAt = performance.now();
    a.child.kill('SIGKILL'); // a crash: no priority 0, b must notice the silence
    const takeover = await b.next((line) => line.to === 'master', 5_000);
    console.log(`[custom-transport] kill → b master in ${(takeover.at - killedAt).toFixed(1)} ms (Master_Down_Interval ${MASTER_DOWN_MS} ms)`);
    expect((takeover as { reason?: string }).reason).toBe('master-down-timer-expired'); // it noticed the silence
    await b.next((line) => line.event === 'vip' && (line as { op?: string }).op === 'add', 1_000);

    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(b.lines.some((line) => line.to === 'initialize')).toBe(true);
  });
});
