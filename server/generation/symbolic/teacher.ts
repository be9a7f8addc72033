/**
 * The teacher: a rule-based composer that writes the four token streams one 16th-note step
 * at a time, each step decided just in time from the newest controls.
 *
 * Musical plan: a key per session (the seed picks one the style likes), phrases of
 * `phraseBars` bars alternating verse-like and chorus-like sections, a chord progression per
 * section (diatonic, plus the borrowed chords listed in theory.ts), drum/bass/comp templates
 * per density level, fills in a phrase's last bar, a two-bar lead motif per section repeated
 * with small sequence variations.
 *
 * How controls steer it:
 * - valence (+ the prompt's mood) -> mode, with hysteresis, switched only at bar starts;
 * - energy (+ the prompt's energy, + a lift in choruses) -> density level (drum voices, hat
 *   subdivision, bass activity, comp rhythm), lead note density, ghost notes and fills;
 * - handHeight -> the lead's register (hands low: low melody; hands up: high melody);
 * - armOpenness -> chord colour: arms spread wide add the seventh (maj7, m7, 7, where it stays
 *   in key), arms folded in strip sevenths back to triads; decided at chord changes, with
 *   hysteresis (the synthesiser also spreads the voicing with it);
 * - beatStrength -> accents (the style's accent voice on every quarter, which the engine's
 *   beat lock puts on the performer's beats);
 * - presence -> below 0.15 only held pads remain; between, everything thins out.
 * The continuous dynamics and the voicing's spread are the synthesiser's business: chord
 * tokens carry root and quality, not voicing.
 *
 * Deterministic: the same seed, prompt readings and control sequence give the same tokens.
 *
 * Over 400 lines: one class whose parts (plan, mode, chords, drums, bass, comp, lead motif) share
 * the composer's per-step state; split, each would need most of it passed in.
 */
import { clamp01 } from '../../../protocol/numbers.js';
import { colouredQuality, nextColour, nextMode, type Colour } from './controlMapping.js';
import type { PromptReading } from './prompt.js';
import type { ComposedStep, ComposerControls, Section } from './stepSource.js';
import { Rng } from '../rng.js';
import type { StyleName } from './styleNames.js';
import { STYLE_PRESETS, type DrumBar, type LeadStyle, type ProgChord, type StylePreset } from './stylePresets.js';
import {
  SCALE_STEPS,
  chordPitchClasses,
  diatonicChord,
  inScale,
  isDiatonic,
  moveInScale,
  nearestScalePitch,
  pc,
  scaleMask,
  type Chord,
  type Mode,
  type PitchClass,
} from './theory.js';
import {
  CLOSED_HAT,
  CHORD_INTERVALS,
  DRUM_VOICES,
  HOLD,
  KICK,
  LEAD_PITCH_RANGE,
  OPEN_HAT,
  REST,
  encodeStep,
  type ChordEvent,
  type NoteEvent,
  type StepTokens,
  type SymbolicStep,
} from './tokens.js';

export const STEPS_PER_BAR = 16;
const MOTIF_STEPS = 32;

export interface TeacherOptions {
  seed: number;
  prompt: PromptReading;
  /** Valence beyond +-threshold (after smoothing) switches mode at the next bar. Default 0.2. */
  modeThreshold?: number;
}

interface Motif {
  length: Int8Array;
  priority: Float32Array;
  contour: Int8Array;
}

export class TeacherComposer {
  private readonly rng: Rng;
  private readonly modeThreshold: number;
  private reading: PromptReading;
  private pending: PromptReading | null = null;
  private preset: StylePreset;
  private stepIndex = 0;
  private keyRoot: PitchClass;
  private modeNow: Mode = 'major';

  // Smoothed controls (one-pole per step).
  private valence = 0;
  private energy = 0;
  private hand = 0.5;
  private arms = 0.3;
  /** Chord colour from the arms: 1 add sevenths, -1 strip them, 0 as written. */
  private colour: Colour = 0;
  private started = false;

