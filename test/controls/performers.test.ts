import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  beatTimes,
  dancing,
  droppingFrames,
  framesFor,
  handsJump,
  jittery,
  leavesAndReturns,
  nextBeat,
  nodding,
  smileRamp,
  smileThenFrown,
  still,
  swingingArms,
} from '../../harness/performers/synthetic.js';
import { hashSeed, mulberry32 } from '../../harness/performers/rng.js';

const ALL = [
  still(), nodding({ bpm: 90 }), swingingArms({ bpm: 100 }), dancing({ bpm: 110 }), smileRamp(), smileThenFrown(),
  handsJump(), leavesAndReturns(), jittery(), droppingFrames(nodding()), still({ base: { blendshapes: true } }),
];

test('every performer draws full-size, finite MediaPipe frames in normalised image coordinates', () => {
  for (const p of ALL) {
    for (const t of [0, 1234.5, 3000, 7000]) {
      const f = p.frameAt(t);
      if (f.face) {
        assert.equal(f.face.length, 478 * 3, p.name);
        assert.ok(f.face.every(Number.isFinite), p.name);
        for (let i = 0; i < 478; i++) {
          assert.ok(f.face[3 * i] > 0 && f.face[3 * i] < 1 && f.face[3 * i + 1] > 0 && f.face[3 * i + 1] < 1, `${p.name} point ${i}`);
        }
      }
      if (f.pose) {
        assert.equal(f.pose.length, 33 * 4, p.name);
        assert.ok(f.pose.every(Number.isFinite), p.name);
      }
      if (f.blendshapes) assert.equal(f.blendshapes.length, 52);
    }
  }
});

test('frames are a pure function of time (seeded noise included)', () => {
  const p = jittery(nodding({ bpm: 100 }), { sigma: 0.003, seed: 4 });
  assert.deepEqual(p.frameAt(1500.25), p.frameAt(1500.25));
  assert.notDeepEqual(p.frameAt(1500.25).face, jittery(nodding({ bpm: 100 }), { sigma: 0.003, seed: 5 }).frameAt(1500.25).face);
  assert.notEqual(hashSeed(1, 0.5), hashSeed(1, 0.25));
  const r = mulberry32(42);
  const first = [r(), r(), r()];
  const again = mulberry32(42);
  assert.deepEqual(first, [again(), again(), again()]);
});

test('framesFor: sequence numbers, capture times on the client clock, jitter, drops', () => {
  const frames = Array.from(framesFor(still(), { fps: 30, durationMs: 1000, clockOffsetMs: 500, jitterMs: 5, seed: 3 }));
  assert.equal(frames.length, 30);
  frames.forEach((f, i) => {
    assert.equal(f.seq, i);
    assert.ok(Math.abs(f.captureTimeMs - (500 + i * (1000 / 30))) <= 5 + 1e-9);
    if (i > 0) assert.ok(f.captureTimeMs > frames[i - 1].captureTimeMs);
  });
  const dropped = Array.from(framesFor(droppingFrames(still(), { fraction: 0.3, seed: 9 }), { durationMs: 10_000 }));
  assert.ok(dropped.length > 300 * 0.6 && dropped.length < 300 * 0.8, `${dropped.length} of 300 sent`);
  assert.ok(dropped.every((f, i) => f.seq === i), 'a lost camera frame takes no sequence number');
});

test('truth: beats, presence, controls', () => {
  const n = nodding({ bpm: 120, anchorMs: 100 });
  const beat = n.truth(0).beat!;
  assert.equal(beat.periodMs, 500);
  assert.equal(nextBeat(beat, 101), 600);
  assert.deepEqual(beatTimes(beat, 0, 1200), [100, 600, 1100]);
  assert.equal(n.truth(0).controls.tempo, 120);
  // the nose is lowest in the image on the beat
  const noseY = (t: number): number => n.frameAt(t).face![3 * 1 + 1];
  assert.ok(noseY(600) > noseY(550) && noseY(600) > noseY(650) && noseY(600) > noseY(850));
  const away = leavesAndReturns(still(), { leaveMs: 1000, returnMs: 2000 });
  assert.deepEqual(away.frameAt(1500), { face: null, blendshapes: null, pose: null });
  assert.equal(away.truth(1500).present, false);
  assert.equal(away.truth(2500).present, true);
  assert.equal(smileRamp({ startMs: 0, durationMs: 1000 }).truth(500).controls.valence, 0);
  assert.equal(handsJump({ atMs: 100 }).truth(200).controls.handHeight, 1);
  assert.ok(still({ base: { blendshapes: true } }).frameAt(0).blendshapes instanceof Float32Array);
});
