/**
 * The per-session control pipeline: landmark frames in, control vector v1 out.
 *
 *   push(frame) -> order check (reorderWindow.ts) -> landmark stage: One Euro per landmark group,
 *   features, One Euro per feature -> live values (landmarkStage.ts) -> nod and energy
 *   envelopes (motionEnvelopes.ts), beat tracker -> presence glide (neutral + p (live - neutral))
 *   -> rate limit -> output y, history (controlOutput.ts)
 *   forChunk(now) / current(now) / resample(...) / beat(now) read the output causally
 *   (controlResampler.ts, chunkControls.ts).
 *
 * Time. Everything inside runs on the client's capture clock (the performer's time), so
 * filters never see a clock correction. Server times are converted at the edges with the
 * offset of arrivalClock.ts (local = remote + offset). `setClockOffset()` fixes it.
 *
 * Order. Frames are processed as they arrive. Same seq as a recent frame: 'duplicate'. A frame
 * older than the newest that fits the reorder window is inserted and the frames after it are
 * replayed ('reordered'), giving exactly what in-order delivery would have given. Older than
 * that window, not later in capture time than the newest with a higher seq, or arrived more
 * than `maxLatenessMs` after capture: 'stale', dropped. None of these touch the filters.
 *
 * Absence. A group (face, body, hands, both hands, anyone) missing from a frame, or every
 * group once no frame came for `staleAfterMs`, glides its controls to NEUTRAL over
 * `glideOutMs` (smoothstep), and back to live values over `glideInMs` when it returns. On top,
 * every control except beatPhase moves at most `maxRatePerSecond` (so a return in mid-glide
 * cannot jump either). beatPhase free-runs at the last tempo and stops at 0 at its first wrap
 * after the glide-out ends.
 *
 * The pipeline's mutable state is one PipelineState (pipelineState.ts); the stages are given it.
 * See README.md for every control, threshold and its reason.
 */
import { C, CONTROL_SIZE, type ControlVector } from '../../protocol/controlVector.js';
import type { LandmarkFrame } from '../../protocol/landmarkTypes.js';
import type { FrameSeq, Milliseconds } from '../../protocol/units.js';
import { ArrivalClock } from './arrivalClock.js';
import { beatGridOf, type BeatGrid, type ChunkControls, type ChunkControlsRequest, type PredictedBeat } from './chunkControls.js';
import { G_ANY, G_BODY, G_FACE, G_HANDS, G_SPREAD } from './controlGroups.js';
import { ControlOutput } from './controlOutput.js';
import { ControlResampler } from './controlResampler.js';
import { LandmarkStage } from './landmarkStage.js';
import { MotionEnvelopes } from './motionEnvelopes.js';
import { copyPipelineState, createPipelineState, noteFrameInterval, resetPipelineState, type PipelineState } from './pipelineState.js';
import { ReorderWindow, type ProcessFrame } from './reorderWindow.js';
import {
  resolveTrackerOptions,
  trackerDefaults,
  type ControlTrackerInit,
  type ControlTrackerOptions,
  type ResampleMode,
} from './trackerOptions.js';

export type { PredictedBeat } from './chunkControls.js';
export type { ControlTrackerInit, ControlTrackerOptions, EnvelopeOptions, ResampleMode } from './trackerOptions.js';
export type PushResult = 'accepted' | 'duplicate' | 'stale' | 'reordered';

export class ControlTracker {
  static getDefaults(): ControlTrackerOptions {
    return trackerDefaults();
  }

  readonly options: Readonly<ControlTrackerOptions>;
  /** How many frames got each push result. */
  readonly counts: Record<PushResult, number> = { accepted: 0, duplicate: 0, stale: 0, reordered: 0 };

  private readonly s: PipelineState;
  private readonly clock: ArrivalClock;
  private readonly window: ReorderWindow;
  private readonly stage: LandmarkStage;
  private readonly envelopes: MotionEnvelopes;
  private readonly output: ControlOutput;
  private readonly resampler: ControlResampler;
  /** Raw vertical velocities of this frame for the beat tracker: head, left wrist, right wrist. */
  private readonly velocities = new Float64Array(3);
  private readonly process: ProcessFrame = (face, blendshapes, pose, t) => this.processFrame(face, blendshapes, pose, t);
  private readonly restore = (before: PipelineState): void => {
    copyPipelineState(this.s, before);
    this.output.rewind(this.s);
  };

  constructor(init: ControlTrackerInit = {}) {
    const o = resolveTrackerOptions(init);
    this.options = o;
    this.s = createPipelineState(o);
    this.clock = new ArrivalClock(o.clock);
    this.window = new ReorderWindow(o.reorderFrames, () => createPipelineState(o));
    this.stage = new LandmarkStage(o);
    this.envelopes = new MotionEnvelopes(o, this.stage);
    this.output = new ControlOutput(o);
    this.resampler = new ControlResampler(o, this.output);
  }

  /** Sequence number of the newest accepted frame, or null before the first. */
  get newestSeq(): FrameSeq | null {
    return this.window.newestSeq;
  }

  /** Client capture time of the newest accepted frame, or null before the first. */
  get newestCaptureMs(): Milliseconds | null {
    return this.window.newestCaptureMs;
  }

  /** Offset in use: server = client + clockOffsetMs. */
  get clockOffsetMs(): Milliseconds {
    return this.clock.offsetMs;
  }

