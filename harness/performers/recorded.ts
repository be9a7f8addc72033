/**
 * Recorded performers: the landmark frames of a browser recording (`.exporec`, protocol/recording.ts)
 * or of a server session recording folder (`frames.bin`), replayed at their real pace. A corpus
 * recording (`npm run performers:corpus`) carries its ground truth: it replays endlessly, looped
 * on whole beats so the beat runs on without a seam, and tells the harness where its beats are.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeLandmarkFrame } from '../../protocol/landmarkFrame.js';
import type { LandmarkFrame } from '../../protocol/landmarkTypes.js';
import { readRecording } from '../../protocol/recording.js';
import type { Milliseconds } from '../../protocol/units.js';
import { recordedFeed, type FrameFeed } from '../frameFeed.js';
import { keepAtRate } from './frameRates.js';
import { recordedTruthOf, type RecordedTruth } from './recordedTruth.js';

/** Frames of a server recording's frames.bin: [u32 length][f64 arrival ms][frame bytes] each. */
export function readServerFrames(bytes: Buffer): LandmarkFrame[] {
  const frames: LandmarkFrame[] = [];
  let o = 0;
  while (o + 12 <= bytes.length) {
    const length = bytes.readUInt32LE(o);
    if (o + 12 + length > bytes.length) break; // cut short by a crash: keep what is complete
    frames.push(decodeLandmarkFrame(bytes.subarray(o + 12, o + 12 + length)));
    o += 12 + length;
  }
  return frames;
}

/**
 * A feed from a recording file (.exporec) or a server recording folder. A corpus recording is
 * tracked at `fps` (frames dropped as a slower tracker would) when that is below its own rate.
 */
export function loadRecordedFeed(path: string, fps = Infinity): FrameFeed {
  if (statSync(path).isDirectory()) return recordedFeed(path, readServerFrames(readFileSync(join(path, 'frames.bin'))));
  const records = readRecording(readFileSync(path)).records;
  const frames = records.flatMap((r) => (r.kind === 'frame' ? [r.frame] : []));
  const meta = records.find((r) => r.kind === 'meta');
  if (meta?.kind !== 'meta' || meta.meta.performer === undefined) return recordedFeed(path, frames);
  const truth = recordedTruthOf(meta.meta);
  return groundTruthFeed(path, keepAtRate(frames, truth.fps, Math.min(fps, truth.fps)), truth);
}

/** A corpus recording replayed endlessly with its beats known (feed time 0 = the clip's start). */
export function groundTruthFeed(name: string, frames: readonly LandmarkFrame[], truth: RecordedTruth): FrameFeed {
  if (frames.length === 0) throw new Error(`recording ${name} has no landmark frames`);
  const clipMs = truth.seconds * 1000;
  const periodMs = truth.periodic ? 60_000 / truth.tempoBpm! : null;
  // Looped on whole beats (a periodic clip) or whole (a negative), so the motion has no seam.
  const loopMs = periodMs === null ? clipMs : Math.floor(clipMs / periodMs) * periodMs;
  const atOf = (f: LandmarkFrame): Milliseconds => f.captureTimeMs - truth.clockStartMs;
  const loop = frames.filter((f) => atOf(f) < loopMs);
  if (loop.length === 0) throw new Error(`recording ${name} has no frames in its first ${loopMs} ms`);
  let i = 0;
  return {
    name,
    next() {
      const f = loop[i % loop.length]!;
      const atMs = Math.floor(i / loop.length) * loopMs + atOf(f);
      i++;
      return { atMs, frame: { face: f.face, blendshapes: f.blendshapes, pose: f.pose } };
    },
    beatAt: () => (periodMs === null ? null : { bpm: truth.tempoBpm!, periodMs, anchorMs: truth.beatTimesMs![0]! }),
  };
}
