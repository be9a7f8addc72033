/**
 * Chord voicing: which pitches a chord token becomes. Chord tokens carry root and quality
 * only; how the chord is spread and how bright it sits is the performer's (arm openness,
 * valence) and is decided here, at the moment the chord sounds.
 *
 * - spread 0 (arms in): close position, all tones within an octave, the inversion nearest
 *   the previous chord (smooth voice leading);
 * - spread ~0.5: open (drop-2) with the root doubled an octave below;
 * - spread 1 (arms wide): wide, the root two octaves under the top, tones over three octaves.
 * - brightness > 0.3 adds the chord's fifth or root on top; brightness moves the centre
 *   up to +-4 semitones.
 */
import { CHORD_INTERVALS } from '../tokens.js';
import type { Chord } from '../theory.js';

const LOW = 36;
const HIGH = 96;

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Close voicing: the inversion (within one octave) whose mean is nearest `target`. */
function closeVoicing(chord: Chord, target: number): number[] {
  const intervals = CHORD_INTERVALS[chord.quality];
  let best: number[] = [];
  let bestDist = Infinity;
  for (let inv = 0; inv < intervals.length; inv++) {
    const rotated = intervals.map((_, i) => intervals[(i + inv) % intervals.length]! + (i + inv >= intervals.length ? 12 : 0));
    const base = rotated.map((iv) => chord.root + iv);
    const m = mean(base);
    const shift = Math.round((target - m) / 12) * 12;
    const notes = base.map((p) => p + shift);
    const dist = Math.abs(mean(notes) - target);
    if (dist < bestDist) {
      bestDist = dist;
      best = notes;
    }
  }
  return best;
}

export function voiceChord(chord: Chord, spread: number, brightness: number, center: number, previous: readonly number[] | null): number[] {
  const c = center + 4 * Math.max(-1, Math.min(1, brightness));
  const target = previous !== null && previous.length > 0 ? 0.5 * c + 0.5 * mean(previous) : c;
  let notes = closeVoicing(chord, target);
  const intervals = CHORD_INTERVALS[chord.quality];
  if (spread >= 0.66) {
    // Wide: root low, the fifth above it, the other tones spread over the next two octaves.
    const top = Math.max(...notes);
    const root = chord.root + Math.floor((top - 19 - chord.root) / 12) * 12;
    const wide = [root, root + intervals[2]! + 12];
    for (let i = 1; i < intervals.length; i++) if (i !== 2) wide.push(root + intervals[i]! + 24);
    wide.push(root + 24 + (intervals.length > 3 ? 0 : 12));
    notes = wide;
  } else if (spread >= 0.33) {
    // Open: drop the second-highest tone an octave, double the root an octave under the lowest.
    const sorted = [...notes].sort((a, b) => a - b);
    if (sorted.length >= 3) sorted[sorted.length - 2]! -= 12;
    const lowest = Math.min(...sorted);
    const root = chord.root + Math.floor((lowest - 1 - chord.root) / 12) * 12;
    notes = [root, ...sorted];
  }
  if (brightness > 0.3) {
    const top = Math.max(...notes);
    const fifth = chord.root + intervals[2]!;
    const candidates = [fifth, chord.root].map((p) => p + Math.ceil((top + 1 - p) / 12) * 12);
    notes.push(Math.min(...candidates));
  }
  const out = notes.map((p) => {
    let q = p;
    while (q < LOW) q += 12;
    while (q > HIGH) q -= 12;
    return q;
  });
  return [...new Set(out)].sort((a, b) => a - b);
}
