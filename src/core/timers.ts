/**
 * VRRP timer arithmetic, in milliseconds.
 *
 * Rules:
 * - Pure functions of (version, priority, interval); the state machine decides when to call them.
 * - Results are exact: every interval is a whole number of milliseconds and the skew divides by 256, so the
 *   fractional milliseconds that come out are exact binary fractions (e.g. 609.375 ms), never rounded. Callers
 *   compare instants with `>=`, so no epsilon is needed.
 */
import type { VrrpVersion } from './advertisement.js';

/**
 * Skew_Time in ms.
 * v2 (RFC 3768 §6.1): `(256 − Priority) / 256` seconds, independent of the advertisement interval.
 * v3 (RFC 9568 §6.1): `((256 − Priority) × Master_Adver_Interval) / 256`.
 */
export function skewTimeMs(version: VrrpVersion, priority: number, masterAdverIntervalMs: number): number {
  return version === 2 ? ((256 - priority) * 1000) / 256 : ((256 - priority) * masterAdverIntervalMs) / 256;
}

/** Master_Down_Interval in ms: `3 × Master_Adver_Interval + Skew_Time` (RFC 3768 §6.1, RFC 9568 §6.1). */
export function masterDownIntervalMs(version: VrrpVersion, priority: number, masterAdverIntervalMs: number): number {
  return 3 * masterAdverIntervalMs + skewTimeMs(version, priority, masterAdverIntervalMs);
}
