/**
 * Synthetic performers with known ground truth, for tests, the end-to-end test and load runs.
 *
 * A Performer draws the frame MediaPipe would report at a time (performer time, ms from its
 * start) and says what the controls should read then (`truth`). Everything is a pure function
 * of time (noise and frame drops are seeded by (seed, time)), so any frame can be drawn in any
 * order and twice with the same result.
 *
 * Beats: a periodic performer's beat is the lowest point of its motion in the image (bottom of
 * the nod, low point of the arm pump), which is what the server's beat tracker calls a beat.
 */
import type { ControlName } from '../../protocol/controlVector.js';
import type { LandmarkFrame } from '../../protocol/landmarkTypes.js';
import { clamp01 } from '../../protocol/numbers.js';
import type { Bpm, FrameSeq, Milliseconds } from '../../protocol/units.js';
import { renderBlendshapes, renderFace, renderPose, restState, stateControls, type PerformerState } from './bodyModel.js';
import { gaussian, hashSeed, mulberry32 } from './rng.js';

export { restState, type PerformerState } from './bodyModel.js';

/** What one camera frame carries besides its sequence number and capture time. */
export type PerformerFrame = Omit<LandmarkFrame, 'seq' | 'captureTimeMs'>;

export interface BeatTruth {
  bpm: Bpm;
  periodMs: Milliseconds;
  /** One beat time (performer time); the others are anchorMs + k * periodMs. */
  anchorMs: Milliseconds;
}

export interface PerformerTruth {
  /** Someone is in the picture. */
  present: boolean;
  /** Control values the frame geometry fixes (others are not stated). */
  controls: Partial<Record<ControlName, number>>;
  /** The motion beat, when the performer moves periodically. */
  beat: BeatTruth | null;
}

export interface Performer {
  readonly name: string;
  /** The tracking result at performer time tMs (fresh arrays on every call). */
  frameAt(tMs: Milliseconds): PerformerFrame;
  truth(tMs: Milliseconds): PerformerTruth;
  /** True when the camera frame at tMs is lost (never sent). Absent: no frame is lost. */
  dropped?(tMs: Milliseconds): boolean;
}

/** The first beat at or after tMs. */
export function nextBeat(beat: BeatTruth, tMs: Milliseconds): Milliseconds {
  return beat.anchorMs + Math.ceil((tMs - beat.anchorMs) / beat.periodMs - 1e-9) * beat.periodMs;
}

/** Beat times in [fromMs, toMs]. */
export function beatTimes(beat: BeatTruth, fromMs: Milliseconds, toMs: Milliseconds): Milliseconds[] {
  const out: Milliseconds[] = [];
  for (let t = nextBeat(beat, fromMs); t <= toMs; t += beat.periodMs) out.push(t);
  return out;
}

/** Draws a state as MediaPipe output. */
export function renderState(st: PerformerState): PerformerFrame {
  const face = renderFace(st);
  return {
    face: st.faceVisible ? face : null,
    blendshapes: st.faceVisible && st.blendshapes ? renderBlendshapes(st) : null,
    pose: st.bodyVisible ? renderPose(st, face) : null,
  };
}

/** A performer from a state function (and optionally its beat). */
export function performerFromState(
  name: string,
  stateAt: (tMs: Milliseconds) => PerformerState,
  beatAt: (tMs: Milliseconds) => BeatTruth | null = () => null,
): Performer {
  return {
    name,
    frameAt: (tMs) => renderState(stateAt(tMs)),
    truth: (tMs) => {
      const st = stateAt(tMs);
      const beat = beatAt(tMs);
      const controls: Partial<Record<ControlName, number>> = stateControls(st);
      if (beat !== null) controls.tempo = beat.bpm;
      return { present: st.faceVisible || st.bodyVisible, controls, beat };
    },
  };
}

/** Options every factory takes: changes to the rest state (position, distance, blendshapes, ...). */
export interface BaseOptions {
  base?: Partial<PerformerState>;
}

function base(options: BaseOptions): PerformerState {
  return { ...restState(), ...(options.base ?? {}) };
}

function beatOf(bpm: Bpm, anchorMs: Milliseconds): BeatTruth {
  if (!(bpm > 0)) throw new RangeError(`bpm must be > 0, but is ${bpm}`);
  return { bpm, periodMs: 60_000 / bpm, anchorMs };
}

/** 1 on the beat, 0 half a period later, smooth (raised cosine). */
function onBeat(beat: BeatTruth, tMs: Milliseconds): number {
  return 0.5 + 0.5 * Math.cos((2 * Math.PI * (tMs - beat.anchorMs)) / beat.periodMs);
}

/** Stands still, neutral face, hands at the hips. */
export function still(options: BaseOptions = {}): Performer {
  const st = base(options);
  return performerFromState('still', () => ({ ...st }));
}

