/**
 * A synthetic performer's body and face, drawn as MediaPipe would report them: 478 face
 * points (x, y, z), 52 blendshapes and 33 BlazePose points (x, y, z, visibility) in normalised
 * image coordinates (x in image widths, y in image heights, growing downward).
 *
 * Face. The points the control features read (indices listed in NAMED below) sit where they
 * sit on a real face, in proportions read off MediaPipe's canonical face model (inter-ocular
 * distance = 1 unit, y up, z toward the camera). Expressions move exactly these points. Every
 * other mesh point is filler on a dome over the face oval, and the 10 iris points ring the
 * eye centres; all move rigidly with the head. The expression geometry is chosen so that the
 * server's geometric features read back the performer's parameters (see features.ts:
 * FACE_GEOMETRY, BODY_GEOMETRY; the numbers are repeated here on purpose, this folder may
 * import only protocol/).
 *
 * Head pose: rotation R = Rz(roll) Ry(yaw) Rx(pitch) about a pivot behind the face.
 * yaw > 0 turns the nose toward image right, pitch > 0 looks up, roll > 0 tilts the head
 * clockwise in the image.
 */
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

/** Geometry constants (kept equal to the server's feature calibration). */
export const MODEL = Object.freeze({
  /** Inter-ocular distance / shoulder width. */
  iodPerShoulderWidth: 0.23,
  /** Shoulder-to-hip vertical distance / shoulder width. */
  torsoRatio: 1.3,
  /** Hip joint spread / shoulder width. */
  hipSpread: 0.6,
  /** Head pivot above the shoulder line, in shoulder widths. */
  headPivotAbove: 0.8,
  /** A hand at handHeight 1 is this many torso lengths above the hips. */
  aboveHeadTorsos: 1.8,
  mouthGapClosed: 0.05,
  mouthGapOpen: 0.45,
  cornerLiftNeutral: -0.01,
  cornerLiftFull: 0.08,
  browRange: 0.08,
  eyeRatioClosed: 0.03,
  eyeRatioRelaxed: 0.25,
  eyeRatioWide: 0.4,
  yawFull: Math.PI / 4,
  pitchFull: Math.PI / 6,
  rollFull: Math.PI / 6,
  wristSpreadFolded: 0.5,
  wristSpreadWide: 3.0,
});

// Face coordinates in inter-ocular units: x toward the performer's left (image right), y up, z toward the camera.
const PIVOT = [0, -0.2, -0.8] as const;
const EYE_Y = 0.295;
const EYE_WIDTH = Math.hypot(0.29, 0.01, 0.06);
const UPPER_LIP_Y = -0.455;

/** Points that rest where the canonical face has them and do not change with expression. */
const RIGID: Readonly<Record<number, readonly [number, number, number]>> = {
  1: [0, -0.13, 0.84], // nose tip
  10: [0, 0.93, 0.5], // forehead
  33: [-0.5, 0.3, 0.36], // right eye outer corner
  133: [-0.21, 0.29, 0.42], // right eye inner corner
  263: [0.5, 0.3, 0.36], // left eye outer corner
  362: [0.21, 0.29, 0.42], // left eye inner corner
  234: [-0.86, 0.08, -0.27], // right cheek
  454: [0.86, 0.08, -0.27], // left cheek
  13: [0, UPPER_LIP_Y, 0.59], // upper inner lip
};

/** Indices whose position an expression sets (the rest of NAMED is RIGID). */
const EXPRESSIVE = [152, 14, 61, 291, 159, 145, 386, 374, 105, 334, 70, 300] as const;
const NAMED = new Set<number>([...Object.keys(RIGID).map(Number), ...EXPRESSIVE]);

function fillerPoint(i: number): [number, number, number] {
  // golden-angle spiral over the unit disc, mapped onto a dome over the face oval
  const n = 478;
  const r = Math.sqrt((i + 0.5) / n);
  const a = i * 2.399963229728653;
  const u = r * Math.cos(a);
  const v = r * Math.sin(a);
  return [0.85 * u, -0.05 + 1.0 * v, 0.55 * Math.sqrt(Math.max(0, 1 - u * u - v * v)) - 0.2];
}

function irisPoint(i: number): [number, number, number] {
  const right = i < 473;
  const cx = right ? -0.355 : 0.355;
  const k = right ? i - 468 : i - 473;
  if (k === 0) return [cx, EYE_Y, 0.45];
  const a = ((k - 1) * Math.PI) / 2;
  return [cx + 0.06 * Math.cos(a), EYE_Y + 0.06 * Math.sin(a), 0.44];
}

