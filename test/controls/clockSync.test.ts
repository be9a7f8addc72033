import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClockSync } from '../../server/controls/clockSync.js';
import { mulberry32 } from '../../harness/performers/rng.js';

/** One ping/pong: remote clock = local - offset; exponential one-way delays (asymmetric means). */
function exchange(
  sync: ClockSync,
  rng: () => number,
  localSendMs: number,
  offsetAt: (localMs: number) => number,
  upMeanMs: number,
  downMeanMs: number,
): void {
  const exp = (mean: number): number => -mean * Math.log(1 - rng());
  const up = 2 + exp(upMeanMs);
  const processing = 0.2 + rng();
  const down = 2 + exp(downMeanMs);
  const t0 = localSendMs;
  const t1 = t0 + up - offsetAt(t0 + up);
  const t2 = t1 + processing;
  const t3 = t0 + up + processing + down;
  sync.addSample(t0, t1, t2, t3);
}

test('a sample gives offset and RTT exactly when the path is symmetric', () => {
  const sync = new ClockSync();
  // remote = local - 1000; 10 ms each way; 1 ms processing
  const sample = sync.addSample(0, -1000 + 10, -1000 + 11, 21);
  assert.deepEqual(sample, { offsetMs: 1000, rttMs: 20, localMs: 21 });
  assert.equal(sync.offsetMs, 1000);
  assert.equal(sync.rttMs, 20);
  assert.equal(sync.sampleCount, 1);
  assert.equal(sync.toLocal(500), 1500);
  assert.equal(sync.toRemote(1500), 500);
});

test('known offset with asymmetric random delays: the estimate is within 3 ms of the truth', () => {
  const rng = mulberry32(11);
  const sync = new ClockSync();
  const truth = -123_456.5;
  const errors: number[] = [];
  for (let i = 0; i < 60; i++) {
    exchange(sync, rng, 1_000 + i * 500, () => truth, 25, 5);
    if (i >= 8) errors.push(Math.abs(sync.offsetMs - truth));
  }
  // a single sample is off by (down - up) / 2: about 10 ms on average here
  assert.ok(Math.max(...errors) < 3, `worst error ${Math.max(...errors).toFixed(2)} ms`);
  assert.ok(sync.rttMs < 15, `best RTT ${sync.rttMs}`);
});

test('a slow drift (50 ppm) is followed within 3 ms over 10 minutes', () => {
  const rng = mulberry32(12);
  const sync = new ClockSync();
  const offsetAt = (localMs: number): number => 5_000 + 50e-6 * localMs;
  let worst = 0;
  for (let i = 0; i < 600; i++) {
    const t = i * 1000;
    exchange(sync, rng, t, offsetAt, 8, 8);
    if (i >= 10) worst = Math.max(worst, Math.abs(sync.offsetMs - offsetAt(t)));
  }
  // the offset moved by 30 ms over the run; a "keep the best sample forever" estimate would be ~30 ms off
  assert.ok(worst < 3, `worst error ${worst.toFixed(2)} ms`);
});

test('old samples leave the window and bad samples are refused', () => {
  const sync = new ClockSync({ maxAgeMs: 10_000, windowSize: 8 });
  for (let i = 0; i < 20; i++) sync.addSample(i * 1000, i * 1000 + 5, i * 1000 + 6, i * 1000 + 11);
  assert.equal(sync.sampleCount, 8);
  assert.equal(sync.addSample(NaN, 0, 0, 1), null);
  assert.equal(sync.addSample(100_000, 0, 10, 100_001), null); // negative RTT
  assert.equal(sync.addSample(0, 0, 0, 10), null); // older than the newest sample
  assert.equal(sync.sampleCount, 8);
  sync.reset();
  assert.equal(sync.sampleCount, 0);
  assert.equal(sync.offsetMs, 0);
  assert.throws(() => new ClockSync({ windowSize: 0 }), /windowSize must be a positive integer, but is 0/);
});
