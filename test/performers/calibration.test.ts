/**
 * Calibration on real landmarks: each corpus recording (real MediaPipe face and pose, see
 * corpusFixtures.ts) replayed through the real ControlTracker at 6, 12, 20 and 30 fps, and its
 * controls driving the real StepClock, the part of the music that decides its tempo. What a user
 * notices: a periodic nod or bob makes the music follow their tempo (within 2 BPM, half or
 * double time allowed) within four beats of starting, with its beats predicted on the
 * performer's (within 60 ms); standing still, talking or walking past
 * leaves the music at the style's tempo.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { C, NEUTRAL } from '../../protocol/controlVector.js';
import type { Bpm, Milliseconds } from '../../protocol/units.js';
import { keepAtRate } from '../../harness/performers/frameRates.js';
import { foldedTempoError, TEMPO_FOLLOW_TOLERANCE_BPM } from '../../harness/tempoFollow.js';
import { beatGridOf, type AudioTimeline } from '../../server/controls/chunkControls.js';
import { ControlTracker } from '../../server/controls/controlTracker.js';
import { StepClock } from '../../server/generation/symbolic/stepClock.js';
import { STYLE_PRESETS } from '../../server/generation/symbolic/stylePresets.js';
import { loadFixtures, RATES, type Fixture } from './corpusFixtures.js';

/** The StepClock's default: from this beatStrength the music's tempo follows the motion's. */
const FOLLOW_STRENGTH = 0.6;
/** The music must follow within this many of the performer's beats. */
const BEATS_TO_FOLLOW = 4;
const SAMPLE_RATE = 48_000;
/** House (120-128 BPM): none of the clips' tempi is inside its range, so following is audible. */
const STYLE = STYLE_PRESETS.house;
const STYLE_BPM: Bpm = (STYLE.tempo[0] + STYLE.tempo[1]) / 2;
/** Once following, a predicted beat may be this far from the performer's: half a 16th at 120 BPM still sounds on the beat. */
const BEAT_TOLERANCE_MS = 60;

interface Moment {
  /** Since the clip's start. */
  atMs: Milliseconds;
  strength: number;
  heardBpm: Bpm;
  /** The next beat the tracker predicts (since the clip's start), or null. */
  nextBeatMs: Milliseconds | null;
}

interface Replay {
  /** The controls after every frame. */
  moments: Moment[];
  /** The music's tempo at every 16th-note step. */
  music: { atMs: Milliseconds; bpm: Bpm }[];
}

/**
 * A recording tracked at `fps`, through a ControlTracker (frames arrive as they are captured)
 * and, at every step the music plays meanwhile, the StepClock fed as the symbolic stream feeds it.
 */
function replay(fx: Fixture, fps: number): Replay {
  const frames = keepAtRate(fx.frames, fx.truth.fps, fps);
  const tracker = new ControlTracker();
  const startMs = fx.truth.clockStartMs;
  const timeline: AudioTimeline = { sampleRate: SAMPLE_RATE, sampleAt: (ms) => ((ms - startMs) * SAMPLE_RATE) / 1000 };
  const clock = new StepClock({ sampleRate: SAMPLE_RATE }, 0);
  const moments: Moment[] = [];
  const music: Replay['music'] = [];
  for (const frame of frames) {
    const t = frame.captureTimeMs;
    tracker.push(frame, t);
    const v = tracker.current(t);
    const beat = tracker.beat(t);
    moments.push({ atMs: t - startMs, strength: v[C.beatStrength]!, heardBpm: v[C.tempo]!, nextBeatMs: beat === null ? null : beat.nextBeatServerMs - startMs });
    while (clock.nextTrigger <= timeline.sampleAt(t)) {
      const timing = clock.advance({
        styleBpm: STYLE_BPM,
        tempoRange: STYLE.tempo,
        swing: 0,
        beat: beat === null ? null : beatGridOf(beat, timeline),
        motionStrength: v[C.beatStrength]!,
        motionTempo: v[C.tempo]!,
      });
      music.push({ atMs: (timing.start * 1000) / SAMPLE_RATE, bpm: timing.bpm });
    }
  }
  return { moments, music };
}

/** From when on the music's tempo stays within the tolerance of the truth (half and double allowed), or null. */
function musicFollowsFrom(music: Replay['music'], truthBpm: Bpm): Milliseconds | null {
  let from: Milliseconds | null = null;
  for (const m of music) {
    if (Math.abs(foldedTempoError(m.bpm, truthBpm)) <= TEMPO_FOLLOW_TOLERANCE_BPM) from ??= m.atMs;
    else from = null;
  }
  return from;
}

