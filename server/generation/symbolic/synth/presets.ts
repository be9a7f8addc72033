/**
 * Sound presets: how each style's instruments sound. A base preset plus per-style
 * overrides (e.g. house: punchy kick, bright saw stabs, side-chain pump; ambient: soft
 * drums, long pads, a big hall; bossa: brushes, rim clicks, nylon-ish plucked comping;
 * rock: driven bass, lead and power-chord pads, heavier drums).
 */
import type { StyleName } from '../styleNames.js';
import type { ClapParams, HatParams, KickParams, PercParams, SnareParams } from './drumVoices.js';
import type { MonoParams } from './monoVoice.js';
import type { PadParams } from './padVoice.js';
import type { ReverbParams } from './reverb.js';

export interface SoundPreset {
  kick: KickParams;
  snare: SnareParams;
  hat: HatParams;
  clap: ClapParams;
  perc: PercParams;
  bass: MonoParams;
  pad: PadParams;
  /** Soft-clip drive on the pad bus (0 = clean). */
  padDrive: number;
  lead: MonoParams;
  reverb: ReverbParams;
  /** Reverb send of snare, clap and percussion. */
  drumSend: number;
  drumLevel: number;
  /** Side-chain pump depth: how far the kick ducks the music bus (0..1). */
  pump: number;
  master: number;
}

const BASE: SoundPreset = {
  kick: { startHz: 150, endHz: 50, pitchMs: 30, decayMs: 420, click: 0.25, drive: 0.5, level: 0.8 },
  snare: { toneHz: 185, tone: 0.5, toneDecayMs: 90, noise: 0.7, noiseHz: 1800, decayMs: 220, brush: false, level: 0.45 },
  hat: { closedMs: 55, openMs: 380, hz: 7500, level: 0.2 },
  clap: { hz: 1300, decayMs: 230, level: 0.42 },
  perc: { hz: 330, endHz: 260, pitchMs: 20, decayMs: 180, attackMs: 0, tone: 0.8, noise: 0.15, noiseHz: 2500, level: 0.3, pan: -0.35 },
  bass: {
    waveA: 'saw', waveB: 'square', mixB: 0.4, detuneCents: 6, sub: 0.5,
    cutoffHz: 260, resonance: 0.35, envOct: 2.2, filterDecayMs: 260, keyTrack: 0.5,
    attackMs: 3, decayMs: 600, sustain: 0.6, releaseMs: 90,
    drive: 0, glideMs: 0, vibratoHz: 0, vibratoCents: 0, level: 0.3, send: 0.02,
  },
  pad: {
    kind: 'osc', wave: 'saw', detuneCents: 9, attackMs: 180, decayMs: 1500, sustain: 0.8, releaseMs: 700,
    cutoffHz: 1800, resonance: 0.1, level: 0.05, send: 0.35, center: 62, ringMs: 1500, brightness: 0.5,
  },
  padDrive: 0,
  lead: {
    waveA: 'square', waveB: 'saw', mixB: 0.5, detuneCents: 7, sub: 0,
    cutoffHz: 1600, resonance: 0.25, envOct: 1.5, filterDecayMs: 300, keyTrack: 0.6,
    attackMs: 8, decayMs: 400, sustain: 0.7, releaseMs: 160,
    drive: 0, glideMs: 25, vibratoHz: 5.2, vibratoCents: 12, level: 0.13, send: 0.3,
  },
  reverb: { rt60: 1.4, damping: 0.35 },
  drumSend: 0.12,
  drumLevel: 1,
  pump: 0,
  master: 0.62,
};

type Overrides = { [K in keyof SoundPreset]?: SoundPreset[K] extends object ? Partial<SoundPreset[K]> : SoundPreset[K] };

