/**
 * A ring buffer of past control vectors (time, vector), read by linear interpolation: the
 * replay source of the 'delayed-linear' resampling mode and of the slopes of 'extrapolate'.
 *
 * The write position is plain data (`headIndex`, `size`, `rewind()`), so the tracker can
 * rewind a few entries when it replays frames that arrived out of order.
 */
import type { Milliseconds } from '../../protocol/units.js';

export class ControlHistory {
  readonly capacity: number;
  readonly width: number;
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private head = 0;
  private count = 0;

  constructor(capacity: number, width: number) {
    if (!Number.isInteger(capacity) || capacity < 2) {
      throw new RangeError(`capacity must be an integer >= 2, but is ${capacity}`);
    }
    this.capacity = capacity;
    this.width = width;
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity * width);
  }

  get size(): number {
    return this.count;
  }

  /** Time of the oldest entry (NaN when empty). */
  get oldestMs(): Milliseconds {
    return this.count === 0 ? NaN : this.times[(this.head - this.count + this.capacity) % this.capacity];
  }

  /** Time of the newest entry (NaN when empty). */
  get newestMs(): Milliseconds {
    return this.count === 0 ? NaN : this.times[(this.head - 1 + this.capacity) % this.capacity];
  }

  /** Appends an entry; entries must come in non-decreasing time (an equal time replaces the newest). */
  push(timeMs: Milliseconds, vector: ArrayLike<number>): void {
    const cap = this.capacity;
    if (this.count > 0) {
      const newest = (this.head - 1 + cap) % cap;
      if (timeMs <= this.times[newest]) {
        this.times[newest] = timeMs;
        this.write(newest, vector);
        return;
      }
    }
    this.times[this.head] = timeMs;
    this.write(this.head, vector);
    this.head = (this.head + 1) % cap;
    if (this.count < cap) this.count++;
  }

  private write(slot: number, vector: ArrayLike<number>): void {
    const base = slot * this.width;
    for (let i = 0; i < this.width; i++) this.values[base + i] = vector[i];
  }

  /**
   * Linear interpolation at `timeMs` into `out` (clamped to the oldest / newest entry).
   * Returns false (and leaves `out`) when empty.
   */
  sample(timeMs: Milliseconds, out: { [i: number]: number }): boolean {
    if (this.count === 0) return false;
    const cap = this.capacity;
    const w = this.width;
    let newer = (this.head - 1 + cap) % cap;
    if (timeMs >= this.times[newer]) {
      this.read(newer, out);
      return true;
    }
    for (let k = 1; k < this.count; k++) {
      const older = (newer - 1 + cap) % cap;
      const t0 = this.times[older];
      if (timeMs >= t0) {
        const t1 = this.times[newer];
        const u = t1 > t0 ? (timeMs - t0) / (t1 - t0) : 1;
        const a = older * w;
        const b = newer * w;
        for (let i = 0; i < w; i++) out[i] = this.values[a + i] + u * (this.values[b + i] - this.values[a + i]);
        return true;
      }
      newer = older;
    }
    this.read(newer, out);
    return true;
  }

  private read(slot: number, out: { [i: number]: number }): void {
    const base = slot * this.width;
    for (let i = 0; i < this.width; i++) out[i] = this.values[base + i];
  }

  /** Write position (for `rewind`). */
  get headIndex(): number {
    return this.head;
  }

  /** Returns to an earlier write position and size (entries written since are forgotten). */
  rewind(headIndex: number, size: number): void {
    this.head = headIndex;
    this.count = size;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