  // Form.
  private section: Section = 'verse';
  private phrase = -1;
  private progression: Chord[] = [];
  private progChoice: Record<Mode, Record<Section, number>> = { major: { verse: 0, chorus: 0 }, minor: { verse: 0, chorus: 0 } };
  private motifs: Record<Section, Motif>;
  private fillBar = false;

  // What sounds now.
  private bassPitch: number | null = null;
  private chordSounding: Chord | null = null;
  private leadPitch: number | null = null;
  private leadLeft = 0;
  private lastLeadPitch: number | null = null;

  constructor(options: TeacherOptions) {
    this.rng = new Rng(options.seed);
    this.modeThreshold = options.modeThreshold ?? 0.2;
    this.reading = options.prompt;
    this.preset = STYLE_PRESETS[options.prompt.style];
    this.keyRoot = this.rng.pick(this.preset.keys);
    this.chooseProgressions();
    this.motifs = { verse: this.writeMotif(this.preset.lead), chorus: this.writeMotif(this.preset.lead) };
  }

  get style(): StyleName {
    return this.preset.name;
  }

  get key(): PitchClass {
    return this.keyRoot;
  }

  get mode(): Mode {
    return this.modeNow;
  }

  /** The prompt reading in effect (a new one applies from the next bar). */
  get promptReading(): PromptReading {
    return this.reading;
  }

  /** A new prompt reading (style, mood) takes effect at the next bar. */
  setPrompt(reading: PromptReading): void {
    this.pending = reading;
  }

  /** Smoothed energy including the prompt's bias (what the density levels follow). */
  get energyLevel(): number {
    return clamp01(this.energy + 0.25 * this.reading.energy);
  }

  next(c: ComposerControls): ComposedStep {
    const step = this.stepIndex++;
    const stepInBar = step % STEPS_PER_BAR;
    const bar = Math.floor(step / STEPS_PER_BAR);
    this.smooth(c);
    if (stepInBar === 0) this.startBar(bar);

    const p = this.preset;
    const phraseStep = (bar % p.phraseBars) * STEPS_PER_BAR + stepInBar;
    const chordIndex = Math.floor(phraseStep / p.chordSteps);
    const chordChanged = phraseStep % p.chordSteps === 0;
    if (chordChanged) this.updateColour();
    const chord = this.coloured(this.progression[chordIndex % this.progression.length]!);
    const nextChord = this.progression[(chordIndex + 1) % this.progression.length]!;

    const presence = clamp01(c.presence);
    const absent = presence < 0.15;
    const presenceScale = clamp01((presence - 0.15) / 0.45);
    const e = clamp01(this.energy + 0.25 * this.reading.energy + (this.section === 'chorus' ? 0.1 : 0)) * (0.4 + 0.6 * presenceScale);
    const level = absent ? 0 : e < 0.2 ? 0 : e < 0.45 ? 1 : e < 0.7 ? 2 : 3;
    const lastBarOfPhrase = bar % p.phraseBars === p.phraseBars - 1;
    const fillStart = e >= 0.6 ? 8 : 12;
    const fill = this.fillBar && lastBarOfPhrase && e >= 0.25 && stepInBar >= fillStart && !absent;

    const drums = absent ? 0 : this.drums(stepInBar, bar, level, e, fill, c.beatStrength);
    const bass = absent ? this.bassRest() : this.bass(stepInBar, level, chord, nextChord, chordChanged);
    const harmony = this.harmony(stepInBar, absent ? 0 : level, chord);
    const breath = lastBarOfPhrase && stepInBar >= 13;
    const lead = absent || presence < 0.3 || breath ? this.leadRest() : this.lead(bar, stepInBar, e, chord);

    const event: SymbolicStep = { drums, bass, harmony, lead };
    return {
      step,
      bar,
      stepInBar,
      tokens: encodeStep(event),
      event,
      style: p.name,
      keyRoot: this.keyRoot,
      mode: this.modeNow,
      section: this.section,
      chord,
      level,
      fill,
    };
  }

