// A fine-grained ICMP echo pinger for the failover benchmark, run with plain `node` inside a lab host:
//
//   node bench/icmp-pinger.mjs <IPv4 target> <interval ms>
//
// Prints "<epoch ms> <seq>" for every echo reply from the target, and "ready" once the socket is open.
//
// Why not iputils ping: on this kernel (CONFIG_HZ=250) `ping -i 0.01` waits for its next send with SO_RCVTIMEO,
// which is rounded to 4 ms jiffies, so it really sends every ~16 ms; and below 10 ms (`-i 0.002`) it busy-spins
// a whole core while replies come back, then falls back to one probe per ~12 ms (its MININTERVAL) as soon as
// probes go unanswered, i.e. exactly during the outage we measure. Node's timers sleep in epoll_wait (hrtimers),
// so this sends on a steady 1–2 ms grid for a few % of one core, outage or not.
//
// Times: performance.timeOrigin + performance.now() when the reply is read (the process is otherwise idle, so
// that is within a fraction of a millisecond of its arrival), on the same wall clock as tcpdump's -tt.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** @type {any} raw-socket has no type declarations; see src/linux/native.ts for the subset we use. */
const raw = require('raw-socket');

const [target, intervalText] = process.argv.slice(2);
const intervalMs = Number(intervalText ?? '2');
if (target === undefined || !/^\d+\.\d+\.\d+\.\d+$/.test(target) || !(intervalMs >= 1)) {
  process.stderr.write('usage: node icmp-pinger.mjs <IPv4 target> <interval ms ≥ 1>\n');
  process.exit(2);
}

const ICMP = 1;
const id = process.pid & 0xffff;
const socket = raw.createSocket({ protocol: ICMP, addressFamily: raw.AddressFamily.IPv4 });
const inbound = Buffer.alloc(65_536);
const request = Buffer.alloc(16); // type, code, checksum, id, seq + 8 bytes of payload
const now = () => performance.timeOrigin + performance.now();

// Read synchronously until the socket is empty, as src/linux/raw-transport.ts does: raw-socket's own handler
// reads one packet per readiness event and closes the socket on any error.
socket.wrap.removeAllListeners('recvReady');
socket.wrap.on('recvReady', () => {
  for (;;) {
    let length = -1;
    let source = '';
    try {
      socket.wrap.recv(inbound, (/** @type {Buffer} */ _buffer, /** @type {number} */ bytes, /** @type {string} */ from) => {
        length = bytes;
        source = from;
      });
    } catch {
      return; // EAGAIN: drained
    }
    if (length < 28) return;
    const at = now();
    const headerLength = ((inbound[0] ?? 0) & 0x0f) * 4;
    // Echo reply (type 0) to one of our requests, from the target.
    if (source === target && inbound[headerLength] === 0 && inbound.readUInt16BE(headerLength + 4) === id) {
      process.stdout.write(`${at.toFixed(3)} ${inbound.readUInt16BE(headerLength + 6)}\n`);
    }
  }
});
socket.on('error', (/** @type {Error} */ error) => {
  process.stderr.write(`icmp-pinger: ${error.message}\n`);
  process.exit(1);
});

let seq = 0;
const started = performance.now();
const send = () => {
  seq = (seq + 1) & 0xffff;
  request.fill(0);
  request.writeUInt8(8, 0);
  request.writeUInt16BE(id, 4);
  request.writeUInt16BE(seq, 6);
  raw.writeChecksum(request, 2, raw.createChecksum(request));
  try {
    socket.wrap.send(request, 0, request.length, target, () => {});
  } catch {
    // EHOSTUNREACH and friends while the target's ARP entry has failed: an unanswered probe, as with ping
  }
};
// A fixed grid (started + k × interval), so late timers do not make the probes drift apart.
let k = 0;
const tick = () => {
  send();
  k += 1;
  setTimeout(tick, Math.max(0, started + k * intervalMs - performance.now()));
};
process.stdout.write('ready\n');
tick();
for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
  process.on(signal, () => {
    socket.close();
    process.exit(0);
  });
}
