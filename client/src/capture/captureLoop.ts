/**
 * The capture loop: for each camera frame the video presents (requestVideoFrameCallback), hand
 * one VideoFrame (both tasks see the same frame) to the tracking worker, stamped with the
 * frame's capture time on the client clock (performance.now()). One frame is in flight at a
 * time: frames the camera presents meanwhile are skipped, and the stats say how many.
 */
import type { LandmarkFrame } from '../../../protocol/landmarkTypes.js';
import { percentile } from '../../../protocol/statistics.js';
import type { Milliseconds } from '../../../protocol/units.js';
import type { FrameTracker, TrackerResult } from './trackerWorkerClient.js';

export interface CapturedFrame {
  frame: LandmarkFrame;
  /** The frame as sent on the wire. */
  bytes: Uint8Array<ArrayBuffer>;
  faceMs: Milliseconds;
  poseMs: Milliseconds;
}

export interface CaptureStats {
  /** Frames the camera presented since start. */
  framesDelivered: number;
  framesProcessed: number;
  framesWithFace: number;
  framesWithPose: number;
  /** Processed frames per second over the last second. */
  processedFps: number;
  /** Median of recent per-frame tracking time (face + pose), and of each part. */
  detectMsP50: Milliseconds;
  faceMsP50: Milliseconds;
  poseMsP50: Milliseconds;
  /** Median of recent capture-to-send times: capture time to the tracked frame handed to the link. */
  captureToSendMsP50: Milliseconds;
  lastFrameBytes: number;
}

/** The median, 0 before any value (the stats panel shows a number). */
function median(values: readonly number[]): number {
  return values.length === 0 ? 0 : percentile(values, 50);
}

export class CaptureLoop {
  private handle: number | null = null;
  private active = false;
  private inFlight = false;
  /** Bumped by resetSequence: a result from before the reset belongs to the old session's numbering. */
  private generation = 0;
  private inFlightGeneration = 0;
  private seq = 0;
  private firstPresented: number | null = null;
  private lastPresented = 0;
  private readonly processedTimes: number[] = [];
  private readonly faceMs: number[] = [];
  private readonly poseMs: number[] = [];
  private readonly captureToSendMs: number[] = [];
  private processed = 0;
  private withFace = 0;
  private withPose = 0;
  private lastBytes = 0;
  private readonly onVideoFrame = (now: DOMHighResTimeStamp, meta: VideoFrameCallbackMetadata): void => this.onPresented(now, meta);

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly tracker: FrameTracker,
    private readonly onFrame: (captured: CapturedFrame) => void,
  ) {
    tracker.listen((r) => this.onResult(r));
  }

  get running(): boolean {
    return this.active;
  }

  start(): void {
    this.active = true;
    this.handle ??= this.video.requestVideoFrameCallback(this.onVideoFrame);
  }

  stop(): void {
    this.active = false;
    if (this.handle !== null) this.video.cancelVideoFrameCallback(this.handle);
    this.handle = null;
  }

  /** Sequence numbers restart with each session (the server expects them to increase within one). */
  resetSequence(): void {
    this.seq = 0;
    this.generation++;
  }

  stats(): CaptureStats {
    const now = performance.now();
    while (this.processedTimes.length > 0 && this.processedTimes[0]! < now - 1000) this.processedTimes.shift();
    return {
      framesDelivered: this.firstPresented === null ? 0 : this.lastPresented - this.firstPresented + 1,
      framesProcessed: this.processed,
      framesWithFace: this.withFace,
      framesWithPose: this.withPose,
      processedFps: this.processedTimes.length,
      detectMsP50: median(this.faceMs.map((f, i) => f + (this.poseMs[i] ?? 0))),
      faceMsP50: median(this.faceMs),
      poseMsP50: median(this.poseMs),
      captureToSendMsP50: median(this.captureToSendMs),
      lastFrameBytes: this.lastBytes,
    };
  }

  private onPresented(now: DOMHighResTimeStamp, meta: VideoFrameCallbackMetadata): void {
    this.handle = null;
    this.firstPresented ??= meta.presentedFrames;
    this.lastPresented = meta.presentedFrames;
    if (!this.inFlight) {
      const captureTimeMs = meta.captureTime ?? now;
      try {
        const frame = new VideoFrame(this.video, { timestamp: Math.round(captureTimeMs * 1000) });
        this.inFlight = true;
        this.inFlightGeneration = this.generation;
        this.tracker.track(frame, this.seq++, captureTimeMs);
      } catch (err) {
        console.warn('could not grab a camera frame', err);
      }
    }
    if (this.active) this.handle ??= this.video.requestVideoFrameCallback(this.onVideoFrame);
  }

  private onResult(r: TrackerResult): void {
    this.inFlight = false;
    if (!r.bytes) return;
    const now = performance.now();
    this.processed++;
    if (r.face) this.withFace++;
    if (r.pose) this.withPose++;
    this.processedTimes.push(now);
    this.faceMs.push(r.faceMs);
    this.poseMs.push(r.poseMs);
    if (this.faceMs.length > 60) this.faceMs.shift();
    if (this.poseMs.length > 60) this.poseMs.shift();
    this.captureToSendMs.push(now - r.captureTimeMs);
    if (this.captureToSendMs.length > 60) this.captureToSendMs.shift();
    this.lastBytes = r.bytes.byteLength;
    if (!this.active || this.inFlightGeneration !== this.generation) return;
    this.onFrame({
      frame: { seq: r.seq, captureTimeMs: r.captureTimeMs, face: r.face, pose: r.pose, blendshapes: r.blendshapes },
      bytes: r.bytes,
      faceMs: r.faceMs,
      poseMs: r.poseMs,
    });
  }

  dispose(): void {
    this.stop();
    this.tracker.listen(null);
  }
}
