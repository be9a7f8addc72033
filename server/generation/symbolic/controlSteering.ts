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
 * - **Mode** (valence, with the teacher's hysteresis): bass, chord and lead onsets lose `mode`
 *   logits per tone of the other mode above the heard tonic (minor's third, sixth and seventh
 *   while major; major's while minor), so the music switches to the parallel key, as the
 *   teacher's does. The tonic is the heard key's root (keyFinder.ts, four bars) or its relative's,
 *   whichever the bass and the chord roots dwell on more: the bass alone may dwell on the key's
 *   third, and a key profile alone confuses relative keys. Nothing is steered before one is heard.
 * - **Lead register** (hand height): a lead onset loses `register` logits at an octave from the
 *   register the hands ask for (the teacher's centre, 60 + 24 x hand + the style's offset), four at
 *   two octaves.
 * - **Chord colour** (arm openness, the teacher's hysteresis): arms wide, each triad gives a share
 *   `colour` of its probability to its seventh chord; arms folded in, each seventh chord to its triad.
 * - **Density** (energy): every onset (drum voice, note, chord) gains `density` x (energy - 0.5)
 *   logits, so low energy thins the texture and high energy fills it.
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
  /** Logits taken from an onset per tone of the other mode. Default 6 (4 and 8 followed valence less at both draws measured). */
  mode?: number;
  /** Logits taken from a lead onset an octave from the hands' register (quadratic in the distance). Default 1. */
  register?: number;
  /** Share of a chord onset's probability moved to the same chord in the arms' colour. Default 0.8. */
  colour?: number;
  /** Logits per onset per unit of energy above 0.5 (taken below it). Default 2. */
  density?: number;
}

export const CONTROL_STEERING_DEFAULTS: Readonly<Required<ControlSteeringOptions>> = Object.freeze({ mode: 6, register: 1, colour: 0.8, density: 2 });

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
    // Tones of the other mode, as a 12-bit mask (none before a tonic is heard).
    const other = tonic === null || this.options.mode === 0 ? 0 : otherModeMask(tonic, this.modeNow);
    const modeCost = (p: PitchClass): number => (((other >> p) & 1) === 1 ? this.options.mode : 0);
    if (codebook === 0) {
      if (onset === 0) return;
      for (let m = 1; m <= DRUM_MASK_ALL; m++) row[V.ranges.drums[0] + m]! += onset * drumVoiceCount(m);
    } else if (codebook === 1) {
      const lo = V.bassPitchRange[0];
      for (let p = lo; p <= V.bassPitchRange[1]; p++) row[BASS_ONSET + p - lo]! += onset - modeCost(pc(p));
    } else if (codebook === 3) {
      const lo = V.leadPitchRange[0];
      const centre = this.registerCentre;
      const reg = this.options.register;
      for (let p = lo; p <= V.leadPitchRange[1]; p++) {
        const octaves = (p - centre) / 12;
        row[LEAD_ONSET + p - lo]! += onset - modeCost(pc(p)) - reg * octaves * octaves;
      }
    } else if (codebook === 2) {
      for (let root = 0; root < 12; root++) {
        for (let q = 0; q < QUALITIES; q++) {
          let cost = 0;
          for (const iv of CHORD_INTERVALS[CHORD_QUALITIES[q]!]) cost += modeCost(pc(root + iv));
          row[HARMONY_ONSET + root * QUALITIES + q]! += onset - cost;
        }
      }
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

/** Pitch classes that belong to the other mode above `tonic`: minor's 3, 6, 7 while major; major's while minor. */
function otherModeMask(tonic: PitchClass, mode: Mode): number {
  const degrees = mode === 'major' ? [3, 8, 10] : [4, 9, 11];
  let mask = 0;
  for (const d of degrees) mask |= 1 << pc(tonic + d);
  return mask;
}
