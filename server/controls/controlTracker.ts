/**
 * The per-session control pipeline: landmark frames in, control vector v1 out.
 *
 *   push(frame) -> order check (duplicate / stale / reordered) -> One Euro per landmark group
 *   -> features (features.ts) -> One Euro per feature -> live values
 *   -> presence glide (neutral + p (live - neutral)) -> rate limit -> output y, history
 *   current(now) / resample(now, step, count) / beat(now) read the output causally.
 *
 * Time. Everything inside runs on the client's capture clock (the performer's time), so
 * filters never see a clock correction. Server times are converted at the edges with the
 * offset from the ClockSync the tracker is given (local = remote + offset); until that has a
 * sample, with the smallest (arrival - capture) of the last 64 frames, which includes the
 * smallest one-way delay. `setClockOffset()` overrides both.
 *
 * Order. Frames are processed as they arrive (no buffering delay). The state before each of
 * the last `reorderFrames` frames is kept; a frame that arrives late but belongs between them
 * rewinds to that state and the frames are replayed in order, so the result is exactly what
 * in-order delivery would have given ('reordered'). Same seq as a recent frame: 'duplicate'.
 * Older than that window, not later in capture time than the newest with a higher seq, or
 * arrived more than `maxLatenessMs` after capture: 'stale', dropped. None of these touch
 * the filters.
 *
 * Absence. A group (face, body, hands, both hands, anyone) missing from a frame, or every
 * group once no frame came for `staleAfterMs`, glides its controls to NEUTRAL over
 * `glideOutMs` (smoothstep), and back to live values over `glideInMs` when it returns. On top,
 * every control except beatPhase moves at most `maxRatePerSecond` (so a return in mid-glide
 * cannot jump either). beatPhase free-runs at the last tempo and stops at 0 at its first wrap
 * after the glide-out ends.
 *
 * See README.md for every control, threshold and its reason.
 */
import {
  C,
  CONTROL_NAMES,
  CONTROL_RANGES,
  CONTROL_SIZE,
  NEUTRAL,
  type ControlName,
  type ControlVector,
} from '../../protocol/controlVector.js';
import { BLENDSHAPE_COUNT, FACE_LANDMARK_COUNT, POSE_LANDMARK_COUNT, type LandmarkFrame } from '../../protocol/landmarkTypes.js';
import type { FrameSeq, Milliseconds } from '../../protocol/units.js';
import { BeatTracker, type BeatTrackerOptions } from './beatTracker.js';
import type { ClockSync } from './clockSync.js';
import { ControlHistory } from './controlHistory.js';
import {
  BODY_GEOMETRY,
  blendExpression,
  blendshapeFeatures,
  clamp,
  createBlendshapeFeatures,
  createFaceFeatures,
  createPoseFeatures,
  faceFeatures,
  poseFeatures,
} from './features.js';
import { FACE, FACE_USED_INDICES, POSE, POSE_ELBOW_INDICES, POSE_HEAD_TORSO_INDICES, POSE_WRIST_INDICES } from './landmarkIndices.js';
import { OneEuroFilter, type OneEuroOptions } from './oneEuroFilter.js';
import { PresenceGlide } from './presenceGlide.js';

export type PushResult = 'accepted' | 'duplicate' | 'stale' | 'reordered';
export type ResampleMode = 'hold' | 'delayed-linear' | 'extrapolate';

export interface PredictedBeat {
  /** The next performer beat at or after `now`, on the server clock. */
  nextBeatServerMs: Milliseconds;
  periodMs: Milliseconds;
  /** The beatStrength control at `now`. */
  strength: number;
}

/** A level envelope: asymmetric one-pole smoothing, then 1 - exp(-max(0, level - deadzone) / scale). */
export interface EnvelopeOptions {
  attackMs: Milliseconds;
  releaseMs: Milliseconds;
  deadzone: number;
  scale: number;
}

export interface ControlTrackerOptions {
  /** Clock offset source (client -> server); null: arrival-based estimate only. */
  clock: ClockSync | null;
  /** Camera image width / height (MediaPipe x and y are normalised separately). */
  aspectRatio: number;
  /** Pose points below this visibility are not used. */
  visibilityThreshold: number;
  /** Weight of blendshape expression against geometry when blendshapes are present (0 = geometry only). */
  blendshapeWeight: number;
  /** One Euro on face landmarks; beta per (inter-ocular distance / s). */
  faceFilter: OneEuroOptions;
  /** One Euro on pose nose, shoulders and hips; beta per (shoulder width / s), as for elbows and wrists. */
  torsoFilter: OneEuroOptions;
  /** One Euro on pose elbows. */
  elbowFilter: OneEuroOptions;
  /** One Euro on pose wrists. */
  wristFilter: OneEuroOptions;
  /** One Euro on the features (control units), after the landmark filters. */
  featureFilter: OneEuroOptions;
  /** No frame for this long: every group counts as absent from then on. */
  staleAfterMs: Milliseconds;
  /** Glide from live values to NEUTRAL after a group disappears. */
  glideOutMs: Milliseconds;
  /** Glide from where the controls are to live values when a group (re)appears. */
  glideInMs: Milliseconds;
  /** Largest change per second of each control (beatPhase is not limited: it wraps). */
  maxRatePerSecond: Readonly<Record<ControlName, number>>;
  /** How many recent frames a late frame may still be inserted before (0 = drop anything older than the newest). */
  reorderFrames: number;
  /** A frame that arrives later than this after its capture (server clock) is stale. */
  maxLatenessMs: Milliseconds;
  /** Default mode of resample(). */
  resampleMode: ResampleMode;
  /** How much output history is kept for 'delayed-linear' replay. */
  historyMs: Milliseconds;
  /** 'extrapolate': slope measured over this much recent output. */
  extrapolationWindowMs: Milliseconds;
  /** 'extrapolate': never extrapolate further than this past the newest frame. */
  maxExtrapolationMs: Milliseconds;
  /** Beat tracker options (channels are fixed: head, left wrist, right wrist). */
  beat: Partial<BeatTrackerOptions>;
  /** beat() answers null below this beatStrength. */
  beatMinStrength: number;
  /** Upper-body motion energy, in shoulder widths per second. */
  energy: EnvelopeOptions;
  /** Vertical head motion, in inter-ocular distances per second (RMS). */
  nod: EnvelopeOptions;
  /** Velocities are not taken across gaps longer than this. */
  maxVelocityGapMs: Milliseconds;
}

