/**
 * Face and pose in two workers at once. Run one after the other in one worker they cost
 * face + pose per frame (about 22 + 36 ms on a 2-core CPU); in two workers a frame costs the
 * slower of the two, so the tracking rate rises by about half where a second core is free.
 * Each worker gets its own copy of the frame; the two halves are joined by seq and encoded here.
 */
import { encodeLandmarkFrame } from '../../../protocol/landmarkFrame.js';
import type { LandmarkTrackerOptions } from './landmarkTracker.js';
import { TrackerWorkerClient, TRACKER_WORKER_URL, type FrameTracker, type TrackerResult } from './trackerWorkerClient.js';

/** Halves waiting for their partner; a frame whose other half never comes is dropped past this many. */
const MAX_PENDING = 8;

export class ParallelTracker implements FrameTracker {
  private onResult: ((result: TrackerResult) => void) | null = null;
  private readonly pending = new Map<number, { face?: TrackerResult; pose?: TrackerResult }>();

  private constructor(
    private readonly face: TrackerWorkerClient,
    private readonly pose: TrackerWorkerClient,
  ) {
    face.listen((r) => this.onHalf('face', r));
    pose.listen((r) => this.onHalf('pose', r));
  }

  static async create(options: Partial<LandmarkTrackerOptions>, url = TRACKER_WORKER_URL): Promise<ParallelTracker> {
    const [face, pose] = await Promise.allSettled([
      TrackerWorkerClient.create({ ...options, parts: 'face' }, url),
      TrackerWorkerClient.create({ ...options, parts: 'pose' }, url),
    ]);
    if (face.status === 'fulfilled' && pose.status === 'fulfilled') return new ParallelTracker(face.value, pose.value);
    if (face.status === 'fulfilled') face.value.dispose();
    if (pose.status === 'fulfilled') pose.value.dispose();
    throw (face.status === 'rejected' ? face.reason : (pose as PromiseRejectedResult).reason) as Error;
  }

  get blendshapes(): boolean {
    return this.face.blendshapes;
  }

  get bundleSources(): Readonly<Record<string, string>> {
    return this.face.bundleSources;
  }

  get delegate(): string {
    return this.face.delegate === this.pose.delegate ? this.face.delegate : `face ${this.face.delegate}, pose ${this.pose.delegate}`;
  }

  listen(fn: ((result: TrackerResult) => void) | null): void {
    this.onResult = fn;
  }

  track(frame: VideoFrame, seq: number, captureTimeMs: number): void {
    let copy: VideoFrame;
    try {
      copy = frame.clone();
    } catch (err) {
      frame.close();
      throw err;
    }
    this.face.track(frame, seq, captureTimeMs);
    this.pose.track(copy, seq, captureTimeMs);
  }

  private onHalf(part: 'face' | 'pose', r: TrackerResult): void {
    const entry = this.pending.get(r.seq) ?? {};
    entry[part] = r;
    if (!entry.face || !entry.pose) {
      this.pending.set(r.seq, entry);
      if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
      return;
    }
    this.pending.delete(r.seq);
    const { face, pose } = entry;
    const failed = face.bytes === null && pose.bytes === null;
    const frame = { seq: r.seq, captureTimeMs: r.captureTimeMs, face: face.face, blendshapes: face.blendshapes, pose: pose.pose };
    this.onResult?.({
      type: 'result',
      ...frame,
      bytes: failed ? null : encodeLandmarkFrame(frame),
      faceMs: face.faceMs,
      poseMs: pose.poseMs,
    });
  }

  dispose(): void {
    this.onResult = null;
    this.pending.clear();
    this.face.dispose();
    this.pose.dispose();
  }
}
