/**
 * The step clock: where each 16th-note step starts on the session's audio timeline.
 *
 * Tempo: free-running at the style's tempo (which energy and prompt words move), or the
 * performer's tempo when their motion is periodic. A performer tempo outside the style's range
 * is folded by an octave (x2, /2) when that lands nearer the range, with hysteresis so the
 * fold does not flicker. The tempo glides (per quarter note), never jumps.
 *
 * Beat lock (beat prediction): with a BeatGrid of enough strength, every quarter note's start
 * is compared with the nearest point of anchorSample + k * (quarter length of the folded
 * grid) and that quarter is shortened or stretched by `lockGain` of the error, bounded to
 * `maxStretch` of a quarter. A first-order loop: an error e becomes about e * (1 - lockGain)
 * per beat, so 150 ms is under 10 ms after four beats, with no step ever jumping.
 *
 * Beat offset: quarters start at steps where (step - beatOffset) % 4 === 0. A neural source whose
 * beats fall on other 16ths than the stream's first (it may start anywhere in the bar) moves the
 * offset to where its beats are, and the lock then brings those steps onto the performer's beats.
 *
 * Swing lengthens the on-beat 16th of each 8th pair and shortens the off-beat one: the pair,
 * and so every quarter, keeps its length.
 */
import type { BeatGrid } from '../engine.js';
import type { Bpm, Hz, Samples, StepIndex } from '../../../protocol/units.js';

/** Where step `step` falls in its quarter on the clock: 0 starts a quarter, 2 is the off-beat eighth, 1 and 3 the 16ths (`beatOffset`: the composer's). */
export function quarterPosition(step: number, beatOffset: number): number {
  return (((step - beatOffset) % 4) + 4) % 4;
}

export interface StepClockOptions {
  sampleRate: Hz;
  /** BeatGrid strength from which the grid locks to the performer's beats. Default 0.5. */
  lockStrength?: number;
  /** Control beatStrength from which the tempo follows the motion tempo (no phase). Default 0.6. */
  followStrength?: number;
  /** Share of the phase error corrected per quarter note. Default 0.6. */
  lockGain?: number;
  /** Largest stretch or squeeze of one quarter note, as a share of it. Default 0.15. */
  maxStretch?: number;
}

export interface ClockInput {
  /** Free-running tempo wanted now (style tempo moved by energy and the prompt). */
  styleBpm: Bpm;
  /** The style's tempo range, for folding the performer's tempo. */
  tempoRange: readonly [Bpm, Bpm];
  swing: number;
  beat: BeatGrid | null;
  /** From the control vector: motion beat confidence and tempo. */
  motionStrength: number;
  motionTempo: Bpm;
}

export interface StepTiming {
  step: StepIndex;
  /** Exact (fractional) start of the step on the audio timeline. */
  start: number;
  /** First whole sample of the step: where its events sound. */
  triggerSample: Samples;
  durationSamples: number;
  bpm: Bpm;
  locked: boolean;
  /** Quarter-note phase error against the performer's grid (samples, + = late), 0 when not locked. */
  phaseError: number;
}

const FOLDS = [0.5, 1, 2] as const;

export class StepClock {
  private readonly sampleRate: Hz;
  private readonly lockStrength: number;
  private readonly followStrength: number;
  private readonly lockGain: number;
  private readonly maxStretch: number;
  private start: number;
  private stepIndex = 0;
  private bpmNow = 0;
  private fold = 1;
  private durations = new Float64Array(4);
  private lockedNow = false;
  private phaseErrorNow = 0;
  /** Steps 0..3: which step of each group of four starts a quarter. */
  beatOffset = 0;

  constructor(options: StepClockOptions, firstSample: Samples = 0) {
    this.sampleRate = options.sampleRate;
    this.lockStrength = options.lockStrength ?? 0.5;
    this.followStrength = options.followStrength ?? 0.6;
    this.lockGain = options.lockGain ?? 0.6;
    this.maxStretch = options.maxStretch ?? 0.15;
    this.start = firstSample;
  }

  /** The sample at which the next step's events sound. */
  get nextTrigger(): Samples {
    return Math.ceil(this.start - 1e-7) + 0; // + 0: never -0
  }

  get bpm(): Bpm {
    return this.bpmNow;
  }

  get locked(): boolean {
    return this.lockedNow;
  }

  get phaseError(): number {
    return this.phaseErrorNow;
  }

  /** Plans the next step (and, on a quarter boundary, the whole quarter) and moves past it. */
  advance(input: ClockInput): StepTiming {
    const q = quarterPosition(this.stepIndex, this.beatOffset);
    if (q === 0) this.planQuarter(input);
    const timing: StepTiming = {
      step: this.stepIndex,
      start: this.start,
      triggerSample: this.nextTrigger,
      durationSamples: this.durations[q]!,
      bpm: this.bpmNow,
      locked: this.lockedNow,
      phaseError: this.phaseErrorNow,
    };
    this.start += this.durations[q]!;
    this.stepIndex++;
    return timing;
  }

  private planQuarter(input: ClockInput): void {
    const sr = this.sampleRate;
    const beat = input.beat;
    const locking = beat !== null && beat.strength >= this.lockStrength && beat.periodSamples > 0 && Number.isFinite(beat.anchorSample);
    let target = input.styleBpm;
    if (locking) {
      target = this.folded((60 * sr) / beat.periodSamples, input.tempoRange);
    } else if (input.motionStrength >= this.followStrength && input.motionTempo > 0) {
      target = this.folded(input.motionTempo, input.tempoRange);
    }
    target = Math.max(40, Math.min(220, target));
    // Locked to a confident beat, 3/4 of the way per quarter: from a style tempo 30 BPM away the
    // music is within 2 BPM of the performer two quarters after the lock (a real nod: 4 beats after it starts).
    this.bpmNow = this.bpmNow === 0 ? target : this.bpmNow + (target - this.bpmNow) * (locking ? 0.75 : 0.25);
    const quarter = (60 * sr) / this.bpmNow;
    let length = quarter;
    this.lockedNow = locking;
    this.phaseErrorNow = 0;
    if (locking) {
      const grid = beat.periodSamples / this.fold;
      let err = this.start - beat.anchorSample;
      err -= Math.round(err / grid) * grid;
      this.phaseErrorNow = err;
      const limit = this.maxStretch * quarter;
      length = quarter - Math.max(-limit, Math.min(limit, this.lockGain * err));
    }
    const swing = Math.max(0, Math.min(0.45, input.swing));
    const s = length / 4;
    this.durations[0] = s * (1 + swing);
    this.durations[1] = s * (1 - swing);
    this.durations[2] = s * (1 + swing);
    this.durations[3] = s * (1 - swing);
  }

  /** The performer's tempo times 0.5, 1 or 2, whichever sits best in the range (sticky). */
  private folded(bpm: Bpm, range: readonly [Bpm, Bpm]): Bpm {
    const distance = (t: number): number => (t < range[0] ? Math.log(range[0] / t) : t > range[1] ? Math.log(t / range[1]) : 0);
    let best = this.fold;
    for (const f of FOLDS) if (distance(bpm * f) < distance(bpm * best) - 0.1) best = f;
    this.fold = best;
    return bpm * best;
  }
}
