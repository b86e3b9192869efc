/**
 * The chaos run's responder on every node host: answers each TCP connection with the host's name and closes. It
 * listens on [::] (dual stack), so it answers on any address the host's kernel owns, VIPs included: the client's
 * probe of a VIP says which host its ARP / neighbour entry led to. It runs beside the VRRP process, not in it,
 * so a dead or frozen node's host still answers for a VIP its kernel still holds (what a stale VIP does to clients).
 *
 *   node echo.mjs <name> <port>
 */
import { createServer } from 'node:net';

const [name, port] = process.argv.slice(2);
const server = createServer((socket) => {
  socket.on('error', () => {});
  socket.end(`${name}\n`);
});
server.listen({ port: Number(port), host: '::', ipv6Only: false }, () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => process.exit(0));
