/**
 * `vrrp status` against a real `vrrp run` (in a network namespace of its own, `unshare -rn`, as
 * test/cli/run-netns.test.ts does): the table and `--json` over the control socket, with what only the engine
 * thread knows (the next timer, the VIP's lease); the SIGUSR1 dump; the socket gone after the run; and another user
 * refused. Skipped, loudly, where namespaces cannot be made.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { enterOwnNetns, OWN_NETNS_SETUP, ownNetnsAvailable, SEND_ADVERTS_FROM_PEER } from '../support/own-netns.js';
import type { RunStatus } from '../../src/control.js';
import { encodeAdvertisement } from '../../src/core/codec.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'dist', 'cli.js');
const available = { ok: ownNetnsAvailable('test/cli/status-run.test.ts') };

interface Line {
  event: string;
  [field: string]: unknown;
}

let dir: string;
let socket: string;
let child: ChildProcess | undefined;
const lines: Line[] = [];
let stderr = '';

/** Resolves with the first line that matches, as `vrrp run` prints them. */
function waitFor(match: (line: Line) => boolean, timeoutMs = 15_000): Promise<Line> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const look = (): void => {
      const found = lines.find(match);
      if (found) return resolve(found);
      if (Date.now() - started > timeoutMs) return reject(new Error(`no such line within ${timeoutMs} ms:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${stderr}`));
      setTimeout(look, 20);
    };
    look();
  });
}

/** Runs `vrrp status …` (as `uid` when given, through setpriv); resolves with its exit code and output. */
function status(args: string[], uid?: number): Promise<{ code: number; stdout: string; stderr: string }> {
  const command = uid === undefined ? [process.execPath, cli, 'status', ...args] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, cli, 'status', ...args];
  return new Promise((resolve) => {
    execFile(command[0] as string, command.slice(1), { timeout: 15_000, maxBuffer: 1 << 24 }, (error, out, err) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: out, stderr: err });
    });
  });
}

describe.skipIf(!available.ok)('vrrp status against a running vrrp run', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vrrp-status-run-'));
    chmodSync(dir, 0o755); // so that another user reaches the socket's door (and is turned away by its mode)
    const control = join(dir, 'control');
    mkdirSync(control, { mode: 0o755 });
    socket = join(control, 'node.sock');
    const config = join(dir, 'node.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'VI_1',
        interface: 'eth0',
        vrid: 51,
        priority: 150,
        advertIntervalMs: 1000,
        virtualAddresses: ['192.168.1.100/24'],
        trackers: [
          { type: 'exec', name: 'chk_true', command: 'true', weight: 2, intervalMs: 1000 },
          // Run on the engine thread: its status can only come from the buffer that thread publishes.
          { type: 'eventLoopLag', name: 'lag', thresholdMs: 5000, weight: -10 },
        ],
      }),
    );
    child = spawn('unshare', ['-rn', 'sh', '-c', OWN_NETNS_SETUP, 'sh', process.execPath, cli, 'run', '--socket', socket, config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        lines.push(JSON.parse(buffered.slice(0, newline)) as Line);
        buffered = buffered.slice(newline + 1);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    await waitFor((line) => line.event === 'stateChange' && line.to === 'master');
  }, 30_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(stderr).toBe('');
  });

  it('names its control socket in the started line', async () => {
    const started = await waitFor((line) => line.event === 'started');
    expect(started.controlSocket).toBe(socket);
    expect(lstatSync(socket).mode & 0o777).toBe(0o600);
  });

  it('--json: the master\'s status from the engine thread — next advert, VIP lease, counters under RFC 6527 names', async () => {
    const result = await status(['--json', '--socket', socket]);
    expect(result.code, result.stderr).toBe(0);
    const [run] = JSON.parse(result.stdout) as RunStatus[];
    const instance = run?.instances[0];
    expect(instance).toMatchObject({ name: 'VI_1', state: 'master', term: 1, master: { self: true, priority: 152 }, engine: { thread: 'worker' } });
    expect(instance?.priority).toMatchObject({
      effective: 152,
      base: 150,
      trackers: [
        { name: 'chk_true', status: 'up', contribution: 2, reason: 'exit code 0' },
        { name: 'lag', type: 'eventLoopLag', status: 'up', contribution: 0, reason: null },
      ],
    });
    // Adverts every 1000 ms: the next is due within an interval (as of the engine's last step).
    expect(instance?.timers.next).toMatchObject({ timer: 'Adver_Timer', repeatsAbsorbed: false });
    expect(instance?.timers.next?.inMs).toBeLessThanOrEqual(1000);
    // A 5 s lease (the default), renewed every third of it: between 2/3 of it and all of it left, give or take a step.
    const vip = instance?.vips[0];
    expect(vip).toMatchObject({ address: '192.168.1.100', prefixLength: 24, held: true, leaseMs: 5000 });
    expect(vip?.leaseRemainingMs).toBeGreaterThan(0);
    expect(vip?.leaseRemainingMs).toBeLessThanOrEqual(5000);
    expect(instance?.counters).toMatchObject({ vrrpv3StatisticsMasterTransitions: 1, vrrpv3StatisticsNewMasterReason: 'masterNoResponse', vrrpv3StatisticsRefreshRate: 100 });
  });

  it('prints a table with a row per instance and its trackers below', async () => {
    const result = await status(['--socket', socket]);
    expect(result.code, result.stderr).toBe(0);
    const [head, columns, row, tracker, lag] = result.stdout.split('\n');
    expect(head).toMatch(new RegExp(`^vrrp run pid \\d+, ${join(dir, 'node.json')}, up `));
    expect(columns).toMatch(/^INSTANCE\s+VRID\s+IF\s+STATE\s+FOR\s+TERM\s+PRIO \(BASE\)\s+MASTER\s+NEXT TIMER\s+VIPS$/);
    expect(row).toMatch(/^VI_1\s+51\s+eth0\s+MASTER\s+\S+\s+1\s+152 \(150\)\s+self\s+advert in \S+\s+192\.168\.1\.100\/24 held, lease \S+$/);
    expect(tracker).toBe('  VI_1: tracker chk_true (exec) up +2 — exit code 0');
    expect(lag).toBe('  VI_1: tracker lag (eventLoopLag) up ±0');
  });

  it('writes the same status as JSON on SIGUSR1, 0600, and says where', async () => {
    const pid = Number((JSON.parse((await status(['--json', '--socket', socket])).stdout) as RunStatus[])[0]?.pid);
    process.kill(pid, 'SIGUSR1');
    const dumped = await waitFor((line) => line.event === 'statusDumped');
    expect(dumped.path).toBe(join(dir, 'control', 'node.status.json'));
    const file = dumped.path as string;
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    const run = JSON.parse(readFileSync(file, 'utf8')) as RunStatus;
    expect(run.pid).toBe(pid);
    expect(run.instances[0]).toMatchObject({ name: 'VI_1', state: 'master' });
  });

  it('turns another user away: vrrp status as uid 65534 is refused', async () => {
    const result = await status(['--socket', socket], 65534);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('permission denied');
  });

  it('removes its socket when it stops', async () => {
    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    child?.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(socket)).toBe(false);
    const result = await status(['--socket', socket]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no such socket');
  });
});


