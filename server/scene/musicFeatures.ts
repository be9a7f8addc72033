/**
 * The music side of the scene imaginer: a fixed-length feature vector describing the last few
 * seconds of a session's music, from what the generator reports (MusicState: style, tempo,
 * mode, density level, section), the performer's controls and the audio itself (level,
 * dynamics, onset density, brightness). Filled chunk by chunk (O(1) per chunk after the audio
 * pass), read every few seconds.
 */
import { C, type ControlVector } from '../../protocol/controlVector.js';
import { STYLE_NAMES, type MusicState } from '../generation/index.js';
import type { ChunkDescriptors } from './audioDescriptors.js';

export const MUSIC_FEATURE_NAMES: readonly string[] = [
  ...STYLE_NAMES.map((s) => `style:${s}`),
  'minor',
  'tempo',
  'level',
  'chorus',
  'energy',
  'valence',
  'presence',
  'handHeight',
  'armOpenness',
  'beatStrength',
  'energySpread',
  'loudness',
  'dynamics',
  'onsetRate',
  'brightness',
];
export const MUSIC_FEATURE_COUNT = MUSIC_FEATURE_NAMES.length;
const STYLE_COUNT = STYLE_NAMES.length;

/** What one chunk contributes. */
interface ChunkSummary {
  seconds: number;
  style: number;
  minor: number;
  bpm: number;
  level: number;
  chorus: number;
  energy: number;
  valence: number;
  presence: number;
  hand: number;
  arms: number;
  beat: number;
  db: number;
  onsets: number;
  brightness: number;
}

const finiteOr = (x: unknown, fallback: number): number => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);

/** The last `windowSeconds` of chunk summaries (a ring; no allocation once full). */
export class MusicFeatureWindow {
  private readonly ring: ChunkSummary[] = [];
  private head = 0;
  private seconds = 0;

  constructor(readonly windowSeconds = 5) {
    if (!(windowSeconds > 0)) throw new RangeError(`windowSeconds must be positive, but is ${windowSeconds}`);
  }

  /** Adds one chunk. */
  push(state: MusicState, controls: ControlVector, audio: ChunkDescriptors): void {
    const style = (STYLE_NAMES as readonly string[]).indexOf(state.style);
    const summary: ChunkSummary = {
      seconds: audio.seconds,
      style,
      minor: state.mode === 'minor' ? 1 : 0,
      bpm: finiteOr(state.tempoBpm, 0),
      level: finiteOr(state['level'], -1),
      chorus: state['section'] === 'chorus' ? 1 : 0,
      energy: finiteOr(controls[C.energy], 0),
      valence: finiteOr(controls[C.valence], 0),
      presence: finiteOr(controls[C.presence], 0),
      hand: finiteOr(controls[C.handHeight], 0.2),
      arms: finiteOr(controls[C.armOpenness], 0.3),
      beat: finiteOr(controls[C.beatStrength], 0),
      db: 20 * Math.log10(Math.max(1e-5, audio.rms)),
      onsets: audio.onsets,
      brightness: audio.brightness,
    };
    // Ring of chunks: drop from the tail while the window stays covered without it.
    this.ring.push(summary);
    this.seconds += summary.seconds;
    while (this.head < this.ring.length - 1 && this.seconds - this.ring[this.head]!.seconds >= this.windowSeconds) {
      this.seconds -= this.ring[this.head]!.seconds;
      this.head++;
    }
    if (this.head > 256) {
      this.ring.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Seconds of music in the window. */
  get covered(): number {
    return this.seconds;
  }

  reset(): void {
    this.ring.length = 0;
    this.head = 0;
    this.seconds = 0;
  }

  /** The feature vector (MUSIC_FEATURE_NAMES order), time-weighted over the window. */
  features(into: Float32Array = new Float32Array(MUSIC_FEATURE_COUNT)): Float32Array {
    into.fill(0);
    const n = this.ring.length - this.head;
    if (n === 0) return into;
    let w = 0;
    let minor = 0, bpm = 0, bpmW = 0, level = 0, levelW = 0, chorus = 0;
    let energy = 0, energy2 = 0, valence = 0, presence = 0, hand = 0, arms = 0, beat = 0;
    let db = 0, db2 = 0, onsets = 0, brightness = 0;
    for (let i = this.head; i < this.ring.length; i++) {
      const s = this.ring[i]!;
      const k = s.seconds;
      w += k;
      if (s.style >= 0) into[s.style]! += k;
      minor += k * s.minor;
      if (s.bpm > 0) {
        bpm += k * s.bpm;
        bpmW += k;
      }
      if (s.level >= 0) {
        level += k * s.level;
        levelW += k;
      }
      chorus += k * s.chorus;
      energy += k * s.energy;
      energy2 += k * s.energy * s.energy;
      valence += k * s.valence;
      presence += k * s.presence;
      hand += k * s.hand;
      arms += k * s.arms;
      beat += k * s.beat;
      db += k * s.db;
      db2 += k * s.db * s.db;
      onsets += s.onsets;
      brightness += k * s.brightness;
    }
    if (w <= 0) return into;
    for (let s = 0; s < STYLE_COUNT; s++) into[s]! /= w;
    let i = STYLE_COUNT;
    const meanDb = db / w;
    const meanEnergy = energy / w;
    into[i++] = minor / w;
    into[i++] = bpmW > 0 ? (bpm / bpmW - 60) / 120 : 0.4;
    // Packs that report no density level: estimate it from loudness.
    into[i++] = levelW > 0 ? level / levelW / 3 : Math.max(0, Math.min(1, (meanDb + 40) / 30));
    into[i++] = chorus / w;
    into[i++] = meanEnergy;
    into[i++] = valence / w;
    into[i++] = presence / w;
    into[i++] = hand / w;
    into[i++] = arms / w;
    into[i++] = beat / w;
    into[i++] = Math.sqrt(Math.max(0, energy2 / w - meanEnergy * meanEnergy));
    into[i++] = (meanDb + 60) / 60;
    into[i++] = Math.sqrt(Math.max(0, db2 / w - meanDb * meanDb)) / 12;
    into[i++] = onsets / w / 10;
    into[i++] = brightness / w;
    return into;
  }
}
