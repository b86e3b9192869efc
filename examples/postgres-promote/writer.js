// @ts-check
/**
 * A client writing through the VIP: one INSERT every `intervalMs` on a new connection (psql), whether or not the
 * previous one was answered, each given `timeoutMs`.
 *
 *   PGUSER=postgres PGDATABASE=postgres node writer.js 192.168.1.100 [intervalMs = 20] [timeoutMs = 1000]
 *
 * It writes `INSERT INTO writes (seq) VALUES (n) RETURNING host` into
 *   CREATE TABLE writes (seq integer PRIMARY KEY, host text NOT NULL DEFAULT current_setting('cluster_name'),
 *                        at timestamptz NOT NULL DEFAULT clock_timestamp());
 * so each acknowledged write names the server that took it (its cluster_name). Prints one JSON line per write —
 * `{ seq, sentMs, doneMs, ok, by, error }`, times in ms since the epoch — and on SIGTERM / SIGINT a summary:
 * `{ summary: { sent, answered, failed, longestGapMs } }`, longestGapMs being the longest time between two
 * consecutive acknowledged writes. PSQL names the psql binary (default `psql`).
 */
import { execFile } from 'node:child_process';

const [host = '192.168.1.100', intervalArg = '20', timeoutArg = '1000'] = process.argv.slice(2);
const intervalMs = Number(intervalArg);
const timeoutMs = Number(timeoutArg);
const now = () => performance.timeOrigin + performance.now();

/** @type {{ sentMs: number, doneMs: number, ok: boolean }[]} */
const results = [];
let seq = 0;
let inFlight = 0;

/** @param {Record<string, unknown>} line */
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** psql's first error line, shortened to what happened. @param {string} stderr @param {boolean} killed */
function classify(stderr, killed) {
  if (killed) return 'timeout';
  if (/read-only transaction/.test(stderr)) return 'read-only';
  if (/Connection refused/.test(stderr)) return 'refused';
  if (/terminating connection|server closed the connection|administrator command/.test(stderr)) return 'terminated';
  if (/timeout expired/.test(stderr)) return 'timeout';
  if (/No route to host/.test(stderr)) return 'unreachable';
  return stderr.trim().split('\n')[0] ?? 'failed';
}

function send() {
  const n = ++seq;
  const sentMs = now();
  inFlight += 1;
  const insert = `INSERT INTO writes (seq) VALUES (${n}) RETURNING host`;
  execFile(
    process.env.PSQL ?? 'psql',
    ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', host, '-c', insert],
    { timeout: timeoutMs, killSignal: 'SIGKILL', env: { ...process.env, PGCONNECT_TIMEOUT: String(Math.max(1, Math.ceil(timeoutMs / 1000))) } },
    (error, stdout, stderr) => {
      inFlight -= 1;
      const doneMs = now();
      const ok = error === null;
      results.push({ sentMs, doneMs, ok });
      if (ok) print({ seq: n, sentMs, doneMs, ok, by: stdout.trim() });
      else print({ seq: n, sentMs, doneMs, ok, error: classify(stderr, error.killed === true) });
    },
  );
}

const timer = setInterval(send, intervalMs);
send();

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  const waitUntil = now() + timeoutMs + 100;
  const finishUp = () => {
    if (inFlight > 0 && now() < waitUntil) return void setTimeout(finishUp, 10);
    const answered = results.filter((r) => r.ok).map((r) => r.doneMs).sort((a, b) => a - b);
    let longestGapMs = 0;
    for (let i = 1; i < answered.length; i += 1) longestGapMs = Math.max(longestGapMs, /** @type {number} */ (answered[i]) - /** @type {number} */ (answered[i - 1]));
    print({ summary: { sent: seq, answered: answered.length, failed: results.length - answered.length, longestGapMs: Math.round(longestGapMs) } });
    process.exit(0);
  };
  finishUp();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
