/**
 * Lower tracking rates from a 30 fps recording, by dropping frames the way a slower tracker does:
 * it keeps the frame that is ready when it becomes free, so kept frames are evenly spread.
 */

/** The frames a tracker running at `fps` keeps from a stream at `sourceFps` (every frame at or above it). */
export function keepAtRate<T>(frames: readonly T[], sourceFps: number, fps: number): T[] {
  if (!(fps > 0 && sourceFps > 0)) throw new RangeError(`rates must be > 0 (source ${sourceFps}, wanted ${fps})`);
  if (fps >= sourceFps) return [...frames];
  return frames.filter((_, i) => i === 0 || Math.floor((i * fps) / sourceFps) > Math.floor(((i - 1) * fps) / sourceFps));
}
