/**
 * Pure functions from one (filtered) landmark frame to raw features, already in control units
 * (see README.md for the table). No state, no allocation: results go into caller-owned objects
 * made once by `createFaceFeatures()` / `createPoseFeatures()`.
 *
 * Coordinates. MediaPipe gives x in image widths, y in image heights (growing downward) and z
 * on roughly the scale of x (smaller = nearer the camera). Everything here first goes to a
 * "metric" frame in image heights: X = x * aspect, Y = y, Z = z * aspect (aspect = width /
 * height), so that distances and angles do not depend on the image's shape.
 *
 * Scale. Face features are measured in units of the 3-D distance between the outer eye
 * corners (inter-ocular distance, "iod"), which does not change with head rotation or with
 * expression. Body features are measured in shoulder widths. Neither depends on the distance
 * to the camera.
 *
 * Face frame. right = unit(P263 - P33) (outer eye corners), up = unit(P10 - P152) made
 * orthogonal to right (forehead above chin), forward = right x up (toward the camera).
 * Expression distances are taken along `up`, so they hold under head rotation.
 */
import { BODY_GEOMETRY, FACE_GEOMETRY } from '../../protocol/featureGeometry.js';
import { BS, FACE, POSE } from '../../protocol/landmarkLayout.js';
import { clamp } from '../../protocol/numbers.js';

export interface FaceFeatures {
  /** False when the face array is missing, the wrong size, not finite or degenerate; then nothing else is meaningful. */
  valid: boolean;
  /** Inter-ocular distance in image heights (the face's scale). */
  scale: number;
  /** Nose tip's vertical position in image heights (for head motion). */
  noseY: number;
  valence: number;
  mouthOpen: number;
  browRaise: number;
  eyeOpenness: number;
  headYaw: number;
  headPitch: number;
  headRoll: number;
}

export function createFaceFeatures(): FaceFeatures {
  return {
    valid: false, scale: 0, noseY: 0, valence: 0, mouthOpen: 0, browRaise: 0, eyeOpenness: 0.5,
    headYaw: 0, headPitch: 0, headRoll: 0,
  };
}

export interface BlendshapeFeatures {
  valid: boolean;
  valence: number;
  mouthOpen: number;
  browRaise: number;
  eyeOpenness: number;
}

export function createBlendshapeFeatures(): BlendshapeFeatures {
  return { valid: false, valence: 0, mouthOpen: 0, browRaise: 0, eyeOpenness: 0.5 };
}

export interface PoseFeatures {
  /** Both shoulders visible: the body can be measured at all. */
  bodyValid: boolean;
  /** Shoulder width in image heights (2-D, aspect-corrected). */
  shoulderWidth: number;
  /** Both hips visible and plausible. */
  hipsValid: boolean;
  /** Measured (shoulder-to-hip) / shoulder width when hipsValid, else NaN. */
  measuredTorsoRatio: number;
  leftWristValid: boolean;
  rightWristValid: boolean;
  /** At least one wrist visible. */
  handHeightValid: boolean;
  handHeight: number;
  /** Both wrists visible. */
  armOpennessValid: boolean;
  armOpenness: number;
}

export function createPoseFeatures(): PoseFeatures {
  return {
    bodyValid: false, shoulderWidth: 0, hipsValid: false, measuredTorsoRatio: NaN,
    leftWristValid: false, rightWristValid: false, handHeightValid: false, handHeight: 0,
    armOpennessValid: false, armOpenness: 0,
  };
}

// Scratch vectors (module-level: these functions are synchronous and not re-entrant).
const right = new Float64Array(3);
const up = new Float64Array(3);
const fwd = new Float64Array(3);

function px(face: ArrayLike<number>, i: number, aspect: number): number {
  return (face[3 * i]) * aspect;
}
function py(face: ArrayLike<number>, i: number): number {
  return face[3 * i + 1];
}
function pz(face: ArrayLike<number>, i: number, aspect: number): number {
  return (face[3 * i + 2]) * aspect;
}

/** Component along `up` of (P_a - P_b), in metric units. */
function upDelta(face: ArrayLike<number>, a: number, b: number, aspect: number): number {
  return (
    (px(face, a, aspect) - px(face, b, aspect)) * up[0] +
    (py(face, a) - py(face, b)) * up[1] +
    (pz(face, a, aspect) - pz(face, b, aspect)) * up[2]
  );
}

/** Component along `up` of P_a minus the midpoint of P_b and P_c. */
function upDeltaToMid(face: ArrayLike<number>, a: number, b: number, c: number, aspect: number): number {
  return 0.5 * (upDelta(face, a, b, aspect) + upDelta(face, a, c, aspect));
}

