/**
 * The MediaPipe landmark layout, shared by the browser client (which packs MediaPipe results),
 * the server (whose features read named points) and the harness (which draws synthetic
 * performers): how many points each model gives, and the indices that matter, named.
 *
 * Face: MediaPipe Face Mesh topology (468 mesh points + 10 iris points = 478), as in
 * mediapipe/modules/face_geometry/data/canonical_face_model.obj and the face-mesh
 * connection lists (FACEMESH_LIPS, FACEMESH_LEFT_EYE, ...). "Right"/"left" are the
 * performer's own sides: in an unmirrored camera image the performer's right eye (33, 133,
 * 159, 145) appears on the image's left (smaller x).
 *
 * Pose: BlazePose 33-point topology (MediaPipe Pose Landmarker), where odd indices from 11 on
 * are the performer's left side.
 *
 * Blendshapes: MediaPipe Face Landmarker's 52 categories, in its output order: `_neutral`
 * followed by the 51 ARKit names in alphabetical order (ARKit's 52nd, tongueOut, is not
 * produced). Written from the MediaPipe model card and checked against several public lists
 * of the MediaPipe category order.
 */

/** Face landmarks from MediaPipe's face landmarker: 468 mesh points, then 10 iris points. */
export const FACE_LANDMARK_COUNT = 478;
/** Mesh points before the iris points. */
export const FACE_MESH_COUNT = 468;
/** First of the five iris points (centre, then four around it) of each eye, performer's sides. */
export const RIGHT_IRIS_FIRST = 468;
export const LEFT_IRIS_FIRST = 473;
/** Blendshape scores from MediaPipe's face landmarker (ARKit-style, BLENDSHAPE_NAMES order). */
export const BLENDSHAPE_COUNT = 52;
/** Pose landmarks from MediaPipe's pose landmarker (BlazePose topology). */
export const POSE_LANDMARK_COUNT = 33;

/** Face mesh landmark indices. */
export const FACE = Object.freeze({
  /** Tip of the nose. */
  noseTip: 1,
  /** Top of the forehead on the midline (top of the mesh). */
  forehead: 10,
  /** Bottom of the chin on the midline. */
  chin: 152,
  /** Mouth corners (performer's right, left). */
  mouthCornerRight: 61,
  mouthCornerLeft: 291,
  /** Inner lips on the midline: upper lip bottom edge, lower lip top edge. */
  upperLipInner: 13,
  lowerLipInner: 14,
  /** Right eye: outer corner, inner corner, upper lid, lower lid. */
  rightEyeOuter: 33,
  rightEyeInner: 133,
  rightUpperLid: 159,
  rightLowerLid: 145,
  /** Left eye: outer corner, inner corner, upper lid, lower lid. */
  leftEyeOuter: 263,
  leftEyeInner: 362,
  leftUpperLid: 386,
  leftLowerLid: 374,
  /** Brows: mid-brow upper edge and outer brow, each side. */
  rightBrowMid: 105,
  leftBrowMid: 334,
  rightBrowOuter: 70,
  leftBrowOuter: 300,
  /** Cheek contour (face-oval extremes at cheek height). */
  rightCheek: 234,
  leftCheek: 454,
} as const);

/** Every face index the server's features read, in a fixed order (its tracker filters only these). */
export const FACE_USED_INDICES: readonly number[] = Object.freeze([
  FACE.noseTip, FACE.forehead, FACE.chin,
  FACE.mouthCornerRight, FACE.mouthCornerLeft, FACE.upperLipInner, FACE.lowerLipInner,
  FACE.rightEyeOuter, FACE.rightEyeInner, FACE.rightUpperLid, FACE.rightLowerLid,
  FACE.leftEyeOuter, FACE.leftEyeInner, FACE.leftUpperLid, FACE.leftLowerLid,
  FACE.rightBrowMid, FACE.leftBrowMid, FACE.rightBrowOuter, FACE.leftBrowOuter,
  FACE.rightCheek, FACE.leftCheek,
]);

