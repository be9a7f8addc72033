/** A window of recent values with percentiles (control-to-audio latency, generation times). */
export class RecentValues {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;
  total = 0;

  constructor(readonly capacity = 512) {
    this.values = new Float64Array(capacity);
  }

  push(v: number): void {
    this.values[this.next] = v;
    this.next = (this.next + 1) % this.capacity;
    this.filled = Math.min(this.filled + 1, this.capacity);
    this.total++;
  }

  get count(): number {
    return this.filled;
  }

  /** Nearest-rank percentile of the window (p in [0, 100]); NaN when empty. */
  percentile(p: number): number {
    if (this.filled === 0) return NaN;
    const sorted = this.values.slice(0, this.filled).sort();
    const rank = Math.min(this.filled - 1, Math.max(0, Math.ceil((p / 100) * this.filled) - 1));
    return sorted[rank]!;
  }

  max(): number {
    return this.filled === 0 ? NaN : Math.max(...this.values.subarray(0, this.filled));
  }

  mean(): number {
    if (this.filled === 0) return NaN;
    let s = 0;
    for (let i = 0; i < this.filled; i++) s += this.values[i]!;
    return s / this.filled;
  }
}