const fixtures = loadFixtures();
const byClip = (clip: string): Fixture => {
  const f = fixtures.find((x) => x.truth.clip === clip);
  assert.ok(f, `the corpus has a ${clip} clip`);
  return f;
};

for (const clip of ['nod', 'bob', 'swaybob']) {
  const fx = byClip(clip);
  const truthBpm = fx.truth.tempoBpm!;
  const periodMs = 60_000 / truthBpm;
  // The motion starts with the first beat's down-stroke.
  const motionStartMs = fx.truth.gestureTimesMs[0]!;
  const deadlineMs = motionStartMs + BEATS_TO_FOLLOW * periodMs;
  for (const fps of RATES) {
    test(`the music follows a real ${truthBpm} BPM ${fx.truth.clip} at ${fps} fps within ${BEATS_TO_FOLLOW} beats`, { timeout: 30_000 }, () => {
      const { moments, music } = replay(fx, fps);
      const follow = moments.find((m) => m.strength >= FOLLOW_STRENGTH);
      const musicFrom = musicFollowsFrom(music, truthBpm);
      const beatsAfter = (ms: Milliseconds | null | undefined): string => (ms == null ? 'never' : `${((ms - motionStartMs) / periodMs).toFixed(1)} beats`);
      const line =
        `${fx.file} at ${fps} fps: beatStrength >= ${FOLLOW_STRENGTH} after ${beatsAfter(follow?.atMs)}, ` +
        `heard ${moments.at(-1)!.heardBpm.toFixed(1)} BPM, music within ${TEMPO_FOLLOW_TOLERANCE_BPM} BPM after ${beatsAfter(musicFrom)} ` +
        `(truth ${truthBpm.toFixed(1)})`;
      console.log(`  ${line}`);
      assert.ok(follow !== undefined && follow.atMs <= deadlineMs, line);
      // From then on the strength holds and the heard tempo is the performer's.
      for (const m of moments.filter((x) => x.atMs >= follow.atMs)) {
        assert.ok(m.strength >= FOLLOW_STRENGTH, `${line}; strength ${m.strength.toFixed(2)} at ${m.atMs.toFixed(0)} ms`);
        assert.ok(
          Math.abs(foldedTempoError(m.heardBpm, truthBpm)) <= TEMPO_FOLLOW_TOLERANCE_BPM,
          `${line}; heard ${m.heardBpm.toFixed(1)} BPM at ${m.atMs.toFixed(0)} ms`,
        );
      }
      assert.ok(musicFrom !== null && musicFrom <= deadlineMs, line);
      // After four beats every predicted beat is on one of the performer's (the music's beats lock to these).
      for (const m of moments.filter((x) => x.atMs >= deadlineMs)) {
        assert.ok(m.nextBeatMs !== null, `${line}; no beat predicted at ${m.atMs.toFixed(0)} ms`);
        const offset = m.nextBeatMs - fx.truth.beatTimesMs![0]!;
        const error = offset - Math.round(offset / periodMs) * periodMs;
        assert.ok(Math.abs(error) <= BEAT_TOLERANCE_MS, `${line}; the beat predicted at ${m.atMs.toFixed(0)} ms is ${error.toFixed(0)} ms off`);
      }
    });
  }
}

for (const [clip, what] of [['still', 'a person standing still'], ['talker', 'a person talking'], ['walk', 'a person walking in and out']] as const) {
  const fx = byClip(clip);
  for (const fps of RATES) {
    test(`the music keeps the style's tempo for ${what} at ${fps} fps`, { timeout: 30_000 }, () => {
      const { moments, music } = replay(fx, fps);
      const strongest = Math.max(...moments.map((m) => m.strength));
      assert.ok(strongest < FOLLOW_STRENGTH, `${fx.file} at ${fps} fps: beatStrength reached ${strongest.toFixed(2)}`);
      const off = music.find((m) => Math.abs(m.bpm - STYLE_BPM) > 0.01);
      assert.equal(off, undefined, `${fx.file} at ${fps} fps: the music moved to ${off?.bpm.toFixed(1)} BPM at ${off?.atMs.toFixed(0)} ms`);
    });
  }
}

test('a person walking out of the frame never sets the heard tempo, at any tracking rate from 6 to 30 fps', { timeout: 30_000 }, () => {
  const fx = byClip('walk');
  for (const fps of [6, 8, 10, 12, 15, 20, 25, 30]) {
    const moved = replay(fx, fps).moments.find((m) => m.heardBpm !== NEUTRAL.tempo);
    assert.equal(moved, undefined, `${fx.file} at ${fps} fps: heard ${moved?.heardBpm.toFixed(1)} BPM at ${moved?.atMs.toFixed(0)} ms`);
  }
});
