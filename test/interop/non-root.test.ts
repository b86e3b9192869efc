/**
 * `vrrp run` and `vrrp doctor` as an unprivileged user (uid 65534, nobody) with exactly CAP_NET_RAW and
 * CAP_NET_ADMIN as ambient capabilities — what a systemd unit's `User=` + `AmbientCapabilities=` +
 * `CapabilityBoundingSet=` + `NoNewPrivileges=yes` give a service (docs/running-without-root.md) — beside a real
 * keepalived on a namespace segment; and the same user without them.
 *
 * The lab needs root to build; every process of ours is then started through `setpriv`, which switches uid and gid,
 * drops the supplementary groups and sets the capability sets before it execs node. setpriv's `--pdeathsig` does not
 * survive the uid switch (the kernel clears it when credentials change), so a process left by a SIGKILLed test run
 * is removed by the lab's other layers: teardown kills every pid inside the lab's namespaces, and the next run's
 * sweep deletes stale namespaces and `vrrpt-<pid>-` temp dirs.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { skipLoudly } from '../support/loud-skip.js';
import { type Capture, Lab, labAvailable, poll, requireLab, tools } from './lab.js';
import { keepalivedSide, ourConfig, vipOf } from './scenario.js';
import { startVrrp } from './vrrp-process.js';

requireLab();

const repo = fileURLToPath(new URL('../..', import.meta.url));
/** The unprivileged user every process of ours runs as. */
const UID = 65534;
const TWO_CAPS = '-all,+net_raw,+net_admin';
/** Exactly CAP_NET_RAW and CAP_NET_ADMIN: inheritable and ambient (so they survive exec), and the bounding set. */
const WITH_CAPS = [`--inh-caps=${TWO_CAPS}`, `--ambient-caps=${TWO_CAPS}`, `--bounding-set=${TWO_CAPS}`, '--no-new-privs'];
/** No capability at all, none to gain. */
const NO_CAPS = ['--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all'];

