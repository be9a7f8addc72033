/** Messages between the page and the tracking worker (capture/trackerWorker.ts). */
import type { Milliseconds } from '../../../protocol/units.js';
import type { Delegate } from './chooseDelegate.js';
import type { LandmarkTrackerOptions } from './landmarkTracker.js';

export type ToTracker =
  | { type: 'init'; options: Partial<LandmarkTrackerOptions> }
  /** One camera frame (transferred) and its capture time on the page's clock. */
  | { type: 'frame'; frame: VideoFrame; seq: number; captureTimeMs: Milliseconds };

export type FromTracker =
  | { type: 'ready'; blendshapes: boolean; sources: Record<string, string>; delegate: Delegate }
  | { type: 'error'; message: string }
  /** The encoded landmark frame and its parts (for the overlay), or `bytes: null` when tracking this frame failed. */
  | {
      type: 'result';
      seq: number;
      captureTimeMs: Milliseconds;
      bytes: Uint8Array<ArrayBuffer> | null;
      face: Float32Array | null;
      pose: Float32Array | null;
      blendshapes: Float32Array | null;
      faceMs: Milliseconds;
      poseMs: Milliseconds;
    };
