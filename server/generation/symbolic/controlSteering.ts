/**
 * Steers a neural pack's slow musical choices towards what the performer's controls ask for, by
 * the teacher's own rules (teacher.ts, controlMapping.ts). The default pack's adaptor learned them
 * only partly (issue #12, EVAL.md, "adaptor without steering": its mode followed valence in 50% of
 * bars against the teacher's 68%, density vs energy r 0.65 against 0.77, lead pitch vs hand height
 * r 0.63 against 0.76, sevenths vs arm openness r 0.54 against 0.63; with it 63%, 0.76, 0.79, 0.65).
 *
 * One logits processor per session (lm/decodeLoop.ts runs it after the token grammar, before the
 * temperature); the composer keeps it up to date with the controls of each step (`follow`) and
 * the tokens heard (`hear`). Every rule is soft: it tilts the model's own distribution, never
 * picks a token.
 *
 * - **Mode** (valence, with the teacher's hysteresis): a bass or lead onset on a tone of the other
 *   mode above the heard tonic (minor's third, sixth and seventh while major; major's while minor)
 *   loses `mode` logits, its probability going to the stream's other notes as the model weighs
 *   them; a chord onset with n such tones gives a share 1 - e^-(`mode` n) to the chord of its kind
 *   with them moved a semitone (A major to A minor, E major to E minor), so the music switches to
 *   the parallel key, as the teacher's does. The tonic is the heard key's root (keyFinder.ts, four
 *   bars) or its relative's, whichever the bass and the chord roots dwell on more: the bass alone
 *   may dwell on the key's third, and a key profile alone confuses relative keys. Nothing is
 *   steered before one is heard.
 * - **Lead register** (hand height): a lead onset loses `register` logits at an octave from the
 *   register the hands ask for (the teacher's centre, 60 + 24 x hand + the style's offset), four at
 *   two octaves.
 * - **Chord colour** (arm openness, the teacher's hysteresis): arms wide, each triad gives a share
 *   `colour` of its probability to its seventh chord; arms folded in, each seventh chord to its triad.
 * - **Density** (energy): every onset (drum voice, note, chord) gains `density` x (energy - 0.5)
 *   logits, so low energy thins the texture and high energy fills it.
 *
 * The pitch rules (mode, register) choose which note or chord, never whether to play one: a
 * stream's onsets keep the probability they had, and only the density rule moves it to or from
 * hold and rest; a chord moves to one of its kind (with a third, or sus). The mode rule used to
 * take `mode` logits from such onsets, and their probability went to every other token: the
 * steered pack rested and held more, played sus chords three times as often as the teacher, and
 * its pop was heard as cinematic (EVAL.md's style classifier, the pack's README).
 */
import { clamp01 } from '../../../protocol/numbers.js';
import { moveProbability, type LogitsProcessor } from '../lm/logitsProcessors.js';
import { colouredQuality, nextColour, nextMode, type Colour } from './controlMapping.js';
import type { PromptReading } from './prompt.js';
import type { ComposerControls } from './stepSource.js';
import { STYLE_PRESETS } from './stylePresets.js';
import type { StyleName } from './styleNames.js';
import { pc, type Mode, type PitchClass } from './theory.js';
import { CHORD_INTERVALS, CHORD_QUALITIES, DRUM_MASK_ALL, SYMBOLIC_VOCAB, decodeStep, drumVoiceCount, type StepTokens } from './tokens.js';
import { KeyFinder } from './keyFinder.js';

export interface ControlSteeringOptions {
  /** Strength of the move to this mode: a note of the other mode, or a chord with n of its tones, keeps e^-(mode n) of its probability. Default 4. */
  mode?: number;
  /** Logits taken from a lead onset an octave from the hands' register (quadratic in the distance). Default 0.5. */
  register?: number;
  /** Share of a chord onset's probability moved to the same chord in the arms' colour. Default 0.6. */
  colour?: number;
  /** Logits per onset per unit of energy above 0.5 (taken below it). Default 2.5. */
  density?: number;
}

