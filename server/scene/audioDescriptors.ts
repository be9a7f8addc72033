/**
 * Cheap running descriptors of the audio a session produces, chunk by chunk: level (RMS),
 * brightness (share of energy above ~2 kHz) and onsets (log-energy flux on 5 ms hops with an
 * adaptive threshold, as harness/analysis/onsets.ts does offline, but causal and streaming).
 * One pass over the chunk, no allocation per chunk; state carries across chunk borders.
 */
import type { Hz } from '../../protocol/units.js';

export interface ChunkDescriptors {
  /** Seconds of audio described. */
  seconds: number;
  /** RMS of the mono mix. */
  rms: number;
  /** High-passed energy / total energy, 0..1. */
  brightness: number;
  /** Onsets that began in this chunk. */
  onsets: number;
}

export interface AudioDescriptorOptions {
  /** Onset analysis hop (ms). Default 5. */
  hopMs: number;
  /** Flux must exceed its running mean by this much (log-energy units). Default 0.6. */
  delta: number;
  /** Onsets closer than this are merged (ms). Default 60. */
  minIntervalMs: number;
  /** High-pass corner for brightness (Hz). Default 2000. */
  brightnessHz: Hz;
}

const DEFAULTS: AudioDescriptorOptions = { hopMs: 5, delta: 0.6, minIntervalMs: 60, brightnessHz: 2000 };

export class AudioDescriptors {
  private readonly options: AudioDescriptorOptions;
  private readonly hop: number;
  private readonly lpCoeff: number;
  private lp = 0;
  private hopEnergy = 0;
  private hopFill = 0;
  private prevEnergy = [0, 0];
  private fluxMean = 0;
  private sinceOnset = Infinity;

  constructor(
    readonly sampleRate: Hz,
    readonly channels: number,
    options: Partial<AudioDescriptorOptions> = {},
  ) {
    if (!(sampleRate > 0) || !Number.isInteger(channels) || channels < 1) {
      throw new RangeError(`sampleRate must be positive and channels a positive integer, but are ${sampleRate} and ${channels}`);
    }
    this.options = { ...DEFAULTS, ...options };
    this.hop = Math.max(1, Math.round((this.options.hopMs / 1000) * sampleRate));
    this.lpCoeff = 1 - Math.exp((-2 * Math.PI * this.options.brightnessHz) / sampleRate);
  }

  /** Describes one chunk of interleaved PCM. */
  analyse(pcm: Float32Array): ChunkDescriptors {
    const ch = this.channels;
    const frames = Math.floor(pcm.length / ch);
    const minHops = this.options.minIntervalMs / this.options.hopMs;
    let total = 0;
    let high = 0;
    let onsets = 0;
    for (let i = 0; i < frames; i++) {
      let m = 0;
      for (let c = 0; c < ch; c++) m += pcm[i * ch + c]!;
      m /= ch;
      this.lp += this.lpCoeff * (m - this.lp);
      const hp = m - this.lp;
      total += m * m;
      high += hp * hp;
      this.hopEnergy += m * m;
      if (++this.hopFill < this.hop) continue;
      const e = Math.log(1e-9 + this.hopEnergy / this.hop);
      const flux = Math.max(0, e - Math.min(this.prevEnergy[0]!, this.prevEnergy[1]!));
      this.prevEnergy[1] = this.prevEnergy[0]!;
      this.prevEnergy[0] = e;
      this.sinceOnset++;
      if (flux > this.fluxMean + this.options.delta && this.sinceOnset >= minHops && e > -12) {
        onsets++;
        this.sinceOnset = 0;
      }
      this.fluxMean += 0.03 * (flux - this.fluxMean);
      this.hopEnergy = 0;
      this.hopFill = 0;
    }
    return {
      seconds: frames / this.sampleRate,
      rms: Math.sqrt(total / Math.max(1, frames)),
      brightness: total > 1e-12 ? high / total : 0,
      onsets,
    };
  }
}
