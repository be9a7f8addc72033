/**
 * The control tracker's options: every threshold with its default, and the one function that
 * merges a caller's subset with the defaults and rejects values the pipeline cannot run with.
 * README.md gives the reason for each default.
 */
import { CONTROL_NAMES, type ControlName } from '../../protocol/controlVector.js';
import type { Milliseconds } from '../../protocol/units.js';
import type { BeatTrackerOptions } from './beatTracker.js';
import type { ClockSync } from './clockSync.js';
import type { OneEuroOptions } from './oneEuroFilter.js';

export type ResampleMode = 'hold' | 'delayed-linear' | 'extrapolate';

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
  /**
   * A wrist feeds the beat tracker only from this visibility. A wrist at or below the image's lower
   * edge is a guess (real MediaPipe: visibility mostly 0.5-0.75, now and then 0.88; jitter ten times
   * the shoulders') whose velocity, noise growing with the frame rate, drowned the head's nod.
   */
  beatWristVisibility: number;
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

export function trackerDefaults(): ControlTrackerOptions {
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
    beatWristVisibility: 0.9,
    energy: { attackMs: 100, releaseMs: 600, deadzone: 0.1, scale: 1.5 },
    nod: { attackMs: 300, releaseMs: 600, deadzone: 0.2, scale: 0.8 },
    maxVelocityGapMs: 250,
  };
}

function mergeDefaults<T extends object>(defaults: T, partial: Partial<T> | undefined): T {
  return Object.freeze({ ...defaults, ...(partial ?? {}) });
}

/** The defaults overlaid with `init` (nested groups key by key), checked and frozen. */
export function resolveTrackerOptions(init: ControlTrackerInit): Readonly<ControlTrackerOptions> {
  const d = trackerDefaults();
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
  if (!(o.beatWristVisibility >= 0 && o.beatWristVisibility <= 1)) {
    throw new RangeError(`beatWristVisibility must be in [0, 1], but is ${o.beatWristVisibility}`);
  }
  for (const name of CONTROL_NAMES) {
    if (!(o.maxRatePerSecond[name] > 0)) {
      throw new RangeError(`maxRatePerSecond.${name} must be > 0, but is ${o.maxRatePerSecond[name]}`);
    }
  }
  return Object.freeze(o);
}
