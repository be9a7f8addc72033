/**
 * A synthetic performer's body and face, drawn as MediaPipe would report them: 478 face
 * points (x, y, z), 52 blendshapes and 33 BlazePose points (x, y, z, visibility) in normalised
 * image coordinates (x in image widths, y in image heights, growing downward).
 *
 * Face. The points the control features read (indices listed in NAMED below) sit where they
 * sit on a real face, in proportions read off MediaPipe's canonical face model (inter-ocular
 * distance = 1 unit, y up, z toward the camera). Expressions move exactly these points. Every
 * other mesh point is filler on a dome over the face oval, and the 10 iris points ring the
 * eye centres; all move rigidly with the head. The expression geometry is drawn from the
 * server's feature calibration (protocol/featureGeometry.ts), so the server's geometric features
 * read back the performer's parameters (test/harness/performers/bodyGeometry.test.ts pins it).
 *
 * Head pose: rotation R = Rz(roll) Ry(yaw) Rx(pitch) about a pivot behind the face.
 * yaw > 0 turns the nose toward image right, pitch > 0 looks up, roll > 0 tilts the head
 * clockwise in the image.
 */
import { BODY_GEOMETRY, FACE_GEOMETRY } from '../../protocol/featureGeometry.js';
import { BLENDSHAPE_COUNT, BS, FACE, FACE_LANDMARK_COUNT, FACE_MESH_COUNT, LEFT_IRIS_FIRST, POSE, POSE_LANDMARK_COUNT, RIGHT_IRIS_FIRST } from '../../protocol/landmarkLayout.js';
import { clamp, clamp01 } from '../../protocol/numbers.js';

/** Everything that shapes one frame. */
export interface PerformerState {
  /** Face detected (false: face = null, blendshapes = null). */
  faceVisible: boolean;
  /** Pose detected (false: pose = null). */
  bodyVisible: boolean;
  /** Also report blendshapes. */
  blendshapes: boolean;
  /** Midpoint of the shoulders, normalised image coordinates. */
  x: number;
  y: number;
  /** Distance to the camera, as the shoulder width in image heights (0.25 ~ 1.5 m from a laptop camera). */
  shoulderWidth: number;
  /** Head rotation (radians). */
  yaw: number;
  pitch: number;
  roll: number;
  /** Head displacement from rest, in shoulder widths (y: down positive). */
  headDx: number;
  headDy: number;
  /** -1 frown .. 0 neutral .. 1 smile. */
  smile: number;
  /** 0 closed .. 1 wide open. */
  mouthOpen: number;
  /** -1 furrowed .. 1 raised. */
  browRaise: number;
  /** 0 closed .. 0.5 relaxed .. 1 wide. */
  eyeOpenness: number;
  /** Hand heights as the handHeight control reads them: 0 hips, 0.5 shoulders, 1 above the head. */
  leftHandHeight: number;
  rightHandHeight: number;
  /** Horizontal wrist-to-wrist distance, in shoulder widths. */
  wristSpread: number;
  /** Horizontal shift of both wrists, in shoulder widths (sideways swing). */
  wristShift: number;
  /** Visibility of pose points inside the image (outside: 0.1). */
  visibility: number;
  /** Visibility of the wrists (overrides `visibility` for 15, 16 and the hand points). */
  wristVisibility: number;
  /** Camera image width / height. */
  aspect: number;
}

export function restState(): PerformerState {
  return {
    faceVisible: true,
    bodyVisible: true,
    blendshapes: false,
    x: 0.5,
    y: 0.55,
    shoulderWidth: 0.25,
    yaw: 0,
    pitch: 0,
    roll: 0,
    headDx: 0,
    headDy: 0,
    smile: 0,
    mouthOpen: 0,
    browRaise: 0,
    eyeOpenness: 0.5,
    leftHandHeight: 0,
    rightHandHeight: 0,
    wristSpread: 1.3,
    wristShift: 0,
    visibility: 0.95,
    wristVisibility: 0.95,
    aspect: 4 / 3,
  };
}

