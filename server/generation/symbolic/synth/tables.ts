/**
 * Precomputed, read-only wavetables shared by every voice of every stream in a worker:
 * band-limited saw, square and triangle (one table per octave band, so no partial goes past
 * 20 kHz), and a sine. Built once at module load (~20 ms); never written afterwards.
 */
import type { Hz } from '../../../../protocol/units.js';

export const TABLE_BITS = 11;
export const TABLE_SIZE = 1 << TABLE_BITS;
export const TABLE_MASK = TABLE_SIZE - 1;

export type Wave = 'saw' | 'square' | 'triangle' | 'sine';

/** Band b holds fundamentals up to BAND_BASE_HZ * 2^(b + 1). */
const BAND_BASE_HZ = 20;
const BANDS = 11;
const MAX_PARTIAL_HZ = 20000;

const SIN_D = new Float64Array(TABLE_SIZE);
for (let i = 0; i < TABLE_SIZE; i++) SIN_D[i] = Math.sin((2 * Math.PI * i) / TABLE_SIZE);

function build(amplitude: (k: number) => number, partials: number): Float32Array {
  const acc = new Float64Array(TABLE_SIZE);
  for (let k = 1; k <= partials; k++) {
    const a = amplitude(k);
    if (a === 0) continue;
    // Lanczos sigma tames the Gibbs ripple of a truncated series.
    const x = (Math.PI * k) / (partials + 1);
    const g = a * (k === 0 ? 1 : Math.sin(x) / x);
    for (let i = 0, j = 0; i < TABLE_SIZE; i++, j = (j + k) & TABLE_MASK) acc[i]! += g * SIN_D[j]!;
  }
  let peak = 0;
  for (let i = 0; i < TABLE_SIZE; i++) peak = Math.max(peak, Math.abs(acc[i]!));
  const out = new Float32Array(TABLE_SIZE + 1);
  for (let i = 0; i < TABLE_SIZE; i++) out[i] = acc[i]! / peak;
  out[TABLE_SIZE] = out[0]!;
  return out;
}

function buildBands(amplitude: (k: number) => number): readonly Float32Array[] {
  const bands: Float32Array[] = [];
  for (let b = 0; b < BANDS; b++) {
    const top = BAND_BASE_HZ * 2 ** (b + 1);
    bands.push(build(amplitude, Math.max(1, Math.min(TABLE_SIZE / 2 - 1, Math.floor(MAX_PARTIAL_HZ / top)))));
  }
  return bands;
}

const SAW = buildBands((k) => (k % 2 === 1 ? 1 : -1) / k);
const SQUARE = buildBands((k) => (k % 2 === 1 ? 1 / k : 0));
const TRIANGLE = buildBands((k) => (k % 2 === 1 ? ((k - 1) / 2) % 2 === 0 ? 1 / (k * k) : -1 / (k * k) : 0));

/** A sine table of TABLE_SIZE + 1 entries (guard point for interpolation). */
export const SINE: Float32Array = build((k) => (k === 1 ? 1 : 0), 1);

/** The band-limited table for a fundamental of `hz` (use the highest frequency the note reaches). */
export function waveTable(wave: Wave, hz: Hz): Float32Array {
  if (wave === 'sine') return SINE;
  let b = 0;
  while (b < BANDS - 1 && hz > BAND_BASE_HZ * 2 ** (b + 1)) b++;
  const bands = wave === 'saw' ? SAW : wave === 'square' ? SQUARE : TRIANGLE;
  return bands[b]!;
}

export const midiToHz = (pitch: number): Hz => 440 * 2 ** ((pitch - 69) / 12);

/** Multiplier per sample that decays by 60 dB over `ms` milliseconds. */
export function decayPerSample(ms: number, sampleRate: Hz): number {
  return ms <= 0 ? 0 : Math.pow(10, -3 / ((ms / 1000) * sampleRate));
}
