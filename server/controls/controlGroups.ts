/**
 * Which landmark group feeds which control, and the fixed index lists the pipeline stages share:
 * the filtered face and pose points, the feature-filter elements, the controls 'extrapolate'
 * continues. A group (face, body, hands, both hands, anyone) that goes missing glides its
 * controls to NEUTRAL (presenceGlide.ts).
 */
import { C, CONTROL_NAMES } from '../../protocol/controlVector.js';
import { FACE, FACE_USED_INDICES, POSE, POSE_ELBOW_INDICES, POSE_HEAD_TORSO_INDICES, POSE_WRIST_INDICES } from '../../protocol/landmarkLayout.js';

export const G_FACE = 0;
export const G_BODY = 1;
export const G_HANDS = 2;
export const G_SPREAD = 3;
export const G_ANY = 4;
export const GROUPS = 5;

/** Group of each control (index order); -1: special (presence, beatPhase). */
export const CONTROL_GROUP: readonly number[] = CONTROL_NAMES.map((name) => {
  switch (name) {
    case 'valence': case 'mouthOpen': case 'browRaise': case 'eyeOpenness':
    case 'headYaw': case 'headPitch': case 'headRoll':
      return G_FACE;
    case 'energy':
      return G_BODY;
    case 'handHeight':
      return G_HANDS;
    case 'armOpenness':
      return G_SPREAD;
    case 'nod': case 'beatStrength': case 'tempo':
      return G_ANY;
    case 'presence': case 'beatPhase':
      return -1;
  }
});

/** Feature-filter element -> control: the seven face features, then hand height and arm openness. */
export const FEATURE_CONTROLS: readonly number[] = [
  C.valence, C.mouthOpen, C.browRaise, C.eyeOpenness, C.headYaw, C.headPitch, C.headRoll, C.handHeight, C.armOpenness,
];
export const FACE_FEATURES = 7;

/** Controls that 'extrapolate' continues from their slope. */
export const SMOOTH_CONTROLS: readonly number[] = [
  C.valence, C.mouthOpen, C.browRaise, C.eyeOpenness, C.headYaw, C.headPitch, C.headRoll,
  C.nod, C.energy, C.handHeight, C.armOpenness,
];

/** Pose points filtered, in order: torso group, elbows, wrists. */
export const POSE_POINTS: readonly number[] = [...POSE_HEAD_TORSO_INDICES, ...POSE_ELBOW_INDICES, ...POSE_WRIST_INDICES];
/** Weight of each POSE_POINTS entry in the motion energy (hips 0: they barely move and are often unseen). */
export const ENERGY_WEIGHTS: readonly number[] = POSE_POINTS.map((i) =>
  i === POSE.leftWrist || i === POSE.rightWrist ? 2
    : i === POSE.leftElbow || i === POSE.rightElbow ? 1
      : i === POSE.leftHip || i === POSE.rightHip ? 0
        : 0.5,
);

/** Pose indices of the wrists whose raw velocities feed the beat tracker (left, right). */
export const WRISTS: readonly number[] = [POSE.leftWrist, POSE.rightWrist];
/** Positions of the outer eye corners in FACE_USED_INDICES (the face's speed unit). */
export const K_RIGHT_EYE_OUTER = FACE_USED_INDICES.indexOf(FACE.rightEyeOuter);
export const K_LEFT_EYE_OUTER = FACE_USED_INDICES.indexOf(FACE.leftEyeOuter);
