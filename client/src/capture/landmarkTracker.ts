/**
 * MediaPipe tasks-vision FaceLandmarker and/or PoseLandmarker in VIDEO mode, loaded from this
 * server (wasm under /mediapipe/wasm, bundles under /models/mediapipe: no CDN). One tracker may
 * run both tasks or one of them (`parts`: two trackers in two workers run face and pose in
 * parallel). Timestamps given to the tasks strictly increase (detectForVideo requires it).
 */
import { FaceLandmarker, FilesetResolver, PoseLandmarker, type NormalizedLandmark } from '@mediapipe/tasks-vision';
import { BLENDSHAPE_COUNT } from '../../../protocol/landmarkLayout.js';
import type { Milliseconds } from '../../../protocol/units.js';
import { delegateCandidates, webgl2Renderer, type Delegate, type DelegateRequest } from './chooseDelegate.js';

export type TrackedParts = 'both' | 'face' | 'pose';

export interface LandmarkTrackerOptions {
  wasmBase: string;
  modelBase: string;
  poseModel: 'lite' | 'full';
  /** Thresholds (MediaPipe's defaults are 0.5; a person in profile may need less). */
  minFaceDetectionConfidence: number;
  minFacePresenceConfidence: number;
  minPoseDetectionConfidence: number;
  minPosePresenceConfidence: number;
  minTrackingConfidence: number;
  /** Which tasks this tracker runs. */
  parts: TrackedParts;
  /** MediaPipe delegate: 'auto' picks the GPU only on a real (not software) WebGL2 GPU. */
  delegate: DelegateRequest;
}

export const LANDMARK_TRACKER_DEFAULTS: LandmarkTrackerOptions = {
  wasmBase: '/mediapipe/wasm',
  modelBase: '/models/mediapipe',
  poseModel: 'lite',
  minFaceDetectionConfidence: 0.5,
  minFacePresenceConfidence: 0.5,
  minPoseDetectionConfidence: 0.5,
  minPosePresenceConfidence: 0.5,
  minTrackingConfidence: 0.5,
  parts: 'both',
  delegate: 'auto',
};

/** Side of the blank frame each candidate delegate must track once before it is trusted. */
const TEST_FRAME_SIZE = 64;

/** models/mediapipe/manifest.json, written by scripts/mediapipe/buildBundles.ts. */
interface BundleManifest {
  bundles: { file: string; source: 'built' | 'official'; blendshapes: boolean }[];
}

export interface TrackResult {
  face: NormalizedLandmark[] | null;
  /** BLENDSHAPE_COUNT scores in MediaPipe's order, when the face bundle has the blendshape model. */
  blendshapes: Float32Array | null;
  pose: NormalizedLandmark[] | null;
  faceMs: Milliseconds;
  poseMs: Milliseconds;
}

export class LandmarkTracker {
  private lastTimestamp = -1;
  private disposed = false;

  private constructor(
    private readonly face: FaceLandmarker | null,
    private readonly pose: PoseLandmarker | null,
    /** The face bundle has blendshapes (an official bundle). */
    readonly blendshapes: boolean,
    readonly bundleSources: Readonly<Record<string, string>>,
    /** The delegate in use. */
    readonly delegate: Delegate,
  ) {}

  static async create(options: Partial<LandmarkTrackerOptions> = {}): Promise<LandmarkTracker> {
    const o = { ...LANDMARK_TRACKER_DEFAULTS, ...options };
    const manifest = (await (await fetch(`${o.modelBase}/manifest.json`)).json()) as BundleManifest;
    const faceBundle = manifest.bundles.find((b) => b.file === 'face_landmarker.task');
    const poseFile = `pose_landmarker_${o.poseModel}.task`;
    if (!faceBundle || !manifest.bundles.some((b) => b.file === poseFile)) {
      throw new Error(`the server has no MediaPipe bundles (${o.modelBase}/manifest.json lists ${manifest.bundles.map((b) => b.file).join(', ') || 'none'}); run npm run build`);
    }
    const fileset = await FilesetResolver.forVisionTasks(o.wasmBase);
    const sources = Object.fromEntries(manifest.bundles.map((b) => [b.file, b.source]));
    const candidates = delegateCandidates(o.delegate, o.delegate === 'cpu' ? null : webgl2Renderer());
    let lastError: unknown = null;
    for (const delegate of candidates) {
      let face: FaceLandmarker | null = null;
      let pose: PoseLandmarker | null = null;
      try {
        [face, pose] = await Promise.all([
          o.parts === 'pose'
            ? null
            : FaceLandmarker.createFromOptions(fileset, {
                baseOptions: { modelAssetPath: `${o.modelBase}/face_landmarker.task`, delegate },
                runningMode: 'VIDEO',
                numFaces: 1,
                outputFaceBlendshapes: faceBundle.blendshapes,
                outputFacialTransformationMatrixes: false,
                minFaceDetectionConfidence: o.minFaceDetectionConfidence,
                minFacePresenceConfidence: o.minFacePresenceConfidence,
                minTrackingConfidence: o.minTrackingConfidence,
              }),
          o.parts === 'face'
            ? null
            : PoseLandmarker.createFromOptions(fileset, {
                baseOptions: { modelAssetPath: `${o.modelBase}/${poseFile}`, delegate },
                runningMode: 'VIDEO',
                numPoses: 1,
                outputSegmentationMasks: false,
                minPoseDetectionConfidence: o.minPoseDetectionConfidence,
                minPosePresenceConfidence: o.minPosePresenceConfidence,
                minTrackingConfidence: o.minTrackingConfidence,
              }),
        ]);
        const tracker = new LandmarkTracker(face, pose, faceBundle.blendshapes, sources, delegate);
        // A delegate that loads may still fail on its first frame (a GPU without the features it needs).
        tracker.detect(blankFrame(), 0);
        return tracker;
      } catch (err) {
        lastError = err;
        face?.close();
        pose?.close();
        if (delegate !== candidates[candidates.length - 1]) console.warn(`MediaPipe's ${delegate} delegate failed; falling back`, err);
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  /** Tracks one frame. `timestampMs` is made strictly increasing here. */
  detect(frame: TexImageSource, timestampMs: Milliseconds): TrackResult {
    if (this.disposed) throw new Error('LandmarkTracker is disposed');
    const ts = Math.max(Math.round(timestampMs), this.lastTimestamp + 1);
    this.lastTimestamp = ts;
    const t0 = performance.now();
    const f = this.face?.detectForVideo(frame, ts);
    const t1 = performance.now();
    const p = this.pose?.detectForVideo(frame, ts);
    const t2 = performance.now();
    const cats = f?.faceBlendshapes?.[0]?.categories;
    return {
      face: f?.faceLandmarks[0] ?? null,
      blendshapes: cats && cats.length === BLENDSHAPE_COUNT ? Float32Array.from(cats, (c) => c.score) : null,
      pose: p?.landmarks[0] ?? null,
      faceMs: this.face ? t1 - t0 : 0,
      poseMs: this.pose ? t2 - t1 : 0,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.face?.close();
    this.pose?.close();
  }
}

function blankFrame(): OffscreenCanvas {
  const canvas = new OffscreenCanvas(TEST_FRAME_SIZE, TEST_FRAME_SIZE);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#808080';
  ctx.fillRect(0, 0, TEST_FRAME_SIZE, TEST_FRAME_SIZE);
  return canvas;
}