/** The body's own proportions (the face and the feature mappings come from protocol/featureGeometry.ts). */
export const MODEL = Object.freeze({
  /** Shoulder-to-hip vertical distance / shoulder width. */
  torsoRatio: 1.3,
  /** Hip joint spread / shoulder width. */
  hipSpread: 0.6,
  /** Head pivot above the shoulder line, in shoulder widths. */
  headPivotAbove: 0.8,
});
const FACE_G = FACE_GEOMETRY;
const BODY_G = BODY_GEOMETRY;

// Face coordinates in inter-ocular units: x toward the performer's left (image right), y up, z toward the camera.
const PIVOT = [0, -0.2, -0.8] as const;
const EYE_Y = 0.295;
const EYE_WIDTH = Math.hypot(0.29, 0.01, 0.06);
const UPPER_LIP_Y = -0.455;

/** Points that rest where the canonical face has them and do not change with expression. */
const RIGID: Readonly<Record<number, readonly [number, number, number]>> = {
  [FACE.noseTip]: [0, -0.13, 0.84],
  [FACE.forehead]: [0, 0.93, 0.5],
  [FACE.rightEyeOuter]: [-0.5, 0.3, 0.36],
  [FACE.rightEyeInner]: [-0.21, 0.29, 0.42],
  [FACE.leftEyeOuter]: [0.5, 0.3, 0.36],
  [FACE.leftEyeInner]: [0.21, 0.29, 0.42],
  [FACE.rightCheek]: [-0.86, 0.08, -0.27],
  [FACE.leftCheek]: [0.86, 0.08, -0.27],
  [FACE.upperLipInner]: [0, UPPER_LIP_Y, 0.59],
};

/** Indices whose position an expression sets (the rest of NAMED is RIGID). */
const EXPRESSIVE = [
  FACE.chin, FACE.lowerLipInner, FACE.mouthCornerRight, FACE.mouthCornerLeft,
  FACE.rightUpperLid, FACE.rightLowerLid, FACE.leftUpperLid, FACE.leftLowerLid,
  FACE.rightBrowMid, FACE.leftBrowMid, FACE.rightBrowOuter, FACE.leftBrowOuter,
] as const;
const NAMED = new Set<number>([...Object.keys(RIGID).map(Number), ...EXPRESSIVE]);

function fillerPoint(i: number): [number, number, number] {
  // golden-angle spiral over the unit disc, mapped onto a dome over the face oval
  const n = FACE_LANDMARK_COUNT;
  const r = Math.sqrt((i + 0.5) / n);
  const a = i * 2.399963229728653;
  const u = r * Math.cos(a);
  const v = r * Math.sin(a);
  return [0.85 * u, -0.05 + 1.0 * v, 0.55 * Math.sqrt(Math.max(0, 1 - u * u - v * v)) - 0.2];
}

function irisPoint(i: number): [number, number, number] {
  const right = i < LEFT_IRIS_FIRST;
  const cx = right ? -0.355 : 0.355;
  const k = right ? i - RIGHT_IRIS_FIRST : i - LEFT_IRIS_FIRST;
  if (k === 0) return [cx, EYE_Y, 0.45];
  const a = ((k - 1) * Math.PI) / 2;
  return [cx + 0.06 * Math.cos(a), EYE_Y + 0.06 * Math.sin(a), 0.44];
}

/** Face-model points at rest (filler, iris and rigid named points); expressive ones are set per frame. */
const BASE: Float64Array = (() => {
  const base = new Float64Array(FACE_LANDMARK_COUNT * 3);
  for (let i = 0; i < FACE_LANDMARK_COUNT; i++) {
    const p = RIGID[i] ?? (i >= FACE_MESH_COUNT ? irisPoint(i) : NAMED.has(i) ? [0, 0, 0] : fillerPoint(i));
    base[3 * i] = p[0];
    base[3 * i + 1] = p[1];
    base[3 * i + 2] = p[2];
  }
  return base;
})();

/** Eye aspect ratio (lid gap / eye width) for an eyeOpenness value. */
function eyeRatio(openness: number): number {
  const e = clamp01(openness);
  if (e <= 0.5) return FACE_G.eyeRatioClosed + (e / 0.5) * (FACE_G.eyeRatioRelaxed - FACE_G.eyeRatioClosed);
  return FACE_G.eyeRatioRelaxed + ((e - 0.5) / 0.5) * (FACE_G.eyeRatioWide - FACE_G.eyeRatioRelaxed);
}