describe.skipIf(!available.ok)('vrrp status of a backup', () => {
  // Given vrrp run at 100 on eth0 and a master at 200 advertising every 100 ms from eth1 (the veth peer)
  // when vrrp status is asked while that master speaks
  // then the backup names it, and its Master_Down_Timer is the core's, flagged as a lower bound while the
  // transport absorbs the master's repeats (they reach the core in a batch just before the timer would fire).
  it('names the master it hears, and says its Master_Down_Timer is a lower bound while repeats are absorbed', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'vrrp-status-backup-'));
    const path = join(scratch, 'backup.sock');
    const config = join(scratch, 'backup.json');
    writeFileSync(config, JSON.stringify({ name: 'VI_B', interface: 'eth0', vrid: 12, priority: 100, advertIntervalMs: 100, virtualAddresses: ['192.168.1.112/24'] }));
    const run = spawn('unshare', ['-rn', 'sh', '-c', OWN_NETNS_SETUP, 'sh', process.execPath, cli, 'run', '--socket', path, config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    run.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const exited = new Promise<number | null>((resolve) => run.once('exit', resolve));
    let sender: ChildProcess | undefined;
    try {
      await until(() => out.includes('"event":"started"'), () => `no started line:\n${out}`);
      const inNamespace = enterOwnNetns(run.pid!);
      execFileSync('nsenter', [...inNamespace, 'ip', 'addr', 'add', '192.168.1.20/24', 'dev', 'eth1']);
      // 192.168.1.20 is local to this namespace: eth0 drops packets from a local source unless told to take them.
      execFileSync('nsenter', [...inNamespace, 'sysctl', '-qw', 'net.ipv4.conf.eth0.accept_local=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.eth0.rp_filter=0']);
      const advert = { version: 3 as const, vrid: 12, priority: 200, advertIntervalMs: 100, addresses: ['192.168.1.112'] };
      const bytes = Buffer.from(encodeAdvertisement(advert, { family: 'ipv4', src: '192.168.1.20', dst: '224.0.0.18', v3Ipv4Checksum: 'pseudo-header' })).toString('hex');
      sender = spawn('nsenter', [...inNamespace, 'python3', '-c', SEND_ADVERTS_FROM_PEER, bytes, '100'], { stdio: 'ignore' });
      let seen: RunStatus['instances'][number] | undefined;
      await until(
        async () => {
          const result = await status(['--json', '--socket', path]);
          seen = result.code === 0 ? (JSON.parse(result.stdout) as RunStatus[])[0]?.instances[0] : undefined;
          return seen?.master?.address === '192.168.1.20' && seen.timers.next?.repeatsAbsorbed === true;
        },
        () => `never a backup absorbing 192.168.1.20's repeats; last status:\n${JSON.stringify(seen, null, 2)}`,
      );
      expect(seen).toMatchObject({ state: 'backup', master: { address: '192.168.1.20', priority: 200, advertIntervalMs: 100, self: false }, engine: { thread: 'worker' } });
      expect(seen?.timers.next?.timer).toBe('Master_Down_Timer');
      // Never later than a full Master_Down_Interval from the last advert the core took.
      expect(seen?.timers.next?.inMs).toBeLessThanOrEqual(seen?.timers.masterDownIntervalMs ?? 0);
    } finally {
      sender?.kill('SIGKILL');
      run.kill('SIGTERM');
      await exited;
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 30_000);
});

/** Polls `check` every 100 ms for up to 10 s; throws `describe()` when it never holds. */
async function until(check: () => boolean | Promise<boolean>, describe: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(describe());
}
