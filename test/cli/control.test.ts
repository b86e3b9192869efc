/**
 * The control socket of `vrrp run` (src/control.ts), server and client in this process, and its permission check:
 * a client running as another user (uid 65534, through `setpriv`; the tests run as root) is refused, both by the
 * private directory and by the socket file's own mode.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlError, defaultControlDirectory, defaultSocketPath, dumpPathFor, formatDuration, formatRunStatus, listControlSockets, requestReload, requestStatus, startControlServer, statusExitCode, isStaleSocket, writeStatusDump, type ControlServer, type RunReloadStatus, type RunStatus } from '../../src/control.js';
import { SimNetwork } from '../../src/testing/index.js';
import { VrrpGroup } from '../../src/group.js';

const RUN: RunStatus = { pid: 1, config: '/etc/vrrp.json', routerId: null, startedAt: '2026-01-01T00:00:00.000Z', at: '2026-01-01T00:00:01.000Z', instances: [], groups: [] };

let scratch: string;
let server: ControlServer | undefined;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'vrrp-control-'));
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(scratch, { recursive: true, force: true });
});

/** Connects to `path` as uid/gid 65534 in a child process; resolves with `connected` or the error code. */
function connectAsNobody(path: string): Promise<string> {
  const script = `const s=require('node:net').connect(${JSON.stringify(path)});s.on('connect',()=>{console.log('connected');s.destroy()});s.on('error',(e)=>console.log(e.code))`;
  return new Promise((resolve, reject) => {
    execFile('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], { timeout: 10_000 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout.trim());
    });
  });
}

describe('formatRunStatus: the last reload', () => {
  // Given a run whose last reload was refused 5 s before the status; then the header's next line says so, and why.
  it('says a refused reload and why, under the header', () => {
    const text = formatRunStatus({ ...RUN, at: '2026-01-01T00:00:10.000Z', lastReload: { at: '2026-01-01T00:00:05.000Z', outcome: 'refused', message: 'instances.0.vrid: must be at most 255' } });
    expect(text.split('\n')[1]).toBe('last reload 5.0s ago: REFUSED, the run goes on as it was — instances.0.vrid: must be at most 255');
  });

  // Given a run never reloaded (or a version before reloads, without the field); then no such line.
  it('says nothing of reloads when there was none', () => {
    expect(formatRunStatus({ ...RUN, lastReload: null })).not.toContain('reload');
    expect(formatRunStatus(RUN)).not.toContain('reload');
  });
});

