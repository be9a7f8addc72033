/**
 * The last stage: a peak limiter with instant attack and smooth release, then interleaving.
 * The gain is chosen per sample so that |out| <= ceiling always (no clipping, ever); a
 * non-finite sample (a bug upstream) is replaced by silence rather than passed on.
 */
import type { Hz } from '../../../../protocol/units.js';

export interface LimiterOptions {
  /** Largest output magnitude. Default 0.944 (-0.5 dBFS). */
  ceiling?: number;
  /** Release time constant, ms. Default 120. */
  releaseMs?: number;
}

export class Limiter {
  readonly ceiling: number;
  private readonly release: number;
  private gain = 1;
  /** Smallest gain applied since the last read (for metering). */
  private minGain = 1;

  constructor(sampleRate: Hz, options: LimiterOptions = {}) {
    this.ceiling = options.ceiling ?? 0.944;
    this.release = 1 - Math.exp(-1 / (((options.releaseMs ?? 120) / 1000) * sampleRate));
  }

  /** Limits inL/inR (n samples) into interleaved `out` starting at frame `frame`. */
  process(inL: Float32Array, inR: Float32Array, out: Float32Array, frame: number, n: number): void {
    const ceiling = this.ceiling;
    const release = this.release;
    let g = this.gain;
    let minGain = this.minGain;
    let o = frame * 2;
    for (let i = 0; i < n; i++) {
      let l = inL[i]!;
      let r = inR[i]!;
      const a = Math.max(l < 0 ? -l : l, r < 0 ? -r : r);
      if (!(a < 1e6)) {
        l = 0;
        r = 0;
      } else {
        g += (1 - g) * release;
        if (a * g > ceiling) g = ceiling / a;
      }
      if (g < minGain) minGain = g;
      out[o++] = l * g;
      out[o++] = r * g;
    }
    this.gain = g;
    this.minGain = minGain;
  }

  /** Gain reduction peak since the last call, in dB (<= 0), then reset. */
  takeReductionDb(): number {
    const db = 20 * Math.log10(this.minGain);
    this.minGain = 1;
    return db;
  }
}
