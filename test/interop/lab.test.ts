/**
 * Proves the interop harness itself, with keepalived alone on a namespace L2 segment: addressing and reachability,
 * a VRRPv3 election, a crash failover seen by a client, link cuts, packet capture, and above all that nothing
 * (namespace, process, temp file) outlives a lab, whether it is destroyed, interrupted or killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  destroyAllLabs,
  type KeepalivedHandle,
  keepalivedConf,
  Lab,
  labAvailable,
  isProcessAlive,
  listNamespaces,
  parseTcpdumpVrrp,
  requireLab,
} from './lab.js';

requireLab();

const VRID = 51;

/** VRID 51 over IPv4 and, to prove ff02::12 crosses the bridge too, VRID 52 over IPv6. */
function confFor(lab: Lab, host: string, priority: number): string {
  return keepalivedConf({
    routerId: host,
    instances: [
      { name: 'VI_1', vrid: VRID, priority, vips: [`${lab.ipv4(100)}/24`], advertIntervalS: 0.1, version: 3 },
      { name: 'VI_6', vrid: VRID + 1, priority, vips: [`${lab.ipv6(100)}/64`], advertIntervalS: 0.1, version: 3 },
    ],
  });
}

/** What a crashed keepalived leaves on eth0, removed as a reboot would. */
async function dropStaleVips(lab: Lab, host: string): Promise<void> {
  const held = await lab.addresses(host);
  if (held.includes(lab.ipv4(100))) await lab.exec(host, ['ip', 'addr', 'del', `${lab.ipv4(100)}/24`, 'dev', 'eth0'], { check: true });
  if (held.includes(lab.ipv6(100))) await lab.exec(host, ['ip', 'addr', 'del', `${lab.ipv6(100)}/64`, 'dev', 'eth0'], { check: true });
}

/** Not even a zombie left: reaped, so `pgrep` cannot see it either. */
function reaped(pid: number | undefined): boolean {
  return pid === undefined || !existsSync(`/proc/${pid}`);
}

function namespacesOf(prefix: string): string[] {
  return listNamespaces().filter((name) => name === prefix || name.startsWith(`${prefix}-`));
}

describe('parseTcpdumpVrrp', () => {
  it('reads an IPv4 advert printed on two lines and an IPv6 one on one line', () => {
    const v4 = parseTcpdumpVrrp(
      '1795566284.693251 e6:c6:71:e6:4a:78 > 01:00:5e:00:00:12, ethertype IPv4 (0x0800), length 46: (tos 0xc0, ttl 255, id 1, ' +
        'offset 0, flags [none], proto VRRP (112), length 32) 10.99.200.1 > 224.0.0.18: VRRPv3, Advertisement, vrid 51, ' +
        'prio 150, intvl 10cs, length 12, addrs: 10.99.200.100',
    );
    expect(v4).toMatchObject({ family: 4, src: '10.99.200.1', dst: '224.0.0.18', ttl: 255, version: 3, vrid: 51, prio: 150 });
    expect(v4).toMatchObject({ intervalMs: 100, addrs: ['10.99.200.100'], srcMac: 'e6:c6:71:e6:4a:78', type: 'Advertisement' });
    const v6 = parseTcpdumpVrrp(
      '1795566284.693691 e6:c6:71:e6:4a:78 > 33:33:00:00:00:12, ethertype IPv6 (0x86dd), length 78: (class 0xc0, flowlabel ' +
        '0xc9e23, hlim 255, next-header VRRP (112) payload length: 24) fe80::e4c6:71ff:fee6:4a78 > ff02::12: VRRPv3, ' +
        'Advertisement, vrid 52, prio 0, intvl 10cs, length 24, addrs: 2001:db8:200::100',
    );
    expect(v6).toMatchObject({ family: 6, src: 'fe80::e4c6:71ff:fee6:4a78', dst: 'ff02::12', ttl: 255, vrid: 52, prio: 0 });
    expect(parseTcpdumpVrrp('1795566284.1 e6:c6:71:e6:4a:78 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806)')).toBeUndefined();
  });
});

