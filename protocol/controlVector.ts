/**
 * Control vector v1: what the performer's face and body say, reduced to a small, documented,
 * versioned vector. Generators consume it (a pack's manifest names the version and size).
 * It travels in controls snapshots (protocol) and is computed in server/controls (see its README
 * for how each entry is derived from landmarks).
 */

export const CONTROL_VERSION = 1;

/** Names in index order. Never reorder: packs are trained on these indices. */
export const CONTROL_NAMES = [
  'valence', //       [-1, 1]  frown (-1) .. neutral (0) .. smile (+1)
  'mouthOpen', //     [0, 1]   closed .. wide open
  'browRaise', //     [-1, 1]  furrowed .. neutral .. raised
  'eyeOpenness', //   [0, 1]   closed .. wide open (0.5 ~ relaxed)
  'headYaw', //       [-1, 1]  turned left .. right (+-1 ~ 45 degrees)
  'headPitch', //     [-1, 1]  down .. up (+-1 ~ 30 degrees)
  'headRoll', //      [-1, 1]  tilted left .. right (+-1 ~ 30 degrees)
  'nod', //           [0, 1]   energy of vertical head motion
  'energy', //        [0, 1]   upper-body motion energy (arousal)
  'handHeight', //    [0, 1]   hands at hips (0) .. shoulders (0.5) .. above head (1)
  'armOpenness', //   [0, 1]   arms folded in (0) .. spread wide (1)
  'beatStrength', //  [0, 1]   how periodic the motion is (confidence of the beat tracker)
  'beatPhase', //     [0, 1)   phase of the motion beat at this instant (0 = on the beat)
  'tempo', //         [60, 180] BPM of the motion beat (held at the last estimate, 100 if none yet)
  'presence', //      [0, 1]   is a performer there (glides, never jumps)
] as const;

export type ControlName = (typeof CONTROL_NAMES)[number];
export const CONTROL_SIZE = CONTROL_NAMES.length;

/** Index of each control, e.g. `C.energy`. */
export const C: Readonly<Record<ControlName, number>> = Object.freeze(
  Object.fromEntries(CONTROL_NAMES.map((name, i) => [name, i])) as Record<ControlName, number>,
);

/** [min, max] of each control, in index order. */
export const CONTROL_RANGES: readonly (readonly [number, number])[] = [
  [-1, 1], [0, 1], [-1, 1], [0, 1], [-1, 1], [-1, 1], [-1, 1], [0, 1],
  [0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [60, 180], [0, 1],
];

/** Where controls rest when nobody is there (and where they glide to when the performer leaves). */
export const NEUTRAL: Readonly<Record<ControlName, number>> = Object.freeze({
  valence: 0,
  mouthOpen: 0,
  browRaise: 0,
  eyeOpenness: 0.5,
  headYaw: 0,
  headPitch: 0,
  headRoll: 0,
  nod: 0,
  energy: 0,
  handHeight: 0.2,
  armOpenness: 0.3,
  beatStrength: 0,
  beatPhase: 0,
  tempo: 100,
  presence: 0,
});

/** A control vector: CONTROL_SIZE floats in index order. */
export type ControlVector = Float32Array;

export function neutralControls(): ControlVector {
  return Float32Array.from(CONTROL_NAMES, (name) => NEUTRAL[name]);
}

/** A copy of `v` in which every non-finite entry reads as neutral (what generators may keep and feed). */
export function finiteControls(v: ArrayLike<number>): ControlVector {
  const out = Float32Array.from(v);
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i]!)) out[i] = NEUTRAL[CONTROL_NAMES[i]!] ?? 0;
  return out;
}

/** A plain object view, for JSON snapshots and logs. */
export function controlsToRecord(v: ControlVector): Record<ControlName, number> {
  return Object.fromEntries(CONTROL_NAMES.map((name, i) => [name, v[i] ?? 0])) as Record<ControlName, number>;
}
