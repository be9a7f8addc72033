/**
 * ADSR envelope parameters turned into per-sample increments and multipliers. The state itself
 * (level, stage) lives in the voices' fields so that their inner loops stay free of calls.
 *
 * Attack is linear from the current level (a retrigger never jumps), decay and release are
 * exponential (times are to -60 dB).
 */
import type { Hz } from '../../../../protocol/units.js';
import { decayPerSample } from './tables.js';

export const IDLE = 0;
export const ATTACK = 1;
export const DECAY = 2;
export const RELEASE = 3;

/** Below this an envelope in release counts as silent and its voice goes idle. */
export const SILENT = 1e-4;

export interface AdsrParams {
  attackMs: number;
  decayMs: number;
  sustain: number;
  releaseMs: number;
}

export interface AdsrRates {
  /** Level added per sample in attack, for a peak of 1. */
  attackStep: number;
  decayMul: number;
  releaseMul: number;
}

export function adsrRates(p: AdsrParams, sampleRate: Hz): AdsrRates {
  return {
    attackStep: 1 / Math.max(1, (p.attackMs / 1000) * sampleRate),
    decayMul: decayPerSample(p.decayMs, sampleRate),
    releaseMul: decayPerSample(p.releaseMs, sampleRate),
  };
}
