/**
 * What turns a symbolic stream's steps into audio: the built-in synthesiser (symbolicSynth.ts)
 * and the sampled General MIDI renderer (soundfontRenderer.ts) both implement it, and
 * symbolicStream.ts drives either the same way:
 * - setControls() exactly at every RENDER_BLOCK boundary of the timeline (and at the first sample);
 * - trigger() at a step's first sample, before that sample is rendered;
 * - render() on contiguous pieces that never cross a RENDER_BLOCK boundary.
 * Under those rules a renderer's output does not depend on how the timeline is cut into chunks.
 */
import type { Samples } from '../../../../protocol/units.js';
import type { StyleName } from '../styleNames.js';
import type { SymbolicStep } from '../tokens.js';

/** Control-rate block of the timeline, in frames. */
export const RENDER_BLOCK = 64;

/** The continuous controls a renderer follows, read once per block. */
export interface SynthControls {
  energy: number;
  valence: number;
  presence: number;
  armOpenness: number;
  beatStrength: number;
}

export interface TriggerResult {
  /** Pitches of a chord onset as voiced, else null. */
  voicing: number[] | null;
  /** Drum velocity used for this step (before per-voice levels). */
  velocity: number;
}

/** Construction options every renderer takes. */
export interface StepRendererOptions {
  seed: number;
  style: StyleName;
  sampleRate?: number;
  /** Master level with nobody there (presence 0), dB. Default -60 (near silence). */
  idleLevelDb?: number;
}

export interface StepRenderer {
  /** New notes use the style's sounds; ringing notes finish with theirs. */
  setStyle(style: StyleName): void;
  setControls(c: SynthControls): void;
  /** Starts what a step's tokens say at timeline sample `sample` (the current one). */
  trigger(step: SymbolicStep, stepInBar: number, sample: Samples): TriggerResult;
  /** Renders n frames starting at timeline sample `abs` into interleaved stereo `out` at frame `frame`. */
  render(out: Float32Array, frame: number, n: Samples, abs: Samples): void;
  /** Largest limiter gain reduction since the last call, dB (<= 0). */
  takeLimiterReductionDb(): number;
}
