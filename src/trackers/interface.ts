/**
 * `interface` trackers (keepalived's `track_interface`): up while another interface is administratively up and
 * running — keepalived's test, IFF_UP and IFF_RUNNING in the link's flags.
 *
 * On Linux the default reader takes IFF_UP from /sys/class/net/<if>/flags and "running" from its operstate: the
 * kernel sets IFF_RUNNING exactly when the operstate is `up` or `unknown` (a loopback or a tun device without
 * carrier reporting says `unknown` and runs), and /sys's flags file never shows IFF_RUNNING itself. keepalived
 * hears the change from netlink at once; this reads every `intervalMs`. The reader is replaceable
 * (`Adapters.trackerHost.interfaceLink`), so tests and simulations can fake a link.
 */
import { readFile } from 'node:fs/promises';
import { errorReason, type InterfaceLinkReader, type InterfaceLinkState, type Probe } from './types.js';

/** IFF_UP in a link's flags (linux/if.h). */
const IFF_UP = 0x1;

/** Reads a link's state from sysfs (see the file header); `sysRoot` is where /sys/class/net lives. */
export function sysfsInterfaceLink(sysRoot = '/sys/class/net'): InterfaceLinkReader {
  return async (name) => {
    if (name.includes('/') || name === '.' || name === '..') return { up: false, reason: 'not an interface name' };
    let flags: number;
    try {
      flags = Number.parseInt((await readFile(`${sysRoot}/${name}/flags`, 'utf8')).trim(), 16);
    } catch (error) {
      const code = errorReason(error);
      return { up: false, reason: code === 'ENOENT' ? 'no such interface' : `cannot read its flags: ${code}` };
    }
    if ((flags & IFF_UP) === 0) return { up: false, reason: 'admin down' };
    let operstate: string;
    try {
      operstate = (await readFile(`${sysRoot}/${name}/operstate`, 'utf8')).trim();
    } catch (error) {
      return { up: false, reason: `cannot read its operstate: ${errorReason(error)}` };
    }
    if (operstate === 'up' || operstate === 'unknown') return { up: true, reason: `up (operstate ${operstate})` };
    return { up: false, reason: `not running (operstate ${operstate})` };
  };
}

/** Creates the probe of an `interface` tracker: each call reads the link's state once. */
export function createInterfaceProbe(config: { interface: string }, reader: InterfaceLinkReader): Probe {
  return async (signal) => {
    let state: InterfaceLinkState;
    try {
      state = await reader(config.interface, signal);
    } catch (error) {
      return { up: false, reason: `${config.interface}: ${errorReason(error)}` };
    }
    return { up: state.up, reason: `${config.interface} ${state.reason}` };
  };
}
