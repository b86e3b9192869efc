/**
 * examples/postgres-promote for real: Debian's PostgreSQL on two lab hosts — db1 the primary, db2 a streaming-
 * replication hot standby that runs all along — and on each our node (examples/postgres-promote/app.js, priority
 * 101 and 100, no preemption). A client host INSERTs through the VIP every 20 ms, each write on a new connection,
 * each row naming the server that took it.
 *
 * - The master's node is killed (SIGKILL): its database stays up, writable, with the VIP still on its interface.
 *   db2 takes over one Master_Down_Interval later; its app fences db1's database over the network, promotes its
 *   standby and lifts its own fence; the writes resume on db2. db1 refuses writes from then on, also once its node
 *   is restarted (it removes the stale VIP and stays backup), and no write db1 acknowledged is missing on db2.
 * - The master's link is cut: its node goes to fault and fences its own database through the local socket; db2
 *   cannot reach db1 to fence it (1 s lost trying), promotes, and the writes resume; with the link back db1 stays
 *   backup and fenced.
 *
 * Each run asserts the recovery, that acknowledged writes move from db1 to db2 once and never back (no write taken
 * by both), and the fence. The client's gap is printed, not asserted.
 */
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { clientRecords, findPostgresBin, findTool, longestGap, type LineProcess, requireTools, watch } from './example-hosts.js';
import { destroyAllLabs, type KeepalivedHandle, Lab, labAvailable, requireLab } from './lab.js';

requireLab();

const repo = fileURLToPath(new URL('../..', import.meta.url));
const example = join(repo, 'examples/postgres-promote');
const pgBin = findPostgresBin();
const setpriv = findTool('setpriv');
const extra = requireTools('examples/postgres-promote', [...(pgBin ? [] : ['postgresql']), ...(setpriv ? [] : ['util-linux (setpriv)'])]);
const runnable = labAvailable.ok && extra.ok;
const bin = (name: string): string => join(pgBin ?? '/usr/lib/postgresql/15/bin', name);

type Db = 'db1' | 'db2';
const PRIORITY: Record<Db, number> = { db1: 101, db2: 100 };
const PG_ENV = { PGUSER: 'postgres', PGDATABASE: 'postgres', PGPORT: '5432' };

interface Server {
  name: Db;
  dir: string;
  data: string;
  sock: string;
  process?: LineProcess;
}

/**
 * A command run as the postgres user. Its death signal is armed after the switch (a uid change clears it); a
 * server gets SIGQUIT, PostgreSQL's immediate shutdown, which still releases its shared memory (SIGKILL leaks it).
 */
const asPostgres = (argv: string[], deathSignal: 'KILL' | 'QUIT' = 'KILL'): string[] => [
  setpriv!, '--reuid', 'postgres', '--regid', 'postgres', '--init-groups', '--pdeathsig', deathSignal, '--', ...argv,
];

function postgresIds(): { uid: number; gid: number } {
  return { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) };
}

async function psql(lab: Lab, where: string, args: string[], sqlText: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return lab.exec(where, [bin('psql'), '-X', '-q', '-A', '-t', '-U', 'postgres', '-d', 'postgres', ...args, '-c', sqlText]);
}

/** Starts the server in its host (foreground, tracked by the lab) and waits until it accepts connections. */
async function startPostgres(lab: Lab, server: Server, ready: RegExp): Promise<void> {
  const child = lab.spawn(
    server.name,
    asPostgres([
      bin('postgres'), '-D', server.data,
      '-c', 'listen_addresses=*', '-c', 'port=5432', '-c', `unix_socket_directories=${server.sock}`,
      '-c', `cluster_name=${server.name}`,
      // Dynamic shared memory as files in the data dir, which the lab removes, rather than in /dev/shm.
      '-c', 'dynamic_shared_memory_type=mmap',
    ], 'QUIT'),
    { env: { ...process.env, HOME: server.dir } },
  );
  server.process = watch(`postgres in ${server.name}`, child, false);
  await server.process.waitFor((l) => ready.test(l.text), 20_000);
}

