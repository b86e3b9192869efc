// @ts-check
/**
 * PostgreSQL failover with a VIP: the answer to the tutorial reader who asked how to start PostgreSQL on the new
 * master. PostgreSQL runs on both hosts all along — a primary and a streaming-replication hot standby — and this
 * app, one per host, decides which of them takes writes: the one on the VRRP master, and no other.
 *
 * - Writes only while master. Before it joins the election, and when a mastership ends (`whileMaster`'s signal
 *   aborts: backup, fault or stop), the app fences its own database: `ALTER SYSTEM SET default_transaction_read_only
 *   = on`, reload, and (on a primary) end the client sessions, so no write transaction starts or goes on there.
 *   ALTER SYSTEM persists, so a restarted old primary comes back fenced too.
 * - When a mastership starts (`whileMaster`: the VIP is up), first fence the peer's database over the network, given
 *   1 s (if the peer's app crashed, its primary is still up, still writable, and still holds the VIP for clients
 *   that have not heard our gratuitous ARP: it must stop before we start), then promote the local standby
 *   (`pg_promote()`), then lift the local fence.
 * - No preemption (keepalived's `nopreempt`): once a standby is promoted, the old primary's data is behind. It must
 *   be rebuilt as a standby (pg_rewind or pg_basebackup) before it may be master again; an app restarted on it
 *   comes back as backup, fenced, and stays so.
 *
 * Run as root (or with CAP_NET_RAW + CAP_NET_ADMIN) on each database host:
 *   VRRP_PRIORITY=101 PG_PEER=10.0.0.12 PGHOST=/var/run/postgresql node app.js    # db1, the primary
 *   VRRP_PRIORITY=100 PG_PEER=10.0.0.11 PGHOST=/var/run/postgresql node app.js    # db2, the standby
 * Environment: VRRP_INTERFACE (eth0), VRRP_VIP (192.168.1.100), VRRP_PRIORITY (101), VRRP_NAME (pg),
 * VRRP_VIP_LEASE_MS (the library's default, 5000: how long a VIP outlives a crashed app; 0: until removed);
 * PG_PEER: the other database host's own address (not the VIP), for fencing; the local database through libpq's
 * PGHOST, PGPORT, PGUSER, PGDATABASE (a role allowed ALTER SYSTEM, pg_reload_conf(), pg_promote() and
 * pg_terminate_backend(): a superuser, or one granted those); PSQL: the psql binary (default `psql`).
 * Prints one JSON line per event; SIGTERM / SIGINT stop it (priority 0 sent, VIP removed, database fenced).
 */
import { execFile } from 'node:child_process';
import { VrrpInstance } from 'vrrp';

const env = process.env;
const peer = env.PG_PEER;
const PEER_FENCE_MS = 1000;

const vrrp = new VrrpInstance({
  name: env.VRRP_NAME ?? 'pg',
  interface: env.VRRP_INTERFACE ?? 'eth0',
  vrid: 51,
  priority: Number(env.VRRP_PRIORITY ?? 101),
  preempt: false,
  virtualAddresses: [env.VRRP_VIP ?? '192.168.1.100'],
  ...(env.VRRP_VIP_LEASE_MS === undefined ? {} : { vipLeaseMs: Number(env.VRRP_VIP_LEASE_MS) }),
});

/** @param {string} event @param {Record<string, unknown>} fields */
const print = (event, fields) => process.stdout.write(`${JSON.stringify({ event, name: vrrp.config.name, ...fields, time: new Date().toISOString() })}\n`);

/**
 * Runs SQL statements through psql, each in its own transaction (ALTER SYSTEM may not run inside one), on the
 * local database or, with `host`, on that host's; resolves with psql's output, rejects with its error.
 * @param {string[]} statements
 * @param {{ host?: string, timeoutMs?: number, signal?: AbortSignal }} [options]
 * @returns {Promise<string>}
 */
