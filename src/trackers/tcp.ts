/**
 * `tcp` trackers: up when a TCP connection to `host:port` opens. The connection is closed at once; nothing is sent.
 * keepalived's VRRP side has no such tracker (its TCP_CHECK belongs to LVS real servers); there, users write
 * `vrrp_script { script "</dev/tcp/127.0.0.1/80" }` or run `nc -z`, which this replaces without a process per check.
 */
import { connect } from 'node:net';
import { errorReason, type Probe, type ProbeResult } from './types.js';

/** What a `tcp` probe needs from its tracker's configuration. */
export interface TcpProbeConfig {
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
}

/** Creates the probe of a `tcp` tracker: each call opens one connection and closes it. */
export function createTcpProbe(config: TcpProbeConfig): Probe {
  return (signal) =>
    new Promise<ProbeResult>((resolve) => {
      if (signal.aborted) return resolve({ up: false, reason: 'aborted before it ran' });
      const socket = connect({ host: config.host, port: config.port });
      const finish = (result: ProbeResult): void => {
        signal.removeEventListener('abort', onAbort);
        socket.removeAllListeners();
        // An error after this (an RST on close) has nobody to tell.
        socket.on('error', () => {});
        socket.destroy();
        resolve(result);
      };
      const onAbort = (): void => finish({ up: false, reason: 'aborted while connecting' });
      socket.once('connect', () => finish({ up: true, reason: `connected to ${config.host}:${config.port}` }));
      socket.once('error', (error) => finish({ up: false, reason: errorReason(error) }));
      signal.addEventListener('abort', onAbort, { once: true });
    });
}