/** Face-model points at rest (filler, iris and rigid named points); expressive ones are set per frame. */
const BASE: Float64Array = (() => {
  const base = new Float64Array(478 * 3);
  for (let i = 0; i < 478; i++) {
    const p = RIGID[i] ?? (i >= 468 ? irisPoint(i) : NAMED.has(i) ? [0, 0, 0] : fillerPoint(i));
    base[3 * i] = p[0];
    base[3 * i + 1] = p[1];
    base[3 * i + 2] = p[2];
  }
  return base;
})();

/** Eye aspect ratio (lid gap / eye width) for an eyeOpenness value. */
function eyeRatio(openness: number): number {
  const e = clamp01(openness);
  if (e <= 0.5) return MODEL.eyeRatioClosed + (e / 0.5) * (MODEL.eyeRatioRelaxed - MODEL.eyeRatioClosed);
  return MODEL.eyeRatioRelaxed + ((e - 0.5) / 0.5) * (MODEL.eyeRatioWide - MODEL.eyeRatioRelaxed);
}

function setPoint(buf: Float64Array, i: number, x: number, y: number, z: number): void {
  buf[3 * i] = x;
  buf[3 * i + 1] = y;
  buf[3 * i + 2] = z;
}

/** Face-model points (before head rotation) for an expression. */
function expressionPoints(st: PerformerState): Float64Array {
  const p = Float64Array.from(BASE);
  const gap = MODEL.mouthGapClosed + clamp(st.mouthOpen, 0, 1) * (MODEL.mouthGapOpen - MODEL.mouthGapClosed);
  const lowerY = UPPER_LIP_Y - gap;
  setPoint(p, 14, 0, lowerY, 0.6);
  setPoint(p, 152, 0, -1.06 - 0.6 * (gap - MODEL.mouthGapClosed), 0.5);
  const smile = clamp(st.smile, -1, 1);
  const cornerY = 0.5 * (UPPER_LIP_Y + lowerY) + MODEL.cornerLiftNeutral + smile * MODEL.cornerLiftFull;
  const cornerX = 0.276 * (1 + 0.15 * Math.max(0, smile));
  setPoint(p, 61, -cornerX, cornerY, 0.48);
  setPoint(p, 291, cornerX, cornerY, 0.48);
  const lid = 0.5 * eyeRatio(st.eyeOpenness) * EYE_WIDTH;
  setPoint(p, 159, -0.36, EYE_Y + lid, 0.44);
  setPoint(p, 145, -0.36, EYE_Y - lid, 0.44);
  setPoint(p, 386, 0.36, EYE_Y + lid, 0.44);
  setPoint(p, 374, 0.36, EYE_Y - lid, 0.44);
  const brow = clamp(st.browRaise, -1, 1) * MODEL.browRange;
  setPoint(p, 105, -0.45, EYE_Y + 0.275 + brow, 0.5);
  setPoint(p, 334, 0.45, EYE_Y + 0.275 + brow, 0.5);
  setPoint(p, 70, -0.64, EYE_Y + 0.185 + brow, 0.32);
  setPoint(p, 300, 0.64, EYE_Y + 0.185 + brow, 0.32);
  return p;
}

/** Metric (image heights) position of the head pivot. */
function headPivot(st: PerformerState): [number, number] {
  const sw = st.shoulderWidth;
  return [st.x * st.aspect + st.headDx * sw, st.y - MODEL.headPivotAbove * sw + st.headDy * sw];
}

