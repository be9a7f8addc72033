/**
 * The landmark stage of one frame: face and pose landmarks -> One Euro per landmark group (in
 * metric units: x scaled by the aspect ratio, speeds in face sizes or shoulder widths) ->
 * features (features.ts) -> One Euro per feature -> the live face and body controls. It also
 * measures the raw wrist velocities the beat tracker listens to, and keeps this frame's filtered
 * pose and feature results for the motion envelopes. Scratch is preallocated: nothing is
 * allocated per frame.
 */
import { C, CONTROL_RANGES } from '../../protocol/controlVector.js';
import { FACE_VALUES, POSE_VALUES } from '../../protocol/landmarkFrame.js';
import { FACE_USED_INDICES, POSE, POSE_ELBOW_INDICES, POSE_HEAD_TORSO_INDICES, POSE_WRIST_INDICES } from '../../protocol/landmarkLayout.js';
import { clamp } from '../../protocol/numbers.js';
import type { Milliseconds } from '../../protocol/units.js';
import { FACE_FEATURES, FEATURE_CONTROLS, K_LEFT_EYE_OUTER, K_RIGHT_EYE_OUTER, POSE_POINTS, WRISTS } from './controlGroups.js';
import {
  blendExpression,
  blendshapeFeatures,
  createBlendshapeFeatures,
  createFaceFeatures,
  createPoseFeatures,
  faceFeatures,
  poseFeatures,
} from './features.js';
import type { OneEuroFilter } from './oneEuroFilter.js';
import type { PipelineState } from './pipelineState.js';
import type { ControlTrackerOptions } from './trackerOptions.js';

const LO: readonly number[] = CONTROL_RANGES.map((r) => r[0]);
const HI: readonly number[] = CONTROL_RANGES.map((r) => r[1]);

export class LandmarkStage {
  /** This frame's face features (noseY and scale feed the nod envelope). */
  readonly ff = createFaceFeatures();
  /** This frame's pose features (shoulderWidth is the body's speed unit). */
  readonly pf = createPoseFeatures();
  /** Filtered metric (X, Y) of each POSE_POINTS entry in this frame. */
  readonly poseFiltered = new Float64Array(POSE_POINTS.length * 2);
  /** Whether each POSE_POINTS entry was visible (1) in this frame. */
  readonly poseVisible = new Uint8Array(POSE_POINTS.length);
  private readonly options: Readonly<ControlTrackerOptions>;
  private readonly bf = createBlendshapeFeatures();
  private readonly faceRaw = new Float64Array(FACE_USED_INDICES.length * 3);
  private readonly faceFilt = new Float64Array(FACE_USED_INDICES.length * 3);
  private readonly faceView = new Float32Array(FACE_VALUES);
  private readonly poseView = new Float32Array(POSE_VALUES);
  private readonly torsoIn = new Float64Array(POSE_HEAD_TORSO_INDICES.length * 2);
  private readonly torsoOut = new Float64Array(POSE_HEAD_TORSO_INDICES.length * 2);
  private readonly elbowIn = new Float64Array(POSE_ELBOW_INDICES.length * 2);
  private readonly elbowOut = new Float64Array(POSE_ELBOW_INDICES.length * 2);
  private readonly wristIn = new Float64Array(POSE_WRIST_INDICES.length * 2);
  private readonly wristOut = new Float64Array(POSE_WRIST_INDICES.length * 2);
  private readonly featIn = new Float64Array(FEATURE_CONTROLS.length);
  private readonly featOut = new Float64Array(FEATURE_CONTROLS.length);

  constructor(options: Readonly<ControlTrackerOptions>) {
    this.options = options;
  }

