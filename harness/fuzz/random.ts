/** A seeded random source for the fuzzer (mulberry32 underneath): the same seed, the same choices. */
import { clamp } from '../../protocol/numbers.js';
import { mulberry32 } from '../performers/rng.js';

export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next();
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One of the entries, with probability proportional to its weight. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((a, e) => a + e[1], 0);
    let r = this.next() * total;
    for (const [value, w] of entries) {
      if ((r -= w) < 0) return value;
    }
    return entries[entries.length - 1]![0];
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.next() * 256);
    return b;
  }

  /** A length biased towards small values and boundaries: 0, 1, around `edges`, or anything below `max`. */
  length(max: number, edges: readonly number[] = []): number {
    const r = this.next();
    if (r < 0.15) return this.int(0, 2);
    if (r < 0.5 && edges.length > 0) return clamp(this.pick(edges) + this.int(-1, 1), 0, max);
    return this.int(0, max);
  }
}
