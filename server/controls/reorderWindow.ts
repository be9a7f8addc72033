/**
 * The reorder window: frames are processed as they arrive (no buffering delay), but the state
 * before each of the last `size` frames is kept with a copy of the frame. A frame that arrives
 * late but belongs between them rewinds to that state and the frames are replayed in order, so
 * the result is exactly what in-order delivery would have given. It also remembers the last 64
 * sequence numbers (duplicates) and the newest frame accepted.
 */
import { BLENDSHAPE_VALUES, FACE_VALUES, POSE_VALUES } from '../../protocol/landmarkFrame.js';
import type { LandmarkFrame } from '../../protocol/landmarkTypes.js';
import type { FrameSeq, Milliseconds } from '../../protocol/units.js';
import { copyPipelineState, type PipelineState } from './pipelineState.js';

const RECENT_SEQS = 64;

/** Runs one frame through the pipeline, in order (null: that part is missing). */
export type ProcessFrame = (face: Float32Array | null, blendshapes: Float32Array | null, pose: Float32Array | null, t: Milliseconds) => void;

/** A retained copy of a processed frame (for replay). */
class FrameSlot {
  seq = 0;
  timeMs = 0;
  readonly face = new Float32Array(FACE_VALUES);
  readonly blendshapes = new Float32Array(BLENDSHAPE_VALUES);
  readonly pose = new Float32Array(POSE_VALUES);
  hasFace = false;
  hasBlendshapes = false;
  hasPose = false;

  copyFrom(frame: LandmarkFrame): void {
    this.seq = frame.seq;
    this.timeMs = frame.captureTimeMs;
    this.hasFace = frame.face !== null && frame.face.length === FACE_VALUES;
    if (this.hasFace) this.face.set(frame.face as Float32Array);
    this.hasBlendshapes = frame.blendshapes !== null && frame.blendshapes.length === BLENDSHAPE_VALUES;
    if (this.hasBlendshapes) this.blendshapes.set(frame.blendshapes as Float32Array);
    this.hasPose = frame.pose !== null && frame.pose.length === POSE_VALUES;
    if (this.hasPose) this.pose.set(frame.pose as Float32Array);
  }

  replay(process: ProcessFrame): void {
    process(this.hasFace ? this.face : null, this.hasBlendshapes ? this.blendshapes : null, this.hasPose ? this.pose : null, this.timeMs);
  }
}

export class ReorderWindow {
  private readonly size: number;
  // a pool of size + 1 frame slots and the state before each
  private readonly slots: FrameSlot[];
  private readonly snapshots: PipelineState[];
  /** Slots of the retained frames, oldest first. */
  private order: number[] = [];
  private newestSeqValue: FrameSeq | null = null;
  private newestCaptureValue: Milliseconds | null = null;
  private readonly recentSeqs = new Float64Array(RECENT_SEQS).fill(NaN);
  private recentHead = 0;

  constructor(size: number, createState: () => PipelineState) {
    this.size = size;
    this.slots = Array.from({ length: size + 1 }, () => new FrameSlot());
    this.snapshots = Array.from({ length: size + 1 }, createState);
  }

  /** Sequence number of the newest accepted frame, or null before the first. */
  get newestSeq(): FrameSeq | null {
    return this.newestSeqValue;
  }

  /** Client capture time of the newest accepted frame, or null before the first. */
  get newestCaptureMs(): Milliseconds | null {
    return this.newestCaptureValue;
  }

  seenRecently(seq: FrameSeq): boolean {
    for (let i = 0; i < RECENT_SEQS; i++) if (this.recentSeqs[i] === seq) return true;
    return false;
  }

  /** A frame newer than every other: keeps the state before it, then processes it. */
  acceptInOrder(frame: LandmarkFrame, state: PipelineState, process: ProcessFrame): void {
    this.remember(frame);
    this.newestSeqValue = frame.seq;
    this.newestCaptureValue = frame.captureTimeMs;
    if (this.size === 0) {
      process(frame.face, frame.blendshapes, frame.pose, frame.captureTimeMs);
      return;
    }
    const k = this.spareSlot();
    const slot = this.slots[k];
    slot.copyFrom(frame);
    copyPipelineState(this.snapshots[k], state);
    slot.replay(process);
    this.order.push(k);
    if (this.order.length > this.size) this.order.shift();
  }

  /**
   * Inserts a frame older than the newest if it fits in the retained window: `restore` puts the
   * state before its successor back, then it and the frames after it are processed in order.
   * False (nothing changed) when it does not fit.
   */
  insertLate(frame: LandmarkFrame, state: PipelineState, restore: (before: PipelineState) => void, process: ProcessFrame): boolean {
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
    restore(before);
    order.splice(i, 0, k);
    for (let j = i; j < order.length; j++) {
      copyPipelineState(this.snapshots[order[j]], state);
      this.slots[order[j]].replay(process);
    }
    while (order.length > this.size) order.shift();
    return true;
  }

  /** Forgets every frame. */
  clear(): void {
    this.order = [];
    this.newestSeqValue = null;
    this.newestCaptureValue = null;
    this.recentSeqs.fill(NaN);
  }

  private remember(frame: LandmarkFrame): void {
    this.recentSeqs[this.recentHead] = frame.seq;
    this.recentHead = (this.recentHead + 1) % RECENT_SEQS;
  }

  private spareSlot(): number {
    for (let i = 0; i < this.slots.length; i++) if (!this.order.includes(i)) return i;
    return 0;
  }
}
