/**
 * Which General MIDI sounds play each style with the sampled renderer (soundfontRenderer.ts):
 * a drum kit on channel 10 (the teacher's six drum voices mapped to GM percussion keys) and a
 * program for each of bass, harmony and lead, plus the mix the style wants (levels, reverb
 * sends, strum, how long chords ring). Program and kit numbers are GM's, 0-based.
 */
import type { StyleName } from '../styleNames.js';
import { CLAP, CLOSED_HAT, KICK, OPEN_HAT, PERC, SNARE } from '../tokens.js';

/** MIDI channels (0-based): channel 10 is GM's percussion channel. */
export const GM_CHANNELS = { bass: 0, harmony: 1, lead: 2, drums: 9 } as const;
export type GmPart = keyof typeof GM_CHANNELS;

export interface GmStyle {
  /** GM drum kit (program on channel 10): 0 Standard, 8 Room, 16 Power, 24 Electronic, 25 TR-808, 40 Brush, 48 Orchestra. */
  kit: number;
  bass: number;
  harmony: number;
  lead: number;
  /** GM keys for the teacher's drum voices. */
  snareKey: number;
  percKey: number;
  /** Channel volume (CC7, 0..127) per part. */
  volume: Record<GmPart, number>;
  /** Reverb send (CC91, 0..127) per part. */
  reverb: Record<GmPart, number>;
  /** Strum between chord notes, ms (0 = block chords). */
  strumMs: number;
  /** Harmony notes are released after this many ms even while the chord holds (plucked styles); 0 = held. */
  chordRingMs: number;
  /** Octave shift of the lead (some GM leads sound an octave off). */
  leadOctave: number;
}

/** GM percussion keys (General MIDI 1, channel 10). */
export const GM_DRUM = {
  kick: 36,
  snare: 38,
  sideStick: 37,
  electricSnare: 40,
  clap: 39,
  closedHat: 42,
  openHat: 46,
  lowTom: 45,
  cowbell: 56,
  highBongo: 60,
  shaker: 70,
  claves: 75,
  openTriangle: 81,
} as const;

const MIX = { volume: { bass: 100, harmony: 78, lead: 88, drums: 110 }, reverb: { bass: 0, harmony: 40, lead: 36, drums: 16 } };

export const GM_STYLES: Readonly<Record<StyleName, Readonly<GmStyle>>> = Object.freeze({
  // Electric piano comping, finger bass, a soft square lead.
  pop: { kit: 0, bass: 33, harmony: 4, lead: 80, snareKey: GM_DRUM.snare, percKey: GM_DRUM.shaker, ...MIX, strumMs: 0, chordRingMs: 0, leadOctave: 0 },
  // Slap bass, clean guitar stabs, brass lead, cowbell.
  funk: { kit: 0, bass: 36, harmony: 27, lead: 61, snareKey: GM_DRUM.snare, percKey: GM_DRUM.cowbell, ...MIX, strumMs: 6, chordRingMs: 260, leadOctave: 0 },
  // Electronic kit, synth bass, house piano stabs, saw lead.
  house: { kit: 24, bass: 38, harmony: 1, lead: 81, snareKey: GM_DRUM.electricSnare, percKey: GM_DRUM.claves, ...MIX, strumMs: 0, chordRingMs: 320, leadOctave: 0 },
  // TR-808 kit, deep synth bass, Rhodes, flute.
  'hip-hop': { kit: 25, bass: 39, harmony: 4, lead: 73, snareKey: GM_DRUM.snare, percKey: GM_DRUM.highBongo, ...MIX, strumMs: 0, chordRingMs: 0, leadOctave: 0 },
  // Room kit, fretless bass, warm pad, pan flute, long sends.
  ambient: {
    kit: 8, bass: 35, harmony: 89, lead: 75, snareKey: GM_DRUM.sideStick, percKey: GM_DRUM.openTriangle,
    volume: { bass: 92, harmony: 90, lead: 80, drums: 80 }, reverb: { bass: 20, harmony: 90, lead: 80, drums: 60 },
    strumMs: 0, chordRingMs: 0, leadOctave: 0,
  },
  // Orchestra kit, contrabass, strings, French horns.
  cinematic: {
    kit: 48, bass: 43, harmony: 48, lead: 60, snareKey: GM_DRUM.snare, percKey: GM_DRUM.lowTom,
    volume: { bass: 100, harmony: 92, lead: 92, drums: 100 }, reverb: { bass: 30, harmony: 70, lead: 64, drums: 50 },
    strumMs: 0, chordRingMs: 0, leadOctave: 0,
  },
  // Power kit, picked bass, overdriven guitar chords, distortion guitar lead.
  rock: { kit: 16, bass: 34, harmony: 29, lead: 30, snareKey: GM_DRUM.snare, percKey: GM_DRUM.lowTom, ...MIX, strumMs: 8, chordRingMs: 0, leadOctave: 0 },
  // Brush kit, acoustic bass, nylon guitar, flute, rim clicks.
  bossa: { kit: 40, bass: 32, harmony: 24, lead: 73, snareKey: GM_DRUM.sideStick, percKey: GM_DRUM.claves, ...MIX, strumMs: 12, chordRingMs: 1800, leadOctave: 0 },
});

/** The GM keys a step's drum mask sounds, in the order of the teacher's voices. */
export function gmDrumKeys(mask: number, style: Readonly<GmStyle>): number[] {
  const keys: number[] = [];
  if (mask & KICK) keys.push(GM_DRUM.kick);
  if (mask & SNARE) keys.push(style.snareKey);
  if (mask & CLOSED_HAT) keys.push(GM_DRUM.closedHat);
  if (mask & OPEN_HAT) keys.push(GM_DRUM.openHat);
  if (mask & CLAP) keys.push(GM_DRUM.clap);
  if (mask & PERC) keys.push(style.percKey);
  return keys;
}

/** Every (bank, program) the styles use: what a worker decodes ahead of the first session. */
export function gmPatchesInUse(): { drums: boolean; program: number }[] {
  const seen = new Set<string>();
  const out: { drums: boolean; program: number }[] = [];
  for (const s of Object.values(GM_STYLES)) {
    for (const [drums, program] of [[true, s.kit], [false, s.bass], [false, s.harmony], [false, s.lead]] as const) {
      const key = `${drums}:${program}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push({ drums, program });
      }
    }
  }
  return out;
}
