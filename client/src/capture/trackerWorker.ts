/**
 * The tracking worker: MediaPipe face and pose run here, off the page's main thread, so audio
 * scheduling and the UI never wait for a 40-60 ms detection. Bundled as a classic worker script
 * (tasks-vision loads its wasm loader with importScripts).
 */
import { encodeLandmarkFrame } from '../../../protocol/landmarkFrame.js';
import { toLandmarkFrame } from './landmarkFrameOf.js';
import { LandmarkTracker } from './landmarkTracker.js';
import type { FromTracker, ToTracker } from './trackerMessages.js';

const scope = self as unknown as { onmessage: ((ev: MessageEvent<ToTracker>) => void) | null; postMessage(msg: FromTracker, transfer?: Transferable[]): void };
let tracker: LandmarkTracker | null = null;

scope.onmessage = (ev) => {
  const msg = ev.data;
  if (msg.type === 'init') {
    tracker?.dispose();
    tracker = null;
    LandmarkTracker.create(msg.options).then(
      (t) => {
        tracker = t;
        scope.postMessage({ type: 'ready', blendshapes: t.blendshapes, sources: { ...t.bundleSources }, delegate: t.delegate });
      },
      (err: unknown) => scope.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
    return;
  }
  const { frame, seq, captureTimeMs } = msg;
  try {
    if (!tracker) throw new Error('the tracker is not ready');
    const result = tracker.detect(frame, captureTimeMs);
    const lf = toLandmarkFrame(result, seq, captureTimeMs);
    const bytes = encodeLandmarkFrame(lf);
    const transfer: Transferable[] = [bytes.buffer];
    scope.postMessage(
      { type: 'result', seq, captureTimeMs, bytes, face: lf.face, pose: lf.pose, blendshapes: lf.blendshapes, faceMs: result.faceMs, poseMs: result.poseMs },
      transfer,
    );
  } catch (err) {
    console.warn('tracking failed on a frame', err);
    scope.postMessage({ type: 'result', seq, captureTimeMs, bytes: null, face: null, pose: null, blendshapes: null, faceMs: 0, poseMs: 0 });
  } finally {
    frame.close();
  }
};
