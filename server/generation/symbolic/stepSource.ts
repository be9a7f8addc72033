/**
 * What decides the tokens of each step, and what it decides: the seam between the step sources
 * (the teacher's composer, a neural pack's decoder) and the stream that plays them on the step
 * clock (symbolicStream.ts).
 */
import type { ControlVector } from '../../../protocol/controlVector.js';
import type { StepIndex } from '../../../protocol/units.js';
import type { PromptReading } from './prompt.js';
import type { StyleName } from './styleNames.js';
import type { Chord, Mode, PitchClass } from './theory.js';
import type { StepTokens, SymbolicStep } from './tokens.js';

/** The controls a source reads for one step (raw values from the control vector). */
export interface ComposerControls {
  valence: number;
  energy: number;
  handHeight: number;
  armOpenness: number;
  presence: number;
  beatStrength: number;
}

export type Section = 'verse' | 'chorus';

export interface ComposedStep {
  step: StepIndex;
  bar: number;
  stepInBar: number;
  tokens: StepTokens;
  event: SymbolicStep;
  style: StyleName;
  keyRoot: PitchClass;
  mode: Mode;
  section: Section;
  /** The chord of this step in the progression (sounding or not). */
  chord: Chord;
  /** Density level 0..3 used for this step. */
  level: number;
  fill: boolean;
}

/** What decides the tokens of each step. TeacherComposer is one, NeuralComposer another. */
export interface StepSource {
  readonly style: StyleName;
  readonly key: PitchClass;
  readonly mode: Mode;
  /** The prompt reading in effect (style preset, tempo words). */
  readonly promptReading: PromptReading;
  /** Smoothed energy with the prompt's bias, in [0, 1] (moves the free-running tempo). */
  readonly energyLevel: number;
  setPrompt(reading: PromptReading): void;
  /** The next step, decided from the controls in effect at its first sample. */
  next(controls: ComposerControls): ComposedStep;
  /** Which step of each four is on the beat (0..3; the teacher's are 0): the clock's quarters follow it. */
  readonly beatOffset?: number;
  /** False while the next step still has to be prepared (asynchronous sources). */
  ready?(): boolean;
  prepare?(controls: ControlVector): Promise<void>;
}