function sql(statements, options = {}) {
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...(options.host ? ['-h', options.host] : []), ...statements.flatMap((s) => ['-c', s])];
  return new Promise((resolve, reject) => {
    execFile(
      env.PSQL ?? 'psql',
      args,
      { timeout: options.timeoutMs ?? 10_000, killSignal: 'SIGKILL', ...(options.signal ? { signal: options.signal } : {}), env: { ...env, PGCONNECT_TIMEOUT: '2' } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(stderr.trim().split('\n')[0] || (error.killed ? `psql killed after ${options.timeoutMs ?? 10_000} ms` : error.message)));
        else resolve(stdout.trim());
      },
    );
  });
}

/**
 * Runs one database action and reports it as a `db` line with its duration; returns whether it succeeded.
 * @param {string} action @param {() => Promise<unknown>} work
 */
async function step(action, work) {
  const started = performance.now();
  try {
    const result = await work();
    print('db', { action, ok: true, ms: Math.round(performance.now() - started), ...(typeof result === 'string' && result ? { result } : {}) });
    return true;
  } catch (error) {
    print('db', { action, ok: false, ms: Math.round(performance.now() - started), error: /** @type {Error} */ (error).message });
    return false;
  }
}

/**
 * The fence: no new write transaction (read-only by default, persisted, applied by the reload), and on a primary
 * no session left that could be inside one. A standby is read-only anyway; its setting waits for its promotion.
 * @param {{ host?: string, timeoutMs?: number }} [where]
 */
const fence = (where = {}) =>
  sql(
    [
      'ALTER SYSTEM SET default_transaction_read_only = on',
      'SELECT pg_reload_conf()',
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND NOT pg_is_in_recovery()",
    ],
    where,
  );

/**
 * Promotes a standby and returns once it takes writes; a primary is left as it is. pg_promote(wait => true) would
 * look every 100 ms: this looks every 5 ms.
 */
const PROMOTE = `DO $$
BEGIN
  IF pg_is_in_recovery() THEN
    PERFORM pg_promote(false);
    FOR i IN 1..6000 LOOP
      EXIT WHEN NOT pg_is_in_recovery();
      PERFORM pg_sleep(0.005);
    END LOOP;
    IF pg_is_in_recovery() THEN RAISE EXCEPTION 'still in recovery 30 s after pg_promote()'; END IF;
  END IF;
END $$`;

/**
 * This host's database becomes the writable primary: peer fenced first (best effort, 1 s), then promoted, then
 * unfenced — unless the mastership ended on the way.
 * @param {AbortSignal} signal
 */
async function becomePrimary(signal) {
  if (peer) await step('fence peer', () => fence({ host: peer, timeoutMs: PEER_FENCE_MS }));
  if (signal.aborted) return;
  if (!(await step('promote', () => sql([PROMOTE], { signal, timeoutMs: 35_000 })))) return;
  if (signal.aborted) return;
  await step('unfence', () => sql(['ALTER SYSTEM RESET default_transaction_read_only', 'SELECT pg_reload_conf()'], { signal }));
}

vrrp.on('stateChange', (e) => print('stateChange', { from: e.from, to: e.to, reason: e.reason, term: e.term, priority: vrrp.effectivePriority, ...(e.peer ? { peer: e.peer } : {}) }));
vrrp.on('error', (e) => print('error', { code: e.code, message: e.message }));

// The database's part of each mastership: writable from its start (the VIP is up) to its end, fenced after.
vrrp.whileMaster(async (signal, { term }) => {
  print('mastership', { term });
  await becomePrimary(signal);
  if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  // Backup, fault or stop: this host takes no more writes. stop() waits for this.
  await step('fence', () => fence());
});

let stopping = false;
for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await vrrp.stop();
    print('stopped', {});
    process.exit(0);
  });
}

// Fenced before joining: until this node is master, its database takes no writes.
await step('fence', () => fence());
await vrrp.start();
print('started', { state: vrrp.state, priority: vrrp.effectivePriority });
