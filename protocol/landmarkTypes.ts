import type { FrameSeq, Milliseconds } from './units.js';

// The counts live with the rest of the layout; re-exported here, where the frame type uses them.
export { BLENDSHAPE_COUNT, FACE_LANDMARK_COUNT, POSE_LANDMARK_COUNT } from './landmarkLayout.js';

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
