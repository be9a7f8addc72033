/** The last N values of a measurement, with percentiles (a fixed ring: no growth). */
export class RecentValues {
  private readonly values: Float64Array;
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
  }

  push(v: number): void {
    if (!Number.isFinite(v)) return;
    this.values[this.next] = v;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  get count(): number {
    return this.size;
  }

  percentile(p: number): number {
    if (this.size === 0) return NaN;
    const sorted = Array.from(this.values.subarray(0, this.size)).sort((a, b) => a - b);
    return sorted[Math.min(this.size - 1, Math.floor((p / 100) * this.size))]!;
  }

  clear(): void {
    this.next = 0;
    this.size = 0;
  }
}