describe('control socket', () => {
  it('answers its status to its owner', async () => {
    const path = join(scratch, 'control', 'run.sock');
    server = await startControlServer({ path, isDefault: true, status: () => RUN });
    expect(await requestStatus(path)).toEqual(RUN);
  });

  // Given a path longer than a socket's address holds (107 bytes); then refused, naming the limit, and no file of a
  // shortened name is left behind (Node.js would bind the path cut short).
  it('refuses a path longer than a socket address holds, leaving no file', async () => {
    const directory = join(scratch, 'control', 'd'.repeat(100));
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const path = join(directory, 'run.sock');
    await expect(startControlServer({ path, isDefault: false, status: () => RUN })).rejects.toThrow(/a socket's path holds at most 107 bytes/);
    expect(readdirSync(directory)).toEqual([]);
  });

  it('creates the socket 0600 in a 0700 directory', async () => {
    const path = join(scratch, 'control', 'run.sock');
    server = await startControlServer({ path, isDefault: true, status: () => RUN });
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(scratch, 'control')).mode & 0o777).toBe(0o700);
  });

  it('refuses another user: the private directory stops it', async () => {
    const path = join(scratch, 'control', 'run.sock');
    server = await startControlServer({ path, isDefault: true, status: () => RUN });
    chmodSync(scratch, 0o755); // mkdtemp makes it 0700: let the other user reach the control directory's door
    chmodSync(path, 0o666); // so that only the directory stands in the way
    expect(await connectAsNobody(path)).toBe('EACCES');
  });

  it('refuses another user: the socket file\'s own mode stops it in an open directory', async () => {
    const open = join(scratch, 'open');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(scratch, 0o755);
    const path = join(open, 'run.sock');
    server = await startControlServer({ path, isDefault: false, status: () => RUN });
    expect(await connectAsNobody(path)).toBe('EACCES');
  });

  it('a socket others could reach is reachable by them (the check above is not vacuous)', async () => {
    chmodSync(scratch, 0o755);
    const path = join(scratch, 'wide.sock');
    const wide = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => wide.listen(path, resolve));
    try {
      chmodSync(path, 0o666);
      expect(await connectAsNobody(path)).toBe('connected');
    } finally {
      await new Promise<void>((resolve) => wide.close(() => resolve()));
    }
  });

  it('refuses a default directory that is open to others', async () => {
    const directory = join(scratch, 'control');
    mkdirSync(directory, { mode: 0o755 });
    chmodSync(directory, 0o755);
    await expect(startControlServer({ path: join(directory, 'run.sock'), isDefault: true, status: () => RUN })).rejects.toThrow(/open to others \(mode 755\)/);
  });

  it('refuses a given directory writable by others and not sticky', async () => {
    const directory = join(scratch, 'shared');
    mkdirSync(directory);
    chmodSync(directory, 0o777);
    await expect(startControlServer({ path: join(directory, 'run.sock'), isDefault: false, status: () => RUN })).rejects.toThrow(/writable by others \(mode 777\) and not sticky/);
  });

  it('refuses a path where another run answers', async () => {
    const path = join(scratch, 'control', 'run.sock');
    server = await startControlServer({ path, isDefault: true, status: () => RUN });
    await expect(startControlServer({ path, isDefault: true, status: () => RUN })).rejects.toThrow(/another vrrp run answers on/);
  });

  it('replaces a stale socket left by a run that died', async () => {
    const directory = join(scratch, 'control');
    mkdirSync(directory, { mode: 0o700 });
    const path = join(directory, 'run.sock');
    // A run killed with -9 leaves its socket file behind.
    const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    expect(lstatSync(path).isSocket()).toBe(true);
    server = await startControlServer({ path, isDefault: true, status: () => RUN });
    expect(await requestStatus(path)).toEqual(RUN);
  });

  it('will not remove a file that is not a socket', async () => {
    const directory = join(scratch, 'control');
    mkdirSync(directory, { mode: 0o700 });
    writeFileSync(join(directory, 'run.sock'), 'mine');
    await expect(startControlServer({ path: join(directory, 'run.sock'), isDefault: true, status: () => RUN })).rejects.toThrow(/exists and is not a socket/);
  });

  it('removes its socket when closed', async () => {
    const path = join(scratch, 'control', 'run.sock');
    server = await startControlServer({ path, isDefault: true, status: () => RUN });
    await server.close();
    expect(() => lstatSync(path)).toThrow(/ENOENT/);
  });

  it('answers an unknown command with an error naming it', async () => {
    const path = join(scratch, 'control', 'run.sock');
    server = await startControlServer({ path, isDefault: true, status: () => RUN });
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      const socket = connect(path, () => socket.write('{"command":"reload"}\n'));
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
    });
    expect(JSON.parse(answer)).toEqual({ ok: false, error: 'unknown command "reload": the only command is "status"' });
  });

  // Given a server that reloads on request; then `reload` answers with how that reload ended, and an unknown
  // command names both commands.
  it('answers a reload request with how the reload ended', async () => {
    const path = join(scratch, 'control', 'run.sock');
    const ended: RunReloadStatus = { at: '2026-01-01T00:00:02.000Z', outcome: 'refused', message: 'invalid config' };
    server = await startControlServer({ path, isDefault: true, status: () => RUN, reload: () => Promise.resolve(ended) });
    expect(await requestReload(path, 5000)).toEqual(ended);
    const failing = join(scratch, 'control', 'stopping.sock');
    const other = await startControlServer({ path: failing, isDefault: true, status: () => RUN, reload: () => Promise.reject(new Error('the run is stopping')) });
    try {
      await expect(requestReload(failing, 5000)).rejects.toThrow(/reload not done: the run is stopping/);
    } finally {
      await other.close();
    }
  });

  // Given a server whose reload takes a moment, and a client that sends its request and half-closes (socat, nc -N,
  // shutdown(SHUT_WR)); then the client gets the reload's answer: the server ended its side at the client's end and
  // dropped the answer it wrote later (found by review). A request without its newline is told so at the end.
  it('answers a client that half-closed after its request', async () => {
    const path = join(scratch, 'control', 'run.sock');
    const ended: RunReloadStatus = { at: '2026-01-01T00:00:02.000Z', outcome: 'applied', message: null };
    server = await startControlServer({ path, isDefault: true, status: () => RUN, reload: () => new Promise((resolve) => setTimeout(() => resolve(ended), 50)) });
    const ask = (request: string): Promise<string> =>
      new Promise<string>((resolve) => {
        let text = '';
        const socket = connect({ path, allowHalfOpen: true }, () => socket.end(request));
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (text += chunk));
        socket.on('close', () => resolve(text));
      });
    expect(JSON.parse(await ask('{"command":"reload"}\n'))).toEqual({ ok: true, reload: ended });
    expect(JSON.parse(await ask('{"command":"status"}'))).toEqual({ ok: false, error: 'request ended without its newline: send {"command":"status"} and a newline' });
  });

  it('tells a client plainly when nobody serves the path', async () => {
    await expect(requestStatus(join(scratch, 'none.sock'))).rejects.toThrow(ControlError);
    await expect(requestStatus(join(scratch, 'none.sock'))).rejects.toThrow(/no such socket/);
  });
});

