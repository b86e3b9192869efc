/**
 * The native packet socket on a real L2 segment: two network namespaces of our own joined by a veth pair.
 * A node process inside namespace A sends frames through the addon; namespace B proves they arrived AND were
 * understood: tcpdump decodes them, and B's neighbor cache swaps a stale MAC for the sender's.
 *
 * Needs root on Linux (netns, veth, AF_PACKET). Without it the suite skips with one line on stderr; under CI=true
 * it fails instead, so CI cannot go green without running it. Namespaces are `vrrpp-<pid>-a|b`, addresses
 * 10.98.0.0/24 and 2001:db8:98::/64 exist only inside them, and both are deleted in afterAll (and at exit).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetnsPair, inNs, run, type NetnsPair } from './netns-pair.js';
import { skipLoudly } from '../support/loud-skip.js';
import { gratuitousArpFrame, unsolicitedNeighborAdvertisementFrame } from '../../src/linux/announce-frames.js';
import { addressRequest } from '../../src/linux/vip/address-request.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ADDON = join(ROOT, 'build', 'Release', 'vrrp_packet.node');
const NS_A = `vrrpp-${process.pid}-a`;
const NS_B = `vrrpp-${process.pid}-b`;
let pair: NetnsPair | undefined;
const MAC_A = '02:98:00:00:00:01';
const MAC_B = '02:98:00:00:00:02';
const OLD_MAC = '02:00:00:00:00:99';
// EUI-64 link-local of MAC_A (RFC 4291 §2.5.1 / RFC 2464 §4), what the Announcer must pick from /proc/net/if_inet6.
const LINK_LOCAL_A = 'fe80::98:ff:fe00:1';

const macBytes = (mac: string): Uint8Array => Uint8Array.from(mac.split(':'), (part) => Number.parseInt(part, 16));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function whyNotRunnable(): string | undefined {
  if (process.platform !== 'linux') return `needs linux (network namespaces, AF_PACKET), this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'needs root (ip netns, veth, CAP_NET_RAW); run the tests as root to cover it';
  return undefined;
}
const skipReason = whyNotRunnable();
skipLoudly('test/linux/packet-socket.test.ts', 'packet socket on a veth pair', skipReason);



// Starts tcpdump in B and resolves once it is capturing, so nothing we send afterwards can be missed.
/**
 * A capture filter for our announcements of `ipv4` and `ipv6` only: gratuitous ARP requests whose target is `ipv4`
 * (the target protocol address, arp[24:4]) and Neighbor Advertisements whose target is `ipv6` (ip6[48:16], four
 * words). Frames the kernel sends by itself meanwhile (its own unsolicited NAs) must not fill the capture's count:
 * once, in a CI run, they did, and the ARP frames the test waited for were never read.
 */
function announcementFilter(ipv4: string, ipv6?: string): string {
  const v4 = ipv4.split('.').reduce((word, byte) => (word << 8) + Number(byte), 0) >>> 0;
  const arp = `(arp and arp[6:2] = 1 and arp[24:4] = 0x${v4.toString(16).padStart(8, '0')})`;
  if (ipv6 === undefined) return arp;
  const groups = ipv6.split('::');
  const head = (groups[0] ?? '').split(':').filter(Boolean);
  const tail = (groups[1] ?? '').split(':').filter(Boolean);
  const hextets = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail].map((h) => h.padStart(4, '0'));
  const words = [0, 1, 2, 3].map((i) => `ip6[${48 + 4 * i}:4] = 0x${hextets[2 * i]}${hextets[2 * i + 1]}`);
  return `${arp} or (icmp6 and ip6[40] = 136 and ${words.join(' and ')})`;
}

/** Gratuitous ARP requests only (sender address = target address): a kernel's own ARP requests do not count. */
const GRATUITOUS_ARP = 'arp and arp[6:2] = 1 and arp[14:4] = arp[24:4]';

