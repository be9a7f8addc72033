/**
 * The mutable state of one control pipeline: filters, glides, beat tracker, envelopes and the
 * output, everything a frame changes. It is snapshotted before each frame of the reorder window
 * and restored when a late frame is replayed, so reset and copy must cover every field: both
 * are generated from the one field list below, and a new field is one entry there.
 */
import { CONTROL_NAMES, CONTROL_SIZE, NEUTRAL } from '../../protocol/controlVector.js';
import { BODY_GEOMETRY } from '../../protocol/featureGeometry.js';
import { FACE_USED_INDICES, POSE_ELBOW_INDICES, POSE_HEAD_TORSO_INDICES, POSE_WRIST_INDICES } from '../../protocol/landmarkLayout.js';
import type { Milliseconds } from '../../protocol/units.js';
import { BeatTracker } from './beatTracker.js';
import { FEATURE_CONTROLS, GROUPS, POSE_POINTS } from './controlGroups.js';
import { OneEuroFilter } from './oneEuroFilter.js';
import { PresenceGlide } from './presenceGlide.js';
import type { ControlTrackerOptions } from './trackerOptions.js';

/** Camera-rate tracking (ms between frames) assumed until frames have been seen. */
const TYPICAL_FRAME_INTERVAL_MS = 33;
/** A group is absent after this many frame intervals without a frame, ... */
const STALE_FRAME_INTERVALS = 3;
/** ... but never later than this (ms). */
export const MAX_STALE_AFTER_MS = 1500;
/** Weight of each new interval in the running mean. */
const FRAME_INTERVAL_SMOOTHING = 0.2;

/** How one field is made, reset and copied; reset and copy return the field's new value. */
interface FieldKind<T> {
  create(o: ControlTrackerOptions): T;
  reset(value: T): T;
  copy(into: T, from: T): T;
}

/** A number that resets to `initial`. */
function scalar(initial: number): FieldKind<number> {
  return { create: () => initial, reset: () => initial, copy: (_, from) => from };
}

/** A fixed-length array that resets to `initial` (one value for every element, or one per element). */
function array(length: number, initial: number | readonly number[]): FieldKind<Float64Array> {
  const reset = (a: Float64Array): Float64Array => {
    if (typeof initial === 'number') a.fill(initial);
    else a.set(initial);
    return a;
  };
  const copy = (into: Float64Array, from: Float64Array): Float64Array => {
    into.set(from);
    return into;
  };
  return { create: () => reset(new Float64Array(length)), reset, copy };
}

/** An object that resets and copies itself. */
function stateful<T extends { reset(): void; copyFrom(other: T): void }>(make: (o: ControlTrackerOptions) => T): FieldKind<T> {
  const reset = (v: T): T => {
    v.reset();
    return v;
  };
  const copy = (into: T, from: T): T => {
    into.copyFrom(from);
    return into;
  };
  return { create: make, reset, copy };
}

const NEUTRAL_VECTOR: readonly number[] = CONTROL_NAMES.map((n) => NEUTRAL[n]);

const FIELDS = {
  faceFilter: stateful((o) => new OneEuroFilter(FACE_USED_INDICES.length * 3, o.faceFilter)),
  torsoFilter: stateful((o) => new OneEuroFilter(POSE_HEAD_TORSO_INDICES.length * 2, o.torsoFilter)),
  elbowFilter: stateful((o) => new OneEuroFilter(POSE_ELBOW_INDICES.length * 2, o.elbowFilter)),
  wristFilter: stateful((o) => new OneEuroFilter(POSE_WRIST_INDICES.length * 2, o.wristFilter)),
  featureFilter: stateful((o) => new OneEuroFilter(FEATURE_CONTROLS.length, o.featureFilter)),
  groups: stateful((o) => new PresenceGlide(GROUPS, o.glideInMs, o.glideOutMs)),
  beat: stateful((o) => new BeatTracker({ ...o.beat, channels: 3 })),
  /** Live (pre-glide) value of every control. */
  live: array(CONTROL_SIZE, NEUTRAL_VECTOR),
  /** Output at yTime. */
  y: array(CONTROL_SIZE, NEUTRAL_VECTOR),
  /** Filtered metric (X, Y) of POSE_POINTS at prevPoseMs (NaN: none). */
  prevPose: array(POSE_POINTS.length * 2, 0),
  prevPoseMs: array(POSE_POINTS.length, NaN),
  /** Raw metric Y of the wrists (left, right) at prevWristMs. */
  prevWristY: array(2, 0),
  prevWristMs: array(2, NaN),
  /** Time of the newest processed frame (NaN before the first). */
  tLast: scalar(NaN),
  /** Running mean of the interval between frames (ms): slow trackers send fewer frames. */
  frameIntervalMs: scalar(TYPICAL_FRAME_INTERVAL_MS),
  yTime: scalar(NaN),
  /** Head motion source of the previous frame: 0 none, 1 face mesh, 2 pose nose. */
  headSource: scalar(0),
  headMs: scalar(NaN),
  headRawY: scalar(0),
  headFiltY: scalar(0),
  nodMeanSquare: scalar(0),
  nodMs: scalar(NaN),
  energyLevel: scalar(0),
  energyMs: scalar(NaN),
  torsoRatio: scalar(BODY_GEOMETRY.torsoRatioDefault),
  /** Filtered face size and shoulder width of the last frames that had them (speed units of the filters). */
  faceUnit: scalar(NaN),
  faceUnitMs: scalar(NaN),
  bodyUnit: scalar(NaN),
  bodyUnitMs: scalar(NaN),
  /** Write position of the output history at this state (rewound on replay). */
  histHead: scalar(0),
  histSize: scalar(0),
};

type Fields = typeof FIELDS;
type FieldName = keyof Fields;
const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

export type PipelineState = { [K in FieldName]: ReturnType<Fields[K]['create']> };

// One loop over the field list serves every field; the casts only erase the per-field type.
type AnyKind = FieldKind<unknown>;
type AnyState = Record<FieldName, unknown>;

export function createPipelineState(o: ControlTrackerOptions): PipelineState {
  const s = {} as AnyState;
  for (const name of FIELD_NAMES) s[name] = (FIELDS[name] as AnyKind).create(o);
  return s as PipelineState;
}

/** Back to the state before any frame. */
export function resetPipelineState(s: PipelineState): void {
  const a = s as AnyState;
  for (const name of FIELD_NAMES) a[name] = (FIELDS[name] as AnyKind).reset(a[name]);
}

/** `into` becomes an independent copy of `from`. */
export function copyPipelineState(into: PipelineState, from: PipelineState): void {
  const a = into as AnyState;
  const b = from as AnyState;
  for (const name of FIELD_NAMES) a[name] = (FIELDS[name] as AnyKind).copy(a[name], b[name]);
}

/**
 * No frame for this long and every group counts as absent: `staleAfterMs`, or a few frame
 * intervals when the client tracks slowly (a laptop at 5 fps must not flicker out between frames).
 */
export function staleAfterMs(o: ControlTrackerOptions, s: PipelineState): Milliseconds {
  return Math.max(o.staleAfterMs, Math.min(MAX_STALE_AFTER_MS, STALE_FRAME_INTERVALS * s.frameIntervalMs));
}

/** Updates the running mean of the frame interval with a frame at `t` after one at `s.tLast`. */
export function noteFrameInterval(s: PipelineState, t: Milliseconds): void {
  if (t > s.tLast) s.frameIntervalMs += FRAME_INTERVAL_SMOOTHING * (Math.min(t - s.tLast, MAX_STALE_AFTER_MS) - s.frameIntervalMs);
}