describe('vrrp status exit code', () => {
  /** What asking `paths` gives, as statusCommand collects it. */
  const ask = (paths: string[]): Promise<PromiseSettledResult<RunStatus>[]> => Promise.allSettled(paths.map((path) => requestStatus(path, 2000)));

  // Given a run that answers, a stale socket (bound, nobody listening: a run that died), and a socket whose run
  // answers with something that is not a status
  // then a stale socket beside a live run is no failure (0), but a run that answers wrongly is (1), whatever else
  // answered: a monitoring check must hear of it.
  it('is 1 when a run asked did not answer, 0 when only a stale socket did not', async () => {
    const live = join(scratch, 'live.sock');
    server = await startControlServer({ path: live, isDefault: false, status: () => RUN });
    const stale = join(scratch, 'stale.sock');
    await new Promise<void>((resolve, reject) =>
      execFile('python3', ['-c', `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(stale)})`], (error) => (error ? reject(error) : resolve())),
    );
    const wrong = join(scratch, 'wrong.sock');
    const liar = createServer((socket) => {
      socket.resume(); // read what the client asks, so that the connection can end
      socket.end('not json\n');
    });
    await new Promise<void>((resolve) => liar.listen(wrong, resolve));
    try {
      const staleAnswer = await ask([stale]);
      expect(isStaleSocket(staleAnswer[0]?.status === 'rejected' ? staleAnswer[0].reason : undefined), 'set-up: the stale socket reads as stale').toBe(true);
      expect(statusExitCode(await ask([live, stale]))).toBe(0);
      expect(statusExitCode(await ask([live, wrong]))).toBe(1);
      expect(statusExitCode(await ask([stale]))).toBe(1);
    } finally {
      await new Promise((resolve) => liar.close(resolve));
    }
  });
});

