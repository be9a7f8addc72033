/**
 * Renders short clips with the teacher (the symbolic pack) offline, for the scene imaginer's
 * training data and the scene -> music evaluation: a prompt, a seed and a performer trajectory
 * in, the emitted steps and each chunk's state, PCM and controls out (through callbacks, so
 * that thousands of clips never sit in memory at once).
 */
import { CONTROL_NAMES, NEUTRAL, type ControlName, type ControlVector } from '../../protocol/controlVector.js';
import type { Seconds } from '../../protocol/units.js';
import type { MusicState } from '../../server/generation/engine.js';
import { SYMBOLIC_CHANNELS, SYMBOLIC_SAMPLE_RATE, type EmittedStep } from '../../server/generation/symbolic/symbolicStream.js';
import { TeacherStream } from '../../server/generation/symbolic/teacherEngine.js';

/** A performer's controls as a function of clip time (seconds). */
export type ControlTrajectory = (t: Seconds) => Partial<Record<ControlName, number>>;

export interface ClipSpec {
  prompt: string;
  seed: number;
  seconds: Seconds;
  controls: ControlTrajectory;
  /** Frames per chunk, as a session would render them. Default 1024. */
  chunkFrames?: number;
  /** Chunks whose first sample lies before this time are rendered but not reported. Default 0. */
  prerollSeconds?: Seconds;
}

export interface ClipChunk {
  state: MusicState;
  pcm: Float32Array;
  controls: ControlVector;
  /** Chunk start, seconds from the clip start. */
  t: Seconds;
}

export interface ClipListeners {
  onChunk?(chunk: ClipChunk): void;
  onStep?(step: EmittedStep): void;
}

export const CLIP_SAMPLE_RATE = SYMBOLIC_SAMPLE_RATE;
export const CLIP_CHANNELS = SYMBOLIC_CHANNELS;

/** A full control vector: NEUTRAL, overridden by `values`. */
export function controlVector(values: Partial<Record<ControlName, number>>): ControlVector {
  return Float32Array.from(CONTROL_NAMES, (name) => values[name] ?? NEUTRAL[name]);
}

/** Renders one clip; returns the number of chunks reported. */
export function renderTeacherClip(spec: ClipSpec, listeners: ClipListeners): number {
  const frames = spec.chunkFrames ?? 1024;
  const stream = new TeacherStream({ prompt: spec.prompt, seed: spec.seed });
  const preroll = spec.prerollSeconds ?? 0;
  const total = Math.ceil(((spec.seconds + preroll) * CLIP_SAMPLE_RATE) / frames);
  const stepSamples = Math.round(0.02 * CLIP_SAMPLE_RATE);
  let reported = 0;
  let reporting = false;
  const onStep = listeners.onStep;
  const stop = onStep ? stream.onStep((step) => reporting && onStep(step)) : null;
  try {
    for (let i = 0; i < total; i++) {
      const start = i * frames;
      const t = start / CLIP_SAMPLE_RATE - preroll;
      reporting = t >= 0;
      const controls = controlVector(spec.controls(Math.max(0, t)));
      const chunk = stream.renderSync({ startSample: start, frames, controls: [controls], controlStepSamples: stepSamples, beat: null });
      if (!reporting) continue;
      listeners.onChunk?.({ state: chunk.state, pcm: chunk.pcm, controls, t });
      reported++;
    }
  } finally {
    stop?.();
    stream.dispose();
  }
  return reported;
}
