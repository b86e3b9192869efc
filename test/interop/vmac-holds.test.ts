/**
 * Who holds a VMAC (src/linux/vmac.ts), against the kernel in a namespace lab host: one holder per VRID, family and
 * interface — a second is refused and cannot delete the first's VMAC — a handover's release lets the next holder
 * take the same link, and the last removal deletes it and puts the base's sysctls back; a base that is itself a
 * macvlan (a container's eth0) gets a VMAC on its lower device that is known as ours again and deleted. A script in
 * the host drives the module of dist/ directly; the engine's use of it is the other lab tests' (vmac.test.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lab, labAvailable, requireLab } from './lab.js';

requireLab();

const DIST = fileURLToPath(new URL('../../dist/linux/vmac.js', import.meta.url));

/** The script: each step's outcome into one JSON line. */
const SCRIPT = `
import { execFileSync } from 'node:child_process';
import { ensureVmac, releaseVmacs, removeVmac } from ${JSON.stringify(DIST)};
const base = process.argv[2];
const link = (name) => { try { return JSON.parse(execFileSync('ip', ['-j', '-d', 'link', 'show', 'dev', name], { encoding: 'utf8' }))[0]; } catch { return undefined; } };
const sysctls = () => ['arp_ignore', 'arp_filter', 'arp_announce'].map((name) => execFileSync('sysctl', ['-n', \`net.ipv4.conf.\${base}.\${name}\`], { encoding: 'utf8' }).trim());
const out = { before: sysctls() };
const a = {}, b = {};
const spec = { base, family: 'ipv4', vrid: 51, name: undefined };
const held = await ensureVmac(spec, a);
out.name = held.name;
out.guarded = held.unguarded === undefined;
out.made = link(held.name)?.address;
out.during = sysctls();
try { await ensureVmac(spec, b); out.second = 'taken'; } catch (error) { out.second = error.message; }
await removeVmac(held.name, b);
out.afterForeignRemove = link(held.name) !== undefined;
releaseVmacs(a);
const again = await ensureVmac(spec, b);
out.handedOver = again.name === held.name && again.index === held.index;
await removeVmac(held.name, b);
out.afterRemove = link(held.name) !== undefined;
out.after = sysctls();
console.log(JSON.stringify(out));
`;

/** The script of a base deleted and made again (its VMAC goes with it): the remake sets the base's sysctls again. */
const BASE_BACK_SCRIPT = `
import { execFileSync } from 'node:child_process';
import { ensureVmac, removeVmac } from ${JSON.stringify(DIST)};
const ip = (...args) => execFileSync('ip', args);
const sysctls = () => ['arp_ignore', 'arp_filter', 'arp_announce'].map((name) => execFileSync('sysctl', ['-n', \`net.ipv4.conf.v0.\${name}\`], { encoding: 'utf8' }).trim());
const makeBase = () => { ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1'); ip('link', 'set', 'v0', 'up'); ip('link', 'set', 'v1', 'up'); };
makeBase();
const out = {};
const a = {};
const spec = { base: 'v0', family: 'ipv4', vrid: 51, name: undefined };
const held = await ensureVmac(spec, a);
const firstIndex = held.index;
out.during = sysctls();
ip('link', 'del', 'v0');
makeBase();
out.fresh = sysctls();
const again = await ensureVmac(spec, a);
out.remade = again.name === held.name && again.index !== firstIndex;
out.after = sysctls();
await removeVmac(held.name, a);
console.log(JSON.stringify(out));
`;

/**
 * The base's sysctls saved in a VIP manager's own state directory (`stateDir`), not the default one: a first
 * process holds the VMAC and exits without a stop (a crash); a second, knowing only the spec, deletes the VMAC and
 * puts the host's values back from that directory.
 */
