/**
 * Onset detection on rendered audio (what a listener hears as note/drum attacks): log-energy
 * flux on short frames with an adaptive threshold and peak picking. Used to compare onset
 * density between performers and to measure beat alignment.
 */
import type { Hz, Milliseconds } from '../../protocol/units.js';

export interface OnsetOptions {
  /** Analysis hop (ms). */
  hopMs: Milliseconds;
  /** Window of the local mean the flux must exceed (ms, centred). */
  meanWindowMs: Milliseconds;
  /** Flux must exceed the local mean by this much (log-energy units). */
  delta: number;
  /** Onsets closer than this are merged (ms). */
  minIntervalMs: Milliseconds;
  /** Low-pass the signal first (one pole, Hz) to hear only kicks and bass; 0 = full band. */
  lowpassHz: Hz;
}

export const ONSET_DEFAULTS: OnsetOptions = { hopMs: 5, meanWindowMs: 150, delta: 0.6, minIntervalMs: 60, lowpassHz: 0 };

export interface Onset {
  /** Time from the first sample (ms). */
  ms: Milliseconds;
  /** Rise in log energy: how strong the attack is. */
  strength: number;
}

/** Onsets of interleaved PCM. */
export function detectOnsets(pcm: Float32Array, sampleRate: Hz, channels: number, options: Partial<OnsetOptions> = {}): Onset[] {
  const o = { ...ONSET_DEFAULTS, ...options };
  const hop = Math.max(1, Math.round((o.hopMs / 1000) * sampleRate));
  const frames = Math.floor(pcm.length / channels / hop);
  const energy = new Float64Array(frames);
  const a = o.lowpassHz > 0 ? 1 - Math.exp((-2 * Math.PI * o.lowpassHz) / sampleRate) : 1;
  let lp = 0;
  for (let f = 0; f < frames; f++) {
    let s = 0;
    for (let i = f * hop; i < (f + 1) * hop; i++) {
      let m = 0;
      for (let c = 0; c < channels; c++) m += pcm[i * channels + c]!;
      lp += a * (m - lp);
      s += lp * lp;
    }
    energy[f] = Math.log(1e-9 + s / hop / channels);
  }
  const flux = new Float64Array(frames);
  for (let f = 2; f < frames; f++) flux[f] = Math.max(0, energy[f]! - Math.min(energy[f - 1]!, energy[f - 2]!));
  const half = Math.max(1, Math.round(o.meanWindowMs / o.hopMs / 2));
  const onsets: Onset[] = [];
  let lastMs = -Infinity;
  for (let f = 1; f < frames - 1; f++) {
    const v = flux[f]!;
    if (v < flux[f - 1]! || v < flux[f + 1]!) continue;
    let mean = 0;
    let n = 0;
    for (let g = Math.max(0, f - half); g < Math.min(frames, f + half); g++, n++) mean += flux[g]!;
    if (v < mean / n + o.delta) continue;
    const ms = ((f * hop) / sampleRate) * 1000;
    if (ms - lastMs < o.minIntervalMs) continue;
    onsets.push({ ms, strength: v });
    lastMs = ms;
  }
  return onsets;
}
