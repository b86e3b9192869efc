/**
 * The Linux adapters on a real segment, our library alone (no keepalived needed for these): virtual addresses
 * (leftovers of a crashed run cleaned, foreign addresses never touched, kernel errors reported with the address
 * and the reason), link and address events (fault and recovery without polling), gratuitous ARP bursts with
 * keepalived's knobs, and `vrrp doctor` inside a namespace.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lab, labAvailable, requireLab } from './lab.js';
import { ourConfig, vipOf } from './scenario.js';
import { startVrrp } from './vrrp-process.js';
import { requestStatus } from '../../src/control.js';
import { processStartTicks } from '../../src/linux/vip/markers.js';

requireLab();

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'dist', 'cli.js');

describe.skipIf(!labAvailable.ok)('linux adapters on a namespace segment', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['us'], client: true });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  const holdsVip = async (): Promise<boolean> => (await lab.addresses('us')).includes(vipOf(lab));
  /** Where our library keeps its VIP markers for eth0 of host `us` (named by the namespace's inode). */
  const markerDir = (): string => join('/run/vrrp', String(statSync(join('/run/netns', lab.host('us').ns)).ino), 'eth0');
  /** Leaves a marker for the VIP, as a run of ours (of a version before per-process marker files) would have. */
  const writeMarker = (content: string, name = vipOf(lab)): void => {
    mkdirSync(markerDir(), { recursive: true });
    writeFileSync(join(markerDir(), name), content);
  };
  /** The VIP's marker files in the marker directory (`<address>@<pid>` each, or an older version's `<address>`). */
  const vipMarkers = (): string[] => (existsSync(markerDir()) ? readdirSync(markerDir()).filter((name) => name === vipOf(lab) || name.startsWith(`${vipOf(lab)}@`)) : []);
  /** This test process's start time in clock ticks since boot (field 22 of /proc/self/stat), as a marker names it. */
  const ownStartTicks = (): number => processStartTicks(readFileSync('/proc/self/stat', 'utf8')) ?? Number.NaN;

  // Given our master crashed (SIGKILL: no priority 0, no cleanup), leaving its VIP on eth0
  // when it is started again
  // then the new run removes the leftover before the protocol starts: as a fresh backup it does not hold the VIP.
  it('removes the VIP a crashed run left behind, at start', async () => {
    const first = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
    await first.waitForState('master', 5000);
    await first.kill();
    expect(await holdsVip()).toBe(true);
    const second = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
    await second.waitForState('backup', 5000);
    expect(await holdsVip()).toBe(false);
    await second.waitForState('master', 5000);
    expect(await holdsVip()).toBe(true);
    await second.stop();
    expect(await holdsVip()).toBe(false);
  });

  // Given our master without leases (vipLeaseMs 0: only the marker tells a crashed run's VIP), whose VIP someone
  // deleted and it put back
  // when it crashes and is started again
  // then the new run removes the leftover: the put-back address's marker carries its new creation stamp.
  it('removes a leftover it had put back after a removal behind its back', async () => {
    const config = { ...ourConfig(lab, 'us', { priority: 150 }), vipLeaseMs: 0 };
    const first = startVrrp(lab, 'us', config);
    await first.waitForState('master', 5000);
    expect(vipMarkers(), 'set-up: one marker file, the run\'s own').toEqual([expect.stringMatching(/@\d+$/)]);
    const marker = join(markerDir(), vipMarkers()[0] ?? '');
    /** Resolves with the marker's content once `done` holds for it, or after 3 s with what it says then. */
    const markerOnce = async (done: (text: string) => boolean): Promise<string> => {
      const deadline = Date.now() + 3000;
      let text = readFileSync(marker, 'utf8').trim();
      while (!done(text) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        text = readFileSync(marker, 'utf8').trim();
      }
      return text;
    };
    // Stamped a turn after the add: `<pid>:<start> adding` until then.
    const stampBefore = await markerOnce((text) => /^\d+:\d+ \d+$/.test(text));
    expect(stampBefore, 'set-up: the marker carries the address\'s creation stamp').toMatch(/^\d+:\d+ \d+$/);
    const mark = first.events.length;
    await lab.exec('us', ['ip', 'addr', 'del', `${vipOf(lab)}/24`, 'dev', 'eth0'], { check: true });
    await first.waitFor((e) => e.event === 'error' && String(e.message).includes('behind our back'), 5000, mark);
    await lab.waitForAddress('us', vipOf(lab), { timeoutMs: 2000 });
    // The put-back address's stamp is written a turn after it is back: wait for it, then crash.
    expect(await markerOnce((text) => text !== stampBefore), 'the marker still carries the deleted address\'s stamp').not.toBe(stampBefore);
    await first.kill();
    expect(await holdsVip(), 'set-up: the killed run left its VIP').toBe(true);
    const second = startVrrp(lab, 'us', config);
    await second.waitForState('backup', 5000);
    expect(await holdsVip(), second.describe()).toBe(false);
    await second.stop();
  });

  // Given the VIP was already on eth0, put there by someone else
  // when our instance becomes master and then stops
  // then the address is still there afterwards: we never remove an address we did not add.
  it('never removes an address it did not add', async () => {
    await lab.exec('us', ['ip', 'addr', 'add', `${vipOf(lab)}/24`, 'dev', 'eth0']);
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
    await us.waitForState('master', 5000);
    expect(await us.stop(), us.describe()).toBe(0);
    expect(await holdsVip()).toBe(true);
  });

  // Given a marker left by a dead process for our VIP (a recycled namespace, say) whose creation stamp does not
  // match, and the VIP configured by hand
  // when our instance starts, then the hand-made address survives: only the very address we added is ever removed.
  it('a stale marker never removes an address configured by hand', async () => {
    writeMarker('999999999 1\n');
    await lab.exec('us', ['ip', 'addr', 'add', `${vipOf(lab)}/24`, 'dev', 'eth0']);
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
    await us.waitForState('backup', 5000);
    expect(await holdsVip()).toBe(true);
    await us.stop();
  });

  // Given a marker of a dead process in state `standby` (it was running but did not hold the VIP), and the VIP
  // configured by hand; when our instance starts, then the address survives: standby means "not ours".
  it('a standby marker never removes the address', async () => {
    writeMarker('999999999 standby\n');
    await lab.exec('us', ['ip', 'addr', 'add', `${vipOf(lab)}/24`, 'dev', 'eth0']);
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
    await us.waitForState('backup', 5000);
    expect(await holdsVip()).toBe(true);
    await us.stop();
  });

  // Given a marker of a dead process in state `adding` (it crashed after asking for the VIP, before the kernel's
  // acknowledgement was read), and the VIP on eth0; when our instance starts, then it removes the leftover.
  it('an adding marker of a dead process removes its leftover', async () => {
    writeMarker('999999999 adding\n');
    await lab.exec('us', ['ip', 'addr', 'add', `${vipOf(lab)}/24`, 'dev', 'eth0']);
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
    await us.waitForState('backup', 5000);
    expect(await holdsVip()).toBe(false);
    await us.stop();
  });

  // Given the same leftover, a /24, and a configuration that now says /32 (changed after the crash)
  // when our instance starts, then it removes the leftover all the same: the kernel deletes an address only with
  // its own prefix, and a delete with the configured one removed nothing while the marker went (found by review).
  it('removes a leftover whose prefix the configuration has changed since', async () => {
    writeMarker('999999999 adding\n');
    await lab.exec('us', ['ip', 'addr', 'add', `${vipOf(lab)}/24`, 'dev', 'eth0']);
    const us = startVrrp(lab, 'us', { ...ourConfig(lab, 'us', { priority: 150 }), virtualAddresses: [`${vipOf(lab)}/32`] });
    await us.waitForState('backup', 5000);
    expect(await holdsVip(), us.describe()).toBe(false);
    await us.stop();
  });

  // Given the VIP on eth0 and a marker for it in state `adding` whose pid now names a live process that started
  // later than the marker says (the pid was recycled after the run that wrote it crashed)
  // when our instance starts, then it removes the leftover: a recycled pid is not a live owner.
  it('removes the leftover of a run whose pid was recycled', async () => {
    writeMarker(`${process.pid}:${ownStartTicks() - 1} adding\n`, `${vipOf(lab)}@${process.pid}`);
    await lab.exec('us', ['ip', 'addr', 'add', `${vipOf(lab)}/24`, 'dev', 'eth0']);
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
    await us.waitForState('backup', 5000);
    expect(await holdsVip(), us.describe()).toBe(false);
    await us.stop();
  });

  // Given the VIP on eth0 and a live process's marker for it (an older version's file, named by the address alone)
  // when our instance starts and stops (as backup: the address is not ours)
  // then the address and that marker are both as they were: a run writes a marker file of its own, and never
  // truncates or deletes another live process's, which would leave that process's VIP up after it crashed.
  it("leaves a live process's marker and address alone", async () => {
    const foreign = `${process.pid}:${ownStartTicks()} adding\n`;
    writeMarker(foreign);
    await lab.exec('us', ['ip', 'addr', 'add', `${vipOf(lab)}/24`, 'dev', 'eth0']);
    try {
      const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
      await us.waitForState('backup', 5000);
      expect(await us.stop(), us.describe()).toBe(0);
      expect(await holdsVip(), 'the live process\'s address').toBe(true);
      expect(readFileSync(join(markerDir(), vipOf(lab)), 'utf8'), 'the live process\'s marker').toBe(foreign);
      expect(vipMarkers(), 'marker files left').toEqual([vipOf(lab)]);
    } finally {
      rmSync(dirname(markerDir()), { recursive: true, force: true });
    }
  });

  // Given an instance that became master and stopped cleanly; then no marker is left behind (they are deleted at a
  // clean stop, and only a crash leaves one for the next run), nor the directories that held it (one per
  // namespace ever used would pile up on a host that makes namespaces by the thousand).
  it('a clean stop leaves no marker and no empty marker directory', async () => {
    const dir = markerDir();
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
    await us.waitForState('master', 5000);
    expect(readdirSync(dir)).toEqual([expect.stringMatching(new RegExp(`^${vipOf(lab).replaceAll('.', '\\.')}@\\d+$`))]);
    expect(await us.stop(), us.describe()).toBe(0);
    expect(existsSync(dir), `${dir} is left`).toBe(false);
    expect(existsSync(dirname(dir)), `${dirname(dir)} is left`).toBe(false);
  });

  // Given an address that is not on eth0 (gone, say, between the warm-up's read and its request)
  // when the warm-up's refused add is sent for it, in either family
  // then the kernel refuses it (EINVAL) and nothing is added: the request path is warmed and nothing else.
  it("sends a warm-up add the kernel refuses whether or not the address is there", async () => {
    const script = join(lab.tmpDir, 'refused.mjs');
    writeFileSync(
      script,
      `import { addressRequest, RTM_NEWADDR } from ${JSON.stringify(join(repo, 'dist/linux/vip/address-request.js'))};
import { sendNetlinkRequest } from ${JSON.stringify(join(repo, 'dist/linux/vip/netlink-send.js'))};
import { readFileSync } from 'node:fs';
const index = Number(readFileSync('/sys/class/net/eth0/ifindex', 'utf8'));
const answers = [];
for (const vip of [{ address: '198.51.100.77', prefixLength: 32, family: 'ipv4' }, { address: '2001:db8:77::7', prefixLength: 128, family: 'ipv6' }]) {
  answers.push(await sendNetlinkRequest(addressRequest(RTM_NEWADDR, index, vip, { refused: true })));
}
console.log(JSON.stringify(answers));
`,
    );
    const result = await lab.exec('us', [process.execPath, script], { timeoutMs: 20_000 });
    expect(result.stdout.trim(), result.stderr).toBe('["EINVAL","EINVAL"]');
    const all = (await lab.exec('us', ['ip', 'addr', 'show', 'dev', 'eth0'])).stdout;
    expect(all).not.toContain('198.51.100.77');
    expect(all).not.toContain('2001:db8:77::7');
  });

  // Given our process runs without CAP_NET_ADMIN (a common capability mistake; CAP_NET_RAW is kept, so the
  // protocol runs) when it becomes master
  // then the refused VIP is reported as an error naming the address and the kernel's reason (EPERM), and the
  // instance goes to fault (reason vip-failed, priority 0 sent) instead of claiming a mastership without its VIP.
  it('reports a kernel refusal with the address and the reason, and faults instead of claiming master', async () => {
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }), { wrapper: ['setpriv', '--bounding-set', '-net_admin', '--inh-caps', '-net_admin', '--'] });
    const error = await us.waitFor((e) => e.event === 'error' && e.code === 'vip_failed', 5000);
    expect(error.message).toContain(`${vipOf(lab)}/24`);
    expect(error.message).toMatch(/EPERM/);
    // No mastership without its address: the instance faults with the reason instead of claiming master.
    const fault = await us.waitForState('fault', 5000);
    expect(fault.reason).toBe('vip-failed');
    expect(us.events.some((e) => e.event === 'stateChange' && e.to === 'master')).toBe(false);
    expect(await holdsVip()).toBe(false);
    await us.stop();
  });

  // Given a master; when its primary address is deleted, then it goes to fault (VIP removed); when the address is
  // back, it recovers to backup and, alone on the segment, becomes master again. Driven by netlink events.
  it('goes to fault when the primary address disappears and recovers when it returns', async () => {
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
    await us.waitForState('master', 5000);
    const mark = us.events.length;
    const primary = `${lab.host('us').ipv4}/24`;
    await lab.exec('us', ['ip', 'addr', 'del', primary, 'dev', 'eth0']);
    await us.waitForState('fault', 2000, mark);
    expect(await holdsVip()).toBe(false);
    await lab.exec('us', ['ip', 'addr', 'add', primary, 'dev', 'eth0']);
    await us.waitForState('backup', 2000, mark);
    await us.waitForState('master', 5000, mark);
    await us.stop();
  });

  // Given our VIP manager prepared for a frozen address list (as an instance's configuration is) and then for one
  // that is not frozen
  // when it takes over through addAndAnnounce with the prepared list, an equal copy of it, and after its
  // announcement socket was dropped, releasing in between
  // then the first two are one prepared native burst each (the burst is the manager's, not the array's), the third
  // goes through add and announce, and all do the same: the address is up and its marker says `adding` when the call returns, the marker holds the
  // address's creation stamp once acknowledged, two gratuitous ARPs reach the client, and release undoes it all.
  it('a takeover of the prepared addresses goes out as one native burst, with the same effects as add and announce', async () => {
    const capture = await lab.capture('client', 'arp');
    const fixture = join(repo, 'test/interop/fixtures/takeover-burst.mjs');
    const stateDir = join(lab.tmpDir, 'markers');
    const result = await lab.exec('us', [process.execPath, fixture, join(repo, 'dist'), 'eth0', vipOf(lab), stateDir]);
    await capture.stop();
    expect(result.code, result.stderr).toBe(0);
    const { same: prepared, copy, dropped } = JSON.parse(result.stdout) as Record<'same' | 'copy' | 'dropped', Record<string, unknown>>;
    const same = { heldAtOnce: [true], markerAtOnce: ['adding'], markerAfter: [expect.stringMatching(/^\d+$/)], heldAfterRemove: [false], markerAfterRemove: ['standby'] };
    expect(prepared).toEqual({ burst: 1, ...same });
    expect(copy).toEqual({ burst: 1, ...same });
    expect(dropped).toEqual({ burst: 0, ...same });
    const vip = vipOf(lab);
    expect(capture.lines.filter((line) => line.includes(`Request who-has ${vip}`) && line.includes(`tell ${vip}`))).toHaveLength(6);
  });

  // Given one VIP manager that prepares an address twice on the same interface (a VMAC made again keeps its index)
  // then its marker file is there after the second as after the first: the second's leftover cleanup took its own
  // open standby marker for a dead thread's and deleted it, so every later write went to an unlinked file and a
  // crash left nothing to clean up by (found by review).
  it("keeps its own marker through a second prepare", async () => {
    const fixture = join(repo, 'test/interop/fixtures/takeover-burst.mjs');
    const result = await lab.exec('us', [process.execPath, fixture, join(repo, 'dist'), 'eth0', vipOf(lab), join(lab.tmpDir, 'markers'), 'prepare-twice']);
    expect(result.code, result.stderr).toBe(0);
    const { markers } = JSON.parse(result.stdout) as { markers: string[][] };
    expect(markers[0], 'set-up: no marker after the first prepare').toHaveLength(1);
    expect(markers[1]).toEqual(markers[0]);
  });

  // Given a takeover burst armed in the transport and fired by its alarm, whose announcement socket another
  // instance's refused announcement then drops
  // when the takeover's addAndAnnounce runs
  // then it takes the fired burst's results: the address is ours, marked, and removed at the release. An add ran
  // instead: EEXIST on the address the burst had just added, judged somebody else's — never renewed nor removed
  // (found by review).
  it('takes a fired takeover burst even after its announcement socket was dropped', async () => {
    const fixture = join(repo, 'test/interop/fixtures/takeover-burst.mjs');
    const result = await lab.exec('us', [process.execPath, fixture, join(repo, 'dist'), 'eth0', vipOf(lab), join(lab.tmpDir, 'markers'), 'fired-then-dropped']);
    expect(result.code, result.stderr).toBe(0);
    const { firedDropped, fired } = JSON.parse(result.stdout) as { firedDropped: Record<string, unknown>; fired: boolean };
    expect(fired, 'set-up: the armed takeover did not fire').toBe(true);
    expect(firedDropped).toEqual({ burst: 1, heldAtOnce: [true], markerAtOnce: ['adding'], markerAfter: [expect.stringMatching(/^\d+$/)], heldAfterRemove: [false], markerAfterRemove: ['standby'] });
  });

  // Given the same with an IPv6 address beside the IPv4 one (keepalived's dual-stack shape: an IPv6 excluded
  // address in an IPv4 instance), and with the IPv6 address alone (an IPv6 instance)
  // then each takeover is one prepared native burst as well — until now a list with an IPv6 address went through
  // add and announce — with the same effects: both addresses up and marked `adding` when the call returns, and
  // each round's gratuitous ARP and unsolicited NA on the wire, the NA from the target itself (a prepared frame
  // may be sent long after it was built: no link-local source that may have gone stale), without the Router flag
  // while IPv6 forwarding is off; and when forwarding is switched on after the burst was prepared, the takeover
  // armed 5 s later (the flag's age limit, keepalived's) is a burst built again, whose NAs say Router.
  it('a takeover of IPv6 addresses, alone or beside IPv4 ones, goes out as one native burst too', async () => {
    const capture = await lab.capture('client', 'arp or (icmp6 and ip6[40] == 136)');
    const fixture = join(repo, 'test/interop/fixtures/takeover-burst.mjs');
    const [vip4, vip6] = [vipOf(lab), lab.ipv6(0x100)];
    const outcomes: Record<string, unknown> = {};
    for (const [name, list, mode] of [['mixed', `${vip4},${vip6}`, []], ['ipv6', vip6, ['forwarding-switched']]] as const) {
      const result = await lab.exec('us', [process.execPath, fixture, join(repo, 'dist'), 'eth0', list, join(lab.tmpDir, `markers-${name}`), ...mode]);
      expect(result.code, result.stderr).toBe(0);
      outcomes[name] = JSON.parse(result.stdout);
    }
    await capture.stop();
    const each = (n: number): Record<string, unknown> => ({
      heldAtOnce: Array(n).fill(true),
      markerAtOnce: Array(n).fill('adding'),
      markerAfter: Array(n).fill(expect.stringMatching(/^\d+$/)),
      heldAfterRemove: Array(n).fill(false),
      markerAfterRemove: Array(n).fill('standby'),
    });
    expect(outcomes).toEqual({
      mixed: { same: { burst: 1, ...each(2) }, copy: { burst: 1, ...each(2) }, dropped: { burst: 0, ...each(2) } },
      ipv6: { same: { burst: 1, ...each(1) }, copy: { burst: 1, ...each(1) }, dropped: { burst: 0, ...each(1) }, switched: { burst: 1, ...each(1) } },
    });
    // Two rounds per takeover: 6 ARPs (three takeovers of the mixed list), 14 NAs, in the order the takeovers ran:
    // the mixed list's same, copy, dropped, then the IPv6 list's same, copy, dropped, switched. A burst's come from
    // the target; the dropped socket's went through announce (the link-local source when usable: not checked).
    expect(capture.lines.filter((line) => line.includes(`Request who-has ${vip4}`) && line.includes(`tell ${vip4}`))).toHaveLength(6);
    const advertisements = capture.lines.filter((line) => /neighbor advertisement/.test(line) && line.includes(`tgt is ${vip6}`));
    expect(advertisements).toHaveLength(14);
    const kind = (line: string): string => `${line.includes(` ${vip6} > `) ? 'from target' : 'other source'}${/\[router/.test(line) ? ', router' : ''}`;
    const burst = [0, 1, 2, 3, 6, 7, 8, 9, 12, 13].map((i) => kind(advertisements[i] ?? ''));
    expect(burst).toEqual([...Array(8).fill('from target'), 'from target, router', 'from target, router']);
  });

  // Given our VIP manager prepared for a takeover of the VIP (its burst's gratuitous ARPs built with eth0's MAC)
  // when eth0's MAC changes (a bond's fail_over_mac, `ip link set address`) and the takeover is then armed and made
  // then the armed burst is a new one, and every gratuitous ARP the client sees comes from the new MAC: the frames
  // said the old MAC for as long as the announcement socket lived, and a client would have sent the VIP's traffic
  // where nobody answers.
  it('announces from the new MAC after the interface\'s MAC changed', async () => {
    const capture = await lab.capture('client', 'arp');
    const fixture = join(repo, 'test/interop/fixtures/takeover-burst.mjs');
    const newMac = '02:42:ac:11:00:99';
    const result = await lab.exec('us', [process.execPath, fixture, join(repo, 'dist'), 'eth0', vipOf(lab), join(lab.tmpDir, 'markers-mac'), `mac-changed=${newMac}`]);
    await capture.stop();
    expect(result.code, result.stderr).toBe(0);
    const { macChanged, rebuilt } = JSON.parse(result.stdout) as { macChanged: Record<string, unknown>; rebuilt: boolean };
    expect(rebuilt, 'the burst armed after the change is a new one').toBe(true);
    expect(macChanged).toMatchObject({ burst: 1, heldAtOnce: [true] });
    const vip = vipOf(lab);
    const arps = capture.lines.filter((line) => line.includes(`Request who-has ${vip}`) && line.includes(`tell ${vip}`));
    expect(arps, 'gratuitous ARPs seen').toHaveLength(2);
    expect(arps.map((line) => line.split(' ')[1]), 'their source MACs').toEqual([newMac, newMac]);
  });

  // Given two of our VIP managers on one interface, each holding a VIP (two instances of one process)
  // when the first releases its VIP and then the second's is deleted behind its back
  // then one address watch served both (made once, not stopped by the first leaving), the second reports the
  // deletion and has its VIP back, and the watch stops when the last holder leaves.
  it('VIP managers on one interface share one address watch, kept until the last holder leaves', async () => {
    const fixture = join(repo, 'test/interop/fixtures/shared-address-watch.mjs');
    const vipB = lab.ipv4(101);
    const result = await lab.exec('us', [process.execPath, fixture, join(repo, 'dist'), 'eth0', vipOf(lab), vipB, join(lab.tmpDir, 'markers-shared')]);
    expect(result.code, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout) as { watchesWhileBothHold: number; stopsAfterFirstLeft: number; reports: string[]; heldAgain: boolean; stopsAfterBothLeft: number };
    expect(outcome.watchesWhileBothHold, 'address watches made for two managers').toBe(1);
    expect(outcome.stopsAfterFirstLeft, 'watches stopped when the first manager released').toBe(0);
    expect(outcome.reports, 'what the second manager reported').toEqual([expect.stringMatching(new RegExp(`^${vipB.replaceAll('.', '\\.')}/24 was removed from eth0 behind our back; added it again`))]);
    expect(outcome.heldAgain, 'the second VIP back on the interface').toBe(true);
    expect(outcome.stopsAfterBothLeft, 'watches stopped when both had released').toBe(1);
  });

  // Given one of our VIP managers whose address watch cannot start (no socket for it)
  // when it adds its VIP
  // then the VIP is added and the failure is reported, saying what it costs (a removal behind our back is not
  // noticed until a lease renewal) — it was swallowed.
  it('reports an address watch that cannot start', async () => {
    const fixture = join(repo, 'test/interop/fixtures/shared-address-watch.mjs');
    const result = await lab.exec('us', [process.execPath, fixture, join(repo, 'dist'), 'eth0', vipOf(lab), lab.ipv4(101), join(lab.tmpDir, 'markers-failing'), 'failing']);
    expect(result.code, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout) as { reports: string[]; held: boolean };
    expect(outcome.held, 'the VIP on the interface').toBe(true);
    expect(outcome.reports).toEqual(['cannot watch the addresses of eth0 (ipv4): EMFILE (no socket for the watch); an address removed behind our back is not restored until a lease renewal']);
  });

  // Given one of our VIP managers that holds its VIP
  // when its address watch tells it a read of the interface that was asked for before the add (without the VIP)
  // then nothing is reported (nobody deleted it: two instances taking over in one wake-up made such reads); a read
  // asked for after a real deletion is reported and the VIP put back, as before.
  it('does not take a read of the interface older than its add for a deletion', async () => {
    const fixture = join(repo, 'test/interop/fixtures/shared-address-watch.mjs');
    const result = await lab.exec('us', [process.execPath, fixture, join(repo, 'dist'), 'eth0', vipOf(lab), lab.ipv4(101), join(lab.tmpDir, 'markers-stale'), 'stale']);
    expect(result.code, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout) as { afterStale: string[]; heldAfterStale: boolean; afterFresh: string[] };
    expect(outcome.afterStale, 'reported after the older read').toEqual([]);
    expect(outcome.heldAfterStale).toBe(true);
    expect(outcome.afterFresh, 'reported after a read that followed a real deletion').toEqual([`${vipOf(lab)}/24 was removed from eth0 behind our back; added it again`]);
  });

  // Given garp { repeat: 3, delayMs: 500, refreshMs: 0 }
  // when we become master
  // then the client sees exactly 3 gratuitous ARPs for the VIP at once (ARP requests, sender = target = VIP) and 3
  // more about 500 ms later — keepalived's garp_master_repeat / garp_master_delay.
  it('sends gratuitous ARP bursts as configured by repeat and delayMs', async () => {
    const capture = await lab.capture('client', 'arp');
    const config = { ...ourConfig(lab, 'us', { priority: 150 }), garp: { repeat: 3, delayMs: 500, refreshMs: 0 } };
    const us = startVrrp(lab, 'us', config);
    await us.waitForState('master', 5000);
    const times = garpTimes(capture.lines, vipOf(lab));
    await until(() => times().length >= 6, 5000, () => `6 gratuitous ARPs (saw ${times().length})`);
    await us.stop();
    await capture.stop();
    // Exactly two bursts of three (no refresh asked), the second at least most of delayMs after the first.
    expect(times()).toHaveLength(6);
    expect((times()[3] as number) - (times()[2] as number)).toBeGreaterThan(400);
  });

  // Given garp { repeat: 1, delayMs: 0, refreshMs: 200 }; when we are master for about a second
  // then the client sees one gratuitous ARP at takeover and then one every ~200 ms (garp_master_refresh).
  it('refreshes gratuitous ARP while master when refreshMs is set', async () => {
    const capture = await lab.capture('client', 'arp');
    const config = { ...ourConfig(lab, 'us', { priority: 150 }), garp: { repeat: 1, delayMs: 0, refreshMs: 200 } };
    const us = startVrrp(lab, 'us', config);
    await us.waitForState('master', 5000);
    const times = garpTimes(capture.lines, vipOf(lab));
    // One at takeover, then one per refresh: they keep coming while we are master.
    await until(() => times().length >= 5, 5000, () => `5 gratuitous ARPs (saw ${times().length})`);
    await us.stop();
    await capture.stop();
    // Never faster than refreshMs asks (a little under it for the capture's own timing).
    const gaps = times().slice(1).map((at, i) => at - (times()[i] as number));
    expect(Math.min(...gaps), `gaps ${gaps.map((gap) => gap.toFixed(0)).join(', ')} ms`).toBeGreaterThan(150);
  });

  // Given one `vrrp run` process with four instances (VRIDs 61–64, a VIP each), which start together and so read
  // links and addresses through rtnetlink at the same moment
  // then every instance starts and becomes master: concurrent netlink dumps in one process must not fail each
  // other (the kernel allows one dump per socket; before the fix, most concurrent reads failed with EBUSY or
  // "Multipart message not terminated properly", and the whole start with them).
  it('starts several instances of one process at once', async () => {
    const vrids = [61, 62, 63, 64];
    const instances = vrids.map((vrid) => ({
      ...ourConfig(lab, 'us', { priority: 150, vrid }),
      name: `vr${vrid}`,
      virtualAddresses: [`${lab.ipv4(vrid + 100)}/24`],
    }));
    const us = startVrrp(lab, 'us', { instances });
    const masters = await Promise.all(vrids.map((vrid) => us.waitFor((e) => e.event === 'stateChange' && e.vrid === vrid && e.to === 'master', 5000)));
    expect(masters.map((e) => e.vrid)).toEqual(vrids);
    const held = await lab.addresses('us');
    for (const vrid of vrids) expect(held, `VIP of VRID ${vrid}`).toContain(lab.ipv4(vrid + 100));
    expect(await us.stop(), us.describe()).toBe(0);
  });

  // Given a `vrrp run` master on eth0 (its engine on the engine thread)
  // when another host sends it a VRRP message of one byte and an advert for a VRID nobody here serves
  // then `vrrp status` shows both drops in the shared socket's counters (engine.socket): they never reached an
  // instance, and were counted where the engine thread reads them, not lost in it.
  it("counts what the shared socket drops before any instance sees it, in the run's status", async () => {
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }));
    await us.waitForState('master', 5000);
    const socketOf = async () => (await requestStatus(us.controlSocket as string)).instances[0]?.engine.socket;
    const before = await socketOf();
    expect(before, JSON.stringify(before)).toMatchObject({ malformed: 0, otherVrid: 0, receiveErrors: 0 });
    const otherVridAdvert = '3163640100 0a 0000 c0000201'.replaceAll(' ', ''); // v3, VRID 99, priority 100, 100 cs
    const sent = await lab.exec('client', [process.execPath, join(repo, 'test/linux/fixtures/vrrp-send.mjs'), JSON.stringify([
      { op: 'send', family: 4, dst: '224.0.0.18', payloadHex: '31' },
      { op: 'send', family: 4, dst: '224.0.0.18', payloadHex: otherVridAdvert },
    ])]);
    expect(JSON.parse(sent.stdout), sent.stderr).toEqual([{ ok: true }, { ok: true }]);
    let after = await socketOf();
    for (const deadline = Date.now() + 3000; Date.now() < deadline && !(after && after.malformed >= 1 && after.otherVrid >= 1); ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await socketOf();
    }
    expect(after, JSON.stringify(after)).toMatchObject({ malformed: 1, otherVrid: 1, receiveErrors: 0 });
    expect(after?.received, JSON.stringify(after)).toBeGreaterThanOrEqual(2);
    // A reload that changes the priority replaces the engine, whose socket closes with its last instance and opens
    // anew: the counts go on from where they were (counters never go down: vrrp_socket_drops_total reads them).
    const mark = us.events.length;
    writeFileSync(us.configPath, JSON.stringify(ourConfig(lab, 'us', { priority: 160 })));
    us.signal('SIGHUP');
    const reloaded = await us.waitFor((e) => e.event === 'reloaded' || e.event === 'reloadFailed', 15_000, mark);
    expect(reloaded.event, us.describe()).toBe('reloaded');
    expect(await socketOf(), 'the counts after the reload').toMatchObject({ malformed: 1, otherVrid: 1, receiveErrors: 0 });
    expect(await us.stop(), us.describe()).toBe(0);
  });

  // Given a copy of the package without its native addon (build/ missing: a failed or unapproved install)
  // when its CLI starts
  // then it refuses at once (exit 1) with an error that says how to build the addon — the VRRP sockets are the
  // addon's — and leaves nothing on the interface.
  it('without the native addon, says how to build it and exits 1', async () => {
    const copy = join(lab.tmpDir, 'no-addon');
    cpSync(join(repo, 'dist'), join(copy, 'dist'), { recursive: true });
    cpSync(join(repo, 'package.json'), join(copy, 'package.json'));
    symlinkSync(join(repo, 'node_modules'), join(copy, 'node_modules'));
    const us = startVrrp(lab, 'us', ourConfig(lab, 'us', { priority: 150 }), { cli: join(copy, 'dist', 'cli.js') });
    const error = await us.waitFor((e) => e.event === 'error', 5000);
    expect(String(error.message)).toContain('no prebuilt binary for this machine');
    expect(String(error.message)).toContain('npm rebuild vrrp');
    expect(await us.stop()).toBe(1);
    expect(await holdsVip()).toBe(false);
  });

  // Given a lab host; when `vrrp doctor` runs there for eth0 and for an interface that does not exist
  // then the first is ready (exit 0, the interface line names the address VRRP will send from, and as root the
  // kernel silence timers load) and the second
  // is not (exit 1, saying the interface does not exist).
  it('vrrp doctor tells what is ready and what is missing', async () => {
    const good = await lab.exec('us', [process.execPath, cli, 'doctor', '--interface', 'eth0']);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain(`✔ interface: eth0 is up; VRRP will send from ${lab.host('us').ipv4}`);
    expect(good.stdout).toContain('net.ipv4.ip_nonlocal_bind');
    // A new namespace has both ip_nonlocal_bind at 0: each fix persists its setting in a file of its own, so that
    // following both keeps both (one file for both kept the last written only).
    const persisted = [...good.stdout.matchAll(/> (\/etc\/sysctl\.d\/\S+)/g)].map((match) => match[1]);
    expect(persisted, good.stdout).toEqual(['/etc/sysctl.d/90-vrrp-ipv4-nonlocal-bind.conf', '/etc/sysctl.d/90-vrrp-ipv6-nonlocal-bind.conf']);
    expect(good.stdout).toContain('✔ kernel silence timers: available');
    const bad = await lab.exec('us', [process.execPath, cli, 'doctor', '--interface', 'nope0']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('✘ interface: interface nope0 does not exist');
  });
});

/** The capture times (ms) of the gratuitous ARPs for `vip` among tcpdump's `lines` (sender = target = the VIP), as they grow. */
function garpTimes(lines: readonly string[], vip: string): () => number[] {
  return () => lines.filter((line) => line.includes(`Request who-has ${vip}`) && line.includes(`tell ${vip}`)).map((line) => Number(line.split(' ')[0]) * 1000);
}

/** Resolves once `done()` holds, polling every 20 ms; rejects after `timeoutMs` saying what was awaited. */
async function until(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`no ${what()} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
