/**
 * Small byte arrays that an instance keeps for its life and hands to the addon (its prepared address requests),
 * carved from shared slabs instead of allocated one by one.
 *
 * Why: a typed array handed to native code gets an ArrayBuffer of its own off V8's heap the first time (N-API asks
 * for its backing store), and each costs about 250 bytes of malloc and heap besides its bytes. In heap snapshots of
 * 255 masters the engine thread held seven such buffers per instance, three of them the VIP's prepared requests
 * (docs/linux.md, "Memory per instance"). A view on a slab costs only the view.
 *
 * A slab lives while any of its views does; a view is never written after its request is encoded, never detached
 * and never transferred, so sharing the buffer is invisible to its users (the addon reads a view's own bytes:
 * native/common.c takes a typed array's data pointer, offset included).
 */

/** Bytes per slab: a few dozen requests, so that a slab pinned by one long-lived request wastes little. */
const SLAB_BYTES = 1024;
/** Views start 8-aligned, as a fresh ArrayBuffer's bytes do (the addon copies them, but alignment costs nothing). */
const ALIGN = 8;

let slab: Uint8Array | undefined;
let used = 0;

/** `length` zeroed bytes for the caller to fill and keep: a view on a shared slab, or its own array when large. */
export function keptBytes(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`a byte count is a whole number from 0, not ${length}`);
  if (length > SLAB_BYTES / 4) return new Uint8Array(length);
  if (slab === undefined || used + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const bytes = slab.subarray(used, used + length);
  used += (length + ALIGN - 1) & ~(ALIGN - 1);
  return bytes;
}
