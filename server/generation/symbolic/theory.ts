/**
 * Just enough music theory for the teacher, the synthesiser and the tests: pitch classes,
 * the two modes the instrument plays in, diatonic chords and the few borrowed chords allowed.
 *
 * Minor is natural minor (aeolian); the major dominant of harmonic minor (V, V7) is the one
 * borrowed chord in minor, the minor subdominant (iv, iv m7) the one in major. Both have their
 * root in the scale, so a bass line on chord roots stays in the scale.
 */
import { CHORD_INTERVALS, type ChordQuality } from './tokens.js';

/** 0..11, C = 0. */
export type PitchClass = number;
export type Mode = 'major' | 'minor';

export const PITCH_CLASS_NAMES = ['C', 'Db', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'] as const;

export const SCALE_STEPS: Readonly<Record<Mode, readonly number[]>> = Object.freeze({
  major: [0, 2, 4, 5, 7, 9, 11],
  minor: [0, 2, 3, 5, 7, 8, 10],
});

export interface Chord {
  root: PitchClass;
  quality: ChordQuality;
}

/** A borrowed chord: semitones of its root above the key's tonic, and its quality. */
export interface BorrowedChord {
  rootOffset: number;
  quality: ChordQuality;
}

export const BORROWED_CHORDS: Readonly<Record<Mode, readonly BorrowedChord[]>> = Object.freeze({
  major: [
    { rootOffset: 5, quality: 'min' },
    { rootOffset: 5, quality: 'm7' },
  ],
  minor: [
    { rootOffset: 7, quality: 'maj' },
    { rootOffset: 7, quality: '7' },
  ],
});

export const pc = (pitch: number): PitchClass => ((pitch % 12) + 12) % 12;

/** 12-bit mask of the key's scale (bit i set = pitch class i in the scale). */
export function scaleMask(keyRoot: PitchClass, mode: Mode): number {
  let mask = 0;
  for (const s of SCALE_STEPS[mode]) mask |= 1 << pc(keyRoot + s);
  return mask;
}

export function inScale(pitch: number, keyRoot: PitchClass, mode: Mode): boolean {
  return ((scaleMask(keyRoot, mode) >> pc(pitch)) & 1) === 1;
}

export function chordPitchClasses(chord: Chord): PitchClass[] {
  return CHORD_INTERVALS[chord.quality].map((i) => pc(chord.root + i));
}

/** The chord on scale degree `degree` (0 = tonic) built from stacked scale thirds. */
export function diatonicChord(keyRoot: PitchClass, mode: Mode, degree: number, seventh: boolean): Chord {
  const steps = SCALE_STEPS[mode];
  const d = ((degree % 7) + 7) % 7;
  const at = (k: number): number => {
    const i = d + k;
    return steps[i % 7]! + 12 * Math.floor(i / 7) - steps[d]!;
  };
  const third = at(2);
  const fifth = at(4);
  const sev = at(6);
  const root = pc(keyRoot + steps[d]!);
  let quality: ChordQuality;
  if (fifth === 6) quality = 'dim'; // half-diminished is not in the vocabulary: plain dim triad
  else if (third === 4) quality = seventh ? (sev === 11 ? 'maj7' : '7') : 'maj';
  else quality = seventh ? 'm7' : 'min';
  return { root, quality };
}

/** Whether every tone of the chord is in the scale. */
export function isDiatonic(chord: Chord, keyRoot: PitchClass, mode: Mode): boolean {
  const mask = scaleMask(keyRoot, mode);
  return chordPitchClasses(chord).every((p) => ((mask >> p) & 1) === 1);
}

export function isBorrowed(chord: Chord, keyRoot: PitchClass, mode: Mode): boolean {
  return BORROWED_CHORDS[mode].some((b) => pc(keyRoot + b.rootOffset) === chord.root && b.quality === chord.quality);
}

/** Diatonic or one of the listed borrowed chords. */
export function isChordInKey(chord: Chord, keyRoot: PitchClass, mode: Mode): boolean {
  return isDiatonic(chord, keyRoot, mode) || isBorrowed(chord, keyRoot, mode);
}

export function chordName(chord: Chord): string {
  const suffix: Record<ChordQuality, string> = { maj: '', min: 'm', '7': '7', maj7: 'maj7', m7: 'm7', sus2: 'sus2', sus4: 'sus4', dim: 'dim' };
  return `${PITCH_CLASS_NAMES[chord.root]}${suffix[chord.quality]}`;
}

/** The scale pitch nearest to `pitch` (ties resolve downward). */
export function nearestScalePitch(pitch: number, keyRoot: PitchClass, mode: Mode): number {
  const mask = scaleMask(keyRoot, mode);
  const p = Math.round(pitch);
  for (let d = 0; d < 12; d++) {
    if ((mask >> pc(p - d)) & 1) return p - d;
    if ((mask >> pc(p + d)) & 1) return p + d;
  }
  return p;
}

/** Moves `pitch` (a scale pitch) by `steps` scale steps, up (positive) or down. */
export function moveInScale(pitch: number, steps: number, keyRoot: PitchClass, mode: Mode): number {
  const mask = scaleMask(keyRoot, mode);
  let p = pitch;
  const dir = steps >= 0 ? 1 : -1;
  for (let n = Math.abs(steps); n > 0; ) {
    p += dir;
    if ((mask >> pc(p)) & 1) n--;
  }
  return p;
}