function setPoint(buf: Float64Array, i: number, x: number, y: number, z: number): void {
  buf[3 * i] = x;
  buf[3 * i + 1] = y;
  buf[3 * i + 2] = z;
}

/** Face-model points (before head rotation) for an expression. */
function expressionPoints(st: PerformerState): Float64Array {
  const p = Float64Array.from(BASE);
  const gap = FACE_G.mouthGapClosed + clamp01(st.mouthOpen) * (FACE_G.mouthGapOpen - FACE_G.mouthGapClosed);
  const lowerY = UPPER_LIP_Y - gap;
  setPoint(p, FACE.lowerLipInner, 0, lowerY, 0.6);
  setPoint(p, FACE.chin, 0, -1.06 - 0.6 * (gap - FACE_G.mouthGapClosed), 0.5);
  const smile = clamp(st.smile, -1, 1);
  const cornerY = 0.5 * (UPPER_LIP_Y + lowerY) + FACE_G.cornerLiftNeutral + smile * FACE_G.cornerLiftFull;
  const cornerX = 0.276 * (1 + 0.15 * Math.max(0, smile));
  setPoint(p, FACE.mouthCornerRight, -cornerX, cornerY, 0.48);
  setPoint(p, FACE.mouthCornerLeft, cornerX, cornerY, 0.48);
  const lid = 0.5 * eyeRatio(st.eyeOpenness) * EYE_WIDTH;
  setPoint(p, FACE.rightUpperLid, -0.36, EYE_Y + lid, 0.44);
  setPoint(p, FACE.rightLowerLid, -0.36, EYE_Y - lid, 0.44);
  setPoint(p, FACE.leftUpperLid, 0.36, EYE_Y + lid, 0.44);
  setPoint(p, FACE.leftLowerLid, 0.36, EYE_Y - lid, 0.44);
  const brow = clamp(st.browRaise, -1, 1) * FACE_G.browHeightRange;
  setPoint(p, FACE.rightBrowMid, -0.45, EYE_Y + 0.275 + brow, 0.5);
  setPoint(p, FACE.leftBrowMid, 0.45, EYE_Y + 0.275 + brow, 0.5);
  setPoint(p, FACE.rightBrowOuter, -0.64, EYE_Y + 0.185 + brow, 0.32);
  setPoint(p, FACE.leftBrowOuter, 0.64, EYE_Y + 0.185 + brow, 0.32);
  return p;
}

/** Metric (image heights) position of the head pivot. */
function headPivot(st: PerformerState): [number, number] {
  const sw = st.shoulderWidth;
  return [st.x * st.aspect + st.headDx * sw, st.y - MODEL.headPivotAbove * sw + st.headDy * sw];
}

/** FACE_LANDMARK_COUNT x (x, y, z) face landmarks. */
export function renderFace(st: PerformerState): Float32Array {
  const p = expressionPoints(st);
  const out = new Float32Array(FACE_LANDMARK_COUNT * 3);
  const iod = BODY_G.iodPerShoulderWidth * st.shoulderWidth;
  const [pivX, pivY] = headPivot(st);
  const cp = Math.cos(st.pitch), sp = Math.sin(st.pitch);
  const cy = Math.cos(st.yaw), sy = Math.sin(st.yaw);
  const cr = Math.cos(st.roll), sr = Math.sin(st.roll);
  for (let i = 0; i < FACE_LANDMARK_COUNT; i++) {
    let x = p[3 * i] - PIVOT[0];
    let y = p[3 * i + 1] - PIVOT[1];
    let z = p[3 * i + 2] - PIVOT[2];
    // Rx(pitch): y' = y cos + z sin, z' = -y sin + z cos
    let t = y * cp + z * sp;
    z = -y * sp + z * cp;
    y = t;
    // Ry(yaw): x' = x cos + z sin, z' = -x sin + z cos
    t = x * cy + z * sy;
    z = -x * sy + z * cy;
    x = t;
    // Rz(roll): x' = x cos + y sin, y' = -x sin + y cos
    t = x * cr + y * sr;
    y = -x * sr + y * cr;
    x = t;
    // to the image: x right, y down, z away from the camera
    out[3 * i] = (pivX + iod * x) / st.aspect;
    out[3 * i + 1] = pivY - iod * y;
    out[3 * i + 2] = (-iod * z) / st.aspect;
  }
  return out;
}