/** db1 a primary with the `writes` table, db2 its streaming hot standby, both up and streaming. */
async function startDatabases(lab: Lab): Promise<Record<Db, Server>> {
  const { uid, gid } = postgresIds();
  chmodSync(lab.tmpDir, 0o711); // the postgres user must reach its directories inside
  const servers = {} as Record<Db, Server>;
  for (const name of ['db1', 'db2'] as const) {
    const dir = join(lab.tmpDir, name);
    const server: Server = { name, dir, data: join(dir, 'data'), sock: join(dir, 'sock') };
    for (const path of [dir, server.data, server.sock]) {
      mkdirSync(path, { mode: 0o700 });
      chownSync(path, uid, gid);
    }
    servers[name] = server;
  }
  const { db1, db2 } = servers;
  await lab.exec('db1', asPostgres([bin('initdb'), '-D', db1.data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']), {
    check: true,
    timeoutMs: 30_000,
  });
  const subnet = `${lab.ipv4(0)}/24`;
  appendFileSync(join(db1.data, 'pg_hba.conf'), `host all all ${subnet} trust\nhost replication all ${subnet} trust\n`);
  await startPostgres(lab, db1, /database system is ready to accept connections/);
  const created = await psql(
    lab,
    'db1',
    ['-h', db1.sock],
    "CREATE TABLE writes (seq integer PRIMARY KEY, host text NOT NULL DEFAULT current_setting('cluster_name'), at timestamptz NOT NULL DEFAULT clock_timestamp())",
  );
  expect(created.code, created.stderr).toBe(0);
  await lab.exec('db2', asPostgres([bin('pg_basebackup'), '-h', lab.host('db1').ipv4, '-U', 'postgres', '-D', db2.data, '-R', '-X', 'stream', '--no-sync']), {
    check: true,
    timeoutMs: 30_000,
  });
  await startPostgres(lab, db2, /database system is ready to accept read-only connections/);
  for (let i = 0; ; i += 1) {
    const state = await psql(lab, 'db1', ['-h', db1.sock], 'SELECT state FROM pg_stat_replication');
    if (state.stdout.trim() === 'streaming') break;
    if (i > 500) throw new Error(`db2 is not streaming from db1: ${state.stdout} ${state.stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return servers;
}

/** Our node in `db`, the example app as users run it. */
function startNode(lab: Lab, db: Db, servers: Record<Db, Server>, restart = false, vipLeaseMs?: number): LineProcess {
  const peer = db === 'db1' ? 'db2' : 'db1';
  const child = lab.spawn(db, [process.execPath, join(example, 'app.js')], {
    env: {
      ...process.env,
      ...PG_ENV,
      VRRP_VIP: `${lab.ipv4(100)}/24`,
      VRRP_PRIORITY: String(PRIORITY[db]),
      VRRP_NAME: db,
      PG_PEER: lab.host(peer).ipv4,
      PGHOST: servers[db].sock,
      PSQL: bin('psql'),
      ...(vipLeaseMs === undefined ? {} : { VRRP_VIP_LEASE_MS: String(vipLeaseMs) }),
    },
  });
  return watch(`app.js in ${db}${restart ? ' (restarted)' : ''}`, child, false);
}

/** db1's VIP lease in the crash test: longer than the test, so that the crash leaves the VIP behind. */
const CRASH_LEASE_MS = 60_000;

const isDb = (action: string, ok?: boolean) => (e: Record<string, unknown>): boolean => e.event === 'db' && e.action === action && (ok === undefined || e.ok === ok);
const isState = (to: string) => (e: Record<string, unknown>): boolean => e.event === 'stateChange' && e.to === to;

/** db1 master and writable, db2 backup and fenced, the writer answered by db1 for a while. */
async function settle(lab: Lab, servers: Record<Db, Server>, vipLeaseMs?: number): Promise<{ nodes: Record<Db, LineProcess>; writer: LineProcess }> {
  // One after the other: with 101 against 100 their first Master_Down_Intervals differ by 4 ms only.
  const db1 = startNode(lab, 'db1', servers, false, vipLeaseMs);
  await db1.waitForJson(isDb('unfence', true), 15_000);
  const db2 = startNode(lab, 'db2', servers);
  await db2.waitForJson(isState('backup'), 10_000);
  await db2.waitForJson(isDb('fence', true), 10_000);
  const writer = watch(
    'writer',
    lab.spawn('client', [process.execPath, join(example, 'writer.js'), lab.ipv4(100), '20', '1000'], { env: { ...process.env, ...PG_ENV, PSQL: bin('psql') } }),
    false,
  );
  await writer.waitFor(() => clientRecords(writer.lines).filter((r) => r.by === 'db1').length >= 25, 10_000);
  return { nodes: { db1, db2 }, writer };
}

/** Writes acknowledged by each server in send order: db1's all before db2's, never back. */
function expectOneSwitch(byOrder: (string | undefined)[]): void {
  expect(new Set(byOrder)).toEqual(new Set(['db1', 'db2']));
  const switchAt = byOrder.indexOf('db2');
  expect(byOrder.slice(0, switchAt).every((by) => by === 'db1'), 'db1 took the writes before the failover').toBe(true);
  expect(byOrder.slice(switchAt).every((by) => by === 'db2'), 'only db2 took writes after the failover').toBe(true);
}

/** A write straight to db1's own address, from the client: refused as read-only when db1 is fenced. */
async function writeToDb1(lab: Lab): Promise<{ code: number | null; stderr: string }> {
  return psql(lab, 'client', ['-h', lab.host('db1').ipv4], "INSERT INTO writes (seq) VALUES (-1)");
}

interface Outcome {
  takeoverMs: number;
  /** From the new master's transition to its unfence (fence peer + promote + unfence). */
  hookMs: number;
  fencePeer: string;
  gapMs: number;
  failed: number;
  errors: Record<string, number>;
}
const outcomes = new Map<string, Outcome>();

async function stopAll(servers: Record<Db, Server> | undefined, lab: Lab): Promise<void> {
  // An immediate shutdown (SIGQUIT) still releases the server's shared memory, which a SIGKILL would leak.
  await Promise.all(Object.values(servers ?? {}).map((s) => s.process?.stop('SIGQUIT', 5_000)));
  await lab.destroy();
}

/** examples/postgres-promote/keepalived/keepalived.conf for `db`, pointed at the lab's VIP, peer, socket and psql. */
function keepalivedConfFor(lab: Lab, db: Db, servers: Record<Db, Server>, log: string): string {
  const peer = lab.host(db === 'db1' ? 'db2' : 'db1').ipv4;
  const text = readFileSync(join(example, 'keepalived/keepalived.conf'), 'utf8');
  return text
    .replace(/192\.168\.1\.100\/24/g, `${lab.ipv4(100)}/24`)
    .replace(/priority 101\b/, `priority ${PRIORITY[db]}`)
    .replace(
      /"\/opt\/postgres-promote\/notify\.sh (\w+) \/var\/run\/postgresql 10\.0\.0\.12"/g,
      (_match, state: string) => `"${join(example, 'keepalived/notify.sh')} ${state} ${servers[db].sock} ${peer} ${bin('psql')} ${log}"`,
    );
}

/** The notify script's log: `<epoch seconds> <state> <what>` lines. */
function notifyLog(path: string): { atMs: number; state: string; what: string }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [time, state, ...what] = line.split(' ');
      return { atMs: Number(time) * 1000, state: state ?? '', what: what.join(' ') };
    });
}

async function waitForNotify(path: string, state: string, what: RegExp, timeoutMs: number): Promise<{ atMs: number; what: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = notifyLog(path).find((entry) => entry.state === state && what.test(entry.what));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no "${state} ${what}" in ${path}: ${JSON.stringify(notifyLog(path))}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(!runnable)('examples/postgres-promote: a hot standby promoted by the new master, the old primary fenced', () => {
  afterAll(async () => {
    await destroyAllLabs();
    if (outcomes.size === 0) return;
    console.log(
      [
        '[postgres-promote] client INSERT through the VIP every 20 ms (new connection each):',
        "| the master… | db2 master after | db2 writable after (fence peer, promote, unfence) | peer fenced | client's longest gap | failed writes |",
        '|---|---|---|---|---|---|',
        ...[...outcomes].map(
          ([what, o]) =>
            `| ${what} | ${(o.takeoverMs / 1000).toFixed(2)} s | +${o.hookMs} ms | ${o.fencePeer} | ${(o.gapMs / 1000).toFixed(2)} s | ${o.failed} ${JSON.stringify(o.errors)} |`,
        ),
      ].join('\n'),
    );
  });

  // Given db1 (primary, master) and db2 (standby, backup), a client writing through the VIP
  // when db1's node is killed
  // then db2 takes over, fences db1's database, promotes itself, and the writes resume on db2; db1 refuses writes,
  // also after its node restarts (stale VIP removed, backup); every write db1 acknowledged is on db2.
  it("the master's node killed: db2 fences db1, promotes, and takes the writes", async () => {
    const lab = await Lab.create({ hosts: ['db1', 'db2'], client: true });
    let servers: Record<Db, Server> | undefined;
    try {
      servers = await startDatabases(lab);
      // db1's VIP outlives its crash by a lease (5 s by default, renewed every third of it), and the checks below
      // come 3.5-5 s after the kill: a lease of a minute leaves the VIP for the restart to remove, every time.
      const { nodes, writer } = await settle(lab, servers, CRASH_LEASE_MS);
      const mark = nodes.db2.lines.length;
      const killedAt = Date.now();
      await nodes.db1.stop('SIGKILL');
      const master = await nodes.db2.waitForJson(isState('master'), 10_000, mark);
      const fencedPeer = await nodes.db2.waitForJson(isDb('fence peer'), 10_000, mark);
      expect(fencedPeer.json?.ok, nodes.db2.tail()).toBe(true);
      const unfenced = await nodes.db2.waitForJson(isDb('unfence', true), 30_000, mark);
      const firstByDb2 = await writer.waitFor((l) => l.json?.ok === true && l.json.by === 'db2', 10_000);

      // db1 is fenced: its database refuses a write sent to its own address.
      const direct = await writeToDb1(lab);
      expect(direct.code).not.toBe(0);
      expect(direct.stderr).toMatch(/read-only transaction/);

      // Restarted, as a supervisor would: it removes the VIP its crash left, stays backup (no preemption), fenced.
      expect(await lab.addresses('db1'), 'the crash left the VIP on db1').toContain(lab.ipv4(100));
      const restarted = startNode(lab, 'db1', servers, true, CRASH_LEASE_MS);
      await restarted.waitForJson(isState('backup'), 10_000);
      await lab.waitForAddress('db1', lab.ipv4(100), { present: false, timeoutMs: 5_000 });
      const until = Math.max(firstByDb2.atMs, Date.now()) + 1_000;
      await writer.waitFor((l) => l.atMs > until, 5_000);
      expect(restarted.lines.some((l) => l.json !== undefined && isState('master')(l.json))).toBe(false);
      expect(await lab.addresses('db2')).toContain(lab.ipv4(100));
      expect((await writeToDb1(lab)).stderr).toMatch(/read-only transaction/);

      await writer.stop();
      const records = clientRecords(writer.lines);
      expectOneSwitch(records.filter((r) => r.ok).map((r) => r.by));
      // Fenced before promoted: whatever db1 acknowledged had reached db2.
      const onDb2 = await psql(lab, 'db2', ['-h', servers.db2.sock], 'SELECT seq FROM writes');
      const kept = new Set(onDb2.stdout.split('\n').filter(Boolean).map(Number));
      const lost = records.filter((r) => r.ok && !kept.has(r.seq)).map((r) => r.seq);
      expect(lost, 'acknowledged writes missing on the new primary').toEqual([]);

      const gap = longestGap(records);
      const outcome: Outcome = {
        takeoverMs: master.atMs - killedAt,
        hookMs: unfenced.atMs - master.atMs,
        fencePeer: `yes, ${String(fencedPeer.json?.ms)} ms`,
        gapMs: gap.gapMs,
        failed: gap.failed,
        errors: gap.errors,
      };
      const steps = nodes.db2.lines.filter((l) => l.json?.event === 'db' && l.atMs >= master.atMs).map((l) => `${String(l.json?.action)} ${String(l.json?.ms)} ms (+${l.atMs - master.atMs})`);
      console.log(`[postgres-promote] db2's steps after its master line: ${steps.join(', ')}`);
      outcomes.set("…'s node is killed", outcome);
      console.log(`[postgres-promote] node killed: ${JSON.stringify(outcome)}; ${kept.size} rows on db2, ${records.length} writes sent`);
    } finally {
      await stopAll(servers, lab);
    }
  });

  // Given the same, when db1's link is cut
  // then db1's node goes to fault and fences its own database; db2 cannot reach db1 to fence it, promotes itself,
  // and the writes resume on db2; with the link back db1 stays backup and fenced.
  it("the master's link cut: db1 fences itself, db2 promotes and takes the writes", async () => {
    const lab = await Lab.create({ hosts: ['db1', 'db2'], client: true });
    let servers: Record<Db, Server> | undefined;
    try {
      servers = await startDatabases(lab);
      const { nodes, writer } = await settle(lab, servers);
      const marks = { db1: nodes.db1.lines.length, db2: nodes.db2.lines.length };
      const cutAt = Date.now();
      await lab.linkDown('db1');
      await nodes.db1.waitForJson(isState('fault'), 5_000, marks.db1);
      const selfFence = await nodes.db1.waitForJson(isDb('fence'), 5_000, marks.db1);
      expect(selfFence.json?.ok, nodes.db1.tail()).toBe(true);
      const master = await nodes.db2.waitForJson(isState('master'), 10_000, marks.db2);
      const fencedPeer = await nodes.db2.waitForJson(isDb('fence peer'), 10_000, marks.db2);
      expect(fencedPeer.json?.ok, 'db1 is cut off: its fence cannot be reached').toBe(false);
      const unfenced = await nodes.db2.waitForJson(isDb('unfence', true), 30_000, marks.db2);
      const firstByDb2 = await writer.waitFor((l) => l.json?.ok === true && l.json.by === 'db2', 10_000);

      const setting = await psql(lab, 'db1', ['-h', servers.db1.sock], 'SHOW default_transaction_read_only');
      expect(setting.stdout.trim()).toBe('on');
      const mark = nodes.db1.lines.length;
      await lab.linkUp('db1');
      await nodes.db1.waitForJson(isState('backup'), 10_000, mark);
      const until = Math.max(firstByDb2.atMs, Date.now()) + 1_000;
      await writer.waitFor((l) => l.atMs > until, 5_000);
      expect(await lab.addresses('db1')).not.toContain(lab.ipv4(100));
      expect(await lab.addresses('db2')).toContain(lab.ipv4(100));
      expect((await writeToDb1(lab)).stderr).toMatch(/read-only transaction/);

      await writer.stop();
      const records = clientRecords(writer.lines);
      expectOneSwitch(records.filter((r) => r.ok).map((r) => r.by));
      const gap = longestGap(records);
      const outcome: Outcome = {
        takeoverMs: master.atMs - cutAt,
        hookMs: unfenced.atMs - master.atMs,
        fencePeer: `no (${String(fencedPeer.json?.error)}, ${String(fencedPeer.json?.ms)} ms)`,
        gapMs: gap.gapMs,
        failed: gap.failed,
        errors: gap.errors,
      };
      // Not asserted: db1 was cut off mid-stream, and what it acknowledged last may never have reached db2 (the
      // price of asynchronous replication; synchronous_standby_names closes it, at a cost per write).
      const onDb2 = await psql(lab, 'db2', ['-h', servers.db2.sock], 'SELECT seq FROM writes');
      const kept = new Set(onDb2.stdout.split('\n').filter(Boolean).map(Number));
      const lost = records.filter((r) => r.ok && !kept.has(r.seq)).length;
      outcomes.set("…'s link is cut", outcome);
      console.log(`[postgres-promote] link cut: ${JSON.stringify(outcome)}; acknowledged by db1 and missing on db2: ${lost}`);
    } finally {
      await stopAll(servers, lab);
    }
  });
  // The baseline: keepalived 2.2.7 with notify_master / notify_backup scripts doing the same steps
  // (examples/postgres-promote/keepalived/), and the master's keepalived killed (its VRRP process SIGKILLed).
  it('baseline: keepalived with notify scripts, the master\'s keepalived killed', async () => {
    const lab = await Lab.create({ hosts: ['db1', 'db2'], client: true });
    let servers: Record<Db, Server> | undefined;
    try {
      servers = await startDatabases(lab);
      const logs = { db1: join(lab.tmpDir, 'notify-db1.log'), db2: join(lab.tmpDir, 'notify-db2.log') };
      const ka: Partial<Record<Db, KeepalivedHandle>> = {};
      ka.db1 = await lab.startKeepalived('db1', keepalivedConfFor(lab, 'db1', servers, logs.db1));
      await ka.db1.waitForLog(/Entering MASTER STATE/, 10_000);
      await waitForNotify(logs.db1, 'master', /^unfence ok$/, 10_000);
      ka.db2 = await lab.startKeepalived('db2', keepalivedConfFor(lab, 'db2', servers, logs.db2));
      await ka.db2.waitForLog(/Entering BACKUP STATE/, 10_000);
      await waitForNotify(logs.db2, 'backup', /^fence ok$/, 10_000);
      const writer = watch(
        'writer',
        lab.spawn('client', [process.execPath, join(example, 'writer.js'), lab.ipv4(100), '20', '1000'], { env: { ...process.env, ...PG_ENV, PSQL: bin('psql') } }),
        false,
      );
      await writer.waitFor(() => clientRecords(writer.lines).filter((r) => r.by === 'db1').length >= 25, 10_000);

      const mark = ka.db2.lines.length;
      const killedAt = Date.now();
      await ka.db1.kill();
      const masterLine = await ka.db2.waitForLog(/Entering MASTER STATE/, 10_000, mark);
      const masterAt = ka.db2.log.find((l) => l.text === masterLine)!.atMs;
      const fencedPeer = await waitForNotify(logs.db2, 'master', /^fence peer/, 10_000);
      expect(fencedPeer.what).toBe('fence peer ok');
      const unfenced = await waitForNotify(logs.db2, 'master', /^unfence ok$/, 30_000);
      const firstByDb2 = await writer.waitFor((l) => l.json?.ok === true && l.json.by === 'db2', 10_000);
      await writer.waitFor((l) => l.atMs > firstByDb2.atMs + 1_000, 5_000);
      expect((await writeToDb1(lab)).stderr).toMatch(/read-only transaction/);

      await writer.stop();
      const records = clientRecords(writer.lines);
      expectOneSwitch(records.filter((r) => r.ok).map((r) => r.by));
      const gap = longestGap(records);
      const outcome: Outcome = {
        takeoverMs: masterAt - killedAt,
        hookMs: Math.round(unfenced.atMs - masterAt),
        fencePeer: 'yes',
        gapMs: gap.gapMs,
        failed: gap.failed,
        errors: gap.errors,
      };
      console.log(`[postgres-promote] notify steps after the master line: ${notifyLog(logs.db2).filter((e) => e.state === 'master').map((e) => `${e.what} +${Math.round(e.atMs - masterAt)}`).join(', ')}`);
      outcomes.set("…'s keepalived is killed (keepalived + notify scripts)", outcome);
      console.log(`[postgres-promote] keepalived killed: ${JSON.stringify(outcome)}`);
    } finally {
      await stopAll(servers, lab);
    }
  });
});
