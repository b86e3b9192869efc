/**
 * The chaos run's client: reads `<id> <address> <port> <timeoutMs>` lines on stdin, opens a TCP connection to each
 * and prints `{ id, ok, name?, error?, ms }` on stdout: the name is what the node host's echo.mjs answered.
 *
 *   node probe.mjs
 */
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

createInterface({ input: process.stdin }).on('line', (line) => {
  const [id, host, port, timeoutMs] = line.trim().split(/\s+/);
  const started = performance.now();
  let data = '';
  let done = false;
  /** @param {Record<string, unknown>} fields */
  const finish = (fields) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.destroy();
    process.stdout.write(`${JSON.stringify({ id, ...fields, ms: performance.now() - started })}\n`);
  };
  const socket = connect({ host, port: Number(port) });
  const timer = setTimeout(() => finish({ ok: false, error: 'timeout' }), Number(timeoutMs));
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => (data += chunk));
  socket.on('end', () => finish({ ok: data.trim() !== '', name: data.trim() }));
  socket.on('error', (/** @type {NodeJS.ErrnoException} */ error) => finish({ ok: false, error: error.code ?? error.message }));
});
process.stdout.write('ready\n');
