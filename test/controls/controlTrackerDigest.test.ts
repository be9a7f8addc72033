/**
 * Pins the tracker's output bit for bit: a fixed landmark sequence (dancing, leaving and
 * returning, out-of-order, duplicated and late frames, a long gap) goes through push and every
 * read, and the SHA-256 of everything it answered must not change. A refactor of
 * server/controls/ that changes any output, even in the last bit, fails here; a deliberate
 * behaviour change updates the digest in the same commit and says why.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { LandmarkFrame } from '../../protocol/landmarkTypes.js';
import { ControlTracker, type ControlTrackerInit } from '../../server/controls/controlTracker.js';
import { dancing, framesFor, jittery, leavesAndReturns } from '../../harness/performers/synthetic.js';

const OFFSET_MS = 5_000;

/** The frames in a scrambled arrival order: pairs swapped, one resent, one very late, and a 2 s hole. */
function scrambled(): LandmarkFrame[] {
  const frames = [...framesFor(leavesAndReturns(jittery(dancing({ bpm: 110 }))), { fps: 30, durationMs: 12_000, jitterMs: 5, seed: 11 })];
  const out: LandmarkFrame[] = [];
  for (let i = 0; i < frames.length; i++) {
    const t = frames[i].captureTimeMs;
    if (t > 6_000 && t < 8_000) continue;
    if (i % 17 === 3 && i + 1 < frames.length) {
      out.push(frames[i + 1], frames[i]);
      i++;
    } else out.push(frames[i]);
    if (i % 29 === 0) out.push(frames[i]);
    if (i % 41 === 7 && i > 10) out.push(frames[i - 9]);
  }
  return out;
}

function digest(init: ControlTrackerInit, manualOffset: boolean): string {
  const tracker = new ControlTracker(init);
  if (manualOffset) tracker.setClockOffset(OFFSET_MS);
  const hash = createHash('sha256');
  const put = (values: ArrayLike<number>): void => {
    hash.update(new Uint8Array(Float64Array.from(values).buffer));
  };
  let k = 0;
  for (const f of scrambled()) {
    const arrival = f.captureTimeMs + OFFSET_MS + 30 + (k % 5) * 7;
    hash.update(tracker.push(f, arrival));
    put(tracker.current(arrival));
    const beat = tracker.beat(arrival);
    put(beat === null ? [NaN] : [beat.nextBeatServerMs, beat.periodMs, beat.strength]);
    put([tracker.newestSeq ?? NaN, tracker.newestCaptureMs ?? NaN, tracker.clockOffsetMs]);
    if (k % 4 === 0) {
      for (const mode of ['hold', 'delayed-linear', 'extrapolate'] as const) {
        for (const v of tracker.resample(arrival + 12, 20, 8, mode)) put(v);
      }
    }
    k++;
  }
  // after the last frame: the glide to NEUTRAL
  for (let t = 12_000; t < 16_000; t += 137) for (const v of tracker.resample(t + OFFSET_MS, 20, 3, 'extrapolate')) put(v);
  hash.update(JSON.stringify(tracker.counts));
  return hash.digest('hex');
}

test('the tracker answers a fixed frame sequence exactly as before (manual clock offset, reorder window 2)', { timeout: 60_000 }, () => {
  assert.equal(digest({}, true), '164f90ba15c7b913e35065dad12175cc88f5dc993cb231b1bee4a2279cdcfaad');
});

test('the tracker answers a fixed frame sequence exactly as before (arrival-based clock, no reorder window)', { timeout: 60_000 }, () => {
  assert.equal(digest({ reorderFrames: 0, resampleMode: 'extrapolate' }, false), '561a3ef4e11b7c06bb51db4bcc3840135175e59f015a1d4688ff701954534a67');
});