  /** Fixes the client -> server offset (server = client + offsetMs); null returns to ClockSync / arrival estimate. */
  setClockOffset(offsetMs: Milliseconds | null): void {
    this.clock.setManual(offsetMs);
  }

  /** Forgets every frame and returns to NEUTRAL (the clock offset setting is kept). */
  reset(): void {
    resetPipelineState(this.s);
    this.output.history.clear();
    this.window.clear();
    this.clock.reset();
  }

  push(frame: LandmarkFrame, arrivalServerMs: Milliseconds): PushResult {
    const result = this.classifyAndProcess(frame, arrivalServerMs);
    this.counts[result]++;
    return result;
  }

  /** Everything one audio chunk needs from the tracker at server time `nowServerMs`. */
  forChunk(nowServerMs: Milliseconds, request: ChunkControlsRequest): ChunkControls {
    const controls = this.resample(nowServerMs, request.stepMs, request.count);
    let beat: BeatGrid | null = null;
    if (request.timeline !== null) {
      const predicted = this.beat(nowServerMs);
      if (predicted !== null) beat = beatGridOf(predicted, request.timeline);
    }
    return { controls, newestSeq: this.newestSeq, newestCaptureMs: this.newestCaptureMs, beat };
  }

  /** The control vector as of `nowServerMs` (causal; never earlier than the newest frame). */
  current(nowServerMs: Milliseconds, out: ControlVector = new Float32Array(CONTROL_SIZE)): ControlVector {
    return this.resampler.current(this.s, nowServerMs - this.clockOffsetMs, out);
  }

  /** Control vectors for the `count` generator steps starting at `nowServerMs`, `stepMs` apart (modes: controlResampler.ts). */
  resample(
    nowServerMs: Milliseconds,
    stepMs: Milliseconds,
    count: number,
    mode: ResampleMode = this.options.resampleMode,
    out?: ControlVector[],
  ): ControlVector[] {
    return this.resampler.resample(this.s, nowServerMs - this.clockOffsetMs, stepMs, count, mode, out);
  }

  /** The performer's next beat on the server clock, or null when the motion is not periodic enough. */
  beat(nowServerMs: Milliseconds): PredictedBeat | null {
    const s = this.s;
    if (!s.beat.locked || Number.isNaN(s.tLast)) return null;
    const offset = this.clockOffsetMs;
    const strength = this.resampler.controlAt(s, nowServerMs - offset, C.beatStrength);
    if (strength < this.options.beatMinStrength) return null;
    const next = s.beat.nextBeatAfter(nowServerMs - offset) as number;
    return { nextBeatServerMs: next + offset, periodMs: s.beat.periodMs as number, strength };
  }

  private classifyAndProcess(frame: LandmarkFrame, arrivalServerMs: Milliseconds): PushResult {
    const seq = frame.seq;
    const t = frame.captureTimeMs;
    const window = this.window;
    if (!Number.isFinite(seq) || !Number.isFinite(t)) return 'stale';
    if (Number.isFinite(arrivalServerMs)) this.clock.noteArrival(arrivalServerMs - t);
    const newestSeq = window.newestSeq;
    if (newestSeq === null) {
      window.acceptInOrder(frame, this.s, this.process);
      return 'accepted';
    }
    if (window.seenRecently(seq)) return 'duplicate';
    if (Number.isFinite(arrivalServerMs) && arrivalServerMs - (t + this.clockOffsetMs) > this.options.maxLatenessMs) {
      return 'stale';
    }
    if (seq > newestSeq) {
      if (t <= (window.newestCaptureMs as number)) return 'stale';
      window.acceptInOrder(frame, this.s, this.process);
      return 'accepted';
    }
    return window.insertLate(frame, this.s, this.restore, this.process) ? 'reordered' : 'stale';
  }

  /** One frame through every stage, in order. */
  private processFrame(face: Float32Array | null, blendshapes: Float32Array | null, pose: Float32Array | null, t: Milliseconds): void {
    const s = this.s;
    const output = this.output;
    if (Number.isNaN(s.tLast)) s.yTime = t;
    else output.followGap(s, t);
    const faceOk = this.stage.face(s, face, blendshapes, t);
    const bodyOk = this.stage.pose(s, pose, t, this.velocities);
    this.envelopes.head(s, face, pose, faceOk, bodyOk, t, this.velocities);
    this.envelopes.energy(s, bodyOk, t);
    // beat: head, left wrist, right wrist
    s.beat.push(t, this.velocities);
    s.live[C.beatStrength] = s.beat.strength;
    const tempo = s.beat.tempoBpm;
    if (tempo !== null) s.live[C.tempo] = tempo;
    // presence of each group
    const pf = this.stage.pf;
    s.groups.set(G_FACE, faceOk, t);
    s.groups.set(G_BODY, bodyOk, t);
    s.groups.set(G_HANDS, bodyOk && pf.handHeightValid, t);
    s.groups.set(G_SPREAD, bodyOk && pf.armOpennessValid, t);
    s.groups.set(G_ANY, faceOk || bodyOk, t);
    // output
    if (t > s.yTime) output.step(s, s.y, t - s.yTime, t, Infinity);
    s.yTime = t;
    noteFrameInterval(s, t);
    s.tLast = t;
    output.record(s, t);
  }
}