export interface PeriodicOptions extends BaseOptions {
  bpm?: Bpm;
  /** Time of one beat (default: half a period after the start). */
  anchorMs?: Milliseconds;
}

export interface NoddingOptions extends PeriodicOptions {
  /** Head pitch at the bottom of the nod (radians, down). */
  pitchRad?: number;
  /** Head drop at the bottom of the nod, in shoulder widths. */
  drop?: number;
}

/** Nods on every beat: head pitched down and lowered at the beat, back up between beats. */
export function nodding(options: NoddingOptions = {}): Performer {
  const st0 = base(options);
  const bpm = options.bpm ?? 100;
  const beat = beatOf(bpm, options.anchorMs ?? 30_000 / bpm);
  const pitch = options.pitchRad ?? 0.2;
  const drop = options.drop ?? 0.05;
  return performerFromState(
    `nodding ${bpm} BPM`,
    (t) => {
      const w = onBeat(beat, t);
      return { ...st0, pitch: st0.pitch - pitch * w, headDy: st0.headDy + drop * w };
    },
    () => beat,
  );
}

export interface SwingingArmsOptions extends PeriodicOptions {
  /** Hand heights (handHeight units) at the beat (low point) and half a period later. */
  low?: number;
  high?: number;
}

/** Pumps both arms up and down together: hands lowest on every beat. */
export function swingingArms(options: SwingingArmsOptions = {}): Performer {
  const st0 = base(options);
  const bpm = options.bpm ?? 100;
  const beat = beatOf(bpm, options.anchorMs ?? 30_000 / bpm);
  const low = options.low ?? 0.1;
  const high = options.high ?? 0.6;
  return performerFromState(
    `swinging arms ${bpm} BPM`,
    (t) => {
      const h = high + (low - high) * onBeat(beat, t);
      return { ...st0, leftHandHeight: h, rightHandHeight: h };
    },
    () => beat,
  );
}

export interface DancingOptions extends PeriodicOptions {
  /** Movement grows from 20 % to full over this time. */
  rampMs?: Milliseconds;
}

/** Dances on the beat with rising energy: arm pumps, nods, a sideways sway at half tempo, smiling. */
export function dancing(options: DancingOptions = {}): Performer {
  const st0 = base(options);
  const bpm = options.bpm ?? 110;
  const beat = beatOf(bpm, options.anchorMs ?? 30_000 / bpm);
  const rampMs = options.rampMs ?? 2000;
  return performerFromState(
    `dancing ${bpm} BPM`,
    (t) => {
      const amp = 0.2 + 0.8 * clamp01(t / rampMs);
      const w = onBeat(beat, t);
      const h = 0.1 + amp * 0.6 * (1 - w);
      const sway = amp * 0.25 * Math.sin((Math.PI * (t - beat.anchorMs)) / beat.periodMs);
      return {
        ...st0,
        smile: 0.5,
        leftHandHeight: h,
        rightHandHeight: h,
        wristSpread: st0.wristSpread + amp * 0.8 * (1 - w),
        wristShift: sway,
        headDx: 0.3 * sway,
        pitch: st0.pitch - amp * 0.15 * w,
        headDy: st0.headDy + amp * 0.04 * w,
      };
    },
    () => beat,
  );
}

export interface SmileRampOptions extends BaseOptions {
  startMs?: Milliseconds;
  durationMs?: Milliseconds;
  from?: number;
  to?: number;
}

/** Holds `from` (default -1, frown) until startMs, moves linearly to `to` (default 1, smile) over durationMs, holds. */
export function smileRamp(options: SmileRampOptions = {}): Performer {
  const st0 = base(options);
  const start = options.startMs ?? 1000;
  const duration = options.durationMs ?? 4000;
  const from = options.from ?? -1;
  const to = options.to ?? 1;
  return performerFromState('smile ramp', (t) => {
    const u = clamp01((t - start) / duration);
    return { ...st0, smile: from + (to - from) * u };
  });
}

export interface SmileThenFrownOptions extends BaseOptions {
  /** Smiles (+1) until this time, then frowns (-1) after `changeMs`. */
  switchMs?: Milliseconds;
  changeMs?: Milliseconds;
}

/** Smiles, then turns to a frown. */
export function smileThenFrown(options: SmileThenFrownOptions = {}): Performer {
  const st0 = base(options);
  const at = options.switchMs ?? 2000;
  const change = options.changeMs ?? 500;
  return performerFromState('smile then frown', (t) => {
    const u = clamp01((t - at) / change);
    return { ...st0, smile: 1 - 2 * u };
  });
}

export interface HandsJumpOptions extends BaseOptions {
  atMs?: Milliseconds;
  /** Hand heights (handHeight units) before and after the jump. */
  from?: number;
  to?: number;
}