/** 52 MediaPipe blendshape scores consistent with the expression. */
export function renderBlendshapes(st: PerformerState): Float32Array {
  const b = new Float32Array(BLENDSHAPE_COUNT);
  const smile = clamp(st.smile, -1, 1);
  const brow = clamp(st.browRaise, -1, 1);
  const eye = clamp01(st.eyeOpenness);
  b[BS._neutral] = 1 - Math.min(1, Math.abs(smile) + st.mouthOpen);
  b[BS.browDownLeft] = b[BS.browDownRight] = Math.max(0, -brow);
  b[BS.browInnerUp] = Math.max(0, brow);
  b[BS.browOuterUpLeft] = b[BS.browOuterUpRight] = Math.max(0, brow);
  b[BS.eyeBlinkLeft] = b[BS.eyeBlinkRight] = clamp01((0.5 - eye) / 0.5);
  b[BS.eyeWideLeft] = b[BS.eyeWideRight] = clamp01((eye - 0.5) / 0.5);
  b[BS.jawOpen] = clamp01(st.mouthOpen);
  b[BS.mouthFrownLeft] = b[BS.mouthFrownRight] = Math.max(0, -smile);
  b[BS.mouthSmileLeft] = b[BS.mouthSmileRight] = Math.max(0, smile);
  return b;
}

/** Torso lengths above the hips for a handHeight value (inverse of the server's mapping). */
function handLift(h: number): number {
  const v = clamp01(h);
  return v <= 0.5 ? 2 * v : 1 + ((v - 0.5) / 0.5) * (BODY_G.aboveHeadTorsos - 1);
}

/** Metric wrist positions [lx, ly, rx, ry] (performer's left = image right). */
export function wristPositions(st: PerformerState): [number, number, number, number] {
  const sw = st.shoulderWidth;
  const cx = st.x * st.aspect + st.wristShift * sw;
  const torso = MODEL.torsoRatio * sw;
  const hipY = st.y + torso;
  return [
    cx + 0.5 * st.wristSpread * sw,
    hipY - handLift(st.leftHandHeight) * torso,
    cx - 0.5 * st.wristSpread * sw,
    hipY - handLift(st.rightHandHeight) * torso,
  ];
}

