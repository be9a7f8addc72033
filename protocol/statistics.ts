/**
 * The one percentile rule of the project, used by server, client, harness and benches so the
 * same data always gives the same p50 / p95: nearest rank, the smallest value with at least p%
 * of the values at or below it (rank ceil(p/100 * n), 1-based). p = 0 gives the minimum.
 */

/** Nearest-rank percentile of values already sorted ascending (p in [0, 100]); NaN when empty. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
}

/** Nearest-rank percentile of `values` in any order (p in [0, 100]); NaN when empty. */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentileOfSorted(Float64Array.from(values).sort(), p);
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
}

/** p50, p95, p99, max and count of `values`; null when there are none. */
export function percentiles(values: ArrayLike<number>): Percentiles | null {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  return { p50: percentileOfSorted(s, 50), p95: percentileOfSorted(s, 95), p99: percentileOfSorted(s, 99), max: s[s.length - 1]!, count: s.length };
}

/**
 * The last `capacity` finite values of a measurement (a fixed ring: no growth), with their
 * statistics. Percentiles sort the window once per change, not once per call: the server asks
 * for a session's p95 generation time at every chunk it schedules, several times per push.
 */
export class RecentValues {
  readonly capacity: number;
  private readonly values: Float64Array;
  private readonly sorted: Float64Array;
  /** `sorted` holds the window's values in order. */
  private sortedValid = false;
  private next = 0;
  private size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, but is ${capacity}`);
    this.capacity = capacity;
    this.values = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  /** Adds a value; NaN and infinities are ignored (they would poison every statistic). */
  push(v: number): void {
    if (!Number.isFinite(v)) return;
    this.values[this.next] = v;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
    this.sortedValid = false;
  }

  get count(): number {
    return this.size;
  }

  /** Nearest-rank percentile of the window (p in [0, 100]); NaN when empty. */
  percentile(p: number): number {
    const sorted = this.sorted.subarray(0, this.size);
    if (!this.sortedValid) {
      sorted.set(this.values.subarray(0, this.size));
      sorted.sort();
      this.sortedValid = true;
    }
    return percentileOfSorted(sorted, p);
  }

  max(): number {
    if (this.size === 0) return NaN;
    let m = -Infinity;
    for (let i = 0; i < this.size; i++) if (this.values[i]! > m) m = this.values[i]!;
    return m;
  }

  mean(): number {
    if (this.size === 0) return NaN;
    let s = 0;
    for (let i = 0; i < this.size; i++) s += this.values[i]!;
    return s / this.size;
  }

  clear(): void {
    this.next = 0;
    this.size = 0;
    this.sortedValid = false;
  }
}
