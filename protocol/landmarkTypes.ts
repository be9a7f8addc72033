import type { FrameSeq, Milliseconds } from './units.js';

/** Number of face landmarks in MediaPipe's face landmarker (468 mesh points + 10 iris points). */
export const FACE_LANDMARK_COUNT = 478;
/** Number of ARKit-style blendshape scores from MediaPipe's face landmarker. */
export const BLENDSHAPE_COUNT = 52;
/** Number of pose landmarks from MediaPipe's pose landmarker (BlazePose topology). */
export const POSE_LANDMARK_COUNT = 33;

/**
 * One camera frame's tracking result, decoded. Coordinates are MediaPipe's normalised image
 * coordinates (x, y in [0, 1] inside the image, z relative depth on roughly the same scale as x).
 */
export interface LandmarkFrame {
  /** Client-assigned sequence number, strictly increasing within a session. */
  seq: FrameSeq;
  /** When the camera frame was captured, on the client's clock (performance.now() based, ms). */
  captureTimeMs: Milliseconds;
  /** 478 x (x, y, z) interleaved, or null when no face was detected. */
  face: Float32Array | null;
  /** 52 blendshape scores in [0, 1] (MediaPipe order), or null when the bundle has no blendshape model. */
  blendshapes: Float32Array | null;
  /** 33 x (x, y, z, visibility) interleaved, or null when no pose was detected. */
  pose: Float32Array | null;
}
