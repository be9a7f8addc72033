/**
 * Pins the harness's synthetic body model to the server's feature geometry
 * (protocol/featureGeometry.ts): a performer at rest reads as NEUTRAL, the model's proportions
 * are the ones the server assumes, and each calibration end maps to its control's range end.
 * A change to either side that makes synthetic performers lie to the control tests fails here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEUTRAL } from '../../../protocol/controlVector.js';
import { BODY_GEOMETRY, FACE_GEOMETRY } from '../../../protocol/featureGeometry.js';
import { createFaceFeatures, createPoseFeatures, faceFeatures, poseFeatures } from '../../../server/controls/features.js';
import { renderFace, renderPose, restState, type PerformerState } from '../../../harness/performers/bodyModel.js';

const ASPECT = 4 / 3;
const CLOSE = 1e-3;

function read(change: Partial<PerformerState>) {
  const st = { ...restState(), aspect: ASPECT, ...change };
  const face = faceFeatures(renderFace(st), ASPECT, createFaceFeatures());
  const pose = poseFeatures(renderPose(st), ASPECT, 0.5, BODY_GEOMETRY.torsoRatioDefault, createPoseFeatures());
  assert.ok(face.valid && pose.bodyValid, `${JSON.stringify(change)} is readable`);
  return { st, face, pose };
}

function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < CLOSE, `${what}: ${actual}, expected ${expected}`);
}

test('a synthesised performer at rest reads as NEUTRAL on every face control and hands at the hips', { timeout: 10_000 }, () => {
  const { face, pose } = read({});
  for (const key of ['valence', 'mouthOpen', 'browRaise', 'eyeOpenness', 'headYaw', 'headPitch', 'headRoll'] as const) {
    near(face[key], NEUTRAL[key], key);
  }
  near(pose.handHeight, 0, 'handHeight (hands at the hips)');
});

test('the body model has the proportions the server assumes (face size per shoulder width, torso ratio)', { timeout: 10_000 }, () => {
  const { face, pose, st } = read({});
  near(face.scale / st.shoulderWidth, BODY_GEOMETRY.iodPerShoulderWidth, 'inter-ocular distance / shoulder width');
  assert.ok(pose.hipsValid, 'the hips are in the picture');
  near(pose.measuredTorsoRatio, BODY_GEOMETRY.torsoRatioDefault, 'torso ratio');
});

test('each calibration end maps to its control range end', { timeout: 10_000 }, () => {
  near(read({ mouthOpen: 1 }).face.mouthOpen, 1, 'wide-open mouth');
  near(read({ smile: 1 }).face.valence, 1, 'full smile');
  near(read({ smile: -1 }).face.valence, -1, 'full frown');
  near(read({ browRaise: 1 }).face.browRaise, 1, 'brows raised');
  near(read({ eyeOpenness: 0 }).face.eyeOpenness, 0, 'eyes closed');
  near(read({ eyeOpenness: 1 }).face.eyeOpenness, 1, 'eyes wide');
  near(read({ yaw: FACE_GEOMETRY.yawFull / 2 }).face.headYaw, 0.5, 'half of the full yaw');
  near(read({ leftHandHeight: 1, rightHandHeight: 1 }).pose.handHeight, 1, 'hands above the head');
  near(read({ wristSpread: BODY_GEOMETRY.wristSpreadFolded }).pose.armOpenness, 0, 'arms folded');
  near(read({ wristSpread: BODY_GEOMETRY.wristSpreadWide }).pose.armOpenness, 1, 'arms spread wide');
});