export const CONTROL_STEERING_DEFAULTS: Readonly<Required<ControlSteeringOptions>> = Object.freeze({ mode: 4, register: 0.5, colour: 0.6, density: 2.5 });

/** The teacher's mode threshold (teacher.ts, TeacherOptions.modeThreshold). */
const MODE_THRESHOLD = 0.2;
/** Root memory per step (a weight halves in about 4 bars). */
const ROOT_DECAY = 0.99;
/** Weight of heard bass notes and chord roots before a tonic counts as heard. */
const TONIC_EVIDENCE = 4;

const V = SYMBOLIC_VOCAB;
const BASS_ONSET = V.hold.bass + 1;
const HARMONY_ONSET = V.hold.harmony + 1;
const LEAD_ONSET = V.hold.lead + 1;
const QUALITIES = CHORD_QUALITIES.length;

function checkOption(name: string, value: number, max: number): number {
  if (!(Number.isFinite(value) && value >= 0 && value <= max)) throw new RangeError(`\`steering.${name}\` must be in [0, ${max}], but is ${value}`);
  return value;
}

export class ControlSteering implements LogitsProcessor {
  readonly options: Readonly<Required<ControlSteeringOptions>>;
  private started = false;
  private valence = 0;
  private energy = 0.5;
  private hand = 0.5;
  private arms = 0.3;
  private modeNow: Mode = 'major';
  private colourNow: Colour = 0;
  private reading: PromptReading | null = null;
  private style: StyleName | null = null;
  /** Bass notes and chord roots per pitch class, fading. */
  private readonly rootWeight = new Float64Array(12);
  private readonly keys = new KeyFinder(64);

  constructor(options: ControlSteeringOptions = {}) {
    const o = { ...CONTROL_STEERING_DEFAULTS, ...options };
    this.options = Object.freeze({
      mode: checkOption('mode', o.mode, 20),
      register: checkOption('register', o.register, 20),
      colour: checkOption('colour', o.colour, 1),
      density: checkOption('density', o.density, 20),
    });
  }

  /** The mode the valence asks for now. */
  get mode(): Mode {
    return this.modeNow;
  }

  /** The chord colour the arms ask for now. */
  get colour(): Colour {
    return this.colourNow;
  }

  /** The tonic heard lately, or null before there is enough to hear. */
  get tonic(): PitchClass | null {
    let total = 0;
    for (let p = 0; p < 12; p++) total += this.rootWeight[p]!;
    if (total < TONIC_EVIDENCE) return null;
    const key = this.keys.key;
    const relative = pc(key.root + (key.mode === 'major' ? 9 : 3));
    return this.rootWeight[relative]! > this.rootWeight[key.root]! ? relative : key.root;
  }

  /** The register centre (MIDI pitch) the hands ask the lead for. */
  get registerCentre(): number {
    const offset = this.style === null ? 0 : STYLE_PRESETS[this.style].lead.register;
    return 60 + this.hand * 24 + offset;
  }

  /** Energy with the prompt's bias, in [0, 1] (what the teacher's density levels follow). */
  get energyLevel(): number {
    return clamp01(this.energy + 0.25 * (this.reading?.energy ?? 0));
  }

  /** The controls of the step being decided (smoothed per step as the teacher smooths them). */
  follow(c: ComposerControls, reading: PromptReading, style: StyleName): void {
    this.reading = reading;
    this.style = style;
    const finite = (x: number, fallback: number): number => (Number.isFinite(x) ? x : fallback);
    const valence = Math.max(-1, Math.min(1, finite(c.valence, 0)));
    const energy = clamp01(finite(c.energy, 0.5));
    const hand = clamp01(finite(c.handHeight, 0.5));
    const arms = clamp01(finite(c.armOpenness, 0.3));
    if (!this.started) {
      this.started = true;
      this.valence = valence;
      this.energy = energy;
      this.hand = hand;
      this.arms = arms;
      this.modeNow = valence + 0.5 * reading.valence >= 0 ? 'major' : 'minor';
    } else {
      this.valence += (valence - this.valence) * 0.08;
      this.energy += (energy - this.energy) * 0.2;
      this.hand += (hand - this.hand) * 0.3;
      this.arms += (arms - this.arms) * 0.3;
    }
    this.modeNow = nextMode(this.modeNow, this.valence + 0.5 * reading.valence, MODE_THRESHOLD);
    this.colourNow = nextColour(this.colourNow, this.arms);
  }

