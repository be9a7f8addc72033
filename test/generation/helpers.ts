/**
 * Shared helpers for the symbolic pack's tests: control vectors, offline rendering through
 * the Engine API, and level measurements.
 */
import { C, neutralControls, type ControlName, type ControlVector } from '../../protocol/controlVector.js';
import type { BeatGrid } from '../../server/generation/engine.js';
import type { EmittedStep } from '../../server/generation/symbolic/symbolicStream.js';
import { TeacherStream } from '../../server/generation/symbolic/teacherEngine.js';
import type { ComposerControls } from '../../server/generation/symbolic/stepSource.js';
import { Rng } from '../../server/generation/rng.js';

export const SR = 48000;

/** A control vector: neutral, present, with the given overrides. */
export function controls(overrides: Partial<Record<ControlName, number>> = {}): ControlVector {
  const v = neutralControls();
  v[C.presence] = 1;
  for (const [name, value] of Object.entries(overrides) as [ControlName, number][]) v[C[name]] = value;
  return v;
}

export function composerControls(overrides: Partial<ComposerControls> = {}): ComposerControls {
  return { valence: 0, energy: 0.5, handHeight: 0.5, armOpenness: 0.3, presence: 1, beatStrength: 0, ...overrides };
}

export interface RenderPlan {
  frames: number;
  chunk: number;
  /** Control step of the requests (samples). */
  controlStep?: number;
  /** The control vector in effect at timeline sample n (called on control-step points). */
  controlsAt: (sample: number) => ControlVector;
  beatAt?: (startSample: number) => BeatGrid | null;
  /** Called before each chunk (e.g. to change the prompt). */
  beforeChunk?: (startSample: number, stream: TeacherStream) => void;
}

export interface Rendered {
  pcm: Float32Array;
  steps: EmittedStep[];
}

/** Renders `plan.frames` frames in chunks through the stream's render(); collects the steps. */
export async function renderPlan(stream: TeacherStream, plan: RenderPlan, startAt = 0): Promise<Rendered> {
  const step = plan.controlStep ?? 480;
  const pcm = new Float32Array(plan.frames * 2);
  const steps: EmittedStep[] = [];
  const stop = stream.onStep((s) => steps.push(s));
  for (let off = 0; off < plan.frames; off += plan.chunk) {
    const start = startAt + off;
    const frames = Math.min(plan.chunk, plan.frames - off);
    plan.beforeChunk?.(start, stream);
    const vectors: ControlVector[] = [];
    for (let i = 0; i * step < frames; i++) vectors.push(plan.controlsAt(start + i * step));
    const chunk = await stream.render({ startSample: start, frames, controls: vectors, controlStepSamples: step, beat: plan.beatAt?.(start) ?? null });
    pcm.set(chunk.pcm, off * 2);
  }
  stop();
  return { pcm, steps };
}

export function openStream(prompt: string, seed = 1): TeacherStream {
  return new TeacherStream({ prompt, seed });
}

export function rmsDb(pcm: Float32Array, from = 0, to = pcm.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += pcm[i]! * pcm[i]!;
  return 10 * Math.log10(Math.max(sum / Math.max(1, to - from), 1e-20));
}

export function peak(pcm: Float32Array): number {
  let p = 0;
  for (let i = 0; i < pcm.length; i++) p = Math.max(p, Math.abs(pcm[i]!));
  return p;
}

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * A busy performer whose controls change on an 8-sample grid of the timeline (so that any
 * chunking whose borders fall on that grid sees the same controls at every sample); presence drops
 * at `leaveS` and the beat starts at `beatS` seconds.
 */
export function busyPlan(frames: number, chunk: number, { leaveS = 2.5, beatS = 1 } = {}): RenderPlan {
  return {
    frames,
    chunk,
    controlStep: 8,
    controlsAt: (n) => {
      const t = n / SR;
      return controls({
        energy: 0.5 + 0.45 * Math.sin(t * 2.1),
        valence: Math.sin(t * 0.9),
        handHeight: 0.5 + 0.5 * Math.sin(t * 3.3),
        armOpenness: 0.5 + 0.5 * Math.cos(t * 1.7),
        presence: t < leaveS ? 1 : 0.6,
        beatStrength: t > beatS ? 0.8 : 0,
      });
    },
    beatAt: () => ({ anchorSample: 30000, periodSamples: 23000, strength: 0.9 }),
  };
}

/** Probabilities of a logits row (masked entries -Infinity: probability 0). */
export function softmax(row: Float32Array): number[] {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  const e = [...row].map((v) => (v === -Infinity ? 0 : Math.exp(v - max)));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** Random drum logits over the whole vocabulary (246), the other streams masked as the valid-range mask leaves them. */
export function drumRow(seed: number): Float32Array {
  const rng = new Rng(seed);
  const row = new Float32Array(246).fill(-Infinity);
  for (let m = 0; m < 64; m++) row[m] = rng.next() * 6 - 3;
  return row;
}
