/**
 * Seeded sampling: a session's seed makes its token choices, and so its audio, reproducible.
 */

/** A small seeded generator (mulberry32): uniform floats in [0, 1). Its state is one integer. */
export class SeededRandom {
  private state: number;
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`\`seed\` must be a finite number, but is ${seed}`);
    this.state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** The generator's state, to snapshot and restore. */
  get snapshot(): number {
    return this.state;
  }
  restore(state: number): void {
    this.state = state >>> 0;
  }
}

export interface Sampler {
  /** Picks a token index from one row of processed logits (-Infinity = forbidden). */
  sample(row: Float32Array): number;
}

/** The argmax (temperature 0). */
export class GreedySampler implements Sampler {
  sample(row: Float32Array): number {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < row.length; i++) {
      if (row[i]! > bestValue) {
        bestValue = row[i]!;
        best = i;
      }
    }
    if (best < 0) throw new Error('every token is masked: nothing to sample');
    return best;
  }
}

/** Draws from softmax(row) with a seeded generator; masked tokens can never come out. */
export class MultinomialSampler implements Sampler {
  private readonly random: SeededRandom;
  private weights = new Float64Array(0);
  constructor(random: SeededRandom) {
    this.random = random;
  }
  sample(row: Float32Array): number {
    let max = -Infinity;
    for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
    if (max === -Infinity || Number.isNaN(max)) throw new Error('every token is masked (or logits are NaN): nothing to sample');
    if (this.weights.length !== row.length) this.weights = new Float64Array(row.length);
    let total = 0;
    let last = -1;
    for (let i = 0; i < row.length; i++) {
      const w = row[i]! === -Infinity ? 0 : Math.exp(row[i]! - max);
      this.weights[i] = w;
      total += w;
      if (w > 0) last = i;
    }
    let u = this.random.next() * total;
    for (let i = 0; i < row.length; i++) {
      const w = this.weights[i]!;
      if (w === 0) continue;
      u -= w;
      if (u < 0) return i;
    }
    return last; // rounding left u >= 0 after the last allowed token
  }
}