  /** A step's tokens as they are played: they tell the key and the tonic. */
  hear(tokens: StepTokens): void {
    this.keys.push(tokens);
    const step = decodeStep(tokens);
    for (let p = 0; p < 12; p++) this.rootWeight[p]! *= ROOT_DECAY;
    if (step.bass.type === 'note') this.rootWeight[pc(step.bass.pitch)]! += 1;
    if (step.harmony.type === 'chord') this.rootWeight[step.harmony.root]! += 1;
  }

  process(row: Float32Array, codebook: number): void {
    if (!this.started) return;
    const onset = this.options.density * (this.energyLevel - 0.5);
    const tonic = this.tonic;
    // The mode moves tones of the other mode (none before a tonic is heard) to this mode's.
    const parallel = tonic === null || this.options.mode === 0 ? null : parallelMoves(tonic, this.modeNow);
    const mode = this.options.mode;
    if (codebook === 0) {
      if (onset === 0) return;
      for (let m = 1; m <= DRUM_MASK_ALL; m++) row[V.ranges.drums[0] + m]! += onset * drumVoiceCount(m);
    } else if (codebook === 1 || codebook === 3) {
      const [lo, hi] = codebook === 1 ? V.bassPitchRange : V.leadPitchRange;
      const first = codebook === 1 ? BASS_ONSET : LEAD_ONSET;
      const end = first + hi - lo + 1;
      const before = logSumExp(row, first, end);
      // A note out of mode loses `mode` logits; what it had goes to the other notes as the model
      // weighs them (mostly the key's: a fixed semitone up or down left 3 points more of the
      // notes outside the heard key, wherever the tonic heard was not the key's).
      if (parallel !== null) for (let p = lo; p <= hi; p++) if (parallel.shift[pc(p)] !== 0) row[first + p - lo]! -= mode;
      if (codebook === 3) {
        const centre = this.registerCentre;
        for (let p = lo; p <= hi; p++) row[first + p - lo]! -= this.options.register * ((p - centre) / 12) ** 2;
      }
      keepMass(row, first, end, before, onset);
    } else if (codebook === 2) {
      const end = HARMONY_ONSET + CHORDS;
      const before = logSumExp(row, HARMONY_ONSET, end);
      if (parallel !== null) {
        for (let c = 0; c < CHORDS; c++) {
          const tones = parallel.chordTones[c]!;
          if (tones === 0) continue;
          const to = parallel.chord[c]!;
          if (to >= 0) moveProbability(row, HARMONY_ONSET + c, HARMONY_ONSET + to, 1 - Math.exp(-mode * tones));
          else row[HARMONY_ONSET + c]! -= mode * tones;
        }
      }
      keepMass(row, HARMONY_ONSET, end, before, onset);
      if (this.colourNow === 0 || this.options.colour === 0) return;
      const key = tonic ?? 0;
      for (let root = 0; root < 12; root++) {
        for (let q = 0; q < QUALITIES; q++) {
          const quality = CHORD_QUALITIES[q]!;
          const to = colouredQuality({ root, quality }, this.colourNow, key, this.modeNow);
          if (to !== quality) moveProbability(row, HARMONY_ONSET + root * QUALITIES + q, HARMONY_ONSET + root * QUALITIES + CHORD_QUALITIES.indexOf(to), this.options.colour);
        }
      }
    }
  }
}

const CHORDS = 12 * QUALITIES;
/** The sus qualities (no third: neither mode), as indices in CHORD_QUALITIES. */
const SUS = new Set([CHORD_QUALITIES.indexOf('sus2'), CHORD_QUALITIES.indexOf('sus4')]);