const OVERRIDES: Record<StyleName, Overrides> = {
  pop: {
    pad: { cutoffHz: 2200, level: 0.08 },
    lead: { level: 0.18 },
    pump: 0.15,
  },
  funk: {
    bass: { waveA: 'square', waveB: 'saw', mixB: 0.3, cutoffHz: 300, resonance: 0.55, envOct: 3, filterDecayMs: 140, decayMs: 350, sustain: 0.35, level: 0.29 },
    pad: { wave: 'square', attackMs: 3, decayMs: 260, sustain: 0.25, releaseMs: 90, cutoffHz: 2600, resonance: 0.35, level: 0.09, send: 0.15 },
    lead: { waveA: 'saw', waveB: 'square', attackMs: 3, decayMs: 220, sustain: 0.5, releaseMs: 80, cutoffHz: 2000, envOct: 2, glideMs: 0, vibratoCents: 6, level: 0.24 },
    reverb: { rt60: 0.8, damping: 0.4 },
  },
  house: {
    kick: { startHz: 170, endHz: 48, pitchMs: 28, decayMs: 380, click: 0.3, drive: 1.0, level: 0.85 },
    hat: { closedMs: 45, openMs: 260, hz: 8500, level: 0.2 },
    bass: { waveA: 'saw', sub: 0.6, cutoffHz: 300, envOct: 2, decayMs: 300, sustain: 0.5, level: 0.28 },
    pad: { attackMs: 2, decayMs: 320, sustain: 0.35, releaseMs: 220, cutoffHz: 2600, resonance: 0.3, detuneCents: 12, level: 0.11, send: 0.35 },
    lead: { waveA: 'saw', waveB: 'saw', detuneCents: 10, attackMs: 2, decayMs: 220, sustain: 0.3, releaseMs: 200, cutoffHz: 2400, envOct: 2, glideMs: 0, vibratoCents: 0, level: 0.26 },
    reverb: { rt60: 1.6, damping: 0.3 },
    pump: 0.45,
    master: 0.72,
  },
  'hip-hop': {
    kick: { startHz: 140, endHz: 45, pitchMs: 35, decayMs: 560, click: 0.2, drive: 0.7, level: 0.85 },
    snare: { toneHz: 200, noise: 0.8, decayMs: 200, level: 0.5 },
    hat: { closedMs: 45, level: 0.15 },
    perc: { hz: 800, endHz: 780, decayMs: 90, tone: 0.7, noise: 0.1, level: 0.18 },
    bass: { waveA: 'triangle', waveB: 'sine', mixB: 0.3, sub: 0.8, cutoffHz: 220, envOct: 1.2, decayMs: 900, sustain: 0.7, level: 0.27 },
    pad: { wave: 'triangle', attackMs: 5, decayMs: 1400, sustain: 0.45, releaseMs: 450, cutoffHz: 1500, detuneCents: 5, level: 0.11, send: 0.25, center: 60 },
    lead: { waveA: 'triangle', waveB: 'sine', mixB: 0.5, attackMs: 30, cutoffHz: 2400, vibratoHz: 4.8, vibratoCents: 14, level: 0.2 },
    reverb: { rt60: 1.0, damping: 0.5 },
  },
  ambient: {
    kick: { startHz: 90, endHz: 42, pitchMs: 40, decayMs: 600, click: 0, drive: 0, level: 0.4 },
    snare: { toneHz: 160, tone: 0.2, noise: 0.4, noiseHz: 2500, decayMs: 400, brush: true, level: 0.25 },
    hat: { closedMs: 60, openMs: 500, hz: 9000, level: 0.07 },
    perc: { hz: 660, endHz: 660, pitchMs: 1, decayMs: 800, tone: 0.7, noise: 0.03, noiseHz: 4000, level: 0.12, pan: 0.3 },
    bass: { waveA: 'triangle', waveB: 'sine', mixB: 0.5, sub: 0.6, cutoffHz: 180, envOct: 0.5, attackMs: 250, decayMs: 3000, sustain: 0.9, releaseMs: 1200, level: 0.19 },
    pad: { attackMs: 1500, decayMs: 4000, sustain: 1, releaseMs: 2500, cutoffHz: 1100, detuneCents: 14, level: 0.07, send: 0.6, center: 62 },
    lead: { waveA: 'triangle', waveB: 'sine', mixB: 0.7, attackMs: 140, decayMs: 1500, sustain: 0.8, releaseMs: 900, cutoffHz: 1800, envOct: 0.5, glideMs: 80, vibratoHz: 4.5, vibratoCents: 10, level: 0.1, send: 0.6 },
    reverb: { rt60: 4.5, damping: 0.45 },
    drumSend: 0.4,
    master: 0.8,
  },
  cinematic: {
    kick: { startHz: 110, endHz: 40, pitchMs: 45, decayMs: 700, click: 0.15, drive: 0.6, level: 0.6 },
    snare: { tone: 0.35, noise: 0.9, decayMs: 300, level: 0.42 },
    perc: { hz: 115, endHz: 75, pitchMs: 60, decayMs: 450, tone: 1, noise: 0.2, noiseHz: 900, level: 0.35, pan: 0.2 },
    bass: { waveA: 'saw', sub: 0.6, cutoffHz: 220, envOct: 1.2, attackMs: 20, decayMs: 1200, sustain: 0.8, releaseMs: 400, level: 0.21 },
    pad: { wave: 'saw', attackMs: 400, decayMs: 3000, sustain: 0.9, releaseMs: 1200, cutoffHz: 1600, detuneCents: 12, level: 0.08, send: 0.5, center: 60 },
    lead: { waveA: 'saw', waveB: 'saw', mixB: 0.8, detuneCents: 9, attackMs: 60, decayMs: 900, sustain: 0.85, releaseMs: 400, cutoffHz: 1300, envOct: 0.8, glideMs: 40, vibratoHz: 5, vibratoCents: 15, level: 0.13, send: 0.45 },
    reverb: { rt60: 2.8, damping: 0.4 },
    drumSend: 0.25,
  },
  rock: {
    kick: { startHz: 130, endHz: 55, pitchMs: 22, decayMs: 340, click: 0.45, drive: 1.5, level: 0.85 },
    snare: { toneHz: 180, tone: 0.55, noise: 0.9, noiseHz: 1600, decayMs: 260, level: 0.55 },
    hat: { closedMs: 60, openMs: 450, hz: 6500, level: 0.16 },
    perc: { hz: 140, endHz: 100, pitchMs: 50, decayMs: 350, tone: 1, noise: 0.2, noiseHz: 1000, level: 0.45, pan: 0.25 },
    bass: { waveA: 'saw', waveB: 'square', mixB: 0.5, sub: 0.3, cutoffHz: 500, envOct: 1.5, sustain: 0.8, drive: 2.5, level: 0.36 },
    pad: { wave: 'square', attackMs: 5, decayMs: 900, sustain: 0.6, releaseMs: 150, cutoffHz: 2000, detuneCents: 8, level: 0.05, send: 0.2, center: 55 },
    padDrive: 2.5,
    lead: { waveA: 'saw', waveB: 'square', attackMs: 4, cutoffHz: 2400, resonance: 0.3, drive: 3, glideMs: 15, vibratoHz: 5.5, vibratoCents: 20, level: 0.25, send: 0.25 },
    reverb: { rt60: 1.1, damping: 0.45 },
    master: 0.56,
  },
  bossa: {
    kick: { startHz: 100, endHz: 55, pitchMs: 25, decayMs: 300, click: 0, drive: 0, level: 0.5 },
    snare: { toneHz: 180, tone: 0, noise: 0.6, noiseHz: 3000, decayMs: 260, brush: true, level: 0.3 },
    hat: { closedMs: 40, level: 0.09 },
    perc: { hz: 1700, endHz: 1700, pitchMs: 1, decayMs: 35, tone: 0.6, noise: 0.5, noiseHz: 3500, level: 0.22, pan: -0.25 },
    bass: { waveA: 'triangle', waveB: 'sine', mixB: 0.3, sub: 0.4, cutoffHz: 400, envOct: 1, attackMs: 4, decayMs: 700, sustain: 0.2, releaseMs: 120, level: 0.36 },
    pad: { kind: 'pluck', ringMs: 1800, brightness: 0.35, cutoffHz: 5000, level: 0.3, send: 0.25, center: 57 },
    lead: { waveA: 'triangle', waveB: 'sine', mixB: 0.6, attackMs: 40, decayMs: 700, sustain: 0.7, releaseMs: 200, cutoffHz: 2500, envOct: 0.5, glideMs: 30, vibratoHz: 5, vibratoCents: 10, level: 0.14, send: 0.35 },
    reverb: { rt60: 1.5, damping: 0.4 },
    master: 0.85,
  },
};

function merge(base: SoundPreset, over: Overrides): SoundPreset {
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(over)) {
    const b = (base as unknown as Record<string, unknown>)[key];
    out[key] = typeof b === 'object' && b !== null ? { ...b, ...(value as object) } : value;
  }
  return out as unknown as SoundPreset;
}

export const SOUND_PRESETS: Readonly<Record<StyleName, SoundPreset>> = Object.freeze(
  Object.fromEntries(Object.entries(OVERRIDES).map(([style, over]) => [style, Object.freeze(merge(BASE, over))])) as Record<StyleName, SoundPreset>,
);