/** POSE_LANDMARK_COUNT x (x, y, z, visibility) BlazePose landmarks. */
export function renderPose(st: PerformerState, face: Float32Array | null = null): Float32Array {
  const out = new Float32Array(POSE_LANDMARK_COUNT * 4);
  const a = st.aspect;
  const sw = st.shoulderWidth;
  const cx = st.x * a;
  const torso = MODEL.torsoRatio * sw;
  const f = face ?? renderFace(st);
  const set = (i: number, X: number, Y: number, z: number, vis?: number): void => {
    out[4 * i] = X / a;
    out[4 * i + 1] = Y;
    out[4 * i + 2] = z;
    const x = X / a;
    const inside = x >= 0 && x <= 1 && Y >= 0 && Y <= 1;
    out[4 * i + 3] = inside ? (vis ?? st.visibility) : 0.1;
  };
  const fromFace = (i: number, meshIndex: number): void =>
    set(i, f[3 * meshIndex] * a, f[3 * meshIndex + 1], f[3 * meshIndex + 2] * a);
  const midpoint = (i: number, m1: number, m2: number): void =>
    set(i, 0.5 * (f[3 * m1] + f[3 * m2]) * a, 0.5 * (f[3 * m1 + 1] + f[3 * m2 + 1]), 0);
  // head points from the face mesh
  fromFace(POSE.nose, FACE.noseTip);
  fromFace(POSE.leftEyeInner, FACE.leftEyeInner);
  midpoint(POSE.leftEye, FACE.leftEyeInner, FACE.leftEyeOuter);
  fromFace(POSE.leftEyeOuter, FACE.leftEyeOuter);
  fromFace(POSE.rightEyeInner, FACE.rightEyeInner);
  midpoint(POSE.rightEye, FACE.rightEyeInner, FACE.rightEyeOuter);
  fromFace(POSE.rightEyeOuter, FACE.rightEyeOuter);
  fromFace(POSE.leftEar, FACE.leftCheek); // the cheek contour stands in for the ears
  fromFace(POSE.rightEar, FACE.rightCheek);
  fromFace(POSE.mouthLeft, FACE.mouthCornerLeft);
  fromFace(POSE.mouthRight, FACE.mouthCornerRight);
  // torso
  const shY = st.y;
  set(POSE.leftShoulder, cx + 0.5 * sw, shY, 0);
  set(POSE.rightShoulder, cx - 0.5 * sw, shY, 0);
  const hipY = shY + torso;
  set(POSE.leftHip, cx + 0.5 * MODEL.hipSpread * sw, hipY, 0);
  set(POSE.rightHip, cx - 0.5 * MODEL.hipSpread * sw, hipY, 0);
  // arms
  const [lx, ly, rx, ry] = wristPositions(st);
  const wv = st.wristVisibility;
  set(POSE.leftWrist, lx, ly, -0.1, wv);
  set(POSE.rightWrist, rx, ry, -0.1, wv);
  set(POSE.leftElbow, 0.5 * (cx + 0.5 * sw + lx) + 0.15 * sw, 0.5 * (shY + ly), -0.05);
  set(POSE.rightElbow, 0.5 * (cx - 0.5 * sw + rx) - 0.15 * sw, 0.5 * (shY + ry), -0.05);
  // hands around the wrists
  const hand = 0.12 * sw;
  set(POSE.leftPinky, lx + 0.3 * hand, ly + hand, -0.1, wv);
  set(POSE.rightPinky, rx - 0.3 * hand, ry + hand, -0.1, wv);
  set(POSE.leftIndex, lx, ly + 1.2 * hand, -0.1, wv);
  set(POSE.rightIndex, rx, ry + 1.2 * hand, -0.1, wv);
  set(POSE.leftThumb, lx - 0.4 * hand, ly + 0.6 * hand, -0.1, wv);
  set(POSE.rightThumb, rx + 0.4 * hand, ry + 0.6 * hand, -0.1, wv);
  // legs
  const kneeY = hipY + 1.6 * sw;
  const ankleY = kneeY + 1.6 * sw;
  set(POSE.leftKnee, cx + 0.3 * sw, kneeY, 0);
  set(POSE.rightKnee, cx - 0.3 * sw, kneeY, 0);
  set(POSE.leftAnkle, cx + 0.3 * sw, ankleY, 0);
  set(POSE.rightAnkle, cx - 0.3 * sw, ankleY, 0);
  set(POSE.leftHeel, cx + 0.3 * sw, ankleY + 0.1 * sw, 0);
  set(POSE.rightHeel, cx - 0.3 * sw, ankleY + 0.1 * sw, 0);
  set(POSE.leftFootIndex, cx + 0.4 * sw, ankleY + 0.2 * sw, 0);
  set(POSE.rightFootIndex, cx - 0.4 * sw, ankleY + 0.2 * sw, 0);
  return out;
}

/** Control values this state should produce (the ones geometry fixes exactly). */
export function stateControls(st: PerformerState): Record<string, number> {
  const c: Record<string, number> = {};
  if (st.faceVisible) {
    c.valence = clamp(st.smile, -1, 1);
    c.mouthOpen = clamp(st.mouthOpen, 0, 1);
    c.browRaise = clamp(st.browRaise, -1, 1);
    c.eyeOpenness = clamp(st.eyeOpenness, 0, 1);
    c.headYaw = clamp(st.yaw / FACE_G.yawFull, -1, 1);
    c.headPitch = clamp(st.pitch / FACE_G.pitchFull, -1, 1);
    c.headRoll = clamp(st.roll / FACE_G.rollFull, -1, 1);
  }
  if (st.bodyVisible && st.wristVisibility >= 0.5) {
    c.handHeight = 0.5 * (clamp(st.leftHandHeight, 0, 1) + clamp(st.rightHandHeight, 0, 1));
    const [lx, ly, rx, ry] = wristPositions(st);
    const d = Math.hypot(lx - rx, ly - ry) / st.shoulderWidth;
    c.armOpenness = clamp01((d - BODY_G.wristSpreadFolded) / (BODY_G.wristSpreadWide - BODY_G.wristSpreadFolded));
  }
  c.presence = st.faceVisible || st.bodyVisible ? 1 : 0;
  return c;
}