  private smooth(c: ComposerControls): void {
    if (!this.started) {
      this.started = true;
      this.valence = c.valence;
      this.energy = clamp01(c.energy);
      this.hand = clamp01(c.handHeight);
      this.arms = clamp01(c.armOpenness);
      this.modeNow = this.valence + 0.5 * this.reading.valence >= 0 ? 'major' : 'minor';
      return;
    }
    this.valence += (c.valence - this.valence) * 0.08;
    this.energy += (clamp01(c.energy) - this.energy) * 0.2;
    this.hand += (clamp01(c.handHeight) - this.hand) * 0.3;
    this.arms += (clamp01(c.armOpenness) - this.arms) * 0.3;
  }

  private updateColour(): void {
    this.colour = nextColour(this.colour, this.arms);
  }

  /** The progression's chord in the arms' colour, kept only where it stays in key. */
  private coloured(chord: Chord): Chord {
    const quality = colouredQuality(chord, this.colour, this.keyRoot, this.modeNow);
    if (quality === chord.quality) return chord;
    const next = { root: chord.root, quality };
    return isDiatonic(next, this.keyRoot, this.modeNow) || !isDiatonic(chord, this.keyRoot, this.modeNow) ? next : chord;
  }

  private startBar(bar: number): void {
    let rebuild = false;
    if (this.pending !== null) {
      const next = this.pending;
      this.pending = null;
      const styleChanged = next.style !== this.preset.name;
      this.reading = next;
      if (styleChanged) {
        this.preset = STYLE_PRESETS[next.style];
        this.chooseProgressions();
        this.motifs = { verse: this.writeMotif(this.preset.lead), chorus: this.writeMotif(this.preset.lead) };
        rebuild = true;
      }
    }
    const mode = nextMode(this.modeNow, this.valence + 0.5 * this.reading.valence, this.modeThreshold);
    if (mode !== this.modeNow) {
      this.modeNow = mode;
      rebuild = true;
    }
    const p = this.preset;
    if (bar % p.phraseBars === 0 || this.phrase < 0) {
      this.phrase = Math.floor(bar / p.phraseBars);
      const section: Section = this.phrase % 2 === 0 ? 'verse' : 'chorus';
      if (this.phrase > 0 && this.phrase % 4 === 0) {
        // Every four phrases: maybe a new progression and a new motif, so long sessions develop.
        if (this.rng.chance(0.5)) this.chooseProgressions();
        if (this.rng.chance(0.5)) this.motifs[section] = this.writeMotif(p.lead);
      }
      this.section = section;
      this.fillBar = this.rng.chance(0.85);
      rebuild = true;
    }
    if (rebuild) this.buildProgression();
  }

  private chooseProgressions(): void {
    const p = this.preset.progressions;
    for (const mode of ['major', 'minor'] as const) {
      this.progChoice[mode].verse = this.rng.int(p[mode].verse.length);
      this.progChoice[mode].chorus = this.rng.int(p[mode].chorus.length);
    }
  }

  private buildProgression(): void {
    const p = this.preset;
    const list = p.progressions[this.modeNow][this.section];
    const prog = list[this.progChoice[this.modeNow][this.section] % list.length]!;
    this.progression = prog.map((entry) => this.realise(entry));
  }

  private realise(entry: ProgChord): Chord {
    const mode = this.modeNow;
    if (typeof entry !== 'number') return { root: pc(this.keyRoot + SCALE_STEPS[mode][entry.degree % 7]!), quality: entry.quality };
    const chord = diatonicChord(this.keyRoot, mode, entry, this.preset.sevenths);
    if ((chord.quality === 'maj' || chord.quality === 'min') && this.rng.chance(this.preset.susChance)) {
      const sus: Chord = { root: chord.root, quality: this.rng.chance(0.5) ? 'sus2' : 'sus4' };
      if (isDiatonic(sus, this.keyRoot, mode)) return sus;
    }
    return chord;
  }

  // ---- drums ----