describe.skipIf(!labAvailable.ok)('interop lab with keepalived alone', () => {
  let lab: Lab;
  let a: KeepalivedHandle;
  let b: KeepalivedHandle;

  beforeAll(async () => {
    lab = await Lab.create({ hosts: ['a', 'b'], ipv6: true, client: true });
    console.log(`[lab] ${lab.prefix}: create ${lab.timings.createMs.toFixed(1)} ms (3 hosts + bridge, IPv4 + IPv6)`);
  });
  afterAll(destroyAllLabs);

  it('builds one L2 segment where the client reaches every host over IPv4, IPv6 and link-local', async () => {
    // given a fresh lab, when the client pings each host, then each answers at once (no DAD, no STP delay)
    for (const name of ['a', 'b']) {
      const host = lab.host(name);
      expect(host.ns.startsWith(`${lab.prefix}-`)).toBe(true);
      const addresses = await lab.addresses(name);
      expect(addresses).toEqual(expect.arrayContaining([host.ipv4, host.ipv6, host.linkLocal]));
      const link = await lab.exec(name, ['ip', '-j', 'link', 'show', 'dev', 'eth0'], { check: true });
      expect(JSON.parse(link.stdout)[0].address).toBe(host.mac);
      expect(await lab.pingUntil('client', name, { timeoutMs: 2_000 })).toBeLessThan(1_000);
      expect(await lab.pingUntil('client', host.ipv6!, { timeoutMs: 2_000 })).toBeLessThan(1_000);
      expect(await lab.pingUntil('client', host.linkLocal!, { timeoutMs: 2_000 })).toBeLessThan(1_000);
    }
  });

  it('gives the VIP to the higher priority keepalived (v3, 100 ms adverts, 150 vs 100)', async () => {
    // given two keepalived on one segment, when both start as BACKUP, then prio 150 wins and holds the VIP alone
    const capture = await lab.capture('client');
    [a, b] = await Promise.all([lab.startKeepalived('a', confFor(lab, 'a', 150)), lab.startKeepalived('b', confFor(lab, 'b', 100))]);
    const tookMs = await lab.waitForAddress('a', lab.ipv4(100), { timeoutMs: 3_000 });
    console.log(`[lab] VIP on a ${tookMs.toFixed(0)} ms after both daemons were up`);
    await a.waitForLog(/\(VI_1\) Entering MASTER STATE/, 1_000);
    await lab.waitForAddress('a', lab.ipv6(100), { timeoutMs: 1_000 });
    expect(await lab.addresses('b')).not.toContain(lab.ipv4(100));
    expect(await lab.addresses('b')).not.toContain(lab.ipv6(100));
    expect(b.lines.some((line) => /Entering MASTER STATE/.test(line))).toBe(false);

    const advert = await capture.waitFor((p) => p.src === lab.host('a').ipv4 && p.prio === 150, 2_000);
    expect(advert).toMatchObject({ version: 3, vrid: VRID, ttl: 255, intervalMs: 100, dst: '224.0.0.18' });
    expect(advert.srcMac).toBe(lab.host('a').mac);
    expect(advert.addrs).toEqual([lab.ipv4(100)]);
    const advert6 = await capture.waitFor((p) => p.family === 6 && p.src === lab.host('a').linkLocal, 2_000);
    expect(advert6).toMatchObject({ version: 3, vrid: VRID + 1, prio: 150, ttl: 255, dst: 'ff02::12', addrs: [lab.ipv6(100)] });
    await capture.stop();
  });

  it('moves the VIP to the backup within 1 s of a SIGKILL, and the client pings the VIP again', async () => {
    // given a pinging client and a as master, when a's keepalived is SIGKILLed (no priority 0), then b takes over
    // within MasterDownInterval = 3 × 100 + (256 − 100) × 100 / 256 ≈ 361 ms and the client's pings go on
    const pinger = lab.pinger('client', lab.ipv4(100), { intervalMs: 10 });
    await pinger.waitForReplies(20, 3_000);
    const capture = await lab.capture('client');
    const mark = b.lines.length;
    const killedAt = Date.now();
    await a.kill();
    await lab.waitForAddress('b', lab.ipv4(100), { timeoutMs: 1_000, pollMs: 5 });
    const tookMs = Date.now() - killedAt;
    await b.waitForLog(/\(VI_1\) Entering MASTER STATE/, 1_000, mark);
    await pinger.waitForReplies(20, 3_000, killedAt + tookMs);
    await pinger.stop();
    await capture.stop();

    const gap = pinger.longestGap(killedAt - 500)!;
    const takeover = capture.packets.find((p) => p.src === lab.host('b').ipv4 && p.timeMs >= killedAt)!;
    console.log(
      `[lab] keepalived SIGKILL: b's first advert ${(takeover.timeMs - killedAt).toFixed(0)} ms after the kill, VIP seen on b ` +
        `${tookMs.toFixed(0)} ms after; client outage ${gap.gapMs.toFixed(1)} ms (a's kernel kept answering for the VIP)`,
    );
    expect(tookMs).toBeLessThan(1_000);
    expect(gap.gapMs).toBeLessThan(1_000);
    // A crash sends no priority 0 (a clean stop would), so b's takeover was a real master-down timeout.
    expect(capture.packets.some((p) => p.src === lab.host('a').ipv4 && p.prio === 0)).toBe(false);
    expect(takeover.timeMs - killedAt).toBeGreaterThan(200);
    expect(a.exited).toBe(true);
    expect(isProcessAlive(a.pid)).toBe(false);
    // keepalived dies without removing its VIP: a's kernel still owns it and still answers ARP and ping for it
    // (a duplicate address; b's gratuitous ARPs are what move the client).
    expect(await lab.addresses('a')).toContain(lab.ipv4(100));
  });

  it('measures a host crash (keepalived SIGKILLed and the link cut together) as a client outage', async () => {
    // given a back as master (its stale VIP removed first, as a reboot would), when its daemon and its link die
    // at the same instant, then the client sees no reply until b's down timer fires and b's GARPs arrive
    await dropStaleVips(lab, 'a');
    const bMark = b.lines.length;
    a = await lab.startKeepalived('a', confFor(lab, 'a', 150));
    await lab.waitForAddress('a', lab.ipv4(100), { timeoutMs: 3_000 });
    await b.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 1_000, bMark);
    await lab.waitForAddress('b', lab.ipv4(100), { present: false, timeoutMs: 1_000 });

    const pinger = lab.pinger('client', lab.ipv4(100), { intervalMs: 10 });
    await pinger.waitForReplies(20, 3_000);
    const crashedAt = Date.now();
    await Promise.all([a.kill(), lab.linkDown('a')]);
    await lab.waitForAddress('b', lab.ipv4(100), { timeoutMs: 1_000, pollMs: 5 });
    const tookMs = Date.now() - crashedAt;
    await pinger.waitForReplies(20, 3_000, crashedAt + tookMs);
    await pinger.stop();

    const gap = pinger.longestGap(crashedAt - 500)!;
    console.log(
      `[lab] host crash: VIP seen on b ${tookMs.toFixed(0)} ms after; client outage ${gap.gapMs.toFixed(1)} ms ` +
        `(last reply ${(gap.lastBeforeMs - crashedAt).toFixed(1)} ms, first ${(gap.firstAfterMs - crashedAt).toFixed(1)} ms ` +
        'after the crash; RFC bound 361 ms + one ping interval)',
    );
    expect(gap.gapMs).toBeGreaterThan(200);
    expect(gap.gapMs).toBeLessThan(1_000);

    await lab.linkUp('a');
    await dropStaleVips(lab, 'a');
  });

  it('cuts and restores a link at the bridge side (carrier loss) and inside the host; keepalived sees both', async () => {
    // given b as master, when its bridge port goes down, then eth0 reports no carrier, keepalived goes to FAULT
    // and the client cannot reach b; when it comes back, b is master again
    const carrier = async (): Promise<string> =>
      (await lab.exec('b', ['cat', '/sys/class/net/eth0/carrier'], { check: true })).stdout.trim();
    let mark = b.lines.length;
    await lab.linkDown('b');
    expect(await carrier()).toBe('0');
    await b.waitForLog(/\(VI_1\) Entering FAULT STATE/, 1_000, mark);
    const lost = await lab.exec('client', ['ping', '-c', '1', '-W', '0.3', lab.host('b').ipv4]);
    expect(lost.code).not.toBe(0);
    mark = b.lines.length;
    await lab.linkUp('b');
    expect(await carrier()).toBe('1');
    await b.waitForLog(/\(VI_1\) Entering MASTER STATE/, 2_000, mark);
    expect(await lab.pingUntil('client', 'b', { timeoutMs: 2_000 })).toBeLessThan(2_000);

    // when eth0 itself is set down inside b, then it is down, keepalived goes to FAULT and gives up the VIP
    mark = b.lines.length;
    await lab.linkDown('b', 'host');
    const state = await lab.exec('b', ['ip', '-j', 'link', 'show', 'dev', 'eth0'], { check: true });
    expect(JSON.parse(state.stdout)[0].flags).not.toContain('UP');
    await b.waitForLog(/\(VI_1\) Entering FAULT STATE/, 1_000, mark);
    await lab.waitForAddress('b', lab.ipv4(100), { present: false, timeoutMs: 1_000 });
    mark = b.lines.length;
    await lab.linkUp('b', 'host');
    await b.waitForLog(/\(VI_1\) Entering MASTER STATE/, 2_000, mark);
    await lab.waitForAddress('b', lab.ipv4(100), { timeoutMs: 1_000 });
    expect(await lab.pingUntil('client', lab.ipv4(100), { timeoutMs: 2_000 })).toBeLessThan(2_000);
  });

  it('stops keepalived cleanly: priority 0 on the wire and the VIP removed', async () => {
    const capture = await lab.capture('client');
    const started = performance.now();
    await b.stop();
    console.log(`[lab] keepalived SIGTERM → exit: ${(performance.now() - started).toFixed(0)} ms`);
    await capture.waitFor((p) => p.src === lab.host('b').ipv4 && p.prio === 0, 1_000);
    await capture.stop();
    expect(await lab.addresses('b')).not.toContain(lab.ipv4(100));
  });

  it('leaves no namespace, process or temp file behind after destroy()', async () => {
    // given a lab with a running keepalived, a pinger and a capture, when it is destroyed, then nothing is left
    const c = await lab.startKeepalived('b', confFor(lab, 'b', 100));
    const vrrpPid = c.vrrpPid();
    lab.pinger('client', 'a');
    await lab.capture('a');
    expect(isProcessAlive(vrrpPid)).toBe(true);

    await lab.destroy();
    console.log(`[lab] destroy ${lab.timings.destroyMs!.toFixed(1)} ms (keepalived, ping and tcpdump running)`);
    expect(namespacesOf(lab.prefix)).toEqual([]);
    // keepalived's parent reaped its VRRP child before exiting, and we reaped the parent: no zombies either.
    expect(reaped(c.pid)).toBe(true);
    expect(reaped(vrrpPid)).toBe(true);
    expect(existsSync(lab.tmpDir)).toBe(false);
    await lab.destroy(); // idempotent
    expect(() => lab.spawn('a', ['true'])).toThrow(/destroyed/);
  });
});

