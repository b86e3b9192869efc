/**
 * Sending one rtnetlink request and hearing the kernel's answer — for addresses, virtual routes and rules, and VMAC
 * links (../vmac.ts) — through the addon's request socket when it loads, else through the netlink module.
 */
import { changeRequestSocket, netlinkErrno } from '../interfaces.js';
import { openRouteRequestSocket, PacketSocketError, type RouteRequestSocket } from '../packet-socket.js';
import { requestPayload } from './address-request.js';
import type { NetlinkRequest } from './netlink-request.js';

let routeSocket: RouteRequestSocket | null | undefined;

/**
 * Sends one rtnetlink request (an address's, a virtual route's or rule's) and resolves with the errno name of the
 * kernel's refusal, undefined on success. Through the addon when it loads: the request is sent and acknowledged
 * inside this call, so the address is up when it returns. Otherwise through the netlink module, whose
 * acknowledgement comes a loop turn later (the address itself is still applied inside its send).
 */
export function sendNetlinkRequest(request: NetlinkRequest): Promise<string | undefined> {
  return Promise.resolve(sendNetlinkRequestNow(request));
}

/** {@link sendNetlinkRequest}, answering synchronously when the addon is there (a promise only without it). */
export function sendNetlinkRequestNow(request: NetlinkRequest): string | undefined | Promise<string | undefined> {
  const routeSocket = routeRequestSocket();
  if (routeSocket !== null) {
    try {
      return routeSocket.request(request.message);
    } catch (error) {
      return error instanceof PacketSocketError ? error.code : String(error);
    }
  }
  const payload = requestPayload(request);
  return changeRequestSocket()
    .socket.request(request.type, [Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)], { flags: request.flags })
    .then(
      () => undefined,
      (error: unknown) => netlinkErrno(error) ?? String(error),
    );
}

/** The process's addon request socket, opened on first use; null without the addon. */
export function routeRequestSocket(): RouteRequestSocket | null {
  if (routeSocket === undefined) {
    try {
      routeSocket = openRouteRequestSocket();
    } catch {
      routeSocket = null; // no addon (or no socket): the netlink module does the same, a little later
    }
  }
  return routeSocket;
}
