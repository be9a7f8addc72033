/**
 * Where a session client's landmark frames come from, in time order: a synthetic performer
 * sampled at a camera rate, or a recording replayed at its real pace.
 */
import type { LandmarkFrame } from '../protocol/landmarkTypes.js';
import type { Milliseconds } from '../protocol/units.js';
import type { BeatTruth, Performer, PerformerFrame } from './performers/synthetic.js';

export interface FeedItem {
  /** When to send it, ms after streaming starts. */
  atMs: Milliseconds;
  frame: PerformerFrame;
}

export interface FrameFeed {
  readonly name: string;
  /** The next frame, or null when the feed is over. */
  next(): FeedItem | null;
  /** The performer's motion beat at a feed time, when known (synthetic performers). */
  beatAt?(atMs: Milliseconds): BeatTruth | null;
}

/** A synthetic performer filmed at `fps`, skipping the frames it drops; endless unless `durationMs`. */
export function performerFeed(performer: Performer, fps = 30, durationMs = Infinity): FrameFeed {
  const interval = 1000 / fps;
  let i = 0;
  return {
    name: performer.name,
    next() {
      for (;;) {
        const atMs = i++ * interval;
        if (atMs > durationMs) return null;
        if (!performer.dropped?.(atMs)) return { atMs, frame: performer.frameAt(atMs) };
      }
    },
    beatAt: (atMs) => performer.truth(atMs).beat,
  };
}

/** Recorded frames replayed with their original spacing (capture times), from the first one. */
export function recordedFeed(name: string, frames: readonly LandmarkFrame[]): FrameFeed {
  if (frames.length === 0) throw new Error(`recording ${name} has no landmark frames`);
  const t0 = frames[0]!.captureTimeMs;
  let i = 0;
  return {
    name,
    next() {
      const f = frames[i++];
      if (!f) return null;
      return { atMs: f.captureTimeMs - t0, frame: { face: f.face, blendshapes: f.blendshapes, pose: f.pose } };
    },
  };
}