/** log(sum(exp(row[from..to)))), -Infinity when every entry is. */
function logSumExp(row: Float32Array, from: number, to: number): number {
  let max = -Infinity;
  for (let i = from; i < to; i++) if (row[i]! > max) max = row[i]!;
  if (max === -Infinity) return max;
  let sum = 0;
  for (let i = from; i < to; i++) sum += Math.exp(row[i]! - max);
  return max + Math.log(sum);
}

/**
 * Shifts the onsets row[from..to) so that together they have the probability they had before the
 * pitch rules (log mass `before`), times e^onset: the pitch rules choose which note or chord, the
 * density rule alone whether to play one.
 */
function keepMass(row: Float32Array, from: number, to: number, before: number, onset: number): void {
  const shift = before - logSumExp(row, from, to) + onset;
  if (!Number.isFinite(shift)) return;
  for (let i = from; i < to; i++) row[i]! += shift;
}

/** How the mode rule moves tokens over a tonic: per pitch class the semitones to this mode's tone, per chord its parallel chord. */
interface ParallelMoves {
  /** Per pitch class: +1 or -1 for a tone of the other mode (major: b3 b6 b7 -> 3 6 7; minor: back), else 0 (notes: which lose logits; chords: where their tones move). */
  shift: Int8Array;
  /** Per chord (root * qualities + quality): tones of the other mode in it. */
  chordTones: Uint8Array;
  /** Per chord: the chord of the same kind (with a third, or sus) with those tones moved, the same root first; -1 when none. */
  chord: Int16Array;
}

const parallelCache = new Map<number, ParallelMoves>();

function chordMask(root: number, q: number): number {
  let mask = 0;
  for (const iv of CHORD_INTERVALS[CHORD_QUALITIES[q]!]) mask |= 1 << pc(root + iv);
  return mask;
}

function parallelMoves(tonic: PitchClass, mode: Mode): ParallelMoves {
  const key = tonic * 2 + (mode === 'major' ? 0 : 1);
  const cached = parallelCache.get(key);
  if (cached) return cached;
  const other = otherModeMask(tonic, mode);
  const shift = new Int8Array(12);
  for (let p = 0; p < 12; p++) if ((other >> p) & 1) shift[p] = mode === 'major' ? 1 : -1;
  const chordTones = new Uint8Array(CHORDS);
  const chord = new Int16Array(CHORDS).fill(-1);
  const byMask = new Map<number, number[]>();
  for (let c = 0; c < CHORDS; c++) {
    const m = chordMask(Math.floor(c / QUALITIES), c % QUALITIES);
    byMask.set(m, [...(byMask.get(m) ?? []), c]);
  }
  for (let c = 0; c < CHORDS; c++) {
    const root = Math.floor(c / QUALITIES);
    let moved = 0;
    let tones = 0;
    for (const iv of CHORD_INTERVALS[CHORD_QUALITIES[c % QUALITIES]!]) {
      const p = pc(root + iv);
      if (shift[p] !== 0) tones++;
      moved |= 1 << pc(p + shift[p]!);
    }
    chordTones[c] = tones;
    if (tones === 0) continue;
    // A chord with a third moves to one with a third, a sus chord to a sus chord (else the mode would turn chords into sus chords).
    const sus = SUS.has(c % QUALITIES);
    const candidates = (byMask.get(moved) ?? []).filter((t) => SUS.has(t % QUALITIES) === sus);
    chord[c] = candidates.find((t) => Math.floor(t / QUALITIES) === root) ?? candidates[0] ?? -1;
  }
  const moves = { shift, chordTones, chord };
  parallelCache.set(key, moves);
  return moves;
}

/** Pitch classes that belong to the other mode above `tonic`: minor's 3, 6, 7 while major; major's while minor. */
function otherModeMask(tonic: PitchClass, mode: Mode): number {
  const degrees = mode === 'major' ? [3, 8, 10] : [4, 9, 11];
  let mask = 0;
  for (const d of degrees) mask |= 1 << pc(tonic + d);
  return mask;
}
