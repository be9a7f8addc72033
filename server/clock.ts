/**
 * The server clock: milliseconds, monotonic, comparable across worker threads (each thread's
 * performance.timeOrigin differs, but timeOrigin + now() is the same wall-anchored timeline).
 */
import type { Milliseconds } from '../protocol/units.js';

export function serverNow(): Milliseconds {
  return performance.timeOrigin + performance.now();
}
