/**
 * The performer corpus's tracking page (scripts/performers/makeCorpus.ts loads it in headless
 * Chromium): tracks every frame of a .y4m clip with the real client tracker (face and pose in
 * their workers, exactly what the camera path runs) and returns the encoded landmark frames.
 * Frames are fed one at a time, stamped on the clip's own 30 fps clock, so the result does not
 * depend on how fast this machine tracks.
 */
import { ParallelTracker } from '../capture/parallelTracker.js';
import type { TrackerResult } from '../capture/trackerWorkerClient.js';

interface Y4m {
  width: number;
  height: number;
  fps: number;
  frames: Uint8Array[];
}

/** A 4:2:0 YUV4MPEG2 file (the header line, then `FRAME\n` + Y, U and V planes per frame). */
function parseY4m(bytes: Uint8Array): Y4m {
  const headerEnd = bytes.indexOf(0x0a);
  const header = new TextDecoder().decode(bytes.subarray(0, headerEnd)).split(' ');
  if (header[0] !== 'YUV4MPEG2') throw new Error('not a YUV4MPEG2 file');
  const field = (c: string): string => header.find((h) => h.startsWith(c))?.slice(1) ?? '';
  const width = Number(field('W'));
  const height = Number(field('H'));
  const [num, den] = field('F').split(':').map(Number);
  if (!(width > 0 && height > 0 && num! > 0 && den! > 0)) throw new Error(`bad y4m header ${header.join(' ')}`);
  const frameBytes = (width * height * 3) / 2;
  const frames: Uint8Array[] = [];
  for (let o = headerEnd + 1; o + 6 + frameBytes <= bytes.length; o += 6 + frameBytes) frames.push(bytes.subarray(o + 6, o + 6 + frameBytes));
  return { width, height, fps: num! / den!, frames };
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export interface TrackedClip {
  fps: number;
  delegate: string;
  /** Per source frame: the encoded landmark frame (base64), or null where tracking failed. */
  frames: (string | null)[];
  captureTimesMs: number[];
}

/** The clip clock starts here (capture times must be positive and strictly increasing). */
const CLOCK_START_MS = 1000;

async function trackClip(url: string): Promise<TrackedClip> {
  const clip = parseY4m(new Uint8Array(await (await fetch(url)).arrayBuffer()));
  const tracker = await ParallelTracker.create({ delegate: 'cpu' });
  let pending: ((r: TrackerResult) => void) | null = null;
  tracker.listen((r) => pending?.(r));
  const frames: (string | null)[] = [];
  const captureTimesMs: number[] = [];
  try {
    for (const [seq, planes] of clip.frames.entries()) {
      const captureTimeMs = CLOCK_START_MS + (seq * 1000) / clip.fps;
      const frame = new VideoFrame(planes, { format: 'I420', codedWidth: clip.width, codedHeight: clip.height, timestamp: Math.round(captureTimeMs * 1000) });
      const result = await new Promise<TrackerResult>((resolve) => {
        pending = resolve;
        tracker.track(frame, seq, captureTimeMs);
      });
      frames.push(result.bytes ? base64(result.bytes) : null);
      captureTimesMs.push(captureTimeMs);
    }
    return { fps: clip.fps, delegate: tracker.delegate, frames, captureTimesMs };
  } finally {
    tracker.dispose();
  }
}

(globalThis as unknown as { trackClip: typeof trackClip }).trackClip = trackClip;