/** The command prefix that runs what follows as {@link UID}, with `caps`, in a clean environment plus `env`. */
function asUser(caps: string[], env: Record<string, string> = {}): string[] {
  const assignments = Object.entries(env).map(([key, value]) => `${key}=${value}`);
  return ['env', '-u', 'VRRP_STATE_DIR', '-u', 'XDG_RUNTIME_DIR', ...assignments, tools.setpriv!, `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', ...caps, '--'];
}

/** The runtime files of the package: what `vrrp run` loads (dist, the addon, the runtime dependencies). */
const RUNTIME_FILES = ['package.json', 'dist', 'build/Release/vrrp_packet.node', ...['eventemitter3', 'zod', 'netlink', 'node-gyp-build'].map((name) => `node_modules/${name}`)];

/** Whether {@link UID} can read every path (as it would load them, parents included). */
function readableByUser(paths: string[]): boolean {
  const check = 'for (const p of JSON.parse(process.argv[1])) require("fs").accessSync(p, require("fs").constants.R_OK)';
  try {
    execFileSync(tools.setpriv!, [`--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', process.execPath, '-e', check, JSON.stringify(paths)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A directory of this run that {@link UID} can enter (`vrrpt-<pid>-…`, swept if the run dies): the package (the
 * repository itself when that uid can read it, else a copy of its runtime files), configs, and an
 * XDG_RUNTIME_DIR of that user's own.
 */
function prepareUserDir(): { dir: string; cli: string; configDir: string; xdg: string; copied: boolean } {
  const dir = mkdtempSync(join(tmpdir(), `vrrpt-${process.pid}-nonroot-`));
  chmodSync(dir, 0o755);
  let root = repo;
  // VRRP_TEST_COPY_PACKAGE=1 takes the copy path even where the repository is readable, to test it.
  const copied = process.env.VRRP_TEST_COPY_PACKAGE === '1' || !readableByUser(RUNTIME_FILES.map((path) => join(repo, path)));
  if (copied) {
    root = join(dir, 'package');
    for (const path of RUNTIME_FILES) cpSync(join(repo, path), join(root, path), { recursive: true, dereference: true });
    execFileSync('chmod', ['-R', 'a+rX', root]);
  }
  const configDir = join(dir, 'configs');
  mkdirSync(configDir, { mode: 0o755 });
  chmodSync(configDir, 0o755);
  const xdg = join(dir, 'xdg');
  mkdirSync(xdg, { mode: 0o700 });
  chownSync(xdg, UID, UID);
  return { dir, cli: join(root, 'dist', 'cli.js'), configDir, xdg, copied };
}

/** The uid, gid and capability sets of the `node` processes running in a lab host (read from /proc as root). */
function processesIn(lab: Lab, host: string): { uid: string; gid: string; groups: string; effective: string; permitted: string; ambient: string; bounding: string }[] {
  const pids = execFileSync(tools.ip!, ['netns', 'pids', lab.host(host).ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
  return pids.flatMap((pid) => {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      return [];
    }
    if (!/^Name:\s*node$/m.test(status)) return [];
    const field = (name: string): string => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
    return [{ uid: field('Uid'), gid: field('Gid'), groups: field('Groups'), effective: field('CapEff'), permitted: field('CapPrm'), ambient: field('CapAmb'), bounding: field('CapBnd') }];
  });
}

/** Gratuitous ARP requests for `vip` sent from `mac`, as the capture saw them (`who-has VIP (ff:…) tell VIP`). */
function garpsFrom(capture: Capture, mac: string, vip: string): string[] {
  return capture.lines.filter((line) => line.includes(`${mac} >`) && line.includes(`Request who-has ${vip} `) && line.includes(`tell ${vip},`));
}

/** The valid lifetime (s) the kernel reports for `address` on a host's eth0; 4294967295 is forever. */
async function validLifetime(lab: Lab, host: string, address: string): Promise<number | undefined> {
  const result = await lab.exec(host, ['ip', '-j', 'addr', 'show', 'dev', 'eth0'], { check: true });
  const links = JSON.parse(result.stdout) as { addr_info?: { local: string; valid_life_time?: number }[] }[];
  return links.flatMap((link) => link.addr_info ?? []).find((info) => info.local === address)?.valid_life_time;
}

const labReady = labAvailable.ok && tools.setpriv !== undefined;
// Loud by hand, a failure under CI=true: .ci/run installs util-linux, so a missing setpriv there is a broken install.
skipLoudly('test/interop/non-root.test.ts', 'without root: uid 65534 with only CAP_NET_RAW and CAP_NET_ADMIN', labAvailable.ok && tools.setpriv === undefined ? 'setpriv (util-linux) not found' : undefined);

describe.skipIf(!labReady)('without root: uid 65534 with only CAP_NET_RAW and CAP_NET_ADMIN', () => {
  let user: ReturnType<typeof prepareUserDir>;
  let lab: Lab;
  beforeAll(() => {
    user = prepareUserDir();
  });
  afterAll(() => {
    if (user !== undefined) rmSync(user.dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  const holdsVip = async (host: string): Promise<boolean> => (await lab.addresses(host)).includes(vipOf(lab));
  /** Where our markers for host `us` go: under the user's XDG_RUNTIME_DIR, named by the namespace's inode. */
  const markerDir = (): string => join(user.xdg, 'vrrp', String(statSync(join('/run/netns', lab.host('us').ns)).ino), 'eth0');
  /** Our CLI from the package that uid can read, with configs it can read. */
  const pkg = (): { cli: string; configDir: string } => ({ cli: user.cli, configDir: user.configDir });

  // Given keepalived master at 200 and our `vrrp run` at 100, started as uid 65534 with only the two capabilities
  // when keepalived stops (priority 0), and later starts again
  // then we are backup while it runs, take the VIP over when it stops — the client sees our gratuitous ARP, its ARP
  // entry moves to our MAC and its pings go on —, and give the VIP back when it returns; markers live under the
  // user's XDG_RUNTIME_DIR and a clean stop removes them.
  it('elects beside keepalived, takes the VIP over with gratuitous ARP, and gives it back', async () => {
    lab = await Lab.create({ hosts: ['ka', 'us'], client: true });
    const vip = vipOf(lab);
    const usMac = lab.host('us').mac;
    const kaMac = lab.host('ka').mac;
    // The VIP is a /24 in the lab: with promote_secondaries it gets a kernel lease (vipLeaseMs), whose renewals
    // (RTM_NEWADDR with NLM_F_REPLACE) must work with CAP_NET_ADMIN alone too.
    await lab.exec('us', ['sysctl', '-qw', 'net.ipv4.conf.eth0.promote_secondaries=1'], { check: true });
    let ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 200 }));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);

    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 100 }), { wrapper: asUser(WITH_CAPS, { XDG_RUNTIME_DIR: user.xdg }), ...pkg() });
    await us.waitForState('backup', 5000);
    // It is what a unit with User= and AmbientCapabilities= would start: uid and gid 65534, no groups, 0x3000
    // (bits 12 and 13) in every set and nothing else.
    const caps = '0000000000003000';
    expect(processesIn(lab, 'us')).toEqual([{ uid: `${UID}\t${UID}\t${UID}\t${UID}`, gid: `${UID}\t${UID}\t${UID}\t${UID}`, groups: '', effective: caps, permitted: caps, ambient: caps, bounding: caps }]);

    const pinger = lab.pinger('client', vip, { intervalMs: 20 });
    await pinger.waitForReplies(3, 5000);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // past the client's ARP locktime (1 s), so a gratuitous ARP may override
    expect(us.events.filter((e) => e.event === 'stateChange' && e.to === 'master')).toEqual([]);
    expect({ us: await holdsVip('us'), ka: await holdsVip('ka') }).toEqual({ us: false, ka: true });
    expect(await lab.neighborMac('client', vip)).toBe(kaMac);

    const capture = await lab.capture('client', 'arp');
    const beforeTakeover = us.events.length;
    await ka.stop();
    await us.waitForState('master', 5000, beforeTakeover);
    expect(await holdsVip('us')).toBe(true);
    // One marker file per process, `<address>@<pid>`, holding `<pid>:<start time> <state>` (src/linux/vip/markers.ts).
    const markers = readdirSync(markerDir()).filter((name) => name.startsWith(`${vip}@`));
    expect(markers, 'marker files of the VIP').toHaveLength(1);
    expect(readFileSync(join(markerDir(), markers[0] ?? ''), 'utf8')).toMatch(/^\d+:\d+ (adding|\d+) *\n$/);
    await poll('our gratuitous ARP at the client', () => (garpsFrom(capture, usMac, vip).length > 0 ? true : undefined));
    await poll(`the client's ARP entry for ${vip} to move to ${usMac}`, async () => ((await lab.neighborMac('client', vip)) === usMac ? true : undefined));
    await pinger.waitForReplies(5, 5000, Date.now());
    // Leased, and the lease renewed: after twice its length (5 s) the address is still there, still leased.
    expect(await validLifetime(lab, 'us', vip)).toBeLessThanOrEqual(5);
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(await validLifetime(lab, 'us', vip)).toBeLessThanOrEqual(5);
    expect(us.events.filter((e) => e.event === 'stateChange').map((e) => e.to)).toEqual(['backup', 'master']);

    const beforeReturn = us.events.length;
    ka = await lab.startKeepalived('ka', keepalivedSide(lab, 'ka', { priority: 200 }));
    await ka.waitForLog(/Entering MASTER STATE/, 5000);
    await us.waitForState('backup', 5000, beforeReturn);
    await lab.waitForAddress('us', vip, { present: false });
    expect(await holdsVip('ka')).toBe(true);
    await poll(`the client's ARP entry for ${vip} to move back to ${kaMac}`, async () => ((await lab.neighborMac('client', vip)) === kaMac ? true : undefined));
    await pinger.waitForReplies(5, 5000, Date.now());
    await capture.stop();
    await pinger.stop();

    expect(await us.stop(), us.describe()).toBe(0);
    // A clean stop deletes its markers, and the directories they leave empty (linux-adapters.test.ts).
    expect(existsSync(markerDir()), `${markerDir()} is left`).toBe(false);
    expect(us.stderr).not.toContain('VRRP_NO_MARKER_DIR');
    expect(us.events.filter((e) => e.event === 'error'), us.describe()).toEqual([]);
  });

  // Given our master, unprivileged, SIGKILLed with its VIP up (no cleanup)
  // when it is started again the same way
  // then its marker (under XDG_RUNTIME_DIR: /run is root's) lets the new run remove the leftover before the
  // protocol starts. Before markers moved, they could not be written without root and the VIP stayed for good.
  it('a crashed run leaves a marker it can write, and the next run removes its VIP', async () => {
    lab = await Lab.create({ hosts: ['us'] });
    const config = ourConfig(lab, 'us', { priority: 150 });
    const wrapper = asUser(WITH_CAPS, { XDG_RUNTIME_DIR: user.xdg });
    const first = startVrrp(lab, 'us', config, { wrapper, ...pkg() });
    await first.waitForState('master', 5000);
    expect(readdirSync(markerDir())).toEqual([expect.stringMatching(new RegExp(`^${vipOf(lab).replaceAll('.', '\\.')}@\\d+$`))]);
    await first.kill();
    expect(await holdsVip('us')).toBe(true);
    const second = startVrrp(lab, 'us', config, { wrapper, ...pkg() });
    await second.waitForState('backup', 5000);
    expect(await holdsVip('us')).toBe(false);
    await second.waitForState('master', 5000);
    expect(await second.stop(), second.describe()).toBe(0);
    expect(await holdsVip('us')).toBe(false);
  });

  // Given no place for markers (no XDG_RUNTIME_DIR, /run/vrrp root's); when our master runs
  // then it still works, and says once, on stderr, that a crash's VIPs would not be cleaned and how to fix it.
  it('without a marker directory, runs and warns once how to get one', async () => {
    lab = await Lab.create({ hosts: ['us'] });
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }), { wrapper: asUser(WITH_CAPS), ...pkg() });
    await us.waitForState('master', 5000);
    expect(await holdsVip('us')).toBe(true);
    expect(await us.stop(), us.describe()).toBe(0);
    expect(await holdsVip('us')).toBe(false);
    const warnings = us.stderr.split('\n').filter((line) => line.includes('VRRP_NO_MARKER_DIR'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`/run/vrrp is not writable by uid ${UID} and XDG_RUNTIME_DIR is not set`);
    expect(warnings[0]).toContain('RuntimeDirectory=vrrp with RuntimeDirectoryPreserve=yes');
  });

  // Given the same user without any capability; when `vrrp run` starts
  // then it exits 1 at once with an error that names both missing capabilities and the uid, and points at
  // `vrrp doctor`; nothing is left on the interface.
  it('with no capabilities, fails with an error naming what is missing', async () => {
    lab = await Lab.create({ hosts: ['us'] });
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }), { wrapper: asUser(NO_CAPS, { XDG_RUNTIME_DIR: user.xdg }), ...pkg() });
    const error = await us.waitFor((e) => e.event === 'error', 5000);
    expect(error.code).toBe('transport_failed');
    expect(String(error.message)).toContain(`this process (uid ${UID}) lacks CAP_NET_RAW and CAP_NET_ADMIN`);
    expect(String(error.message)).toContain('`vrrp doctor` says how to grant them without root');
    await poll('vrrp run to exit', () => (us.exitCode !== null ? true : undefined));
    expect(us.exitCode).toBe(1);
    expect(await holdsVip('us')).toBe(false);
  });
});