describe.skipIf(!labAvailable.ok)('interop lab cleanup when its owner dies', () => {
  const child = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
  const loader = fileURLToPath(new URL('./fixtures/ts-loader.mjs', import.meta.url));

  interface ChildLab {
    prefix: string;
    tmpDir: string;
    keepalivedPid: number;
    vrrpPid?: number;
  }

  // A test that fails before it kills its owner must not leave it running with its lab and keepalived: the owner is
  // killed (its daemons die with it, by their death signal) and its namespaces swept, whatever happened.
  const owners: ChildProcess[] = [];
  afterEach(async () => {
    for (const owner of owners.splice(0)) {
      if (owner.exitCode !== null || owner.signalCode !== null) continue;
      const exited = new Promise((resolve) => owner.once('exit', resolve));
      owner.kill('SIGKILL');
      await exited;
    }
    await Lab.sweepStale();
  });

  /** Runs crash-child.ts and resolves once its lab and keepalived are up. */
  function startOwner(): Promise<{ info: ChildLab; kill: (signal: NodeJS.Signals) => Promise<NodeJS.Signals | null> }> {
    const owner = spawn(process.execPath, ['--import', loader, child], { stdio: ['ignore', 'pipe', 'pipe'] });
    owners.push(owner);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => owner.once('exit', (_code, signal) => resolve(signal)));
    let stderr = '';
    owner.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return new Promise((resolve, reject) => {
      let stdout = '';
      owner.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.includes('\n')) {
          const info = JSON.parse(stdout.split('\n')[0]!) as ChildLab;
          resolve({ info, kill: async (signal) => (owner.kill(signal), exited) });
        }
      });
      void exited.then(() => reject(new Error(`crash-child exited early: ${stderr}`)));
    });
  }

  async function settle(check: () => boolean, timeoutMs = 3_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (check()) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return check();
  }

  it('builds labs in parallel with distinct numbers and namespaces, and destroys idle ones fast', async () => {
    const labs = await Promise.all([Lab.create({ hosts: ['x', 'y'] }), Lab.create({ hosts: ['x', 'y'] })]);
    const [one, two] = labs as [Lab, Lab];
    try {
      expect(one.n).not.toBe(two.n);
      expect(one.host('x').ns).not.toBe(two.host('x').ns);
      await one.pingUntil('x', 'y', { timeoutMs: 2_000 }); // throws if y never answers
    } finally {
      await Promise.all(labs.map((lab) => lab.destroy())); // also when an assertion above failed (idempotent)
    }
    console.log(
      `[lab] two labs of 2 hosts in parallel: create ${one.timings.createMs.toFixed(1)} / ${two.timings.createMs.toFixed(1)} ms, ` +
        `destroy (nothing running) ${one.timings.destroyMs!.toFixed(1)} / ${two.timings.destroyMs!.toFixed(1)} ms`,
    );
    expect([...namespacesOf(one.prefix), ...namespacesOf(two.prefix)]).toEqual([]);
  });

  it('tears everything down synchronously when the owner gets SIGINT (Ctrl-C)', async () => {
    const { info, kill } = await startOwner();
    expect(namespacesOf(info.prefix)).toHaveLength(2);
    expect(isProcessAlive(info.keepalivedPid)).toBe(true);
    expect(await kill('SIGINT')).toBe('SIGINT'); // re-raised after cleanup, so it still dies of SIGINT
    expect(namespacesOf(info.prefix)).toEqual([]);
    expect(await settle(() => !isProcessAlive(info.keepalivedPid) && !isProcessAlive(info.vrrpPid))).toBe(true);
    expect(existsSync(info.tmpDir)).toBe(false);
    // Orphans of a dead owner are reaped by init, which may take a second; wait, so no zombie outlives the suite.
    expect(await settle(() => reaped(info.keepalivedPid) && reaped(info.vrrpPid), 5_000)).toBe(true);
  });

  it('kills the daemons of a SIGKILLed owner (death signal) and sweepStale() removes its namespaces', async () => {
    const { info, kill } = await startOwner();
    expect(await kill('SIGKILL')).toBe('SIGKILL');
    // Nothing ran in the owner: its namespaces are still there, but its processes die with it.
    expect(namespacesOf(info.prefix)).toHaveLength(2);
    expect(await settle(() => !isProcessAlive(info.keepalivedPid))).toBe(true);
    const swept = await Lab.sweepStale();
    expect(swept).toEqual(expect.arrayContaining([info.prefix, `${info.prefix}-a`]));
    expect(namespacesOf(info.prefix)).toEqual([]);
    expect(await settle(() => !isProcessAlive(info.vrrpPid))).toBe(true);
    expect(existsSync(info.tmpDir)).toBe(false);
    expect(await settle(() => reaped(info.keepalivedPid) && reaped(info.vrrpPid), 5_000)).toBe(true);
  });
});
