/**
 * The calibration of the server's control features (server/controls/features.ts): what a
 * neutral, a closed, a wide face or body measures. It lives in protocol/ because the harness
 * draws its synthetic performers from the same numbers (harness/performers/bodyModel.ts), so a
 * synthetic neutral face reads back as neutral; test/harness/performers/bodyGeometry.test.ts pins that.
 */

/** Calibration of the geometric face features, in inter-ocular units (iod). */
export const FACE_GEOMETRY = Object.freeze({
  /** Inner-lip gap (13-14, along up) of a closed mouth and of a wide-open one. */
  mouthGapClosed: 0.05,
  mouthGapOpen: 0.45,
  /** Mouth-corner lift above the inner-lip centre for a neutral mouth, and the extra lift of a full smile (drop of a full frown). */
  cornerLiftNeutral: -0.01,
  cornerLiftFull: 0.08,
  /** Mean brow height (105/70 and 334/300 above each eye's corner midpoint) at rest, and the change for full raise/furrow. */
  browHeightNeutral: 0.23,
  browHeightRange: 0.08,
  /** Eye aspect ratio (lid gap / eye width): closed, relaxed (-> 0.5), wide open (-> 1). */
  eyeRatioClosed: 0.03,
  eyeRatioRelaxed: 0.25,
  eyeRatioWide: 0.4,
  /** Head angles (radians) that map to +-1. */
  yawFull: Math.PI / 4,
  pitchFull: Math.PI / 6,
  rollFull: Math.PI / 6,
});

/** Calibration of the body features, in shoulder widths (sw). */
export const BODY_GEOMETRY = Object.freeze({
  /** Vertical shoulder-to-hip distance / shoulder width, used while the hips are not visible. */
  torsoRatioDefault: 1.3,
  /** Sanity bounds on a measured torso ratio (outside: the hips are misdetected, ignore them). */
  torsoRatioMin: 0.6,
  torsoRatioMax: 2.5,
  /** A wrist this many torso lengths above the hips is "above the head" (handHeight 1). */
  aboveHeadTorsos: 1.8,
  /** Wrist-to-wrist distance of folded arms (armOpenness 0) and of arms spread wide (1). */
  wristSpreadFolded: 0.5,
  wristSpreadWide: 3.0,
  /** Inter-ocular distance / shoulder width of an adult (scales head motion when only the pose nose is seen). */
  iodPerShoulderWidth: 0.23,
});