  /** Face landmarks -> filtered -> features -> live face controls. Returns whether the face is usable. */
  face(s: PipelineState, face: Float32Array | null, blendshapes: Float32Array | null, t: Milliseconds): boolean {
    const o = this.options;
    if (face === null || face.length < FACE_VALUES) return false;
    const aspect = o.aspectRatio;
    const raw = this.faceRaw;
    for (let k = 0; k < FACE_USED_INDICES.length; k++) {
      const i = FACE_USED_INDICES[k];
      const x = face[3 * i] * aspect;
      const y = face[3 * i + 1];
      const z = face[3 * i + 2] * aspect;
      if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) return false;
      raw[3 * k] = x;
      raw[3 * k + 1] = y;
      raw[3 * k + 2] = z;
    }
    // speeds in face sizes: the last filtered size, or this frame's raw one after a gap
    let unit = s.faceUnit;
    if (!(t - s.faceUnitMs <= o.faceFilter.maxGapMs)) {
      const a = 3 * K_RIGHT_EYE_OUTER;
      const b = 3 * K_LEFT_EYE_OUTER;
      unit = Math.hypot(raw[a] - raw[b], raw[a + 1] - raw[b + 1], raw[a + 2] - raw[b + 2]);
    }
    s.faceFilter.filter(t, raw, this.faceFilt, unit);
    const view = this.faceView;
    for (let k = 0; k < FACE_USED_INDICES.length; k++) {
      const i = FACE_USED_INDICES[k];
      view[3 * i] = this.faceFilt[3 * k] / aspect;
      view[3 * i + 1] = this.faceFilt[3 * k + 1];
      view[3 * i + 2] = this.faceFilt[3 * k + 2] / aspect;
    }
    const ff = faceFeatures(view, aspect, this.ff);
    if (!ff.valid) return false;
    s.faceUnit = ff.scale;
    s.faceUnitMs = t;
    blendExpression(ff, blendshapeFeatures(blendshapes, this.bf), o.blendshapeWeight);
    const fin = this.featIn;
    fin[0] = ff.valence;
    fin[1] = ff.mouthOpen;
    fin[2] = ff.browRaise;
    fin[3] = ff.eyeOpenness;
    fin[4] = ff.headYaw;
    fin[5] = ff.headPitch;
    fin[6] = ff.headRoll;
    s.featureFilter.filterRange(t, fin, this.featOut, 0, FACE_FEATURES);
    for (let k = 0; k < FACE_FEATURES; k++) {
      const c = FEATURE_CONTROLS[k];
      s.live[c] = clamp(this.featOut[k], LO[c], HI[c]);
    }
    return true;
  }

  /**
   * Pose landmarks -> filtered (visible points only) -> body features -> live body controls.
   * Writes the raw wrist velocities (shoulder widths / s, down = positive; 0 when unknown) into
   * velocities[1] and [2]. Returns whether the body is usable.
   */
  pose(s: PipelineState, pose: Float32Array | null, t: Milliseconds, velocities: Float64Array): boolean {
    const o = this.options;
    const pf = this.pf;
    velocities[1] = 0;
    velocities[2] = 0;
    if (pose === null || pose.length < POSE_VALUES) {
      pf.bodyValid = false;
      pf.handHeightValid = false;
      pf.armOpennessValid = false;
      s.prevPoseMs.fill(NaN);
      s.prevWristMs.fill(NaN);
      return false;
    }
    const aspect = o.aspectRatio;
    const thr = o.visibilityThreshold;
    const view = this.poseView;
    view.set(pose);
    const nTorso = POSE_HEAD_TORSO_INDICES.length;
    const nElbow = POSE_ELBOW_INDICES.length;
    // speeds in shoulder widths: the last filtered width, or this frame's raw one after a gap
    let unit = s.bodyUnit;
    if (!(t - s.bodyUnitMs <= o.torsoFilter.maxGapMs)) {
      const l = 4 * POSE.leftShoulder;
      const r = 4 * POSE.rightShoulder;
      unit = Math.hypot((pose[l] - pose[r]) * aspect, pose[l + 1] - pose[r + 1]);
    }
    for (let k = 0; k < POSE_POINTS.length; k++) {
      const i = POSE_POINTS[k];
      const x = pose[4 * i] * aspect;
      const y = pose[4 * i + 1];
      const vis = pose[4 * i + 3];
      const ok = vis >= thr && Number.isFinite(x) && Number.isFinite(y);
      this.poseVisible[k] = ok ? 1 : 0;
      if (!ok) continue;
      let filter: OneEuroFilter;
      let input: Float64Array;
      let output: Float64Array;
      let local: number;
      if (k < nTorso) {
        filter = s.torsoFilter; input = this.torsoIn; output = this.torsoOut; local = k;
      } else if (k < nTorso + nElbow) {
        filter = s.elbowFilter; input = this.elbowIn; output = this.elbowOut; local = k - nTorso;
      } else {
        filter = s.wristFilter; input = this.wristIn; output = this.wristOut; local = k - nTorso - nElbow;
      }
      input[2 * local] = x;
      input[2 * local + 1] = y;
      filter.filterRange(t, input, output, 2 * local, 2, unit);
      const fx = output[2 * local];
      const fy = output[2 * local + 1];
      this.poseFiltered[2 * k] = fx;
      this.poseFiltered[2 * k + 1] = fy;
      view[4 * i] = fx / aspect;
      view[4 * i + 1] = fy;
    }
    poseFeatures(view, aspect, thr, s.torsoRatio, pf);
    if (!pf.bodyValid) {
      s.prevPoseMs.fill(NaN);
      s.prevWristMs.fill(NaN);
      return false;
    }
    s.bodyUnit = pf.shoulderWidth;
    s.bodyUnitMs = t;
    if (pf.hipsValid) s.torsoRatio += 0.05 * (pf.measuredTorsoRatio - s.torsoRatio);
    const fin = this.featIn;
    fin[FACE_FEATURES] = pf.handHeight;
    fin[FACE_FEATURES + 1] = pf.armOpenness;
    if (pf.handHeightValid) {
      s.featureFilter.filterRange(t, fin, this.featOut, FACE_FEATURES, 1);
      s.live[C.handHeight] = clamp(this.featOut[FACE_FEATURES], 0, 1);
    }
    if (pf.armOpennessValid) {
      s.featureFilter.filterRange(t, fin, this.featOut, FACE_FEATURES + 1, 1);
      s.live[C.armOpenness] = clamp(this.featOut[FACE_FEATURES + 1], 0, 1);
    }
    const sw = pf.shoulderWidth;
    for (let w = 0; w < 2; w++) {
      const valid = w === 0 ? pf.leftWristValid : pf.rightWristValid;
      if (!valid || !(pose[4 * WRISTS[w] + 3] >= o.beatWristVisibility)) {
        s.prevWristMs[w] = NaN;
        continue;
      }
      const y = pose[4 * WRISTS[w] + 1];
      const dtw = t - s.prevWristMs[w];
      if (dtw > 0 && dtw <= o.maxVelocityGapMs) velocities[1 + w] = (y - s.prevWristY[w]) / (dtw / 1000) / sw;
      s.prevWristY[w] = y;
      s.prevWristMs[w] = t;
    }
    return true;
  }
}
