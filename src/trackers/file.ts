/**
 * `file` trackers (keepalived's `track_file`): the integer in a file, times the weight, is the priority adjustment.
 *
 * keepalived's reading, which this follows so that the files users already write mean the same here:
 * - The number is read like C's `strtol(text, NULL, 0)` from the file's first 127 bytes: leading whitespace, a
 *   sign, then decimal, `0x` hex or `0` octal digits; whatever follows is ignored (`"12 apples"` is 12).
 * - A missing or empty file, or one that does not start with a number, reads as 0 (keepalived treats a deleted file
 *   as 0 too). A number beyond the 32-bit range is ignored: the last value stands.
 * - What the value is worth (weight 0 faults on non-zero; otherwise value × weight, below −253 faults) is the core's
 *   rule (`valuedAdjustment` in core/priority.ts); the probe uses it only to say up or down and why.
 * keepalived watches the file with inotify and reacts at once; this reads it every `intervalMs`.
 */
import { open } from 'node:fs/promises';
import { valuedAdjustment } from '../core/priority.js';
import { errorReason, type Probe } from './types.js';

/** keepalived reads this many bytes of a track file. */
const READ_BYTES = 127;

/** What a `file` probe needs from its tracker's configuration. */
export interface FileProbeConfig {
  /** The file to read. */
  path: string;
  /** Multiplies the value. */
  weight: number;
  /** Flips the sign of the product (with weight 0: faults on zero instead). */
  reverse: boolean;
}

/** The result of reading a track file's text. */
export type TrackFileValue = { value: number; note?: string } | { invalid: string };

/** Reads a number as keepalived reads a track file (see the file header). */
export function parseTrackFileValue(text: string): TrackFileValue {
  const match = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(text);
  if (!match) return { value: 0, note: 'no number in it, read as 0' };
  const digits = match[2] ?? '0';
  const magnitude = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const value = match[1] === '-' ? -magnitude : magnitude;
  // keepalived ignores values outside int32 (it lets INT32_MAX + 1 through; so do we, to read the same files alike).
  if (value < -2_147_483_648n || value > 2_147_483_648n) return { invalid: `${value} is out of range, ignored` };
  return { value: Number(value) };
}

/** Creates the probe of a `file` tracker: each call reads the file once. */
export function createFileProbe(config: FileProbeConfig): Probe {
  let lastValue = 0;
  return async (signal) => {
    if (signal.aborted) return { up: false, reason: 'aborted before it ran' };
    let text = '';
    let note: string | undefined;
    try {
      const handle = await open(config.path, 'r');
      try {
        const buffer = Buffer.alloc(READ_BYTES);
        const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, 0);
        text = buffer.subarray(0, bytesRead).toString('latin1');
      } finally {
        await handle.close();
      }
      if (text === '') note = 'empty, read as 0';
    } catch (error) {
      note = `${errorReason(error)}, read as 0`;
    }
    const parsed: TrackFileValue = note === undefined ? parseTrackFileValue(text) : { value: 0, note };
    let value: number;
    if ('invalid' in parsed) {
      value = lastValue;
      note = `${parsed.invalid}; ${lastValue} stands`;
    } else {
      value = parsed.value;
      note = parsed.note;
    }
    lastValue = value;
    const adjustment = valuedAdjustment(config, value);
    const reversed = config.reverse ? ' reversed' : '';
    const worth =
      config.weight === 0
        ? `value ${value}${adjustment === 'fault' ? `: faults with weight 0${reversed}` : ''}`
        : `value ${value} × weight ${config.weight}${reversed} = ${value * config.weight * (config.reverse ? -1 : 1)}${adjustment === 'fault' ? ': below -253, faults' : ''}`;
    return { up: adjustment !== 'fault', value, reason: note === undefined ? worth : `${config.path} ${note}: ${worth}` };
  };
}