  private drums(stepInBar: number, bar: number, level: number, e: number, fill: boolean, beatStrength: number): number {
    const p = this.preset;
    const family = p.drums[this.section === 'chorus' && p.drums.length > 1 ? 1 : 0]!;
    const pattern: DrumBar = family[level]!;
    let mask = 0;
    const ghost = 0.15 + 0.6 * e;
    for (let v = 0; v < DRUM_VOICES.length; v++) {
      const ch = pattern[DRUM_VOICES[v]!]?.[stepInBar];
      if (ch === 'x' || (ch === 'g' && this.rng.chance(ghost))) mask |= 1 << v;
    }
    if (fill) {
      for (let v = 0; v < DRUM_VOICES.length; v++) {
        const t = p.fill[DRUM_VOICES[v]!];
        if (t === undefined) continue;
        mask &= ~(1 << v);
        if (t[stepInBar - 8] === 'x') mask |= 1 << v;
      }
    }
    if (p.crash && stepInBar === 0 && bar > 0 && bar % p.phraseBars === 0 && e > 0.45) mask |= OPEN_HAT | KICK;
    if (beatStrength > 0.5 && stepInBar % 4 === 0) mask |= p.beatAccent;
    if (mask & OPEN_HAT) mask &= ~CLOSED_HAT;
    return mask;
  }

  // ---- bass ----

  private bassRest(): NoteEvent {
    this.bassPitch = null;
    return REST;
  }

  private bass(stepInBar: number, level: number, chord: Chord, nextChord: Chord, chordChanged: boolean): NoteEvent {
    let t = this.preset.bass[level]![stepInBar]!;
    if (t === '-' && chordChanged) t = 'r';
    if (t === '.') return this.bassRest();
    if (t === '-') {
      if (this.bassPitch === null) return REST;
      if (inScale(this.bassPitch, this.keyRoot, this.modeNow)) return HOLD;
      t = 'r';
    }
    const root = bassRoot(chord.root);
    let pitch = root;
    switch (t) {
      case 'o':
        pitch = root + 12;
        break;
      case 'f': {
        const fifth = root + CHORD_INTERVALS[chord.quality][2]!;
        pitch = inScale(fifth, this.keyRoot, this.modeNow) ? fifth : root;
        break;
      }
      case 'n':
        pitch = bassRoot(nextChord.root);
        break;
      case 'p': {
        const target = bassRoot(nextChord.root);
        const from = this.bassPitch ?? root;
        pitch = moveInScale(target, from > target ? 1 : -1, this.keyRoot, this.modeNow);
        break;
      }
    }
    this.bassPitch = pitch;
    return { type: 'note', pitch };
  }

  // ---- harmony ----

  private harmony(stepInBar: number, level: number, chord: Chord): ChordEvent {
    const t = this.preset.comp[level]![stepInBar]!;
    const sounding = this.chordSounding;
    const same = sounding !== null && sounding.root === chord.root && sounding.quality === chord.quality;
    if (t === '.') {
      this.chordSounding = null;
      return REST;
    }
    if (t === 'c' || (sounding !== null ? !same : t === 'C')) {
      this.chordSounding = chord;
      return { type: 'chord', root: chord.root, quality: chord.quality };
    }
    if (sounding === null) return REST;
    return HOLD;
  }

  // ---- lead ----

  private leadRest(): NoteEvent {
    this.leadPitch = null;
    this.leadLeft = 0;
    return REST;
  }

  private lead(bar: number, stepInBar: number, e: number, chord: Chord): NoteEvent {
    const ls = this.preset.lead;
    const motif = this.motifs[this.section];
    const pos = (bar % 2) * STEPS_PER_BAR + stepInBar;
    const density = ls.density[0] + (ls.density[1] - ls.density[0]) * e;
    const length = motif.length[pos]!;
    if (length > 0 && motif.priority[pos]! < density) {
      const repeat = Math.floor((bar % this.preset.phraseBars) / 2);
      const variation = repeat === 1 ? 1 : repeat === 3 ? -1 : 0;
      const pitch = this.leadPitchFor(motif.contour[pos]! + variation, stepInBar, chord);
      this.leadPitch = pitch;
      this.lastLeadPitch = pitch;
      this.leadLeft = length - 1;
      return { type: 'note', pitch };
    }
    if (this.leadPitch !== null && this.leadLeft > 0 && inScale(this.leadPitch, this.keyRoot, this.modeNow)) {
      this.leadLeft--;
      return HOLD;
    }
    return this.leadRest();
  }

