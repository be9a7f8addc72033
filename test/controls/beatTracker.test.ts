/**
 * The beat tracker alone, on 1-D velocity signals at irregular camera times.
 * Thresholds (README "Tests"): tempo within +-3 BPM after four beats, strength >= 0.8 on a
 * clean periodic motion and < 0.2 on noise, predicted beats within +-40 ms.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BeatTracker } from '../../server/controls/beatTracker.js';
import { gaussian, mulberry32 } from '../../harness/performers/rng.js';

/** Position (down-positive) lowest in the image on the beats: y = A (1 + cos(2 pi (t - anchor) / P)) / 2. */
function feed(
  tracker: BeatTracker,
  bpm: number,
  durationMs: number,
  options: { anchorMs?: number; noise?: number; seed?: number; amplitude?: number; frameMs?: number; harmonic?: number } = {},
): void {
  const rng = mulberry32(options.seed ?? 1);
  const period = 60_000 / bpm;
  const anchor = options.anchorMs ?? 200;
  const a = options.amplitude ?? 0.5;
  // `harmonic`: a second harmonic, so the motion is not a pure sinusoid (a real nod's is not)
  const h = options.harmonic ?? 0;
  const pos = (t: number): number => {
    const w = (2 * Math.PI * (t - anchor)) / period;
    return (a * (1 + Math.cos(w) + h * Math.cos(2 * w))) / 2;
  };
  const frameMs = options.frameMs ?? 33.3;
  let prevT = 0;
  let prevY = pos(0);
  tracker.push(0, [0]);
  for (let i = 1; ; i++) {
    const t = i * frameMs + (rng() - 0.5) * 8; // 30 fps (by default) with +-4 ms capture jitter
    if (t > durationMs) break;
    const y = pos(t) + (options.noise ?? 0) * gaussian(rng);
    tracker.push(t, [(y - prevY) / ((t - prevT) / 1000)]);
    prevT = t;
    prevY = y;
  }
}

for (const bpm of [70, 90, 120, 150]) {
  test(`a ${bpm} BPM motion: tempo within 3 BPM after four beats, strength high, beats predicted within 40 ms`, () => {
    const tracker = new BeatTracker();
    const period = 60_000 / bpm;
    feed(tracker, bpm, 4 * period);
    assert.ok(tracker.tempoBpm !== null && Math.abs(tracker.tempoBpm - bpm) <= 3, `tempo ${tracker.tempoBpm}`);
    assert.ok(tracker.strength >= 0.8, `strength ${tracker.strength}`);
    const now = 4 * period;
    const next = tracker.nextBeatAfter(now) as number;
    const truth = 200 + Math.ceil((now - 200) / period) * period;
    const err = Math.min(Math.abs(next - truth), Math.abs(next - truth + period), Math.abs(next - truth - period));
    assert.ok(err <= 40, `next beat ${next.toFixed(0)} vs ${truth.toFixed(0)} (${err.toFixed(0)} ms)`);
    assert.ok(Math.abs(tracker.phaseAt(truth) - Math.round(tracker.phaseAt(truth))) < 0.07);
  });
}

for (const bpm of [95, 108, 120]) {
  test(`a ${bpm} BPM nod-shaped motion tracked at 6 fps: tempo within 1 BPM after eight beats`, () => {
    const tracker = new BeatTracker();
    feed(tracker, bpm, (8 * 60_000) / bpm, { frameMs: 1000 / 6, harmonic: 0.3 });
    assert.ok(tracker.tempoBpm !== null && Math.abs(tracker.tempoBpm - bpm) <= 1, `tempo ${tracker.tempoBpm?.toFixed(2)}`);
  });
}

test('half/double ambiguity: 120 stays 120 (not 60), 170 reads as 85 (the 80-160 preference)', () => {
  const a = new BeatTracker();
  feed(a, 120, 8000);
  assert.ok(Math.abs((a.tempoBpm as number) - 120) <= 3, `tempo ${a.tempoBpm}`);
  const b = new BeatTracker();
  feed(b, 170, 8000);
  assert.ok(Math.abs((b.tempoBpm as number) - 85) <= 3, `tempo ${b.tempoBpm}`);
});

test('noise and stillness give no beat', () => {
  for (const seed of [1, 2, 3]) {
    const t = new BeatTracker();
    const rng = mulberry32(seed);
    let worst = 0;
    t.push(0, [0]);
    for (let i = 1; i < 300; i++) {
      t.push(i * 33.3, [gaussian(rng)]);
      worst = Math.max(worst, t.strength);
    }
    assert.ok(worst < 0.2, `seed ${seed}: strength reached ${worst}`);
  }
  const still = new BeatTracker();
  for (let i = 0; i < 300; i++) still.push(i * 33.3, [0]);
  assert.equal(still.strength, 0);
  assert.equal(still.tempoBpm, null);
  assert.equal(still.nextBeatAfter(1000), null);
});

test('a noisy nod is still found, and tempo is held when the motion stops', () => {
  const t = new BeatTracker();
  feed(t, 100, 6000, { noise: 0.02, seed: 5 });
  assert.ok(Math.abs((t.tempoBpm as number) - 100) <= 3, `tempo ${t.tempoBpm}`);
  assert.ok(t.strength > 0.5, `strength ${t.strength}`);
  for (let i = 1; i <= 150; i++) t.push(6000 + i * 33.3, [0]);
  assert.equal(t.strength, 0);
  assert.ok(Math.abs((t.tempoBpm as number) - 100) <= 3, 'tempo held');
});

test('several channels combine by energy; copyFrom snapshots; bad options are refused', () => {
  const t = new BeatTracker({ channels: 2 });
  const period = 600;
  t.push(0, [0, 0]);
  let prev = 0;
  for (let i = 1; i < 200; i++) {
    const time = i * 33.3;
    const y = Math.cos((2 * Math.PI * time) / period);
    const v = (y - prev) / 0.0333;
    prev = y;
    t.push(time, [v, -v]); // anti-phase channels do not cancel
  }
  assert.ok(Math.abs((t.tempoBpm as number) - 100) <= 3, `tempo ${t.tempoBpm}`);
  const copy = new BeatTracker({ channels: 2 });
  copy.copyFrom(t);
  assert.equal(copy.tempoBpm, t.tempoBpm);
  assert.equal(copy.nextBeatAfter(7000), t.nextBeatAfter(7000));
  assert.throws(() => new BeatTracker({ minBpm: 100, maxBpm: 90 }), /need 0 < minBpm < maxBpm/);
  assert.throws(() => new BeatTracker({ refineSpanMs: Number.NaN }), /refineSpanMs must be >= 0/);
});
