/**
 * MediaPipe tasks-vision FaceLandmarker + PoseLandmarker in VIDEO mode, loaded from this
 * server (wasm under /mediapipe/wasm, bundles under /models/mediapipe: no CDN). Both tasks see
 * the same frame; timestamps given to them strictly increase (detectForVideo requires it).
 */
import { FaceLandmarker, FilesetResolver, PoseLandmarker, type NormalizedLandmark } from '@mediapipe/tasks-vision';
import { BLENDSHAPE_COUNT } from '../../../protocol/landmarkLayout.js';
import type { Milliseconds } from '../../../protocol/units.js';

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
};

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
    private readonly face: FaceLandmarker,
    private readonly pose: PoseLandmarker,
    /** The face bundle has blendshapes (an official bundle). */
    readonly blendshapes: boolean,
    readonly bundleSources: Readonly<Record<string, string>>,
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
    const [face, pose] = await Promise.all([
      FaceLandmarker.createFromOptions(fileset, {
        baseOptions: { modelAssetPath: `${o.modelBase}/face_landmarker.task`, delegate: 'CPU' },
        runningMode: 'VIDEO',
        numFaces: 1,
        outputFaceBlendshapes: faceBundle.blendshapes,
        outputFacialTransformationMatrixes: false,
        minFaceDetectionConfidence: o.minFaceDetectionConfidence,
        minFacePresenceConfidence: o.minFacePresenceConfidence,
        minTrackingConfidence: o.minTrackingConfidence,
      }),
      PoseLandmarker.createFromOptions(fileset, {
        baseOptions: { modelAssetPath: `${o.modelBase}/${poseFile}`, delegate: 'CPU' },
        runningMode: 'VIDEO',
        numPoses: 1,
        outputSegmentationMasks: false,
        minPoseDetectionConfidence: o.minPoseDetectionConfidence,
        minPosePresenceConfidence: o.minPosePresenceConfidence,
        minTrackingConfidence: o.minTrackingConfidence,
      }),
    ]);
    const sources = Object.fromEntries(manifest.bundles.map((b) => [b.file, b.source]));
    return new LandmarkTracker(face, pose, faceBundle.blendshapes, sources);
  }

  /** Tracks one frame. `timestampMs` is made strictly increasing here. */
  detect(frame: TexImageSource, timestampMs: Milliseconds): TrackResult {
    if (this.disposed) throw new Error('LandmarkTracker is disposed');
    const ts = Math.max(Math.round(timestampMs), this.lastTimestamp + 1);
    this.lastTimestamp = ts;
    const t0 = performance.now();
    const f = this.face.detectForVideo(frame, ts);
    const t1 = performance.now();
    const p = this.pose.detectForVideo(frame, ts);
    const t2 = performance.now();
    const cats = f.faceBlendshapes?.[0]?.categories;
    return {
      face: f.faceLandmarks[0] ?? null,
      blendshapes: cats && cats.length === BLENDSHAPE_COUNT ? Float32Array.from(cats, (c) => c.score) : null,
      pose: p.landmarks[0] ?? null,
      faceMs: t1 - t0,
      poseMs: t2 - t1,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.face.close();
    this.pose.close();
  }
}