describe('finding runs', () => {
  // Given a control directory that cannot be read (a file here: ENOTDIR); then listing it fails naming the reason,
  // where it once read as "no vrrp run found"; a directory that does not exist is no run.
  it('says a control directory cannot be read instead of finding no run in it', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'vrrp-ctl-list-'));
    try {
      const file = join(scratch, 'not-a-dir');
      writeFileSync(file, '');
      expect(() => listControlSockets(file)).toThrow(/cannot read the control directory .*not-a-dir: ENOTDIR/);
      expect(listControlSockets(join(scratch, 'absent'))).toEqual([]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('status dump', () => {
  // Given a dump that fails (a directory where the file goes: the rename is refused); when the way is clear again
  // then the next dump is written: the failed one's temporary file did not stay to refuse it.
  it('writes the next dump after one that failed', () => {
    const path = join(scratch, 'run.status.json');
    mkdirSync(path);
    expect(() => writeStatusDump(path, RUN)).toThrow();
    rmSync(path, { recursive: true });
    writeStatusDump(path, RUN);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(RUN);
    expect(readdirSync(scratch)).toEqual(['run.status.json']);
  });

  // Given a file planted where the temporary file of a dump was named by pid alone (another user of a shared /tmp)
  // when the run writes its dump, then it is written, and the planted file is left alone: the name was guessable,
  // and every dump of the run failed (EEXIST), each then deleting the other's file.
  it('writes its dump beside a file planted at a guessable temporary name, and leaves that file alone', () => {
    const path = join(scratch, 'run.status.json');
    const planted = `${path}.${process.pid}.tmp`;
    writeFileSync(planted, 'theirs');
    writeStatusDump(path, RUN);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(RUN);
    expect(readFileSync(planted, 'utf8')).toBe('theirs');
    expect(readdirSync(scratch).sort()).toEqual(['run.status.json', `run.status.json.${process.pid}.tmp`]);
  });

  it('is written 0600, and replaces a link planted at its path instead of writing through it', () => {
    const target = join(scratch, 'victim');
    writeFileSync(target, 'untouched');
    const path = join(scratch, 'run.json');
    symlinkSync(target, path);
    writeStatusDump(path, RUN);
    expect(readFileSync(target, 'utf8')).toBe('untouched');
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(RUN);
  });
});

describe('vrrp status table', () => {
  it('shows a held member, a tracker that faults, a dropped packet and the group', async () => {
    const net = new SimNetwork({ seed: 1, latencyMs: 1 });
    const base = { interface: 'eth0', priority: 150, advertIntervalMs: 1000 };
    const outside = net.addNode(
      { ...base, name: 'OUT', vrid: 1, virtualAddresses: ['192.0.2.100/24'], trackers: [{ type: 'function', name: 'chk_db', intervalMs: 500, check: () => false }] },
      { address: '192.0.2.1', start: false },
    );
    const inside = net.addNode({ ...base, name: 'IN', vrid: 2, virtualAddresses: ['10.0.0.10/24'] }, { address: '192.0.2.11', start: false });
    const group = new VrrpGroup('G', [outside, inside]);
    try {
      await Promise.all([outside.start(), inside.start()]);
      await net.advance(5000);
      await group.settled();
      const at = new Date(Date.parse(RUN.startedAt) + 65_000).toISOString();
      const { name, state, holding, members } = group.status();
      const text = formatRunStatus({ ...RUN, at, instances: members, groups: [{ name, state, since: RUN.startedAt, holding, members: members.map((m) => m.name) }] });
      const lines = text.split('\n');
      expect(lines[0]).toBe('vrrp run pid 1, /etc/vrrp.json, up 1m05s');
      expect(lines[2]).toMatch(/^OUT\s+1\s+eth0\s+FAULT\s+\S+\s+0\s+150 \(150\)\s+-\s+-\s+192\.0\.2\.100\/24$/);
      expect(lines).toContain('  OUT: tracker chk_db (function) down FAULT — check returned false');
      expect(lines).toContain('  IN: held in fault by its sync group');
      expect(lines.at(-3)).toMatch(/^GROUP\s+STATE\s+FOR\s+MEMBERS\s+HOLDING$/);
      expect(lines.at(-2)).toMatch(/^G\s+FAULT\s+1m05s\s+OUT, IN\s+OUT, IN$/);
    } finally {
      await net.stopAll();
    }
  });

  // Given two instances on one shared socket that dropped malformed datagrams, and one whose socket dropped none
  // then one line for the socket that dropped some, none for the other (other VRIDs are normal and not shown).
  it('shows what a shared socket dropped before any instance, once per socket', () => {
    const instance = (name: string, iface: string, socket: { received: number; malformed: number; otherVrid: number; receiveErrors: number }) => {
      const net = new SimNetwork({ seed: 1 });
      const status = net.addNode({ name, interface: iface, vrid: 1, virtualAddresses: ['192.0.2.100/24'] }, { address: '192.0.2.1', start: false }).status();
      return { ...status, engine: { ...status.engine, thread: 'worker' as const, socket } };
    };
    const dropping = { received: 40, malformed: 3, otherVrid: 9, receiveErrors: 1 };
    const text = formatRunStatus({ ...RUN, instances: [instance('A', 'eth0', dropping), instance('B', 'eth0', dropping), instance('C', 'eth1', { received: 5, malformed: 0, otherVrid: 2, receiveErrors: 0 })] });
    expect(text.split('\n').filter((line) => line.includes('socket'))).toEqual(['  socket eth0 (ipv4): 3 malformed, 1 receive errors dropped before any instance (of 40 read)']);
  });

  // Given a master with one advertised and one excluded address; then its VIPS cell names the excluded one so.
  it('marks an excluded address in the VIPS column', async () => {
    const net = new SimNetwork({ seed: 1 });
    const master = net.addNode({ name: 'A', interface: 'eth0', vrid: 1, priority: 150, virtualAddresses: ['192.0.2.100/24'], excludedAddresses: ['2001:db8::100/64'] }, { address: '192.0.2.1' });
    try {
      await net.advance(5000);
      const row = formatRunStatus({ ...RUN, instances: [master.status()] }).split('\n')[2];
      expect(row).toMatch(/ 192\.0\.2\.100\/24 held, 2001:db8::100\/64 \(excluded\) held$/);
    } finally {
      await net.stopAll();
    }
  });

  // Given a master with an address on another interface; then its VIPS cell names that interface.
  it('names the interface of an address on another one in the VIPS column', async () => {
    const net = new SimNetwork({ seed: 1 });
    const master = net.addNode({ name: 'A', interface: 'eth0', vrid: 1, priority: 150, virtualAddresses: ['192.0.2.100/24', { address: '198.51.100.1/24', dev: 'eth1' }] }, { address: '192.0.2.1' });
    try {
      await net.advance(5000);
      const row = formatRunStatus({ ...RUN, instances: [master.status()] }).split('\n')[2];
      expect(row).toMatch(/ 192\.0\.2\.100\/24 held, 198\.51\.100\.1\/24 on eth1 held$/);
    } finally {
      await net.stopAll();
    }
  });

  // Given a master with a virtual route and a virtual rule; then each has a line under the table, said held.
  it('lists virtual routes and rules below the table, held on the master', async () => {
    const net = new SimNetwork({ seed: 1 });
    const config = { interface: 'eth0', vrid: 1, virtualAddresses: ['192.0.2.100/24'], virtualRoutes: [{ to: '198.51.100.0/24', via: '192.0.2.254' }], virtualRules: [{ from: '192.0.2.100', table: 100, priority: 100 }] };
    const master = net.addNode({ ...config, name: 'A', priority: 150 }, { address: '192.0.2.1' });
    const backup = net.addNode({ ...config, name: 'B', priority: 100 }, { address: '192.0.2.2' });
    try {
      await net.advance(5000);
      const lines = formatRunStatus({ ...RUN, instances: [master.status(), backup.status()] }).split('\n');
      expect(lines.filter((line) => / (route|rule) /.test(line))).toEqual([
        '  A: route 198.51.100.0/24 via 192.0.2.254 held',
        '  A: rule from 192.0.2.100 lookup 100 pref 100 held',
        '  B: route 198.51.100.0/24 via 192.0.2.254',
        '  B: rule from 192.0.2.100 lookup 100 pref 100',
      ]);
    } finally {
      await net.stopAll();
    }
  });

  it('writes durations as people read them', () => {
    expect([850, 12_340, 245_000, 7_380_000, 277_200_000].map(formatDuration)).toEqual(['850ms', '12.3s', '4m05s', '2h03m', '3d05h']);
  });
});

describe('where the control socket is by default', () => {
  it('is under /run/vrrp/control for root', () => {
    expect(defaultControlDirectory({}, 0)).toBe('/run/vrrp/control');
  });

  it('is under $XDG_RUNTIME_DIR for another user who does not own /run/vrrp', () => {
    expect(defaultControlDirectory({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000)).toBe('/run/user/1000/vrrp/control');
  });

  it('is nowhere for such a user without $XDG_RUNTIME_DIR (then --socket says where)', () => {
    expect(defaultControlDirectory({}, 1000)).toBeUndefined();
  });

  it('is named after the config file, the dump beside it never a plain .json', () => {
    expect(defaultSocketPath('/etc/keepalived/keepalived.conf', '/run/vrrp/control')).toBe('/run/vrrp/control/keepalived.sock');
    expect(dumpPathFor('/run/vrrp/control/vrrp.sock')).toBe('/run/vrrp/control/vrrp.status.json');
  });
});