/** 478 x (x, y, z) face landmarks. */
export function renderFace(st: PerformerState): Float32Array {
  const p = expressionPoints(st);
  const out = new Float32Array(478 * 3);
  const iod = MODEL.iodPerShoulderWidth * st.shoulderWidth;
  const [pivX, pivY] = headPivot(st);
  const cp = Math.cos(st.pitch), sp = Math.sin(st.pitch);
  const cy = Math.cos(st.yaw), sy = Math.sin(st.yaw);
  const cr = Math.cos(st.roll), sr = Math.sin(st.roll);
  for (let i = 0; i < 478; i++) {
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
  const b = new Float32Array(52);
  const smile = clamp(st.smile, -1, 1);
  const brow = clamp(st.browRaise, -1, 1);
  const eye = clamp(st.eyeOpenness, 0, 1);
  b[0] = 1 - Math.min(1, Math.abs(smile) + st.mouthOpen); // _neutral
  b[1] = b[2] = Math.max(0, -brow); // browDownLeft/Right
  b[3] = Math.max(0, brow); // browInnerUp
  b[4] = b[5] = Math.max(0, brow); // browOuterUpLeft/Right
  b[9] = b[10] = clamp((0.5 - eye) / 0.5, 0, 1); // eyeBlinkLeft/Right
  b[21] = b[22] = clamp((eye - 0.5) / 0.5, 0, 1); // eyeWideLeft/Right
  b[25] = clamp(st.mouthOpen, 0, 1); // jawOpen
  b[30] = b[31] = Math.max(0, -smile); // mouthFrownLeft/Right
  b[44] = b[45] = Math.max(0, smile); // mouthSmileLeft/Right
  return b;
}

/** Torso lengths above the hips for a handHeight value (inverse of the server's mapping). */
function handLift(h: number): number {
  const v = clamp(h, 0, 1);
  return v <= 0.5 ? 2 * v : 1 + ((v - 0.5) / 0.5) * (MODEL.aboveHeadTorsos - 1);
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

/** 33 x (x, y, z, visibility) BlazePose landmarks. */
export function renderPose(st: PerformerState, face: Float32Array | null = null): Float32Array {
  const out = new Float32Array(33 * 4);
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
  // head points from the face mesh
  fromFace(0, 1); // nose
  fromFace(1, 362); // left eye inner
  set(2, 0.5 * (f[3 * 362] + f[3 * 263]) * a, 0.5 * (f[3 * 362 + 1] + f[3 * 263 + 1]), 0); // left eye
  fromFace(3, 263); // left eye outer
  fromFace(4, 133); // right eye inner
  set(5, 0.5 * (f[3 * 133] + f[3 * 33]) * a, 0.5 * (f[3 * 133 + 1] + f[3 * 33 + 1]), 0); // right eye
  fromFace(6, 33); // right eye outer
  fromFace(7, 454); // left ear (cheek contour stands in)
  fromFace(8, 234); // right ear
  fromFace(9, 291); // mouth left
  fromFace(10, 61); // mouth right
  // torso
  const shY = st.y;
  set(11, cx + 0.5 * sw, shY, 0); // left shoulder
  set(12, cx - 0.5 * sw, shY, 0); // right shoulder
  const hipY = shY + torso;
  set(23, cx + 0.5 * MODEL.hipSpread * sw, hipY, 0); // left hip
  set(24, cx - 0.5 * MODEL.hipSpread * sw, hipY, 0); // right hip
  // arms
  const [lx, ly, rx, ry] = wristPositions(st);
  const wv = st.wristVisibility;
  set(15, lx, ly, -0.1, wv);
  set(16, rx, ry, -0.1, wv);
  set(13, 0.5 * (cx + 0.5 * sw + lx) + 0.15 * sw, 0.5 * (shY + ly), -0.05); // left elbow
  set(14, 0.5 * (cx - 0.5 * sw + rx) - 0.15 * sw, 0.5 * (shY + ry), -0.05); // right elbow
  // hands: pinky 17/18, index 19/20, thumb 21/22 around the wrists
  const hand = 0.12 * sw;
  set(17, lx + 0.3 * hand, ly + hand, -0.1, wv);
  set(18, rx - 0.3 * hand, ry + hand, -0.1, wv);
  set(19, lx, ly + 1.2 * hand, -0.1, wv);
  set(20, rx, ry + 1.2 * hand, -0.1, wv);
  set(21, lx - 0.4 * hand, ly + 0.6 * hand, -0.1, wv);
  set(22, rx + 0.4 * hand, ry + 0.6 * hand, -0.1, wv);
  // legs
  const kneeY = hipY + 1.6 * sw;
  const ankleY = kneeY + 1.6 * sw;
  set(25, cx + 0.3 * sw, kneeY, 0);
  set(26, cx - 0.3 * sw, kneeY, 0);
  set(27, cx + 0.3 * sw, ankleY, 0);
  set(28, cx - 0.3 * sw, ankleY, 0);
  set(29, cx + 0.3 * sw, ankleY + 0.1 * sw, 0);
  set(30, cx - 0.3 * sw, ankleY + 0.1 * sw, 0);
  set(31, cx + 0.4 * sw, ankleY + 0.2 * sw, 0);
  set(32, cx - 0.4 * sw, ankleY + 0.2 * sw, 0);
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
    c.headYaw = clamp(st.yaw / MODEL.yawFull, -1, 1);
    c.headPitch = clamp(st.pitch / MODEL.pitchFull, -1, 1);
    c.headRoll = clamp(st.roll / MODEL.rollFull, -1, 1);
  }
  if (st.bodyVisible && st.wristVisibility >= 0.5) {
    c.handHeight = 0.5 * (clamp(st.leftHandHeight, 0, 1) + clamp(st.rightHandHeight, 0, 1));
    const [lx, ly, rx, ry] = wristPositions(st);
    const d = Math.hypot(lx - rx, ly - ry) / st.shoulderWidth;
    c.armOpenness = clamp((d - MODEL.wristSpreadFolded) / (MODEL.wristSpreadWide - MODEL.wristSpreadFolded), 0, 1);
  }
  c.presence = st.faceVisible || st.bodyVisible ? 1 : 0;
  return c;
}
