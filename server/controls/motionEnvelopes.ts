/**
 * The motion envelopes of one frame: `nod` from the filtered vertical head velocity (RMS, in
 * inter-ocular distances per second) and `energy` from the filtered upper-body point speeds (in
 * shoulder widths per second), each an asymmetric one-pole level turned into [0, 1) by
 * 1 - exp(-max(0, level - deadzone) / scale). Also the raw vertical head velocity the beat
 * tracker listens to. Head motion comes from the face mesh, or the pose nose without a face.
 */
import { C } from '../../protocol/controlVector.js';
import { BODY_GEOMETRY } from '../../protocol/featureGeometry.js';
import { FACE, POSE } from '../../protocol/landmarkLayout.js';
import type { Milliseconds } from '../../protocol/units.js';
import { ENERGY_WEIGHTS, POSE_POINTS } from './controlGroups.js';
import type { LandmarkStage } from './landmarkStage.js';
import { staleAfterMs, type PipelineState } from './pipelineState.js';
import type { ControlTrackerOptions } from './trackerOptions.js';

/**
 * Whether a pose point lies inside the image. A real walker leaving the frame had the pose nose
 * guessed outside it, at visibility 0.8-0.9, jumping half the image height between frames: two
 * such jumps read as a beat.
 */
function insideImage(pose: Float32Array, i: number): boolean {
  const x = pose[4 * i];
  const y = pose[4 * i + 1];
  return x >= 0 && x <= 1 && y >= 0 && y <= 1;
}

export class MotionEnvelopes {
  private readonly options: Readonly<ControlTrackerOptions>;
  /** This frame's filtered landmarks and features. */
  private readonly stage: LandmarkStage;

  constructor(options: Readonly<ControlTrackerOptions>, stage: LandmarkStage) {
    this.options = options;
    this.stage = stage;
  }

  /** Vertical head motion: raw velocity for the beat tracker (velocities[0]), filtered velocity for `nod`. */
  head(
    s: PipelineState,
    face: Float32Array | null,
    pose: Float32Array | null,
    faceOk: boolean,
    bodyOk: boolean,
    t: Milliseconds,
    velocities: Float64Array,
  ): void {
    const o = this.options;
    const stage = this.stage;
    let source = 0;
    let rawY = 0;
    let filtY = 0;
    let scale = 1;
    if (faceOk && face !== null) {
      source = 1;
      rawY = face[3 * FACE.noseTip + 1];
      filtY = stage.ff.noseY;
      scale = stage.ff.scale;
    } else if (bodyOk && pose !== null && stage.poseVisible[0] === 1 && insideImage(pose, POSE.nose)) {
      source = 2;
      rawY = pose[4 * POSE.nose + 1];
      filtY = stage.poseFiltered[1];
      scale = BODY_GEOMETRY.iodPerShoulderWidth * stage.pf.shoulderWidth;
    }
    velocities[0] = 0;
    if (source === 0) {
      s.headSource = 0;
      s.headMs = NaN;
      return;
    }
    const dt = t - s.headMs;
    if (source === s.headSource && dt > 0 && dt <= o.maxVelocityGapMs) {
      const secs = dt / 1000;
      velocities[0] = (rawY - s.headRawY) / secs / scale;
      const v = (filtY - s.headFiltY) / secs / scale;
      if (!(t - s.nodMs <= staleAfterMs(o, s))) s.nodMeanSquare = 0;
      const v2 = v * v;
      const tau = v2 > s.nodMeanSquare ? o.nod.attackMs : o.nod.releaseMs;
      s.nodMeanSquare += (1 - Math.exp(-dt / tau)) * (v2 - s.nodMeanSquare);
      s.nodMs = t;
      const level = Math.sqrt(s.nodMeanSquare);
      s.live[C.nod] = 1 - Math.exp(-Math.max(0, level - o.nod.deadzone) / o.nod.scale);
    }
    s.headSource = source;
    s.headMs = t;
    s.headRawY = rawY;
    s.headFiltY = filtY;
  }

  /** Upper-body motion energy from filtered pose velocities, in shoulder widths per second. */
  energy(s: PipelineState, bodyOk: boolean, t: Milliseconds): void {
    const o = this.options;
    const stage = this.stage;
    if (!bodyOk) return;
    const sw = stage.pf.shoulderWidth;
    let sum = 0;
    let wsum = 0;
    let dtUsed = 0;
    for (let k = 0; k < POSE_POINTS.length; k++) {
      if (stage.poseVisible[k] === 0) {
        s.prevPoseMs[k] = NaN;
        continue;
      }
      const x = stage.poseFiltered[2 * k];
      const y = stage.poseFiltered[2 * k + 1];
      const dt = t - s.prevPoseMs[k];
      const w = ENERGY_WEIGHTS[k];
      if (dt > 0 && dt <= o.maxVelocityGapMs && w > 0) {
        const speed = Math.hypot(x - s.prevPose[2 * k], y - s.prevPose[2 * k + 1]) / (dt / 1000) / sw;
        sum += w * speed;
        wsum += w;
        dtUsed = dt;
      }
      s.prevPose[2 * k] = x;
      s.prevPose[2 * k + 1] = y;
      s.prevPoseMs[k] = t;
    }
    if (wsum === 0) return;
    if (!(t - s.energyMs <= staleAfterMs(o, s))) s.energyLevel = 0;
    const inst = sum / wsum;
    const tau = inst > s.energyLevel ? o.energy.attackMs : o.energy.releaseMs;
    s.energyLevel += (1 - Math.exp(-dtUsed / tau)) * (inst - s.energyLevel);
    s.energyMs = t;
    s.live[C.energy] = 1 - Math.exp(-Math.max(0, s.energyLevel - o.energy.deadzone) / o.energy.scale);
  }
}