const STATE_DIR_SCRIPT = `
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureVmac, removeVmac } from ${JSON.stringify(DIST)};
import { markerDirectory, networkNamespaceId } from ${JSON.stringify(DIST.replace(/vmac\.js$/, 'vip/markers.js'))};
const [, , mode, stateDir] = process.argv;
const sysctls = () => ['arp_ignore', 'arp_filter', 'arp_announce'].map((name) => execFileSync('sysctl', ['-n', \`net.ipv4.conf.eth0.\${name}\`], { encoding: 'utf8' }).trim());
const saved = (dir) => existsSync(join(dir, 'vmac-sysctls', networkNamespaceId(), 'eth0.json'));
const spec = { base: 'eth0', family: 'ipv4', vrid: 51, name: undefined, stateDir };
const out = {};
if (mode === 'crash') {
  await ensureVmac(spec, {});
  out.during = sysctls();
  out.savedInStateDir = saved(stateDir);
  out.savedInDefault = saved(markerDirectory());
} else {
  await removeVmac('vrrp.51', {}, spec);
  out.after = sysctls();
  out.savedInStateDir = saved(stateDir);
}
console.log(JSON.stringify(out));
`;

describe.skipIf(!labAvailable.ok)('VMAC holds against the kernel', () => {
  let lab: Lab;
  beforeEach(async () => {
    lab = await Lab.create({ hosts: ['us'] });
  });
  afterEach(async () => {
    await lab?.destroy();
  });

  async function run(base: string, text = SCRIPT, ...args: string[]): Promise<Record<string, unknown>> {
    const script = join(lab.tmpDir, 'holds.mjs');
    writeFileSync(script, text);
    const result = await lab.exec('us', [process.execPath, script, base, ...args], { timeoutMs: 20_000 });
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  }

  it('refuses a second holder, lets a released VMAC be taken as it is, and deletes it at the last removal', async () => {
    const out = await run('eth0');
    expect(out).toEqual({
      before: ['0', '0', '0'],
      name: 'vrrp.51',
      guarded: expect.any(Boolean), // test/interop/vmac.test.ts checks the guard where it attaches
      made: '00:00:5e:00:01:33',
      during: ['1', '1', '2'],
      second: 'VMAC vrrp.51: VRID 51 (ipv4) on eth0 is another instance\'s',
      afterForeignRemove: true,
      handedOver: true,
      afterRemove: false,
      after: ['0', '0', '0'],
    });
  });

  it('makes the VMAC of a base that is a macvlan on its lower device, and knows it as ours again', async () => {
    await lab.exec('us', ['ip', 'link', 'add', 'mb0', 'link', 'eth0', 'type', 'macvlan', 'mode', 'bridge'], { check: true });
    await lab.exec('us', ['ip', 'link', 'set', 'mb0', 'up'], { check: true });
    const out = await run('mb0');
    expect(out).toMatchObject({ name: 'vrrp.51', made: '00:00:5e:00:01:33', second: "VMAC vrrp.51: VRID 51 (ipv4) on mb0 is another instance's", afterForeignRemove: true, handedOver: true, afterRemove: false });
  });

  // A base deleted takes its VMAC with it; back, it has the kernel's defaults, and the VMAC made again sets ours again.
  it("sets the base's ARP sysctls again when a deleted base is back and its VMAC is made again", async () => {
    expect(await run('v0', BASE_BACK_SCRIPT)).toEqual({ during: ['1', '1', '2'], fresh: ['0', '0', '0'], remade: true, after: ['1', '1', '2'] });
  });

  // A VIP manager given a stateDir (a non-root run's own directory) keeps the base's sysctls there, and the run
  // after a crash finds them there.
  it("keeps the base's sysctls in the VIP manager's state directory, where the run after a crash finds them", async () => {
    const stateDir = join(lab.tmpDir, 'state');
    expect(await run('crash', STATE_DIR_SCRIPT, stateDir)).toEqual({ during: ['1', '1', '2'], savedInStateDir: true, savedInDefault: false });
    expect(await run('after', STATE_DIR_SCRIPT, stateDir)).toEqual({ after: ['0', '0', '0'], savedInStateDir: false });
  });
});
