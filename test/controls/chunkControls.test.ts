/** forChunk: one question per audio chunk gives what the separate reads give, the beat on the audio timeline. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AudioTimeline } from '../../server/controls/chunkControls.js';
import { framesFor, nodding } from '../../harness/performers/synthetic.js';
import { NETWORK_MS, OFFSET_MS, newTracker } from './helpers.js';

const RATE = 48_000;
/** The listener hears server time `ms` 150 ms after it: sample = (ms - 150 ms) at 48 kHz from server time 0. */
const TIMELINE: AudioTimeline = { sampleRate: RATE, sampleAt: (ms) => ((ms - 150) / 1000) * RATE };

test('forChunk gives the resampled controls, the newest frame and the predicted beat mapped onto the audio timeline', { timeout: 30_000 }, () => {
  const tracker = newTracker();
  const empty = tracker.forChunk(OFFSET_MS, { stepMs: 20, count: 3, timeline: TIMELINE });
  assert.equal(empty.controls.length, 3);
  assert.equal(empty.newestSeq, null);
  assert.equal(empty.newestCaptureMs, null);
  assert.equal(empty.beat, null, 'no beat before any motion');
  let last = { seq: -1, t: NaN };
  for (const f of framesFor(nodding({ bpm: 120 }), { fps: 30, durationMs: 6_000, seed: 3 })) {
    tracker.push(f, f.captureTimeMs + OFFSET_MS + NETWORK_MS);
    last = { seq: f.seq, t: f.captureTimeMs };
  }
  const now = 6_000 + OFFSET_MS + NETWORK_MS;
  const chunk = tracker.forChunk(now, { stepMs: 20, count: 4, timeline: TIMELINE });
  assert.deepEqual(chunk.controls, tracker.resample(now, 20, 4));
  assert.equal(chunk.newestSeq, last.seq);
  assert.equal(chunk.newestCaptureMs, last.t);
  const beat = tracker.beat(now);
  assert.ok(beat !== null && chunk.beat !== null, 'a 120 BPM nodder has a beat');
  assert.equal(chunk.beat.anchorSample, ((beat.nextBeatServerMs - 150) / 1000) * RATE);
  assert.ok(Math.abs(chunk.beat.periodSamples - 0.5 * RATE) < 0.02 * RATE, `period ${chunk.beat.periodSamples} samples at 120 BPM`);
  assert.equal(chunk.beat.strength, beat.strength);
  assert.equal(tracker.forChunk(now, { stepMs: 20, count: 4, timeline: null }).beat, null, 'beat prediction off: no grid');
});