function dist3(face: ArrayLike<number>, a: number, b: number, aspect: number): number {
  const dx = px(face, a, aspect) - px(face, b, aspect);
  const dy = py(face, a) - py(face, b);
  const dz = pz(face, a, aspect) - pz(face, b, aspect);
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
}

/** Piecewise-linear map of the eye ratio to eyeOpenness: closed 0, relaxed 0.5, wide 1. */
export function eyeRatioToOpenness(ratio: number): number {
  const g = FACE_GEOMETRY;
  if (ratio <= g.eyeRatioRelaxed) {
    return clamp((0.5 * (ratio - g.eyeRatioClosed)) / (g.eyeRatioRelaxed - g.eyeRatioClosed), 0, 0.5);
  }
  return clamp(0.5 + (0.5 * (ratio - g.eyeRatioRelaxed)) / (g.eyeRatioWide - g.eyeRatioRelaxed), 0.5, 1);
}

const FACE_VALUES = 478 * 3;

/**
 * Geometric face features from 478 x (x, y, z) landmarks. Reads only the indices in
 * FACE_USED_INDICES. Sets `out.valid = false` (and leaves the rest) when the input is unusable.
 */
export function faceFeatures(face: ArrayLike<number> | null, aspect: number, out: FaceFeatures): FaceFeatures {
  out.valid = false;
  if (face === null || face.length < FACE_VALUES) return out;
  const g = FACE_GEOMETRY;
  // right axis and scale
  right[0] = px(face, FACE.leftEyeOuter, aspect) - px(face, FACE.rightEyeOuter, aspect);
  right[1] = py(face, FACE.leftEyeOuter) - py(face, FACE.rightEyeOuter);
  right[2] = pz(face, FACE.leftEyeOuter, aspect) - pz(face, FACE.rightEyeOuter, aspect);
  const scale = Math.hypot(right[0], right[1], right[2]);
  if (!(scale > 1e-6) || !Number.isFinite(scale)) return out;
  right[0] /= scale; right[1] /= scale; right[2] /= scale;
  // up axis: forehead - chin, orthogonalised against right
  up[0] = px(face, FACE.forehead, aspect) - px(face, FACE.chin, aspect);
  up[1] = py(face, FACE.forehead) - py(face, FACE.chin);
  up[2] = pz(face, FACE.forehead, aspect) - pz(face, FACE.chin, aspect);
  const dot = up[0] * right[0] + up[1] * right[1] + up[2] * right[2];
  up[0] -= dot * right[0]; up[1] -= dot * right[1]; up[2] -= dot * right[2];
  const upLen = Math.hypot(up[0], up[1], up[2]);
  if (!(upLen > 1e-6) || !Number.isFinite(upLen)) return out;
  up[0] /= upLen; up[1] /= upLen; up[2] /= upLen;
  // forward = right x up (toward the camera: -Z in the metric frame)
  fwd[0] = right[1] * up[2] - right[2] * up[1];
  fwd[1] = right[2] * up[0] - right[0] * up[2];
  fwd[2] = right[0] * up[1] - right[1] * up[0];

  // Head pose (inverse of: pitch about the face's x, then yaw about its y, then roll about the camera axis).
  const yaw = Math.asin(clamp(right[2], -1, 1));
  const roll = Math.atan2(right[1], right[0]);
  const pitch = Math.atan2(up[2], -fwd[2]);

  // Expression, along `up`, in iod.
  const lift =
    0.5 *
    (upDeltaToMid(face, FACE.mouthCornerRight, FACE.upperLipInner, FACE.lowerLipInner, aspect) +
      upDeltaToMid(face, FACE.mouthCornerLeft, FACE.upperLipInner, FACE.lowerLipInner, aspect)) /
    scale;
  const gap = upDelta(face, FACE.upperLipInner, FACE.lowerLipInner, aspect) / scale;
  const browRight =
    0.5 *
    (upDeltaToMid(face, FACE.rightBrowMid, FACE.rightEyeOuter, FACE.rightEyeInner, aspect) +
      upDeltaToMid(face, FACE.rightBrowOuter, FACE.rightEyeOuter, FACE.rightEyeInner, aspect));
  const browLeft =
    0.5 *
    (upDeltaToMid(face, FACE.leftBrowMid, FACE.leftEyeOuter, FACE.leftEyeInner, aspect) +
      upDeltaToMid(face, FACE.leftBrowOuter, FACE.leftEyeOuter, FACE.leftEyeInner, aspect));
  const brow = (0.5 * (browRight + browLeft)) / scale;
  const eyeWidthR = dist3(face, FACE.rightEyeOuter, FACE.rightEyeInner, aspect);
  const eyeWidthL = dist3(face, FACE.leftEyeOuter, FACE.leftEyeInner, aspect);
  if (!(eyeWidthR > 1e-9) || !(eyeWidthL > 1e-9)) return out;
  const eyeRatio =
    0.5 *
    (upDelta(face, FACE.rightUpperLid, FACE.rightLowerLid, aspect) / eyeWidthR +
      upDelta(face, FACE.leftUpperLid, FACE.leftLowerLid, aspect) / eyeWidthL);

  const valence = clamp((lift - g.cornerLiftNeutral) / g.cornerLiftFull, -1, 1);
  const mouthOpen = clamp((gap - g.mouthGapClosed) / (g.mouthGapOpen - g.mouthGapClosed), 0, 1);
  const browRaise = clamp((brow - g.browHeightNeutral) / g.browHeightRange, -1, 1);
  const eyeOpenness = eyeRatioToOpenness(eyeRatio);
  const noseY = py(face, FACE.noseTip);
  if (
    !Number.isFinite(valence) || !Number.isFinite(mouthOpen) || !Number.isFinite(browRaise) ||
    !Number.isFinite(eyeOpenness) || !Number.isFinite(yaw) || !Number.isFinite(pitch) ||
    !Number.isFinite(roll) || !Number.isFinite(noseY)
  ) {
    return out;
  }
  out.valid = true;
  out.scale = scale;
  out.noseY = noseY;
  out.valence = valence;
  out.mouthOpen = mouthOpen;
  out.browRaise = browRaise;
  out.eyeOpenness = eyeOpenness;
  out.headYaw = clamp(yaw / g.yawFull, -1, 1);
  out.headPitch = clamp(pitch / g.pitchFull, -1, 1);
  out.headRoll = clamp(roll / g.rollFull, -1, 1);
  return out;
}

