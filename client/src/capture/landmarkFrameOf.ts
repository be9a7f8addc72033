/** MediaPipe results as a protocol landmark frame. */
import { FACE_VALUES, POSE_VALUES } from '../../../protocol/landmarkFrame.js';
import { FACE_LANDMARK_COUNT, POSE_LANDMARK_COUNT } from '../../../protocol/landmarkLayout.js';
import type { LandmarkFrame } from '../../../protocol/landmarkTypes.js';
import { clamp, clamp01 } from '../../../protocol/numbers.js';
import type { Milliseconds } from '../../../protocol/units.js';
import type { TrackResult } from './landmarkTracker.js';

/** Coordinates are clamped to the protocol's range (nominally [-4, 4)): MediaPipe may place an off-screen joint beyond it. */
const COORD_LIMIT = 3.999;

function clampCoord(v: number): number {
  return clamp(v, -COORD_LIMIT, COORD_LIMIT);
}

/** A part with a non-finite value is left out (the protocol rejects NaN). */
export function toLandmarkFrame(result: TrackResult, seq: number, captureTimeMs: Milliseconds): LandmarkFrame {
  let face: Float32Array | null = null;
  if (result.face && result.face.length === FACE_LANDMARK_COUNT) {
    face = new Float32Array(FACE_VALUES);
    result.face.forEach((p, i) => {
      face![3 * i] = clampCoord(p.x);
      face![3 * i + 1] = clampCoord(p.y);
      face![3 * i + 2] = clampCoord(p.z);
    });
    if (!face.every(Number.isFinite)) face = null;
  }
  let pose: Float32Array | null = null;
  if (result.pose && result.pose.length === POSE_LANDMARK_COUNT) {
    pose = new Float32Array(POSE_VALUES);
    result.pose.forEach((p, i) => {
      pose![4 * i] = clampCoord(p.x);
      pose![4 * i + 1] = clampCoord(p.y);
      pose![4 * i + 2] = clampCoord(p.z);
      pose![4 * i + 3] = clamp01(p.visibility ?? 0);
    });
    if (!pose.every(Number.isFinite)) pose = null;
  }
  let blendshapes: Float32Array | null = null;
  if (face && result.blendshapes && result.blendshapes.every(Number.isFinite)) blendshapes = result.blendshapes.map(clamp01);
  return { seq, captureTimeMs, face, blendshapes, pose };
}