/** Hands jump in one frame (a step), e.g. from the hips to above the head. */
export function handsJump(options: HandsJumpOptions = {}): Performer {
  const st0 = base(options);
  const at = options.atMs ?? 2000;
  const from = options.from ?? 0;
  const to = options.to ?? 1;
  return performerFromState('hands jump', (t) => {
    const h = t < at ? from : to;
    return { ...st0, leftHandHeight: h, rightHandHeight: h };
  });
}

export interface LeavesOptions {
  /** Absent (face = null, pose = null) from leaveMs until returnMs. */
  leaveMs?: Milliseconds;
  returnMs?: Milliseconds;
}

/** Wraps a performer: nobody in the picture between leaveMs and returnMs. */
export function leavesAndReturns(inner: Performer = still(), options: LeavesOptions = {}): Performer {
  const leave = options.leaveMs ?? 2000;
  const back = options.returnMs ?? 5000;
  const away = (t: Milliseconds): boolean => t >= leave && t < back;
  return {
    name: `${inner.name}, away ${leave}-${back} ms`,
    frameAt: (t) => (away(t) ? { face: null, blendshapes: null, pose: null } : inner.frameAt(t)),
    truth: (t) => (away(t) ? { present: false, controls: { presence: 0 }, beat: null } : inner.truth(t)),
    ...(inner.dropped ? { dropped: (t: Milliseconds) => inner.dropped!(t) } : {}),
  };
}

export interface JitterOptions {
  /** Standard deviation of the landmark noise, in normalised image units (x, y and z). */
  sigma?: number;
  seed?: number;
}

/** Wraps a performer: independent Gaussian noise on every landmark coordinate (not on visibility). */
export function jittery(inner: Performer = still(), options: JitterOptions = {}): Performer {
  const sigma = options.sigma ?? 0.002;
  const seed = options.seed ?? 1;
  return {
    name: `${inner.name}, jitter ${sigma}`,
    frameAt: (t) => {
      const frame = inner.frameAt(t);
      const rng = mulberry32(hashSeed(seed, t));
      if (frame.face) for (let i = 0; i < frame.face.length; i++) frame.face[i] += sigma * gaussian(rng);
      if (frame.pose) {
        for (let i = 0; i < frame.pose.length; i++) if (i % 4 !== 3) frame.pose[i] += sigma * gaussian(rng);
      }
      return frame;
    },
    truth: (t) => inner.truth(t),
    ...(inner.dropped ? { dropped: (t: Milliseconds) => inner.dropped!(t) } : {}),
  };
}

export interface DropOptions {
  /** Fraction of camera frames lost, in [0, 1). */
  fraction?: number;
  seed?: number;
}

/** Wraps a performer: loses a seeded random fraction of the camera frames. */
export function droppingFrames(inner: Performer, options: DropOptions = {}): Performer {
  const fraction = options.fraction ?? 0.2;
  const seed = options.seed ?? 2;
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`fraction must be in [0, 1), but is ${fraction}`);
  return {
    name: `${inner.name}, dropping ${Math.round(fraction * 100)} %`,
    frameAt: (t) => inner.frameAt(t),
    truth: (t) => inner.truth(t),
    dropped: (t) => (inner.dropped?.(t) ?? false) || mulberry32(hashSeed(seed ^ 0x5bd1e995, t))() < fraction,
  };
}

export interface FramesOptions {
  /** Camera frame rate. */
  fps?: number;
  durationMs: Milliseconds;
  /** Performer time of the first frame. */
  startMs?: Milliseconds;
  /** Capture-time jitter: each frame is taken up to this far (uniform) from its nominal time (at most 0.45 frame). */
  jitterMs?: Milliseconds;
  seed?: number;
  /** Sequence number of the first frame sent. */
  startSeq?: FrameSeq;
  /** The client's clock reads performer time + clockOffsetMs (captureTimeMs is on the client clock). */
  clockOffsetMs?: Milliseconds;
}

/**
 * The frames a client would send: one per camera frame in [startMs, startMs + durationMs),
 * with seq numbering the frames actually sent (a lost frame takes no seq) and captureTimeMs on
 * the client clock. Frames are drawn at their jittered capture times.
 */
export function* framesFor(performer: Performer, options: FramesOptions): Generator<LandmarkFrame> {
  const fps = options.fps ?? 30;
  if (!(fps > 0)) throw new RangeError(`fps must be > 0, but is ${fps}`);
  const interval = 1000 / fps;
  const start = options.startMs ?? 0;
  const jitter = Math.min(options.jitterMs ?? 0, 0.45 * interval);
  const rng = mulberry32(options.seed ?? 1);
  const offset = options.clockOffsetMs ?? 0;
  let seq = options.startSeq ?? 0;
  const n = Math.ceil(options.durationMs / interval);
  for (let i = 0; i < n; i++) {
    const u = rng() * 2 - 1;
    const t = start + i * interval + (jitter > 0 ? u * jitter : 0);
    if (performer.dropped?.(t)) continue;
    yield { ...performer.frameAt(t), seq: seq++, captureTimeMs: t + offset };
  }
}