function bs(b: ArrayLike<number>, i: number): number {
  return b[i];
}

/**
 * Expression from MediaPipe blendshape scores (52, MediaPipe order):
 *   valence     = mean(mouthSmileL/R) - mean(mouthFrownL/R)
 *   mouthOpen   = jawOpen
 *   browRaise   = 0.5 browInnerUp + 0.25 (browOuterUpL + browOuterUpR) - 0.5 (browDownL + browDownR)
 *   eyeOpenness = 0.5 - 0.5 mean(eyeBlinkL/R) + 0.5 mean(eyeWideL/R)
 * each clamped to its control range.
 */
export function blendshapeFeatures(b: ArrayLike<number> | null, out: BlendshapeFeatures): BlendshapeFeatures {
  out.valid = false;
  if (b === null || b.length < 52) return out;
  const smile = 0.5 * (bs(b, BS.mouthSmileLeft) + bs(b, BS.mouthSmileRight));
  const frown = 0.5 * (bs(b, BS.mouthFrownLeft) + bs(b, BS.mouthFrownRight));
  const valence = clamp(smile - frown, -1, 1);
  const mouthOpen = clamp(bs(b, BS.jawOpen), 0, 1);
  const browRaise = clamp(
    0.5 * bs(b, BS.browInnerUp) +
      0.25 * (bs(b, BS.browOuterUpLeft) + bs(b, BS.browOuterUpRight)) -
      0.5 * (bs(b, BS.browDownLeft) + bs(b, BS.browDownRight)),
    -1,
    1,
  );
  const blink = 0.5 * (bs(b, BS.eyeBlinkLeft) + bs(b, BS.eyeBlinkRight));
  const wide = 0.5 * (bs(b, BS.eyeWideLeft) + bs(b, BS.eyeWideRight));
  const eyeOpenness = clamp(0.5 - 0.5 * blink + 0.5 * wide, 0, 1);
  if (!Number.isFinite(valence + mouthOpen + browRaise + eyeOpenness)) return out;
  out.valid = true;
  out.valence = valence;
  out.mouthOpen = mouthOpen;
  out.browRaise = browRaise;
  out.eyeOpenness = eyeOpenness;
  return out;
}

/**
 * Mixes blendshape expression into the geometric one, in place: x = (1 - w) geometry + w blendshapes
 * for valence, mouthOpen, browRaise, eyeOpenness. Head pose stays geometric. No-op when the
 * blendshapes are invalid or w = 0.
 */
