/**
 * Recorded performers: the landmark frames of a browser recording (`.exporec`, protocol/recording.ts)
 * or of a server session recording folder (`frames.bin`), replayed at their real pace.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeLandmarkFrame } from '../../protocol/landmarkFrame.js';
import type { LandmarkFrame } from '../../protocol/landmarkTypes.js';
import { readRecording } from '../../protocol/recording.js';
import { recordedFeed, type FrameFeed } from '../frameFeed.js';

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

/** A feed from a recording file (.exporec) or a server recording folder. */
export function loadRecordedFeed(path: string): FrameFeed {
  const frames = statSync(path).isDirectory()
    ? readServerFrames(readFileSync(join(path, 'frames.bin')))
    : readRecording(readFileSync(path)).records.flatMap((r) => (r.kind === 'frame' ? [r.frame] : []));
  return recordedFeed(path, frames);
}
