/** Shared helpers for the protocol tests (not a test file itself). */
import assert from 'node:assert/strict';
import { ProtocolError, type ErrorCode } from '../../protocol/errors.js';
import { mulberry32 } from '../../harness/performers/rng.js';

/** Asserts that `fn` throws a ProtocolError with `code` (and, if given, a message matching `message`). */
export function assertProtocolError(fn: () => unknown, code: ErrorCode, message?: RegExp): ProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ProtocolError, `expected a ProtocolError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected code ${code}, got ${caught.code}: ${caught.message}`);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Deterministic pseudo-random numbers in [0, 1) (the performers' mulberry32). */
export const rng = mulberry32;

/** A copy of `bytes` placed at `offset` inside a larger buffer, returned as a view (like ws's Buffers). */
export function viewAt(bytes: Uint8Array, offset: number): Uint8Array {
  const big = new Uint8Array(offset + bytes.length + 11).fill(0xee);
  big.set(bytes, offset);
  return big.subarray(offset, offset + bytes.length);
}

/** A copy of `bytes` with `patch` applied through a little-endian DataView. */
export function patched(bytes: Uint8Array, patch: (view: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  patch(new DataView(copy.buffer, copy.byteOffset, copy.byteLength));
  return copy;
}