  private leadPitchFor(contour: number, stepInBar: number, chord: Chord): number {
    const key = this.keyRoot;
    const mode = this.modeNow;
    const center = 60 + this.hand * 24 + this.preset.lead.register + (this.section === 'chorus' ? 3 : 0);
    let target = moveInScale(nearestScalePitch(center, key, mode), contour, key, mode);
    const mask = scaleMask(key, mode);
    const tones = chordPitchClasses(chord);
    if (stepInBar % 4 === 0) {
      // Strong positions: the nearest chord tone that is also in the scale.
      for (let d = 0; d <= 4; d++) {
        const down = target - d;
        const up = target + d;
        if (tones.includes(pc(down)) && (mask >> pc(down)) & 1) {
          target = down;
          break;
        }
        if (tones.includes(pc(up)) && (mask >> pc(up)) & 1) {
          target = up;
          break;
        }
      }
    } else {
      // Weak positions: any scale tone, except one a semitone off a chord tone outside the scale.
      const clashes = (p: number): boolean => tones.some((t) => !((mask >> t) & 1) && (pc(p - t) === 1 || pc(t - p) === 1));
      if (clashes(target)) target = moveInScale(target, 1, key, mode);
      if (clashes(target)) target = moveInScale(target, -2, key, mode);
    }
    const prev = this.lastLeadPitch;
    if (prev !== null && Math.abs(target - prev) > 9) {
      const folded = target - 12 * Math.sign(target - prev);
      if (Math.abs(folded - center) <= 10) target = folded;
    }
    while (target < LEAD_PITCH_RANGE[0]) target += 12;
    while (target > LEAD_PITCH_RANGE[1]) target -= 12;
    return target;
  }

  private writeMotif(ls: LeadStyle): Motif {
    const rng = this.rng;
    const length = new Int8Array(MOTIF_STEPS);
    const priority = new Float32Array(MOTIF_STEPS).fill(1);
    const contour = new Int8Array(MOTIF_STEPS);
    let c = rng.int(5) - 2;
    let pos = 0;
    while (pos < MOTIF_STEPS) {
      const chance = pos === 0 ? 1 : pos % 4 === 0 ? ls.strong : pos % 2 === 0 ? ls.eighth : ls.sixteenth;
      if (!rng.chance(chance)) {
        pos++;
        continue;
      }
      const len = Math.min(rng.pick(ls.lengths), MOTIF_STEPS - pos);
      length[pos] = len;
      priority[pos] = pos % STEPS_PER_BAR === 0 ? 0 : pos % 4 === 0 ? rng.next() * 0.5 : 0.2 + rng.next() * 0.8;
      contour[pos] = c;
      c = Math.max(-4, Math.min(5, c + rng.pick([-2, -1, -1, 0, 1, 1, 2, 3, -3])));
      pos += len;
    }
    // Ornaments: short notes inside the longer ones, heard only at high energy (high priority
    // values), each a scale step next to the note it interrupts.
    let current = 0;
    for (let p = 0; p < MOTIF_STEPS; p++) {
      if (length[p]! > 0) {
        current = contour[p]!;
        continue;
      }
      const chance = p % 2 === 0 ? Math.max(0.2, ls.eighth) : ls.sixteenth * 0.8;
      if (!rng.chance(chance)) continue;
      length[p] = rng.pick([1, 2, 2]);
      priority[p] = 0.6 + rng.next() * 0.4;
      contour[p] = current + rng.pick([-1, 1, 1, 2]);
    }
    return { length, priority, contour };
  }
}

/** The chord root in the bass's home octave (MIDI 33..44, A1..G#2). */
export function bassRoot(root: PitchClass): number {
  return 33 + pc(root - 33);
}