/** Pose (BlazePose) landmark indices, all 33. */
export const POSE = Object.freeze({
  nose: 0,
  leftEyeInner: 1,
  leftEye: 2,
  leftEyeOuter: 3,
  rightEyeInner: 4,
  rightEye: 5,
  rightEyeOuter: 6,
  leftEar: 7,
  rightEar: 8,
  mouthLeft: 9,
  mouthRight: 10,
  leftShoulder: 11,
  rightShoulder: 12,
  leftElbow: 13,
  rightElbow: 14,
  leftWrist: 15,
  rightWrist: 16,
  leftPinky: 17,
  rightPinky: 18,
  leftIndex: 19,
  rightIndex: 20,
  leftThumb: 21,
  rightThumb: 22,
  leftHip: 23,
  rightHip: 24,
  leftKnee: 25,
  rightKnee: 26,
  leftAnkle: 27,
  rightAnkle: 28,
  leftHeel: 29,
  rightHeel: 30,
  leftFootIndex: 31,
  rightFootIndex: 32,
} as const);

/** Pose points the server's tracker filters, grouped by filter parameters. */
export const POSE_HEAD_TORSO_INDICES: readonly number[] = Object.freeze([
  POSE.nose, POSE.leftShoulder, POSE.rightShoulder, POSE.leftHip, POSE.rightHip,
]);
export const POSE_ELBOW_INDICES: readonly number[] = Object.freeze([POSE.leftElbow, POSE.rightElbow]);
export const POSE_WRIST_INDICES: readonly number[] = Object.freeze([POSE.leftWrist, POSE.rightWrist]);

/** The 52 blendshape names in MediaPipe's output order (index = position). */
export const BLENDSHAPE_NAMES = Object.freeze([
  '_neutral', //          0
  'browDownLeft', //      1
  'browDownRight', //     2
  'browInnerUp', //       3
  'browOuterUpLeft', //   4
  'browOuterUpRight', //  5
  'cheekPuff', //         6
  'cheekSquintLeft', //   7
  'cheekSquintRight', //  8
  'eyeBlinkLeft', //      9
  'eyeBlinkRight', //     10
  'eyeLookDownLeft', //   11
  'eyeLookDownRight', //  12
  'eyeLookInLeft', //     13
  'eyeLookInRight', //    14
  'eyeLookOutLeft', //    15
  'eyeLookOutRight', //   16
  'eyeLookUpLeft', //     17
  'eyeLookUpRight', //    18
  'eyeSquintLeft', //     19
  'eyeSquintRight', //    20
  'eyeWideLeft', //       21
  'eyeWideRight', //      22
  'jawForward', //        23
  'jawLeft', //           24
  'jawOpen', //           25
  'jawRight', //          26
  'mouthClose', //        27
  'mouthDimpleLeft', //   28
  'mouthDimpleRight', //  29
  'mouthFrownLeft', //    30
  'mouthFrownRight', //   31
  'mouthFunnel', //       32
  'mouthLeft', //         33
  'mouthLowerDownLeft', // 34
  'mouthLowerDownRight', // 35
  'mouthPressLeft', //    36
  'mouthPressRight', //   37
  'mouthPucker', //       38
  'mouthRight', //        39
  'mouthRollLower', //    40
  'mouthRollUpper', //    41
  'mouthShrugLower', //   42
  'mouthShrugUpper', //   43
  'mouthSmileLeft', //    44
  'mouthSmileRight', //   45
  'mouthStretchLeft', //  46
  'mouthStretchRight', // 47
  'mouthUpperUpLeft', //  48
  'mouthUpperUpRight', // 49
  'noseSneerLeft', //     50
  'noseSneerRight', //    51
] as const);

export type BlendshapeName = (typeof BLENDSHAPE_NAMES)[number];

/** Index of each blendshape, e.g. `BS.jawOpen` (25). */
export const BS: Readonly<Record<BlendshapeName, number>> = Object.freeze(
  Object.fromEntries(BLENDSHAPE_NAMES.map((name, i) => [name, i])) as Record<BlendshapeName, number>,
);
