/**
 * Onset detection on rendered audio (what a listener hears as note/drum attacks): log-energy
 * flux (energy over a 25 ms window every 5 ms) with an adaptive threshold and peak picking. Used
 * to compare onset density between performers and to measure beat alignment.
 */
import type { Hz, Milliseconds } from '../../protocol/units.js';

export interface OnsetOptions {
  /** Analysis hop (ms). */
  hopMs: Milliseconds;
  /** Energy is measured over this window ending at each hop (ms): at least a period of the lowest
   *  tone heard, or a 50 Hz kick's energy ripples from hop to hop and its tail reads as new onsets. */
  windowMs: Milliseconds;
  /** Window of the local mean the flux must exceed (ms, centred). */
  meanWindowMs: Milliseconds;
  /** Flux must exceed the local mean by this much (log-energy units). */
  delta: number;
  /** Onsets closer than this are merged into the stronger one (ms). */
  minIntervalMs: Milliseconds;
  /** Low-pass the signal first (one pole, Hz) to hear only kicks and bass; 0 = full band. */
  lowpassHz: Hz;
}

export const ONSET_DEFAULTS: OnsetOptions = { hopMs: 5, windowMs: 25, meanWindowMs: 150, delta: 0.6, minIntervalMs: 60, lowpassHz: 0 };

export interface Onset {
  /** Time from the first sample (ms). */
  ms: Milliseconds;
  /** Rise in RMS level (full scale 1, after the low-pass): how strong the attack is. Linear, so a
   *  kick that lands in another's decay counts about as much as one out of quiet. */
  strength: number;
}

/** Onsets of interleaved PCM. */
export function detectOnsets(pcm: Float32Array, sampleRate: Hz, channels: number, options: Partial<OnsetOptions> = {}): Onset[] {
  const detector = new OnsetDetector(sampleRate, channels, options);
  detector.push(pcm);
  return detector.onsets();
}

/**
 * detectOnsets fed chunk by chunk, as audio arrives: it keeps the two running energy sums each
 * analysis hop needs, not the audio (a listener measuring minutes of many sessions kept every
 * chunk's samples, and the garbage collector's full passes over them took its cores). onsets()
 * equals detectOnsets over the concatenated audio.
 */
export class OnsetDetector {
  private readonly o: OnsetOptions;
  private readonly channels: number;
  private readonly sampleRate: Hz;
  private readonly hop: number;
  private readonly window: number;
  private readonly a: number;
  private lp = 0;
  /** Running sum of the (low-passed) mono signal's square, after `samples` samples. */
  private cumulative = 0;
  private samples = 0;
  /** The running sum where hop f's window ends ((f + 1) * hop samples) and where it starts (window samples before, at least 0). */
  private readonly ends: number[] = [];
  private readonly starts: number[] = [];

  constructor(sampleRate: Hz, channels: number, options: Partial<OnsetOptions> = {}) {
    this.o = { ...ONSET_DEFAULTS, ...options };
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.hop = Math.max(1, Math.round((this.o.hopMs / 1000) * sampleRate));
    this.window = Math.max(this.hop, Math.round((this.o.windowMs / 1000) * sampleRate));
    this.a = this.o.lowpassHz > 0 ? 1 - Math.exp((-2 * Math.PI * this.o.lowpassHz) / sampleRate) : 1;
  }

  /** Interleaved PCM that follows what was pushed before. */
  push(pcm: Float32Array): void {
    const { channels, hop, window, a } = this;
    const samples = Math.floor(pcm.length / channels);
    let lp = this.lp;
    let cumulative = this.cumulative;
    let n = this.samples;
    for (let i = 0; i < samples; i++) {
      let m = 0;
      for (let c = 0; c < channels; c++) m += pcm[i * channels + c]!;
      lp += a * (m / channels - lp);
      cumulative += lp * lp;
      n++;
      // n samples summed: the end of hop n / hop - 1, or the start of the hop whose end is n + window.
      if (n % hop === 0) this.ends[n / hop - 1] = cumulative;
      if ((n + window) % hop === 0) this.starts[(n + window) / hop - 1] = cumulative;
    }
    this.lp = lp;
    this.cumulative = cumulative;
    this.samples = n;
  }

  /** The onsets of everything pushed so far (ms from the first sample). */
  onsets(): Onset[] {
    const o = this.o;
    const frames = Math.floor(this.samples / this.hop);
    const energy = new Float64Array(frames);
    for (let f = 0; f < frames; f++) {
      const end = (f + 1) * this.hop;
      const start = Math.max(0, end - this.window);
      energy[f] = Math.log(1e-9 + (this.ends[f]! - (start === 0 ? 0 : this.starts[f]!)) / (end - start));
    }
    const flux = new Float64Array(frames);
    for (let f = 2; f < frames; f++) flux[f] = Math.max(0, energy[f]! - Math.min(energy[f - 1]!, energy[f - 2]!));
    const half = Math.max(1, Math.round(o.meanWindowMs / o.hopMs / 2));
    const onsets: Onset[] = [];
    for (let f = 1; f < frames - 1; f++) {
      const v = flux[f]!;
      if (v < flux[f - 1]! || v < flux[f + 1]!) continue;
      let mean = 0;
      let n = 0;
      for (let g = Math.max(0, f - half); g < Math.min(frames, f + half); g++, n++) mean += flux[g]!;
      if (v < mean / n + o.delta) continue;
      const ms = ((f * this.hop) / this.sampleRate) * 1000;
      const strength = Math.sqrt(Math.exp(energy[f]!)) - Math.sqrt(Math.exp(Math.min(energy[f - 1]!, energy[Math.max(0, f - 2)]!)));
      const last = onsets.at(-1);
      if (last && ms - last.ms < o.minIntervalMs) {
        // A soft attack just before a strong one (a bass note, then the kick) must not hide it.
        if (strength > last.strength) onsets[onsets.length - 1] = { ms, strength };
        continue;
      }
      onsets.push({ ms, strength });
    }
    return onsets;
  }
}
