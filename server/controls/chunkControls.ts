/**
 * What the tracker tells the generator for one audio chunk (ControlTracker.forChunk): the
 * control vectors on the chunk's step clock, which frame they come from, and the performer's
 * beat mapped onto the session's audio timeline.
 */
import type { ControlVector } from '../../protocol/controlVector.js';
import type { FrameSeq, Hz, Milliseconds, Samples, Unit } from '../../protocol/units.js';

/** The performer's motion beat mapped onto the session's audio timeline (beat prediction). */
export interface BeatGrid {
  /** A sample index at which a performer beat will be heard (already extrapolated by the pipeline latency). */
  anchorSample: Samples;
  /** Beat period in samples, from the tracked tempo. */
  periodSamples: Samples;
  /** Tracker confidence in [0, 1]; engines lock their grid to it only when it is high enough. */
  strength: Unit;
}

/** The performer's next beat on the server clock. */
export interface PredictedBeat {
  /** The next performer beat at or after `now`, on the server clock. */
  nextBeatServerMs: Milliseconds;
  periodMs: Milliseconds;
  /** The beatStrength control at `now`. */
  strength: number;
}

/** Where the session's audio is heard: the listener's playhead on the server clock. */
export interface AudioTimeline {
  readonly sampleRate: Hz;
  /** The (fractional) sample heard at server time `ms`. */
  sampleAt(ms: Milliseconds): Samples;
}

export interface ChunkControlsRequest {
  /** Time between control vectors (the generator's control step). */
  stepMs: Milliseconds;
  /** How many control vectors the chunk needs. */
  count: number;
  /** The audio timeline to map the beat onto; null: no beat grid (beat prediction off). */
  timeline: AudioTimeline | null;
}

export interface ChunkControls {
  /** `count` vectors, `stepMs` apart from now. */
  controls: ControlVector[];
  /** Sequence number and client capture time of the newest frame they reflect (null before the first). */
  newestSeq: FrameSeq | null;
  newestCaptureMs: Milliseconds | null;
  beat: BeatGrid | null;
}

/** The predicted beat on the audio timeline: onsets there are heard on the performer's beats. */
export function beatGridOf(beat: PredictedBeat, timeline: AudioTimeline): BeatGrid {
  return {
    anchorSample: timeline.sampleAt(beat.nextBeatServerMs),
    periodSamples: (beat.periodMs / 1000) * timeline.sampleRate,
    strength: beat.strength,
  };
}
