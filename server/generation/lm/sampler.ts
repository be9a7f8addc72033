/**
 * Seeded sampling: a session's seed makes its token choices, and so its audio, reproducible.
 */
import { Rng } from '../rng.js';

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
  private readonly random: Rng;
  private weights = new Float64Array(0);
  constructor(random: Rng) {
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