export function blendExpression(face: FaceFeatures, b: BlendshapeFeatures, weight: number): void {
  if (!face.valid || !b.valid || !(weight > 0)) return;
  const w = clamp(weight, 0, 1);
  face.valence = (1 - w) * face.valence + w * b.valence;
  face.mouthOpen = (1 - w) * face.mouthOpen + w * b.mouthOpen;
  face.browRaise = (1 - w) * face.browRaise + w * b.browRaise;
  face.eyeOpenness = (1 - w) * face.eyeOpenness + w * b.eyeOpenness;
}

const POSE_VALUES = 33 * 4;

function visible(pose: ArrayLike<number>, i: number, threshold: number): boolean {
  const v = pose[4 * i + 3];
  const x = pose[4 * i];
  const y = pose[4 * i + 1];
  return v >= threshold && Number.isFinite(x) && Number.isFinite(y);
}

/** Maps a wrist's height, in torso lengths above the hips, to handHeight: hips 0, shoulders 0.5, above the head 1. */
export function wristLiftToHandHeight(torsosAboveHips: number): number {
  if (torsosAboveHips <= 1) return clamp(0.5 * torsosAboveHips, 0, 0.5);
  return clamp(0.5 + (0.5 * (torsosAboveHips - 1)) / (BODY_GEOMETRY.aboveHeadTorsos - 1), 0.5, 1);
}

/**
 * Body features from 33 x (x, y, z, visibility). Points whose visibility is below
 * `visibilityThreshold` are not used; the features they feed are flagged invalid (the tracker
 * then holds them and, if that lasts, glides them to neutral). Without visible hips the torso
 * length is `torsoRatio` shoulder widths.
 */
export function poseFeatures(
  pose: ArrayLike<number> | null,
  aspect: number,
  visibilityThreshold: number,
  torsoRatio: number,
  out: PoseFeatures,
): PoseFeatures {
  out.bodyValid = false;
  out.hipsValid = false;
  out.measuredTorsoRatio = NaN;
  out.leftWristValid = false;
  out.rightWristValid = false;
  out.handHeightValid = false;
  out.armOpennessValid = false;
  if (pose === null || pose.length < POSE_VALUES) return out;
  const b = BODY_GEOMETRY;
  const L = POSE.leftShoulder;
  const R = POSE.rightShoulder;
  if (!visible(pose, L, visibilityThreshold) || !visible(pose, R, visibilityThreshold)) return out;
  const lx = (pose[4 * L]) * aspect;
  const ly = pose[4 * L + 1];
  const rx = (pose[4 * R]) * aspect;
  const ry = pose[4 * R + 1];
  const sw = Math.hypot(lx - rx, ly - ry);
  if (!(sw > 1e-6)) return out;
  out.bodyValid = true;
  out.shoulderWidth = sw;
  const shoulderY = 0.5 * (ly + ry);

  let torso = torsoRatio * sw;
  if (visible(pose, POSE.leftHip, visibilityThreshold) && visible(pose, POSE.rightHip, visibilityThreshold)) {
    const hipY = 0.5 * ((pose[4 * POSE.leftHip + 1]) + (pose[4 * POSE.rightHip + 1]));
    const ratio = (hipY - shoulderY) / sw;
    if (ratio >= b.torsoRatioMin && ratio <= b.torsoRatioMax) {
      out.hipsValid = true;
      out.measuredTorsoRatio = ratio;
      torso = hipY - shoulderY;
    }
  }

  const lw = POSE.leftWrist;
  const rw = POSE.rightWrist;
  out.leftWristValid = visible(pose, lw, visibilityThreshold);
  out.rightWristValid = visible(pose, rw, visibilityThreshold);
  let sum = 0;
  let n = 0;
  if (out.leftWristValid) {
    sum += wristLiftToHandHeight((shoulderY - (pose[4 * lw + 1])) / torso + 1);
    n++;
  }
  if (out.rightWristValid) {
    sum += wristLiftToHandHeight((shoulderY - (pose[4 * rw + 1])) / torso + 1);
    n++;
  }
  if (n > 0) {
    out.handHeightValid = true;
    out.handHeight = sum / n;
  }
  if (out.leftWristValid && out.rightWristValid) {
    const d =
      Math.hypot(
        ((pose[4 * lw]) - (pose[4 * rw])) * aspect,
        (pose[4 * lw + 1]) - (pose[4 * rw + 1]),
      ) / sw;
    out.armOpennessValid = true;
    out.armOpenness = clamp((d - b.wristSpreadFolded) / (b.wristSpreadWide - b.wristSpreadFolded), 0, 1);
  }
  return out;
}
