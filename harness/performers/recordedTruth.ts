/**
 * The ground truth a recorded performer carries in its meta (`performer`): what the rendered
 * person did, written by scripts/performers/render_clips.py and read back by the corpus test and
 * the harness. Validated here: a recording is a file, and a file may be anything.
 */
import type { RecordingMeta } from '../../protocol/recording.js';

export interface RecordedTruth {
  clip: string;
  /** A periodic gesture on a beat (nod, bob, sway) or a hard negative (still, talker, walk). */
  periodic: boolean;
  /** The beat's tempo and the times of its beats on the recording's clock (periodic clips only). */
  tempoBpm?: number;
  beatTimesMs?: number[];
  /** When each gesture happened (beats, syllables, walking phases), ms from the clip's start. */
  gestureTimesMs: number[];
  gesture: string;
  seconds: number;
  /** The rendered clip's rate, and the tracking rate of this recording. */
  sourceFps: number;
  fps: number;
  /** Capture time of the clip's first frame (ms, client clock): gesture times count from it. */
  clockStartMs: number;
  delegate: string;
  photo: string;
}

const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** The ground truth of a corpus recording's meta; throws when it is missing or malformed. */
export function recordedTruthOf(meta: RecordingMeta): RecordedTruth {
  const p = meta.performer as Partial<RecordedTruth> | undefined;
  if (!p || typeof p !== 'object') throw new Error('the recording has no performer ground truth in its meta');
  const ok =
    typeof p.clip === 'string' &&
    typeof p.periodic === 'boolean' &&
    isNumberArray(p.gestureTimesMs) &&
    typeof p.seconds === 'number' && p.seconds > 0 &&
    typeof p.sourceFps === 'number' && p.sourceFps > 0 &&
    typeof p.fps === 'number' && p.fps > 0 &&
    typeof p.clockStartMs === 'number' &&
    (!p.periodic || (typeof p.tempoBpm === 'number' && p.tempoBpm > 0 && isNumberArray(p.beatTimesMs)));
  if (!ok) throw new Error(`malformed performer ground truth: ${JSON.stringify(p).slice(0, 300)}`);
  return p as RecordedTruth;
}
