// @ts-check
/**
 * A client of the VIP: one HTTP GET every `intervalMs` on a new connection (so each request finds the VIP afresh:
 * ARP, TCP handshake), whether or not the previous one was answered, each given `timeoutMs`.
 *
 *   node client.js http://192.168.1.100/ [intervalMs = 20] [timeoutMs = 1000]
 *
 * Prints one JSON line per request — `{ seq, sentMs, doneMs, ok, by, error }`, times in ms since the epoch, `by`
 * the body's first line (the backend answers with its host name) — and on SIGTERM / SIGINT a summary line:
 * `{ summary: { sent, answered, failed, longestGapMs } }`, where longestGapMs is the longest time between two
 * consecutive answers (at 20 ms per request, about 20 ms while all is well; a failover shows as one long gap).
 */
import { request } from 'node:http';

const [url = 'http://192.168.1.100/', intervalArg = '20', timeoutArg = '1000'] = process.argv.slice(2);
const intervalMs = Number(intervalArg);
const timeoutMs = Number(timeoutArg);
const now = () => performance.timeOrigin + performance.now();

/** @type {{ seq: number, sentMs: number, doneMs: number, ok: boolean }[]} */
const results = [];
let seq = 0;
let inFlight = 0;

/** @param {Record<string, unknown>} line */
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

function send() {
  const n = ++seq;
  const sentMs = now();
  let settled = false;
  inFlight += 1;
  /** @param {boolean} ok @param {Record<string, unknown>} fields */
  const finish = (ok, fields) => {
    if (settled) return;
    settled = true;
    inFlight -= 1;
    const doneMs = now();
    results.push({ seq: n, sentMs, doneMs, ok });
    print({ seq: n, sentMs, doneMs, ok, ...fields });
  };
  const req = request(url, { agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => (body += chunk));
    res.on('end', () => {
      const by = body.split('\n')[0]?.trim();
      if (res.statusCode === 200) finish(true, { by });
      else finish(false, { error: `status ${res.statusCode}`, by });
    });
    res.on('error', (error) => finish(false, { error: /** @type {NodeJS.ErrnoException} */ (error).code ?? error.message }));
  });
  req.on('timeout', () => {
    finish(false, { error: 'timeout' });
    req.destroy();
  });
  req.on('error', (error) => finish(false, { error: /** @type {NodeJS.ErrnoException} */ (error).code ?? error.message }));
  req.end();
}

const timer = setInterval(send, intervalMs);
send();

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  // Let the requests in flight settle (answered or timed out), then summarize.
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
