/**
 * One training (or evaluation) clip: a caption, a performer's control trajectory and the
 * teacher's four token streams written under them, step by step, exactly as the live teacher
 * engine decides them (TeacherComposer.next with the controls in effect at each step).
 */
import { C, CONTROL_SIZE } from '../../protocol/controlVector.js';
import { Rng } from '../../server/generation/rng.js';
import { readPrompt } from '../../server/generation/symbolic/prompt.js';
import { STYLE_NAMES, type StyleName } from '../../server/generation/symbolic/styleNames.js';
import { STYLE_PRESETS } from '../../server/generation/symbolic/stylePresets.js';
import type { ComposerControls } from '../../server/generation/symbolic/stepSource.js';
import { TeacherComposer } from '../../server/generation/symbolic/teacher.js';
import type { Mode, PitchClass } from '../../server/generation/symbolic/theory.js';
import { STREAM_COUNT } from '../../server/generation/symbolic/tokens.js';
import { MusicCaptions, type CaptionSplit } from './musicCaptions.js';
import { performerTrajectory, type MoveKind } from './performerControls.js';

export interface ClipOptions {
  /** Identifies the clip: everything about it follows from (seed, index). */
  seed: number;
  index: number;
  steps: number;
  split: CaptionSplit;
  moves?: readonly MoveKind[];
  /** Force a style (evaluation); drawn uniformly otherwise. */
  style?: StyleName;
}

export interface SymbolicClip {
  caption: string;
  /** The style the caption reads as (what the teacher played). */
  style: StyleName;
  bpm: number;
  keyRoot: PitchClass;
  /** steps x 4 token ids (drums, bass, harmony, lead). */
  tokens: Uint8Array;
  /** steps x CONTROL_SIZE. */
  controls: Float32Array;
  /** The teacher's mode per step (1 = major). */
  major: Uint8Array;
  moves: Uint8Array;
}

export function composerControls(controls: Float32Array, t: number): ComposerControls {
  const r = t * CONTROL_SIZE;
  return {
    valence: controls[r + C.valence]!,
    energy: controls[r + C.energy]!,
    handHeight: controls[r + C.handHeight]!,
    armOpenness: controls[r + C.armOpenness]!,
    presence: controls[r + C.presence]!,
    beatStrength: controls[r + C.beatStrength]!,
  };
}

/** The tempo the teacher engine plays a prompt at (teacherEngine.ts), for a typical energy. */
export function clipBpm(style: StyleName, promptTempo: number, energy: number, explicit: number | null): number {
  const range = STYLE_PRESETS[style].tempo;
  const position = Math.max(0, Math.min(1, 0.5 + 0.45 * promptTempo + 0.5 * (energy - 0.5)));
  return explicit ?? range[0] + (range[1] - range[0]) * position;
}

const captions = new MusicCaptions();

export function makeClip(options: ClipOptions): SymbolicClip {
  const rng = new Rng((options.seed * 1_000_003 + options.index) >>> 0);
  const style = options.style ?? rng.pick(STYLE_NAMES);
  const target = { style, valence: rng.next() * 2 - 1, energy: rng.next() };
  const caption = captions.write(target, options.split, rng);
  const reading = readPrompt(caption);
  const bpm = clipBpm(reading.style, reading.tempo, 0.2 + 0.6 * rng.next(), reading.bpm);
  const trajectory = performerTrajectory({ steps: options.steps, bpm, moves: options.moves }, rng);
  const composer = new TeacherComposer({ seed: rng.int(2 ** 31), prompt: reading });
  const tokens = new Uint8Array(options.steps * STREAM_COUNT);
  const major = new Uint8Array(options.steps);
  for (let t = 0; t < options.steps; t++) {
    const step = composer.next(composerControls(trajectory.controls, t));
    tokens.set(step.tokens, t * STREAM_COUNT);
    major[t] = step.mode === ('major' satisfies Mode) ? 1 : 0;
  }
  return { caption, style: reading.style, bpm, keyRoot: composer.key, tokens, controls: trajectory.controls, major, moves: trajectory.moves };
}
