/** The page's side of the tracking worker: starts it, loads the models, sends frames, gets results. */
import type { Delegate } from './chooseDelegate.js';
import type { LandmarkTrackerOptions } from './landmarkTracker.js';
import type { FromTracker, ToTracker } from './trackerMessages.js';

export type TrackerResult = Extract<FromTracker, { type: 'result' }>;

/** What the capture loop drives: one worker running both tasks, or face and pose in parallel (parallelTracker.ts). */
export interface FrameTracker {
  readonly blendshapes: boolean;
  readonly bundleSources: Readonly<Record<string, string>>;
  /** The MediaPipe delegate(s) in use, e.g. 'CPU' or 'face GPU, pose CPU'. */
  readonly delegate: string;
  listen(fn: ((result: TrackerResult) => void) | null): void;
  /** Sends a frame; the tracker owns (and closes) it from here on. One result comes back per frame. */
  track(frame: VideoFrame, seq: number, captureTimeMs: number): void;
  dispose(): void;
}

export const TRACKER_WORKER_URL = '/dist/tracker-worker.js';

export class TrackerWorkerClient implements FrameTracker {
  private onResult: ((result: TrackerResult) => void) | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly blendshapes: boolean,
    readonly bundleSources: Readonly<Record<string, string>>,
    readonly delegate: Delegate,
  ) {
    worker.onmessage = (ev: MessageEvent<FromTracker>) => {
      if (ev.data.type === 'result') this.onResult?.(ev.data);
    };
  }

  static create(options: Partial<LandmarkTrackerOptions>, url = TRACKER_WORKER_URL): Promise<TrackerWorkerClient> {
    const worker = new Worker(url);
    return new Promise((resolve, reject) => {
      worker.onmessage = (ev: MessageEvent<FromTracker>) => {
        const msg = ev.data;
        if (msg.type === 'ready') resolve(new TrackerWorkerClient(worker, msg.blendshapes, msg.sources, msg.delegate));
        else if (msg.type === 'error') {
          worker.terminate();
          reject(new Error(msg.message));
        }
      };
      worker.onerror = (ev) => {
        worker.terminate();
        reject(new Error(`the tracking worker failed: ${ev.message}`));
      };
      const init: ToTracker = { type: 'init', options };
      worker.postMessage(init);
    });
  }

  /** Where results go (one listener). */
  listen(fn: ((result: TrackerResult) => void) | null): void {
    this.onResult = fn;
  }

  /** Sends a frame; the worker owns (and closes) it from here on. */
  track(frame: VideoFrame, seq: number, captureTimeMs: number): void {
    const msg: ToTracker = { type: 'frame', frame, seq, captureTimeMs };
    this.worker.postMessage(msg, [frame]);
  }

  dispose(): void {
    this.onResult = null;
    this.worker.onmessage = null;
    this.worker.terminate();
  }
}
