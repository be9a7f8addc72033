/** Draws the tracked face mesh and body skeleton over the camera preview. */
import { FaceLandmarker, PoseLandmarker } from '@mediapipe/tasks-vision';
import type { LandmarkFrame } from '../../../protocol/landmarkTypes.js';

type Connection = { start: number; end: number };

export class LandmarkOverlay {
  private readonly ctx: CanvasRenderingContext2D;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas');
    this.ctx = ctx;
  }

  /** Draws one result; the canvas takes the video's pixel size so coordinates match. */
  draw(result: LandmarkFrame | null, width: number, height: number): void {
    const { canvas, ctx } = this;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    ctx.clearRect(0, 0, width, height);
    if (!result) return;
    const unit = Math.max(1, Math.min(width, height) / 240);
    const face = result.face;
    if (face) {
      ctx.fillStyle = 'rgba(79, 195, 161, 0.55)';
      for (let i = 0; i < face.length; i += 3) ctx.fillRect(face[i]! * width - unit / 2, face[i + 1]! * height - unit / 2, unit, unit);
      this.lines(face, 3, FaceLandmarker.FACE_LANDMARKS_CONTOURS, width, height, 'rgba(160, 240, 215, 0.9)', unit);
    }
    const pose = result.pose;
    if (pose) {
      this.lines(pose, 4, PoseLandmarker.POSE_CONNECTIONS, width, height, 'rgba(232, 176, 75, 0.95)', 2 * unit);
      ctx.fillStyle = 'rgba(255, 225, 160, 0.95)';
      for (let i = 0; i < pose.length; i += 4) {
        if (pose[i + 3]! < 0.5) continue;
        ctx.beginPath();
        ctx.arc(pose[i]! * width, pose[i + 1]! * height, 2 * unit, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }

  /** Connections between points of a flat array with `stride` values per point (pose: visibility 4th, hidden joints skipped). */
  private lines(points: Float32Array, stride: 3 | 4, connections: Connection[], w: number, h: number, color: string, width: number): void {
    const { ctx } = this;
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    for (const c of connections) {
      const a = c.start * stride;
      const b = c.end * stride;
      if (b + 1 >= points.length || a + 1 >= points.length) continue;
      if (stride === 4 && (points[a + 3]! < 0.5 || points[b + 3]! < 0.5)) continue;
      ctx.moveTo(points[a]! * w, points[a + 1]! * h);
      ctx.lineTo(points[b]! * w, points[b + 1]! * h);
    }
    ctx.stroke();
  }

  clear(): void {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }
}