describe.skipIf(!labReady)('vrrp doctor without root', () => {
  let user: ReturnType<typeof prepareUserDir>;
  let lab: Lab;
  beforeAll(async () => {
    user = prepareUserDir();
    lab = await Lab.create({ hosts: ['us'] });
  });
  afterAll(async () => {
    await lab?.destroy();
    if (user !== undefined) rmSync(user.dir, { recursive: true, force: true });
  });

  const doctor = (caps: string[], env: Record<string, string> = {}, cli = user.cli) =>
    lab.exec('us', [...asUser(caps, env), process.execPath, cli, 'doctor', '--interface', 'eth0']);

  // Given uid 65534 with no capability and nowhere to keep markers
  // then doctor fails (exit 1), names each missing capability with what it is for, the marker directory, and
  // leads its advice with a systemd unit (User=, AmbientCapabilities=, CapabilityBoundingSet=), then container
  // flags with the host network, and only last setcap on node with its warning.
  it('names each missing capability and the marker directory, and leads with a systemd unit', async () => {
    const result = await doctor(NO_CAPS);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const out = result.stdout;
    expect(out).toContain('✔ netlink: the netlink module loads');
    expect(out).toContain('✔ addon: native addon loaded (built from source)');
    expect(out).toContain(`✘ CAP_NET_RAW: CAP_NET_RAW missing (uid ${UID}): needed for the raw VRRP sockets and the gratuitous ARP / unsolicited NA frames`);
    expect(out).toContain(`✘ CAP_NET_ADMIN: CAP_NET_ADMIN missing (uid ${UID}): needed for adding and removing the virtual addresses`);
    expect(out).toContain('the bounding set lacks it too');
    expect(out).toContain(`! markers: no directory for the VIP markers: /run/vrrp is not writable by uid ${UID} and XDG_RUNTIME_DIR is not set`);
    expect(out).toContain('✔ interface: eth0 is up');
    expect(out).toContain('not ready: fix the ✘ lines above');
    const at = (text: string): number => {
      const index = out.indexOf(text);
      expect(index, `${text} in:\n${out}`).toBeGreaterThan(-1);
      return index;
    };
    const systemd = at('systemd (best)');
    expect(at('User=vrrp')).toBeGreaterThan(systemd);
    expect(at('AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN')).toBeGreaterThan(systemd);
    expect(at('CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN')).toBeGreaterThan(systemd);
    const container = at('--cap-add NET_RAW --cap-add NET_ADMIN');
    expect(at('--network host')).toBeLessThan(container);
    expect(container).toBeGreaterThan(systemd);
    const setcap = at('setcap cap_net_raw,cap_net_admin+ep');
    expect(setcap).toBeGreaterThan(container);
    expect(out.indexOf('setcap')).toBe(setcap); // mentioned nowhere before
    expect(out.slice(setcap)).toContain('every Node.js script that any user on this host runs');
    expect(out).not.toContain('run as root');
  });

  // Given only CAP_NET_RAW; then exactly CAP_NET_ADMIN is named missing.
  it('names the one capability that is missing', async () => {
    const result = await doctor(['--inh-caps=-all,+net_raw', '--ambient-caps=-all,+net_raw', '--bounding-set=-all,+net_raw'], { XDG_RUNTIME_DIR: user.xdg });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✔ CAP_NET_RAW: CAP_NET_RAW present');
    expect(result.stdout).toContain(`✘ CAP_NET_ADMIN: CAP_NET_ADMIN missing (uid ${UID})`);
    expect(result.stdout).toContain('AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN');
  });

  // Given exactly the two capabilities and an XDG_RUNTIME_DIR of the user's own; then doctor is satisfied (exit 0),
  // says where markers go, gives no advice, and warns only that the kernel silence timers need CAP_BPF.
  it('is satisfied with the two capabilities and a marker directory', async () => {
    const result = await doctor(WITH_CAPS, { XDG_RUNTIME_DIR: user.xdg });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('✔ CAP_NET_RAW: CAP_NET_RAW present');
    expect(result.stdout).toContain('✔ CAP_NET_ADMIN: CAP_NET_ADMIN present');
    expect(result.stdout).toContain(`✔ markers: VIP markers go to ${join(user.xdg, 'vrrp')} (XDG_RUNTIME_DIR)`);
    expect(result.stdout).toContain('ready for VRRP');
    expect(result.stdout).not.toContain('How to run VRRP without root');
    expect(result.stdout).toContain('! kernel silence timers: unavailable (EPERM: CAP_BPF missing)');
  });

  // Given the two capabilities and CAP_BPF, the optional third; then the kernel silence timers are available.
  it('finds the kernel silence timers available with CAP_BPF as well', async () => {
    const three = '-all,+net_raw,+net_admin,+bpf';
    const result = await doctor([`--inh-caps=${three}`, `--ambient-caps=${three}`, `--bounding-set=${three}`, '--no-new-privs'], { XDG_RUNTIME_DIR: user.xdg });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('✔ kernel silence timers: available');
  });

  // Given VRRP_STATE_DIR naming a directory the user cannot write; then the marker check names it.
  it('names an unwritable VRRP_STATE_DIR', async () => {
    const result = await doctor(WITH_CAPS, { VRRP_STATE_DIR: '/run/vrrp-not-yours' });
    expect(result.code, result.stdout).toBe(0); // a warning: VRRP works, crash cleanup does not
    expect(result.stdout).toContain(`! markers: no directory for the VIP markers: VRRP_STATE_DIR=/run/vrrp-not-yours is not writable by uid ${UID}`);
  });

  // Given a copy of the package without its addon and without the netlink module
  // then doctor names both, each with its fix.
  it('names a missing addon and a missing netlink module', async () => {
    const copy = join(user.dir, 'bare');
    cpSync(join(repo, 'dist'), join(copy, 'dist'), { recursive: true });
    cpSync(join(repo, 'package.json'), join(copy, 'package.json'));
    for (const name of ['eventemitter3', 'zod']) cpSync(join(repo, 'node_modules', name), join(copy, 'node_modules', name), { recursive: true, dereference: true });
    execFileSync('chmod', ['-R', 'a+rX', copy]);
    expect(existsSync(join(copy, 'build'))).toBe(false);
    const result = await doctor(WITH_CAPS, { XDG_RUNTIME_DIR: user.xdg }, join(copy, 'dist', 'cli.js'));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✘ netlink: the netlink module (an optional dependency) does not load');
    expect(result.stdout).toContain('fix: npm install netlink@0.3.0');
    expect(result.stdout).toContain('✘ addon: native addon unavailable (no native addon: no prebuilt binary for this machine');
    expect(result.stdout).toContain('✔ CAP_NET_RAW: CAP_NET_RAW present');
  });
});
