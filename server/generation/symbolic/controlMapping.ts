/**
 * How the performer's slow controls map to harmony, as the teacher plays it (teacher.ts) and a
 * neural pack is steered towards it (controlSteering.ts): one rule each, shared so the two agree.
 */
import type { ChordQuality } from './tokens.js';
import { isDiatonic, type Chord, type Mode, type PitchClass } from './theory.js';

/** Chord colour from the arms: 1 add sevenths, -1 strip them, 0 as written. */
export type Colour = -1 | 0 | 1;

/** Valence (smoothed, plus half the prompt's mood) beyond +-threshold switches the mode; inside it the mode stays. */
export function nextMode(mode: Mode, valence: number, threshold: number): Mode {
  if (mode === 'major' && valence < -threshold) return 'minor';
  if (mode === 'minor' && valence > threshold) return 'major';
  return mode;
}

/** Arms spread wide (> 0.62) add sevenths, folded in (< 0.25) strip them; hysteresis back to 0 at 0.45 / 0.4. */
export function nextColour(colour: Colour, arms: number): Colour {
  if (arms > 0.62) return 1;
  if (arms < 0.25) return -1;
  if ((colour === 1 && arms < 0.45) || (colour === -1 && arms > 0.4)) return 0;
  return colour;
}

/** The quality a chord takes in a colour: a triad gains its seventh (maj7 where it stays in key, else 7), a seventh chord loses it. */
export function colouredQuality(chord: Chord, colour: Colour, keyRoot: PitchClass, mode: Mode): ChordQuality {
  const q = chord.quality;
  if (colour > 0) {
    if (q === 'min') return 'm7';
    if (q === 'maj') return isDiatonic({ root: chord.root, quality: 'maj7' }, keyRoot, mode) ? 'maj7' : '7';
  } else if (colour < 0) {
    if (q === 'm7') return 'min';
    if (q === 'maj7' || q === '7') return 'maj';
  }
  return q;
}
