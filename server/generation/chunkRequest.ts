/**
 * The one check of a chunk request, shared by every kind of stream (symbolic and audio-token):
 * small pure functions at the seam, messages that name the bad value, and one error type with a
 * program code.
 */
import { CONTROL_SIZE } from '../../protocol/controlVector.js';
import type { Hz, Samples } from '../../protocol/units.js';
import type { ChunkRequest } from './engine.js';

/** The longest chunk a stream renders in one call: sessions ask for ~20 ms; this bounds a bad caller's allocation. */
export const MAX_CHUNK_SECONDS = 10;

/** The largest chunk, in frames, at `sampleRate`. */
export function maxChunkFrames(sampleRate: Hz): Samples {
  return MAX_CHUNK_SECONDS * sampleRate;
}

/** A request the stream cannot render; `code` is for programs. */
export class StreamRequestError extends RangeError {
  readonly code: string;
  constructor(message: string, code = 'GEN_ERR_BAD_REQUEST') {
    super(message);
    this.name = 'StreamRequestError';
    this.code = code;
  }
}

/**
 * Checks a chunk request; returns a message naming the bad value, or null. `expectedStart` is
 * where the stream's timeline continues (null before its first chunk: any start).
 */
function chunkRequestProblem(r: ChunkRequest, expectedStart: Samples | null, maxFrames: Samples): string | null {
  if (!Number.isInteger(r.frames) || r.frames <= 0 || r.frames > maxFrames) return `frames must be an integer in [1, ${maxFrames}], but is ${r.frames}`;
  if (!Number.isInteger(r.startSample) || r.startSample < 0) return `startSample must be a non-negative integer, but is ${r.startSample}`;
  if (expectedStart !== null && r.startSample !== expectedStart) return `chunks must be contiguous: startSample must be ${expectedStart}, but is ${r.startSample}`;
  if (!Array.isArray(r.controls) || r.controls.length === 0) return `controls must hold at least one control vector, but has ${Array.isArray(r.controls) ? 0 : 'none'}`;
  for (const [i, v] of r.controls.entries()) {
    if (!(v instanceof Float32Array) || v.length !== CONTROL_SIZE) return `controls[${i}] must be a Float32Array of ${CONTROL_SIZE} values, but has ${(v as { length?: number } | undefined)?.length}`;
  }
  if (!Number.isFinite(r.controlStepSamples) || r.controlStepSamples <= 0) return `controlStepSamples must be a positive number, but is ${r.controlStepSamples}`;
  if (r.beat !== null && r.beat !== undefined) {
    const b = r.beat;
    if (!Number.isFinite(b.anchorSample) || !Number.isFinite(b.periodSamples) || b.periodSamples <= 0 || !Number.isFinite(b.strength)) {
      return `beat must have a finite anchorSample, a positive periodSamples and a finite strength, but is ${JSON.stringify(b)}`;
    }
  }
  return null;
}

/** Throws a StreamRequestError (code GEN_ERR_BAD_REQUEST) for a request chunkRequestProblem refuses. */
export function checkChunkRequest(r: ChunkRequest, expectedStart: Samples | null, maxFrames: Samples): void {
  const problem = chunkRequestProblem(r, expectedStart, maxFrames);
  if (problem !== null) throw new StreamRequestError(problem);
}
