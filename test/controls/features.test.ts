import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  blendExpression,
  blendshapeFeatures,
  createBlendshapeFeatures,
  createFaceFeatures,
  createPoseFeatures,
  faceFeatures,
  poseFeatures,
} from '../../server/controls/features.js';
import { BLENDSHAPE_NAMES, BS } from '../../protocol/landmarkLayout.js';
import { renderBlendshapes, renderFace, renderPose, restState, stateControls, type PerformerState } from '../../harness/performers/bodyModel.js';

const ASPECT = 4 / 3;

function features(change: Partial<PerformerState>) {
  const st = { ...restState(), ...change };
  return {
    face: faceFeatures(renderFace(st), ASPECT, createFaceFeatures()),
    pose: poseFeatures(renderPose(st), ASPECT, 0.5, 1.3, createPoseFeatures()),
    truth: stateControls(st),
  };
}

test('blendshape order is MediaPipe\'s: _neutral, then the 51 ARKit names alphabetically', () => {
  assert.equal(BLENDSHAPE_NAMES.length, 52);
  assert.equal(BLENDSHAPE_NAMES[0], '_neutral');
  assert.deepEqual([...BLENDSHAPE_NAMES.slice(1)], [...BLENDSHAPE_NAMES.slice(1)].sort());
  assert.deepEqual(
    [BS.browDownLeft, BS.browInnerUp, BS.eyeBlinkLeft, BS.eyeBlinkRight, BS.jawOpen, BS.mouthFrownLeft, BS.mouthSmileLeft, BS.mouthSmileRight, BS.noseSneerRight],
    [1, 3, 9, 10, 25, 30, 44, 45, 51],
  );
});

test('geometry alone reads the performer back: expression, head pose, hands (to 1e-3)', () => {
  const cases: Partial<PerformerState>[] = [
    {},
    { smile: 1 }, { smile: -1 }, { smile: 0.5, mouthOpen: 0.6 },
    { mouthOpen: 1 }, { browRaise: 0.8 }, { browRaise: -0.6 },
    { eyeOpenness: 0 }, { eyeOpenness: 0.8 },
    { yaw: 0.4 }, { pitch: -0.3 }, { roll: 0.25 },
    { yaw: 0.3, pitch: 0.2, roll: -0.2, smile: 0.7, browRaise: 0.4 },
    { leftHandHeight: 1, rightHandHeight: 1 }, { leftHandHeight: 0.7, rightHandHeight: 0.2, wristSpread: 2.5 },
  ];
  for (const c of cases) {
    const { face, pose, truth } = features(c);
    const label = JSON.stringify(c);
    assert.ok(face.valid && pose.bodyValid, label);
    const got: Record<string, number> = {
      valence: face.valence, mouthOpen: face.mouthOpen, browRaise: face.browRaise, eyeOpenness: face.eyeOpenness,
      headYaw: face.headYaw, headPitch: face.headPitch, headRoll: face.headRoll,
      handHeight: pose.handHeight, armOpenness: pose.armOpenness,
    };
    for (const [name, v] of Object.entries(got)) {
      assert.ok(Math.abs(v - (truth[name] as number)) < 1e-3, `${label} ${name}: ${v} vs ${truth[name]}`);
    }
  }
});

test('scale invariance: the same performer at three distances and places reads the same (to 1e-3)', () => {
  const pose = { smile: 0.6, mouthOpen: 0.3, browRaise: 0.2, yaw: 0.2, pitch: -0.1, roll: 0.1, leftHandHeight: 0.6, rightHandHeight: 0.4, wristSpread: 2 };
  const near = features({ ...pose, shoulderWidth: 0.4, y: 0.5 });
  const mid = features({ ...pose, shoulderWidth: 0.25 });
  const far = features({ ...pose, shoulderWidth: 0.1, x: 0.3, y: 0.4 });
  assert.equal(near.pose.hipsValid, false, 'near: the hips are out of the picture (torso ratio fallback)');
  for (const key of ['valence', 'mouthOpen', 'browRaise', 'eyeOpenness', 'headYaw', 'headPitch', 'headRoll'] as const) {
    assert.ok(Math.abs(near.face[key] - far.face[key]) < 1e-3 && Math.abs(mid.face[key] - far.face[key]) < 1e-3, key);
  }
  for (const key of ['handHeight', 'armOpenness'] as const) {
    assert.ok(Math.abs(near.pose[key] - far.pose[key]) < 1e-3 && Math.abs(mid.pose[key] - far.pose[key]) < 1e-3, key);
  }
  assert.ok(Math.abs(near.face.scale / far.face.scale - 4) < 1e-3, 'the face scale itself does change');
});

test('blendshapes: their own reading, and the documented blend', () => {
  const st = { ...restState(), smile: 0.6, mouthOpen: 0.4, browRaise: -0.5, eyeOpenness: 0.8 };
  const b = blendshapeFeatures(renderBlendshapes(st), createBlendshapeFeatures());
  assert.ok(b.valid);
  assert.ok(Math.abs(b.valence - 0.6) < 1e-6 && Math.abs(b.mouthOpen - 0.4) < 1e-6);
  assert.ok(Math.abs(b.browRaise + 0.5) < 1e-6 && Math.abs(b.eyeOpenness - 0.8) < 1e-6);
  const face = faceFeatures(renderFace({ ...st, smile: 0.2 }), ASPECT, createFaceFeatures());
  blendExpression(face, b, 0.5);
  assert.ok(Math.abs(face.valence - 0.4) < 1e-3, `valence ${face.valence} = (0.2 + 0.6) / 2`);
  const invalid = blendshapeFeatures(new Float32Array(10), createBlendshapeFeatures());
  assert.equal(invalid.valid, false);
});

test('unusable input is flagged, never turned into numbers', () => {
  assert.equal(faceFeatures(null, ASPECT, createFaceFeatures()).valid, false);
  assert.equal(faceFeatures(new Float32Array(100), ASPECT, createFaceFeatures()).valid, false);
  const face = renderFace(restState());
  face[3 * 263] = NaN;
  assert.equal(faceFeatures(face, ASPECT, createFaceFeatures()).valid, false);
  assert.equal(faceFeatures(new Float32Array(478 * 3), ASPECT, createFaceFeatures()).valid, false, 'all zeros: degenerate');
  // low visibility wrists: hand features invalid, body still valid
  const pose = renderPose({ ...restState(), wristVisibility: 0.2 });
  const pf = poseFeatures(pose, ASPECT, 0.5, 1.3, createPoseFeatures());
  assert.equal(pf.bodyValid, true);
  assert.equal(pf.handHeightValid, false);
  assert.equal(pf.armOpennessValid, false);
  // low visibility shoulders: nothing measurable
  const hidden = renderPose({ ...restState(), visibility: 0.3 });
  assert.equal(poseFeatures(hidden, ASPECT, 0.5, 1.3, createPoseFeatures()).bodyValid, false);
});