async function startCapture(filter: string, count: number): Promise<{ child: ChildProcess; done: Promise<string> }> {
  const child = spawn('ip', ['netns', 'exec', NS_B, 'tcpdump', '-i', 'eth0', '-e', '-n', '-vv', '-l', '-c', String(count), filter], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const done = new Promise<string>((resolveDone, rejectDone) => {
    child.on('error', rejectDone);
    child.on('exit', () => resolveDone(stdout));
  });
  await new Promise<void>((resolveReady, rejectReady) => {
    const timer = setTimeout(() => rejectReady(new Error(`tcpdump did not start: ${stderr}`)), 10_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.on('exit', () => rejectReady(new Error(`tcpdump exited early: ${stderr}`)));
  });
  return { child, done };
}

// Waits for the capture to end (it stops by itself after `count` frames), killing our tcpdump if it does not.
async function finishCapture(capture: { child: ChildProcess; done: Promise<string> }): Promise<string> {
  const timer = setTimeout(() => capture.child.kill('SIGINT'), 10_000);
  try {
    return await capture.done;
  } finally {
    clearTimeout(timer);
  }
}

// B's neighbor entry for `address`, polled briefly: the kernel updates it as it receives, tcpdump may be faster.
async function neighborInB(address: string, expectedMac: string): Promise<{ lladdr?: string; state?: string[] }> {
  let entry: { lladdr?: string; state?: string[] } = {};
  for (let attempt = 0; attempt < 40; attempt++) {
    const entries = JSON.parse(run('ip', ['-n', NS_B, '-j', 'neigh', 'show', address, 'dev', 'eth0']) || '[]') as (typeof entry)[];
    entry = entries[0] ?? {};
    if (entry.lladdr === expectedMac) break;
    await new Promise((wait) => setTimeout(wait, 50));
  }
  return entry;
}

function prepopulateStale(address: string): void {
  run('ip', ['-n', NS_B, 'neigh', 'replace', address, 'lladdr', OLD_MAC, 'dev', 'eth0', 'nud', 'stale']);
}

describe.skipIf(skipReason !== undefined)('packet socket on a veth pair', () => {
  let workDir = '';

  beforeAll(() => {
    for (const tool of ['ip', 'tcpdump']) {
      try {
        run('which', [tool]);
      } catch {
        throw new Error(`${tool} not found: install it (apt-get install iproute2 tcpdump)`);
      }
    }
    if (!existsSync(ADDON)) run(process.execPath, [join(ROOT, 'scripts', 'build-native.mjs'), '--strict']);
    pair = createNetnsPair({ prefix: 'vrrpp', subnet: 98, macs: [MAC_A, MAC_B] });

    workDir = mkdtempSync(join(tmpdir(), 'vrrpp-'));
    // Readable by `nobody` for the EPERM case below.
    chmodSync(workDir, 0o755);
  }, 120_000);

  afterAll(() => {
    pair?.destroy();
    if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
  });

  // Given a node process inside A that loads the addon by absolute path, when it sends our GARP for 10.98.0.100 and
  // our unsolicited NA for 2001:db8:98::100, then B decodes both frames and replaces its stale entries with A's MAC.
  it('sends a gratuitous ARP and an unsolicited NA that update the neighbor caches across the link', async () => {
    const script = join(workDir, 'send-raw.mjs');
    writeFileSync(
      script,
      [
        "import { createRequire } from 'node:module';",
        `const addon = createRequire(import.meta.url)(${JSON.stringify(ADDON)});`,
        'const [ifname, ...frames] = process.argv.slice(2);',
        'const socket = addon.open(ifname);',
        "for (const frame of frames) addon.send(socket.handle, new Uint8Array(Buffer.from(frame, 'hex')));",
        'addon.close(socket.handle);',
        "console.log(JSON.stringify({ ifindex: socket.ifindex, hatype: socket.hatype, mac: Buffer.from(socket.mac).toString('hex') }));",
      ].join('\n'),
    );
    prepopulateStale('10.98.0.100');
    prepopulateStale('2001:db8:98::100');

    const garp = gratuitousArpFrame(macBytes(MAC_A), Uint8Array.of(10, 98, 0, 100));
    const na = unsolicitedNeighborAdvertisementFrame(
      macBytes(MAC_A),
      Uint8Array.from(Buffer.from('fe80000000000000009800fffe000001', 'hex')),
      Uint8Array.from(Buffer.from('20010db8009800000000000000000100', 'hex')),
    );
    const capture = await startCapture(announcementFilter('10.98.0.100', '2001:db8:98::100'), 2);
    const output = inNs(NS_A, process.execPath, script, 'eth0', toHex(garp), toHex(na));
    const captured = await finishCapture(capture);

    // What the addon read inside A: eth0's index there, Ethernet (ARPHRD_ETHER = 1), and the MAC we set.
    const opened = JSON.parse(output) as { ifindex: number; hatype: number; mac: string };
    expect(opened.ifindex).toBe(Number(inNs(NS_A, 'cat', '/sys/class/net/eth0/ifindex').trim()));
    expect(opened.hatype).toBe(1);
    expect(opened.mac).toBe(MAC_A.replaceAll(':', ''));

    // tcpdump in B decoded both, with the sender MAC on the wire and a checksum it accepts.
    expect(captured).toContain(`${MAC_A} > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42`);
    expect(captured).toContain('Request who-has 10.98.0.100 (ff:ff:ff:ff:ff:ff) tell 10.98.0.100');
    expect(captured).toContain(`${MAC_A} > 33:33:00:00:00:01, ethertype IPv6 (0x86dd), length 86`);
    expect(captured).toContain('hlim 255');
    expect(captured).toContain(`${LINK_LOCAL_A} > ff02::1: [icmp6 sum ok]`);
    expect(captured).toContain('neighbor advertisement, length 32, tgt is 2001:db8:98::100, Flags [override]');

    // B's kernel understood them: the stale entries now hold A's MAC.
    expect((await neighborInB('10.98.0.100', MAC_A)).lladdr).toBe(MAC_A);
    expect((await neighborInB('2001:db8:98::100', MAC_A)).lladdr).toBe(MAC_A);
  });

  // Given the TypeScript modules (transpiled as-is to a temp dir) running inside A, when the Announcer announces one
  // address per family twice, then B sees 4 frames, the NA comes from A's link-local (read from A's
  // /proc/net/if_inet6), and B's caches are updated; the wrapper's errors read as documented.
  it('announces through Announcer and reports errors by errno name', async () => {
    const moduleDir = transpileSources(workDir);
    const script = join(workDir, 'announce.mjs');
    writeFileSync(
      script,
      [
        `import { Announcer } from ${JSON.stringify(join(moduleDir, 'linux', 'announcer.js'))};`,
        `import { loadPacketAddon, openPacketSocket } from ${JSON.stringify(join(moduleDir, 'linux', 'packet-socket.js'))};`,
        'const failure = (f) => { try { f(); return null; } catch (e) { return { code: e.code, message: e.message }; } };',
        'const result = { load: loadPacketAddon() };',
        "result.nodev = failure(() => openPacketSocket('nope0'));",
        "result.loopback = failure(() => openPacketSocket('lo'));",
        "if (process.argv[2] === 'announce') {",
        '  const announcer = new Announcer();',
        "  await announcer.announce('eth0', [{ address: '10.98.0.101', family: 'ipv4' }, { address: '2001:db8:98::101', family: 'ipv6' }], { repeat: 2, delayMs: 20 });",
        '  announcer.close();',
        '} else {',
        "  result.eperm = failure(() => openPacketSocket('eth0'));",
        '}',
        'console.log(JSON.stringify(result));',
      ].join('\n'),
    );
    prepopulateStale('10.98.0.101');
    prepopulateStale('2001:db8:98::101');

    const capture = await startCapture(announcementFilter('10.98.0.101', '2001:db8:98::101'), 4);
    const result = JSON.parse(inNs(NS_A, process.execPath, script, 'announce')) as Record<string, { code?: string; message?: string; ok?: boolean } | null>;
    const captured = await finishCapture(capture);

    expect(result.load).toEqual({ ok: true, origin: { kind: 'source' } }); // the build/ copy, linked in by transpileSources
    expect(result.nodev).toEqual({ code: 'ENODEV', message: 'packet socket on nope0: ENODEV (no such interface)' });
    expect(result.loopback).toEqual({ code: 'EINVAL', message: 'packet socket on lo: EINVAL (not an ethernet interface, hardware type 772)' });
    expect(captured.match(/Request who-has 10\.98\.0\.101 \(ff:ff:ff:ff:ff:ff\) tell 10\.98\.0\.101/g), `captured:\n${captured}`).toHaveLength(2);
    expect(captured.match(new RegExp(`${LINK_LOCAL_A} > ff02::1: \\[icmp6 sum ok\\] ICMP6, neighbor advertisement, length 32, tgt is 2001:db8:98::101, Flags \\[override\\]`, 'g')), `captured:\n${captured}`).toHaveLength(2);
    expect((await neighborInB('10.98.0.101', MAC_A)).lladdr).toBe(MAC_A);
    expect((await neighborInB('2001:db8:98::101', MAC_A)).lladdr).toBe(MAC_A);

    // Without CAP_NET_RAW (uid nobody, no capabilities), opening fails with the documented EPERM message.
    const unprivileged = JSON.parse(
      inNs(NS_A, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, script, 'eperm'),
    ) as Record<string, { code?: string; message?: string } | null>;
    expect(unprivileged.eperm).toEqual({ code: 'EPERM', message: 'packet socket on eth0: EPERM (need CAP_NET_RAW)' });
  });

  // Given an Announcer warmed with a list that is not frozen, when the list's address changes between two
  // announcements, then the second one announces the new address: only frozen lists have their round kept.
  it("announces a list's current addresses when the list is not frozen", async () => {
    const moduleDir = transpileSources(workDir);
    const script = join(workDir, 'announce-changed.mjs');
    writeFileSync(
      script,
      [
        `import { Announcer } from ${JSON.stringify(join(moduleDir, 'linux', 'announcer.js'))};`,
        'const announcer = new Announcer();',
        "const list = [{ address: '10.98.0.102', family: 'ipv4' }];",
        "announcer.warm('eth0', list);",
        "await announcer.announce('eth0', list, { repeat: 1 });",
        "list[0].address = '10.98.0.103';",
        "await announcer.announce('eth0', list, { repeat: 1 });",
        'announcer.close();',
      ].join('\n'),
    );
    const capture = await startCapture(GRATUITOUS_ARP, 2);
    inNs(NS_A, process.execPath, script);
    const captured = await finishCapture(capture);
    const announced = [...captured.matchAll(/Request who-has (10\.98\.0\.\d+) \(ff:ff:ff:ff:ff:ff\) tell \1/g)].map((m) => m[1]);
    expect(announced).toEqual(['10.98.0.102', '10.98.0.103']);
  });

  // Given an rtnetlink request socket of the addon inside A, and RTM_NEWADDR/RTM_DELADDR messages encoded by the VIP
  // manager, when it adds 10.98.0.77/24, adds it again, deletes it and deletes it again
  // then each answer is the kernel's, read inside the call: success, EEXIST, success, EADDRNOTAVAIL; the address
  // is on A's eth0 right after the first call returned; and malformed messages are refused before any syscall.
  it('adds and deletes an address synchronously through the route request socket', async () => {
    const moduleDir = transpileSources(workDir);
    const index = Number(inNs(NS_A, 'cat', '/sys/class/net/eth0/ifindex').trim());
    const vip = { address: '10.98.0.77', prefixLength: 24, family: 'ipv4' as const, label: undefined };
    const add = toHex(addressRequest(20, index, vip).message);
    const remove = toHex(addressRequest(21, index, vip).message);
    const script = join(workDir, 'route.mjs');
    writeFileSync(
      script,
      [
        `import { openRouteRequestSocket } from ${JSON.stringify(join(moduleDir, 'linux', 'packet-socket.js'))};`,
        "import { execFileSync } from 'node:child_process';",
        'const socket = openRouteRequestSocket();',
        "const hex = (text) => new Uint8Array(Buffer.from(text, 'hex'));",
        "const present = () => execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' }).includes('10.98.0.77/24');",
        'const [add, remove] = process.argv.slice(2);',
        'const answers = [socket.request(hex(add))];',
        'const presentAfterAdd = present();',
        'answers.push(socket.request(hex(add)), socket.request(hex(remove)), socket.request(hex(remove)));',
        'const failure = (f) => { try { f(); return null; } catch (e) { return `${e.name}: ${e.message}`; } };',
        'const short = hex(add).subarray(0, 20);',
        'const noAck = hex(add); noAck[6] &= ~4;',
        'const malformed = [failure(() => socket.request(short)), failure(() => socket.request(noAck))];',
        'socket.close();',
        "console.log(JSON.stringify({ answers: answers.map((a) => a ?? 'ok'), presentAfterAdd, presentAtEnd: present(), malformed }));",
      ].join('\n'),
    );
    const result = JSON.parse(inNs(NS_A, process.execPath, script, add, remove)) as { answers: string[]; presentAfterAdd: boolean; presentAtEnd: boolean; malformed: string[] };
    expect(result.answers).toEqual(['ok', 'EEXIST', 'ok', 'EADDRNOTAVAIL']);
    expect(result.presentAfterAdd).toBe(true);
    expect(result.presentAtEnd).toBe(false);
    expect(result.malformed).toEqual([
      'RangeError: message length must match its header, and it must ask for an ACK',
      'RangeError: message length must match its header, and it must ask for an ACK',
    ]);
  });

  // Given a burst of a marker write, an address add, the same add again and a gratuitous ARP for that address
  // when it runs
  // then each operation's result is its own (ok, ok, EEXIST, ok), the file and the address are there and B sees
  // the frame; a burst whose add the kernel refuses (no such interface) sends no frame after it (ECANCELED); and a
  // burst with one malformed operation throws before running any, leaving the file untouched.
  it('runs a prepared burst back to back; sends no frame after a refused add; refuses a malformed one whole; fails operations on a closed socket; keeps the sockets it names open', async () => {
    const moduleDir = transpileSources(workDir);
    const index = Number(inNs(NS_A, 'cat', '/sys/class/net/eth0/ifindex').trim());
    const vip = { address: '10.98.0.78', prefixLength: 24, family: 'ipv4' as const, label: undefined };
    const add = toHex(addressRequest(20, index, vip).message);
    const remove = toHex(addressRequest(21, index, vip).message);
    const refused = toHex(addressRequest(20, 99_999, { ...vip, address: '10.98.0.79' }).message);
    const script = join(workDir, 'burst.mjs');
    const file = join(workDir, 'burst-marker');
    writeFileSync(
      script,
      [
        `import { openPacketSocket, openRouteRequestSocket, prepareBurst } from ${JSON.stringify(join(moduleDir, 'linux', 'packet-socket.js'))};`,
        `import { gratuitousArpFrame } from ${JSON.stringify(join(moduleDir, 'linux', 'announce-frames.js'))};`,
        "import { openSync, readFileSync, closeSync } from 'node:fs';",
        "import { execFileSync } from 'node:child_process';",
        "const [add, remove, file, refused] = process.argv.slice(2);",
        "const hex = (text) => new Uint8Array(Buffer.from(text, 'hex'));",
        "const route = openRouteRequestSocket();",
        "const packet = openPacketSocket('eth0');",
        "const fd = openSync(file, 'w');",
        "const text = (t) => new TextEncoder().encode(t);",
        "const frame = gratuitousArpFrame(packet.mac, Uint8Array.of(10, 98, 0, 78));",
        'const results = prepareBurst([',
        "  { kind: 'pwrite', fd, bytes: text('adding') },",
        "  { kind: 'route', socket: route, message: hex(add) },",
        "  { kind: 'route', socket: route, message: hex(add) },",
        "  { kind: 'frame', socket: packet, frame },",
        ']).run();',
        "const present = execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' }).includes('10.98.0.78/24');",
        "const afterRefusal = prepareBurst([{ kind: 'route', socket: route, message: hex(refused) }, { kind: 'frame', socket: packet, frame }]).run();",
        'let malformed = null;',
        "try { prepareBurst([{ kind: 'pwrite', fd, bytes: text('XXXXXX') }, { kind: 'frame', socket: packet, frame: new Uint8Array(10) }]).run(); } catch (e) { malformed = `${e.name}: ${e.message}`; }",
        "const content = readFileSync(file, 'utf8');",
        'route.request(hex(remove));',
        "const prepared = prepareBurst([{ kind: 'frame', socket: packet, frame }]);",
        // A socket that only a burst still names (twice: it holds it once) stays open through a garbage collection.
        "const kept = (() => { const only = openPacketSocket('eth0'); return prepareBurst([{ kind: 'frame', socket: only, frame }, { kind: 'frame', socket: only, frame }]); })();",
        'globalThis.gc(); await new Promise((resolve) => setImmediate(resolve)); globalThis.gc(); await new Promise((resolve) => setImmediate(resolve));',
        "const keptResults = kept.run().map((r) => r ?? 'ok');",
        'closeSync(fd); route.close(); packet.close();',
        'const afterClose = prepared.run();',
        "console.log(JSON.stringify({ results: results.map((r) => r ?? 'ok'), present, afterRefusal, malformed, content, afterClose, keptResults }));",
      ].join('\n'),
    );
    const capture = await startCapture(GRATUITOUS_ARP, 1);
    const result = JSON.parse(inNs(NS_A, process.execPath, '--expose-gc', script, add, remove, file, refused)) as Record<string, unknown>;
    const captured = await finishCapture(capture);
    expect(result).toEqual({
      results: ['ok', 'ok', 'EEXIST', 'ok'],
      present: true,
      afterRefusal: ['ENODEV', 'ECANCELED'],
      malformed: 'RangeError: frame is shorter than an ethernet header',
      content: 'adding',
      afterClose: ['EBADF'],
      keptResults: ['ok', 'ok'],
    });
    expect(captured).toMatch(/Request who-has 10\.98\.0\.78 \(ff:ff:ff:ff:ff:ff\) tell 10\.98\.0\.78/);
  });
});

// Node 20 cannot run TypeScript, and the process inside the namespace must run the real modules: transpile every
// module of src/, unchanged, into <dir>/src (the announcer's imports reach the link monitor and what it needs: a list
// of them broke with each new import), and point <dir>/build and <dir>/node_modules at the real ones, so the addon's
// relative path (../../build/Release/vrrp_packet.node) and the packages resolve exactly as they do from src/ and dist/.
function transpileSources(dir: string): string {
  const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
  const sources = (readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }) as string[]).filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'));
  for (const source of sources) {
    const { outputText } = ts.transpileModule(readFileSync(join(ROOT, 'src', source), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const target = join(dir, 'src', source.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  if (!existsSync(join(dir, 'build'))) symlinkSync(join(ROOT, 'build'), join(dir, 'build'));
  return join(dir, 'src');
}