type NestedKey =
  | 'faceFilter' | 'torsoFilter' | 'elbowFilter' | 'wristFilter' | 'featureFilter'
  | 'maxRatePerSecond' | 'beat' | 'energy' | 'nod';

/** Constructor options: any subset, nested groups merged key by key with the defaults. */
export type ControlTrackerInit = Partial<Omit<ControlTrackerOptions, NestedKey>> & {
  [K in NestedKey]?: Partial<ControlTrackerOptions[K]>;
};

// -- groups and the controls they feed ----------------------------------------------------

/** Camera-rate tracking (ms between frames) assumed until frames have been seen. */
const TYPICAL_FRAME_INTERVAL_MS = 33;
/** A group is absent after this many frame intervals without a frame, ... */
const STALE_FRAME_INTERVALS = 3;
/** ... but never later than this (ms). */
const MAX_STALE_AFTER_MS = 1500;
/** Weight of each new interval in the running mean. */
const FRAME_INTERVAL_SMOOTHING = 0.2;

const G_FACE = 0;
const G_BODY = 1;
const G_HANDS = 2;
const G_SPREAD = 3;
const G_ANY = 4;
const GROUPS = 5;

/** Group of each control (index order); -1: special (presence, beatPhase). */
const CONTROL_GROUP: readonly number[] = CONTROL_NAMES.map((name) => {
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

/** Feature-filter element -> control. */
const FEATURE_CONTROLS: readonly number[] = [
  C.valence, C.mouthOpen, C.browRaise, C.eyeOpenness, C.headYaw, C.headPitch, C.headRoll, C.handHeight, C.armOpenness,
];
const FACE_FEATURES = 7;

/** Controls that 'extrapolate' continues from their slope. */
const SMOOTH_CONTROLS: readonly number[] = [
  C.valence, C.mouthOpen, C.browRaise, C.eyeOpenness, C.headYaw, C.headPitch, C.headRoll,
  C.nod, C.energy, C.handHeight, C.armOpenness,
];

/** Pose points filtered, in order: torso group, elbows, wrists. */
const POSE_POINTS: readonly number[] = [...POSE_HEAD_TORSO_INDICES, ...POSE_ELBOW_INDICES, ...POSE_WRIST_INDICES];
/** Weight of each POSE_POINTS entry in the motion energy (hips 0: they barely move and are often unseen). */
const ENERGY_WEIGHTS: readonly number[] = POSE_POINTS.map((i) =>
  i === POSE.leftWrist || i === POSE.rightWrist ? 2
    : i === POSE.leftElbow || i === POSE.rightElbow ? 1
      : i === POSE.leftHip || i === POSE.rightHip ? 0
        : 0.5,
);

const WRISTS: readonly number[] = [POSE.leftWrist, POSE.rightWrist];
const K_RIGHT_EYE_OUTER = FACE_USED_INDICES.indexOf(FACE.rightEyeOuter);
const K_LEFT_EYE_OUTER = FACE_USED_INDICES.indexOf(FACE.leftEyeOuter);

/** Output substep while no frame comes (glides are followed at this resolution). */
const SUBSTEP_MS = 50;
const FALLBACK_OFFSET_WINDOW = 64;
const RECENT_SEQS = 64;
const FACE_VALUES = FACE_LANDMARK_COUNT * 3;
const POSE_VALUES = POSE_LANDMARK_COUNT * 4;

function mergeDefaults<T extends object>(defaults: T, partial: Partial<T> | undefined): T {
  return Object.freeze({ ...defaults, ...(partial ?? {}) });
}

// -- the mutable pipeline state (snapshotted for reorder replay) --------------------------

class PipelineState {
  readonly faceFilter: OneEuroFilter;
  readonly torsoFilter: OneEuroFilter;
  readonly elbowFilter: OneEuroFilter;
  readonly wristFilter: OneEuroFilter;
  readonly featureFilter: OneEuroFilter;
  readonly groups: PresenceGlide;
  readonly beat: BeatTracker;
  /** Live (pre-glide) value of every control. */
  readonly live = new Float64Array(CONTROL_SIZE);
  /** Output at yTime. */
  readonly y = new Float64Array(CONTROL_SIZE);
  /** Filtered metric (X, Y) of POSE_POINTS at prevPoseMs (NaN: none). */
  readonly prevPose = new Float64Array(POSE_POINTS.length * 2);
  readonly prevPoseMs = new Float64Array(POSE_POINTS.length);
  /** Raw metric Y of the wrists (left, right) at prevWristMs. */
  readonly prevWristY = new Float64Array(2);
  readonly prevWristMs = new Float64Array(2);
  /** Time of the newest processed frame (NaN before the first). */
  tLast = NaN;
  /** Running mean of the interval between frames (ms): slow trackers send fewer frames. */
  frameIntervalMs = TYPICAL_FRAME_INTERVAL_MS;
  yTime = NaN;
  /** Head motion source of the previous frame: 0 none, 1 face mesh, 2 pose nose. */
  headSource = 0;
  headMs = NaN;
  headRawY = 0;
  headFiltY = 0;
  nodMeanSquare = 0;
  nodMs = NaN;
  energyLevel = 0;
  energyMs = NaN;
  torsoRatio = BODY_GEOMETRY.torsoRatioDefault;
  /** Filtered face size and shoulder width of the last frames that had them (speed units of the filters). */
  faceUnit = NaN;
  faceUnitMs = NaN;
  bodyUnit = NaN;
  bodyUnitMs = NaN;
  histHead = 0;
  histSize = 0;

  constructor(o: ControlTrackerOptions) {
    this.faceFilter = new OneEuroFilter(FACE_USED_INDICES.length * 3, o.faceFilter);
    this.torsoFilter = new OneEuroFilter(POSE_HEAD_TORSO_INDICES.length * 2, o.torsoFilter);
    this.elbowFilter = new OneEuroFilter(POSE_ELBOW_INDICES.length * 2, o.elbowFilter);
    this.wristFilter = new OneEuroFilter(POSE_WRIST_INDICES.length * 2, o.wristFilter);
    this.featureFilter = new OneEuroFilter(FEATURE_CONTROLS.length, o.featureFilter);
    this.groups = new PresenceGlide(GROUPS, o.glideInMs, o.glideOutMs);
    this.beat = new BeatTracker({ ...o.beat, channels: 3 });
    this.reset();
  }

  reset(): void {
    this.faceFilter.reset();
    this.torsoFilter.reset();
    this.elbowFilter.reset();
    this.wristFilter.reset();
    this.featureFilter.reset();
    this.groups.reset();
    this.beat.reset();
    for (let i = 0; i < CONTROL_SIZE; i++) {
      const v = NEUTRAL[CONTROL_NAMES[i] as ControlName];
      this.live[i] = v;
      this.y[i] = v;
    }
    this.prevPoseMs.fill(NaN);
    this.prevWristMs.fill(NaN);
    this.tLast = NaN;
    this.frameIntervalMs = TYPICAL_FRAME_INTERVAL_MS;
    this.yTime = NaN;
    this.headSource = 0;
    this.headMs = NaN;
    this.nodMeanSquare = 0;
    this.nodMs = NaN;
    this.energyLevel = 0;
    this.energyMs = NaN;
    this.torsoRatio = BODY_GEOMETRY.torsoRatioDefault;
    this.faceUnit = NaN;
    this.faceUnitMs = NaN;
    this.bodyUnit = NaN;
    this.bodyUnitMs = NaN;
    this.histHead = 0;
    this.histSize = 0;
  }

  copyFrom(o: PipelineState): void {
    this.faceFilter.copyFrom(o.faceFilter);
    this.torsoFilter.copyFrom(o.torsoFilter);
    this.elbowFilter.copyFrom(o.elbowFilter);
    this.wristFilter.copyFrom(o.wristFilter);
    this.featureFilter.copyFrom(o.featureFilter);
    this.groups.copyFrom(o.groups);
    this.beat.copyFrom(o.beat);
    this.live.set(o.live);
    this.y.set(o.y);
    this.prevPose.set(o.prevPose);
    this.prevPoseMs.set(o.prevPoseMs);
    this.prevWristY.set(o.prevWristY);
    this.prevWristMs.set(o.prevWristMs);
    this.tLast = o.tLast;
    this.frameIntervalMs = o.frameIntervalMs;
    this.yTime = o.yTime;
    this.headSource = o.headSource;
    this.headMs = o.headMs;
    this.headRawY = o.headRawY;
    this.headFiltY = o.headFiltY;
    this.nodMeanSquare = o.nodMeanSquare;
    this.nodMs = o.nodMs;
    this.energyLevel = o.energyLevel;
    this.energyMs = o.energyMs;
    this.torsoRatio = o.torsoRatio;
    this.faceUnit = o.faceUnit;
    this.faceUnitMs = o.faceUnitMs;
    this.bodyUnit = o.bodyUnit;
    this.bodyUnitMs = o.bodyUnitMs;
    this.histHead = o.histHead;
    this.histSize = o.histSize;
  }
}

/** A retained copy of a processed frame (for replay). */
class FrameSlot {
  seq = 0;
  timeMs = 0;
  readonly face = new Float32Array(FACE_VALUES);
  readonly blendshapes = new Float32Array(BLENDSHAPE_COUNT);
  readonly pose = new Float32Array(POSE_VALUES);
  hasFace = false;
  hasBlendshapes = false;
  hasPose = false;

  copyFrom(frame: LandmarkFrame): void {
    this.seq = frame.seq;
    this.timeMs = frame.captureTimeMs;
    this.hasFace = frame.face !== null && frame.face.length === FACE_VALUES;
    if (this.hasFace) this.face.set(frame.face as Float32Array);
    this.hasBlendshapes = frame.blendshapes !== null && frame.blendshapes.length === BLENDSHAPE_COUNT;
    if (this.hasBlendshapes) this.blendshapes.set(frame.blendshapes as Float32Array);
    this.hasPose = frame.pose !== null && frame.pose.length === POSE_VALUES;
    if (this.hasPose) this.pose.set(frame.pose as Float32Array);
  }
}

export class ControlTracker {
  static getDefaults(): ControlTrackerOptions {
    return {
      clock: null,
      aspectRatio: 4 / 3,
      visibilityThreshold: 0.5,
      blendshapeWeight: 0.5,
      faceFilter: { minCutoff: 0.8, beta: 0.25, dCutoff: 1.0, maxGapMs: 300 },
      torsoFilter: { minCutoff: 0.8, beta: 0.75, dCutoff: 1.0, maxGapMs: 300 },
      elbowFilter: { minCutoff: 0.8, beta: 1.5, dCutoff: 1.0, maxGapMs: 300 },
      wristFilter: { minCutoff: 1.0, beta: 2.5, dCutoff: 1.0, maxGapMs: 300 },
      featureFilter: { minCutoff: 1.5, beta: 1, dCutoff: 1.0, maxGapMs: 300 },
      staleAfterMs: 300,
      glideOutMs: 1500,
      glideInMs: 500,
      maxRatePerSecond: {
        valence: 4, mouthOpen: 4, browRaise: 4, eyeOpenness: 4,
        headYaw: 4, headPitch: 4, headRoll: 4,
        nod: 3, energy: 4, handHeight: 5, armOpenness: 5,
        beatStrength: 3, beatPhase: Infinity, tempo: 120, presence: 4,
      },
      reorderFrames: 2,
      maxLatenessMs: 1000,
      resampleMode: 'hold',
      historyMs: 3000,
      extrapolationWindowMs: 100,
      maxExtrapolationMs: 300,
      beat: { minRms: 0.05 },
      beatMinStrength: 0.3,
      energy: { attackMs: 100, releaseMs: 600, deadzone: 0.1, scale: 1.5 },
      nod: { attackMs: 300, releaseMs: 600, deadzone: 0.2, scale: 0.8 },
      maxVelocityGapMs: 250,
    };
  }

  readonly options: Readonly<ControlTrackerOptions>;
  /** How many frames got each push result. */
  readonly counts: Record<PushResult, number> = { accepted: 0, duplicate: 0, stale: 0, reordered: 0 };

  private readonly s: PipelineState;
  private readonly history: ControlHistory;
  private readonly rates: Float64Array;
  /** After the glide-out, every rate-limited control is at NEUTRAL this much later (max range / rate). */
  private readonly settleMs: Milliseconds;
  private readonly neutral: Float64Array;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  // reorder window: a pool of reorderFrames + 1 frame slots and state snapshots
  private readonly slots: FrameSlot[];
  private readonly snapshots: PipelineState[];
  private order: number[] = [];
  // order bookkeeping
  private newestSeqValue: FrameSeq | null = null;
  private newestCaptureValue: Milliseconds | null = null;
  private readonly recentSeqs = new Float64Array(RECENT_SEQS).fill(NaN);
  private recentHead = 0;
  // clock
  private manualOffset: Milliseconds | null = null;
  private readonly arrivalDelays = new Float64Array(FALLBACK_OFFSET_WINDOW);
  private arrivalHead = 0;
  private arrivalCount = 0;
  private fallbackOffset = 0;
  // scratch (no allocation per frame)
  private readonly faceRaw: Float64Array;
  private readonly faceFilt: Float64Array;
  private readonly faceView = new Float32Array(FACE_VALUES);
  private readonly poseView = new Float32Array(POSE_VALUES);
  private readonly torsoIn = new Float64Array(POSE_HEAD_TORSO_INDICES.length * 2);
  private readonly torsoOut = new Float64Array(POSE_HEAD_TORSO_INDICES.length * 2);
  private readonly elbowIn = new Float64Array(POSE_ELBOW_INDICES.length * 2);
  private readonly elbowOut = new Float64Array(POSE_ELBOW_INDICES.length * 2);
  private readonly wristIn = new Float64Array(POSE_WRIST_INDICES.length * 2);
  private readonly wristOut = new Float64Array(POSE_WRIST_INDICES.length * 2);
  private readonly poseFiltered = new Float64Array(POSE_POINTS.length * 2);
  private readonly poseVisible = new Uint8Array(POSE_POINTS.length);
  private readonly featIn = new Float64Array(FEATURE_CONTROLS.length);
  private readonly featOut = new Float64Array(FEATURE_CONTROLS.length);
  private readonly velocities = new Float64Array(3);
  private readonly ff = createFaceFeatures();
  private readonly bf = createBlendshapeFeatures();
  private readonly pf = createPoseFeatures();
  private readonly weights = new Float64Array(GROUPS);
  private readonly evalY = new Float64Array(CONTROL_SIZE);
  private readonly evalPast = new Float64Array(CONTROL_SIZE);

  constructor(init: ControlTrackerInit = {}) {
    const d = ControlTracker.getDefaults();
    const o: ControlTrackerOptions = {
      ...d,
      ...init,
      faceFilter: mergeDefaults(d.faceFilter, init.faceFilter),
      torsoFilter: mergeDefaults(d.torsoFilter, init.torsoFilter),
      elbowFilter: mergeDefaults(d.elbowFilter, init.elbowFilter),
      wristFilter: mergeDefaults(d.wristFilter, init.wristFilter),
      featureFilter: mergeDefaults(d.featureFilter, init.featureFilter),
      maxRatePerSecond: mergeDefaults(d.maxRatePerSecond, init.maxRatePerSecond),
      beat: mergeDefaults(d.beat, init.beat),
      energy: mergeDefaults(d.energy, init.energy),
      nod: mergeDefaults(d.nod, init.nod),
      clock: init.clock ?? null,
    };
    if (!(o.aspectRatio > 0)) throw new RangeError(`aspectRatio must be > 0, but is ${o.aspectRatio}`);
    if (!Number.isInteger(o.reorderFrames) || o.reorderFrames < 0 || o.reorderFrames > 8) {
      throw new RangeError(`reorderFrames must be an integer in [0, 8], but is ${o.reorderFrames}`);
    }
    for (const t of ['staleAfterMs', 'glideOutMs', 'glideInMs', 'maxLatenessMs', 'historyMs'] as const) {
      if (!(o[t] > 0)) throw new RangeError(`${t} must be > 0, but is ${o[t]}`);
    }
    for (const name of CONTROL_NAMES) {
      if (!(o.maxRatePerSecond[name] > 0)) {
        throw new RangeError(`maxRatePerSecond.${name} must be > 0, but is ${o.maxRatePerSecond[name]}`);
      }
    }
    this.options = Object.freeze(o);
    this.s = new PipelineState(o);
    // 30 fps frames plus substeps while absent, with margin
    this.history = new ControlHistory(Math.ceil((o.historyMs / 1000) * 120) + 64, CONTROL_SIZE);
    this.rates = Float64Array.from(CONTROL_NAMES, (n) => o.maxRatePerSecond[n] / 1000);
    this.settleMs =
      Math.max(...CONTROL_RANGES.map((r, i) => (i === C.beatPhase ? 0 : (r[1] - r[0]) / this.rates[i]))) + SUBSTEP_MS;
    this.neutral = Float64Array.from(CONTROL_NAMES, (n) => NEUTRAL[n]);
    this.lo = Float64Array.from(CONTROL_RANGES, (r) => r[0]);
    this.hi = Float64Array.from(CONTROL_RANGES, (r) => r[1]);
    this.slots = Array.from({ length: o.reorderFrames + 1 }, () => new FrameSlot());
    this.snapshots = Array.from({ length: o.reorderFrames + 1 }, () => new PipelineState(o));
    this.faceRaw = new Float64Array(FACE_USED_INDICES.length * 3);
    this.faceFilt = new Float64Array(FACE_USED_INDICES.length * 3);
  }

  /** Sequence number of the newest accepted frame, or null before the first. */
  get newestSeq(): FrameSeq | null {
    return this.newestSeqValue;
  }

  /** Client capture time of the newest accepted frame, or null before the first. */
  get newestCaptureMs(): Milliseconds | null {
    return this.newestCaptureValue;
  }

  /** Offset in use: server = client + clockOffsetMs. */
  get clockOffsetMs(): Milliseconds {
    if (this.manualOffset !== null) return this.manualOffset;
    const clock = this.options.clock;
    if (clock !== null && clock.sampleCount > 0) return clock.offsetMs;
    return this.fallbackOffset;
  }

  /** Fixes the client -> server offset (server = client + offsetMs); null returns to ClockSync / arrival estimate. */
  setClockOffset(offsetMs: Milliseconds | null): void {
    if (offsetMs !== null && !Number.isFinite(offsetMs)) throw new RangeError(`offsetMs must be finite, but is ${offsetMs}`);
    this.manualOffset = offsetMs;
  }

  /** Forgets every frame and returns to NEUTRAL (the clock offset setting is kept). */
  reset(): void {
    this.s.reset();
    this.history.clear();
    this.order = [];
    this.newestSeqValue = null;
    this.newestCaptureValue = null;
    this.recentSeqs.fill(NaN);
    this.arrivalCount = 0;
    this.fallbackOffset = 0;
  }

  // -- input --------------------------------------------------------------------------------

  push(frame: LandmarkFrame, arrivalServerMs: Milliseconds): PushResult {
    const result = this.classifyAndProcess(frame, arrivalServerMs);
    this.counts[result]++;
    return result;
  }

  private classifyAndProcess(frame: LandmarkFrame, arrivalServerMs: Milliseconds): PushResult {
    const seq = frame.seq;
    const t = frame.captureTimeMs;
    if (!Number.isFinite(seq) || !Number.isFinite(t)) return 'stale';
    if (Number.isFinite(arrivalServerMs)) this.noteArrival(arrivalServerMs - t);
    if (this.newestSeqValue === null) {
      this.acceptInOrder(frame);
      return 'accepted';
    }
    if (this.seenRecently(seq)) return 'duplicate';
    if (Number.isFinite(arrivalServerMs) && arrivalServerMs - (t + this.clockOffsetMs) > this.options.maxLatenessMs) {
      return 'stale';
    }
    if (seq > this.newestSeqValue) {
      if (t <= (this.newestCaptureValue as number)) return 'stale';
      this.acceptInOrder(frame);
      return 'accepted';
    }
    return this.insertLate(frame) ? 'reordered' : 'stale';
  }

  private noteArrival(delay: Milliseconds): void {
    this.arrivalDelays[this.arrivalHead] = delay;
    this.arrivalHead = (this.arrivalHead + 1) % FALLBACK_OFFSET_WINDOW;
    if (this.arrivalCount < FALLBACK_OFFSET_WINDOW) this.arrivalCount++;
    let min = Infinity;
    for (let i = 0; i < this.arrivalCount; i++) if (this.arrivalDelays[i] < min) min = this.arrivalDelays[i];
    this.fallbackOffset = min;
  }

  private seenRecently(seq: FrameSeq): boolean {
    for (let i = 0; i < RECENT_SEQS; i++) if (this.recentSeqs[i] === seq) return true;
    return false;
  }

  private remember(frame: LandmarkFrame): void {
    this.recentSeqs[this.recentHead] = frame.seq;
    this.recentHead = (this.recentHead + 1) % RECENT_SEQS;
  }

  private spareSlot(): number {
    for (let i = 0; i < this.slots.length; i++) if (!this.order.includes(i)) return i;
    return 0;
  }

  private acceptInOrder(frame: LandmarkFrame): void {
    this.remember(frame);
    this.newestSeqValue = frame.seq;
    this.newestCaptureValue = frame.captureTimeMs;
    if (this.options.reorderFrames === 0) {
      this.process(frame.face, frame.blendshapes, frame.pose, frame.captureTimeMs);
      return;
    }
    const k = this.spareSlot();
    const slot = this.slots[k];
    slot.copyFrom(frame);
    this.snapshots[k].copyFrom(this.s);
    this.processSlot(slot);
    this.order.push(k);
    if (this.order.length > this.options.reorderFrames) this.order.shift();
  }

  /** Inserts a frame older than the newest if it fits in the retained window; replays the frames after it. */
  private insertLate(frame: LandmarkFrame): boolean {
    const order = this.order;
    let i = 0;
    while (i < order.length && this.slots[order[i]].seq < frame.seq) i++;
    if (i >= order.length) return false;
    const next = this.slots[order[i]];
    const before = this.snapshots[order[i]];
    if (!(frame.captureTimeMs < next.timeMs)) return false;
    if (!Number.isNaN(before.tLast) && !(frame.captureTimeMs > before.tLast)) return false;
    this.remember(frame);
    const k = this.spareSlot();
    this.slots[k].copyFrom(frame);
    this.s.copyFrom(before);
    this.history.rewind(this.s.histHead, this.s.histSize);
    order.splice(i, 0, k);
    for (let j = i; j < order.length; j++) {
      this.snapshots[order[j]].copyFrom(this.s);
      this.processSlot(this.slots[order[j]]);
    }
    while (order.length > this.options.reorderFrames) order.shift();
    return true;
  }

  private processSlot(slot: FrameSlot): void {
    this.process(
      slot.hasFace ? slot.face : null,
      slot.hasBlendshapes ? slot.blendshapes : null,
      slot.hasPose ? slot.pose : null,
      slot.timeMs,
    );
  }

  // -- processing one frame (in order) --------------------------------------------------------

  /**
   * No frame for this long and every group counts as absent: `staleAfterMs`, or a few frame
   * intervals when the client tracks slowly (a laptop at 5 fps must not flicker out between frames).
   */
  private staleAfter(s: PipelineState): Milliseconds {
    return Math.max(this.options.staleAfterMs, Math.min(MAX_STALE_AFTER_MS, STALE_FRAME_INTERVALS * s.frameIntervalMs));
  }

  private process(face: Float32Array | null, blendshapes: Float32Array | null, pose: Float32Array | null, t: Milliseconds): void {
    const s = this.s;
    const o = this.options;
    if (Number.isNaN(s.tLast)) {
      s.yTime = t;
    } else if (t - s.tLast > this.staleAfter(s)) {
      // No frame for a while: the output was held until staleFrom, then every group glided out.
      // Follow that glide through the gap (values held) exactly as current() showed it.
      const staleFrom = s.tLast + this.staleAfter(s);
      s.groups.markAllAbsent(staleFrom);
      s.yTime = staleFrom;
      const settleAt = staleFrom + o.glideOutMs + this.settleMs;
      // Counted, not open-ended: at most the glide's own number of substeps, whatever t is.
      const steps = Math.min(Math.ceil((t - staleFrom) / SUBSTEP_MS) - 2, Math.ceil((settleAt - staleFrom) / SUBSTEP_MS));
      for (let i = 1; i <= steps; i++) {
        const next = staleFrom + i * SUBSTEP_MS;
        this.step(s.y, SUBSTEP_MS, next, Infinity);
        s.yTime = next;
        this.record(next);
      }
      if (t - s.yTime > 2 * SUBSTEP_MS) {
        s.y.set(this.neutral); // settled: the same shortcut as evaluate()
        s.yTime = t - SUBSTEP_MS;
      }
    }
    const faceOk = this.processFace(face, blendshapes, t);
    const bodyOk = this.processPose(pose, t);
    this.processHeadMotion(face, pose, faceOk, bodyOk, t);
    this.processEnergy(bodyOk, t);
    // beat: head, left wrist, right wrist
    s.beat.push(t, this.velocities);
    s.live[C.beatStrength] = s.beat.strength;
    const tempo = s.beat.tempoBpm;
    if (tempo !== null) s.live[C.tempo] = tempo;
    // presence of each group
    const pf = this.pf;
    s.groups.set(G_FACE, faceOk, t);
    s.groups.set(G_BODY, bodyOk, t);
    s.groups.set(G_HANDS, bodyOk && pf.handHeightValid, t);
    s.groups.set(G_SPREAD, bodyOk && pf.armOpennessValid, t);
    s.groups.set(G_ANY, faceOk || bodyOk, t);
    // output
    if (t > s.yTime) this.step(s.y, t - s.yTime, t, Infinity);
    s.yTime = t;
    if (t > s.tLast) s.frameIntervalMs += FRAME_INTERVAL_SMOOTHING * (Math.min(t - s.tLast, MAX_STALE_AFTER_MS) - s.frameIntervalMs);
    s.tLast = t;
    this.record(t);
  }

  private record(t: Milliseconds): void {
    this.history.rewind(this.s.histHead, this.s.histSize);
    this.history.push(t, this.s.y);
    this.s.histHead = this.history.headIndex;
    this.s.histSize = this.history.size;
  }

  /** Face landmarks -> filtered -> features -> live face controls. Returns whether the face is usable. */
  private processFace(face: Float32Array | null, blendshapes: Float32Array | null, t: Milliseconds): boolean {
    const s = this.s;
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
      s.live[c] = clamp(this.featOut[k], this.lo[c], this.hi[c]);
    }
    return true;
  }

  /** Pose landmarks -> filtered (visible points only) -> body features -> live body controls. */
  private processPose(pose: Float32Array | null, t: Milliseconds): boolean {
    const s = this.s;
    const o = this.options;
    const pf = this.pf;
    this.velocities[1] = 0;
    this.velocities[2] = 0;
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
    // raw wrist velocities for the beat tracker (shoulder widths / s, down = positive)
    const sw = pf.shoulderWidth;
    for (let w = 0; w < 2; w++) {
      const valid = w === 0 ? pf.leftWristValid : pf.rightWristValid;
      if (!valid) {
        s.prevWristMs[w] = NaN;
        continue;
      }
      const y = pose[4 * WRISTS[w] + 1];
      const dtw = t - s.prevWristMs[w];
      if (dtw > 0 && dtw <= o.maxVelocityGapMs) this.velocities[1 + w] = (y - s.prevWristY[w]) / (dtw / 1000) / sw;
      s.prevWristY[w] = y;
      s.prevWristMs[w] = t;
    }
    return true;
  }

  /** Vertical head motion: raw velocity for the beat tracker, filtered velocity for `nod`. */
  private processHeadMotion(
    face: Float32Array | null,
    pose: Float32Array | null,
    faceOk: boolean,
    bodyOk: boolean,
    t: Milliseconds,
  ): void {
    const s = this.s;
    const o = this.options;
    let source = 0;
    let rawY = 0;
    let filtY = 0;
    let scale = 1;
    if (faceOk && face !== null) {
      source = 1;
      rawY = face[3 * FACE.noseTip + 1];
      filtY = this.ff.noseY;
      scale = this.ff.scale;
    } else if (bodyOk && pose !== null && this.poseVisible[0] === 1) {
      source = 2;
      rawY = pose[4 * POSE.nose + 1];
      filtY = this.poseFiltered[1];
      scale = BODY_GEOMETRY.iodPerShoulderWidth * this.pf.shoulderWidth;
    }
    this.velocities[0] = 0;
    if (source === 0) {
      s.headSource = 0;
      s.headMs = NaN;
      return;
    }
    const dt = t - s.headMs;
    if (source === s.headSource && dt > 0 && dt <= o.maxVelocityGapMs) {
      const secs = dt / 1000;
      this.velocities[0] = (rawY - s.headRawY) / secs / scale;
      const v = (filtY - s.headFiltY) / secs / scale;
      if (!(t - s.nodMs <= this.staleAfter(s))) s.nodMeanSquare = 0;
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
  private processEnergy(bodyOk: boolean, t: Milliseconds): void {
    const s = this.s;
    const o = this.options;
    if (!bodyOk) return;
    const sw = this.pf.shoulderWidth;
    let sum = 0;
    let wsum = 0;
    let dtUsed = 0;
    for (let k = 0; k < POSE_POINTS.length; k++) {
      if (this.poseVisible[k] === 0) {
        s.prevPoseMs[k] = NaN;
        continue;
      }
      const x = this.poseFiltered[2 * k];
      const y = this.poseFiltered[2 * k + 1];
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
    if (!(t - s.energyMs <= this.staleAfter(s))) s.energyLevel = 0;
    const inst = sum / wsum;
    const tau = inst > s.energyLevel ? o.energy.attackMs : o.energy.releaseMs;
    s.energyLevel += (1 - Math.exp(-dtUsed / tau)) * (inst - s.energyLevel);
    s.energyMs = t;
    s.live[C.energy] = 1 - Math.exp(-Math.max(0, s.energyLevel - o.energy.deadzone) / o.energy.scale);
  }

  // -- output ---------------------------------------------------------------------------------

  /**
   * One output step of `dtMs` ending at `timeMs`: every control moves toward
   * neutral + p (live - neutral) by at most its rate (beatPhase is not stepped).
   */
  private step(y: Float64Array, dtMs: Milliseconds, timeMs: Milliseconds, staleFromMs: Milliseconds): void {
    const s = this.s;
    const wts = this.weights;
    for (let g = 0; g < GROUPS; g++) wts[g] = s.groups.weight(g, timeMs, staleFromMs);
    for (let i = 0; i < CONTROL_SIZE; i++) {
      if (i === C.beatPhase) continue;
      const g = CONTROL_GROUP[i];
      const n = this.neutral[i];
      const target = i === C.presence ? wts[G_ANY] : n + wts[g] * (s.live[i] - n);
      const maxStep = this.rates[i] * dtMs;
      let d = target - y[i];
      if (d > maxStep) d = maxStep;
      else if (d < -maxStep) d = -maxStep;
      y[i] = clamp(y[i] + d, this.lo[i], this.hi[i]);
    }
  }

  /** Client time of a server time. */
  private toClient(serverMs: Milliseconds): Milliseconds {
    return serverMs - this.clockOffsetMs;
  }

  /**
   * Output at client time tau >= yTime (pure). Between frames the output holds (it moves only
   * when a frame comes, so every change is bounded by rate x frame interval); once no frame has
   * come for staleAfterMs, it follows the glide to NEUTRAL in SUBSTEP_MS steps, as process()
   * will when the next frame arrives.
   */
  private evaluate(tau: Milliseconds, y: Float64Array): void {
    const s = this.s;
    const o = this.options;
    y.set(s.y);
    if (Number.isNaN(s.tLast)) return;
    const staleFrom = s.tLast + this.staleAfter(s);
    if (!(tau > staleFrom)) return;
    const settleAt = staleFrom + o.glideOutMs + this.settleMs;
    if (tau >= settleAt) {
      // every group has glided out and every control has reached NEUTRAL
      y.set(this.neutral);
      return;
    }
    // Counted substeps (tau < settleAt here, so at most the glide's own number of them).
    const steps = Math.max(0, Math.ceil((tau - staleFrom) / SUBSTEP_MS) - 1);
    let tt = staleFrom;
    for (let i = 1; i <= steps; i++) {
      this.step(y, SUBSTEP_MS, staleFrom + i * SUBSTEP_MS, staleFrom);
      tt = staleFrom + i * SUBSTEP_MS;
    }
    if (tau > tt) this.step(y, tau - tt, tau, staleFrom);
  }

  /** Output at any client time: history interpolation before the newest output, evaluate() after. */
  private valueAt(tau: Milliseconds, y: Float64Array): void {
    if (!(tau < this.s.yTime) || !this.history.sample(tau, y)) this.evaluate(Math.max(tau, this.s.yTime), y);
  }

  /** beatPhase at client time tau (0 before any lock; stops at 0 on the first wrap after the glide-out). */
  private phaseAt(tau: Milliseconds): number {
    const s = this.s;
    const beat = s.beat;
    if (!beat.locked || Number.isNaN(s.tLast)) return 0;
    const period = beat.periodMs as number;
    const anchor = beat.anchor as number;
    const since = s.groups.absentSince(G_ANY, tau, s.tLast + this.options.staleAfterMs);
    if (!Number.isNaN(since)) {
      const freezeFrom = since + this.options.glideOutMs;
      if (tau >= freezeFrom && Math.floor((tau - anchor) / period) > Math.floor((freezeFrom - anchor) / period)) return 0;
    }
    return beat.phaseAt(tau);
  }

  private write(y: Float64Array, phase: number, out: ControlVector): ControlVector {
    for (let i = 0; i < CONTROL_SIZE; i++) out[i] = y[i];
    out[C.beatPhase] = phase;
    return out;
  }

  /** The control vector as of `nowServerMs` (causal; never earlier than the newest frame). */
  current(nowServerMs: Milliseconds, out: ControlVector = new Float32Array(CONTROL_SIZE)): ControlVector {
    const tau = Math.max(this.toClient(nowServerMs), Number.isNaN(this.s.yTime) ? -Infinity : this.s.yTime);
    this.evaluate(tau, this.evalY);
    return this.write(this.evalY, this.phaseAt(tau), out);
  }

  /**
   * Control vectors for the `count` generator steps starting at `nowServerMs`, `stepMs` apart.
   *  - 'hold': every step = current(now). No added latency; no detail inside the chunk.
   *  - 'delayed-linear': step j = the output at now - count*stepMs + j*stepMs, interpolated from
   *    history: the exact recent trajectory, count*stepMs late.
   *  - 'extrapolate': smooth controls continue their slope over the last `extrapolationWindowMs`
   *    from the newest frame (at most `maxExtrapolationMs` ahead), clamped to their ranges. No
   *    added latency (it even makes up the network delay); overshoots when the motion turns.
   * beatPhase of step j is always the predicted phase at now + j*stepMs, whatever the mode.
   */
  resample(
    nowServerMs: Milliseconds,
    stepMs: Milliseconds,
    count: number,
    mode: ResampleMode = this.options.resampleMode,
    out?: ControlVector[],
  ): ControlVector[] {
    if (!(stepMs > 0)) throw new RangeError(`stepMs must be > 0, but is ${stepMs}`);
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, but is ${count}`);
    const result = out ?? [];
    for (let j = result.length; j < count; j++) result.push(new Float32Array(CONTROL_SIZE));
    const s = this.s;
    const tau = Math.max(this.toClient(nowServerMs), Number.isNaN(s.yTime) ? -Infinity : s.yTime);
    const y = this.evalY;
    if (mode === 'delayed-linear') {
      for (let j = 0; j < count; j++) {
        this.valueAt(tau - (count - j) * stepMs, y);
        this.write(y, this.phaseAt(tau + j * stepMs), result[j]);
      }
      return result;
    }
    this.evaluate(tau, y);
    if (mode === 'hold' || Number.isNaN(s.tLast) || tau - s.tLast > this.options.staleAfterMs) {
      for (let j = 0; j < count; j++) this.write(y, this.phaseAt(tau + j * stepMs), result[j]);
      return result;
    }
    // extrapolate from the newest frame's output along the recent slope
    const o = this.options;
    const past = this.evalPast;
    const from = s.tLast - o.extrapolationWindowMs;
    const haveSlope = this.history.size > 1 && this.history.oldestMs <= from;
    if (haveSlope) this.history.sample(from, past);
    for (let j = 0; j < count; j++) {
      const v = result[j];
      this.write(y, this.phaseAt(tau + j * stepMs), v);
      if (!haveSlope) continue;
      const ahead = Math.min(tau + j * stepMs - s.tLast, o.maxExtrapolationMs);
      for (const c of SMOOTH_CONTROLS) {
        const rate = this.rates[c];
        const slope = clamp((s.y[c] - past[c]) / o.extrapolationWindowMs, -rate, rate);
        v[c] = clamp(s.y[c] + slope * ahead, this.lo[c], this.hi[c]);
      }
    }
    return result;
  }

  /** The performer's next beat on the server clock, or null when the motion is not periodic enough. */
  beat(nowServerMs: Milliseconds): PredictedBeat | null {
    const s = this.s;
    if (!s.beat.locked || Number.isNaN(s.tLast)) return null;
    const offset = this.clockOffsetMs;
    const tau = Math.max(nowServerMs - offset, s.yTime);
    this.evaluate(tau, this.evalY);
    const strength = this.evalY[C.beatStrength];
    if (strength < this.options.beatMinStrength) return null;
    const next = s.beat.nextBeatAfter(nowServerMs - offset) as number;
    return { nextBeatServerMs: next + offset, periodMs: s.beat.periodMs as number, strength };
  }
}
