import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OneEuroFilter } from '../../server/controls/oneEuroFilter.js';
import { gaussian, mulberry32 } from '../../harness/performers/rng.js';
import { std } from './helpers.js';

test('a constant input passes unchanged, the first sample included', () => {
  const f = new OneEuroFilter(3);
  const out = new Float64Array(3);
  for (let i = 0; i < 50; i++) {
    f.filter(i * 33, [1, -2, 0.5], out);
    assert.deepEqual(Array.from(out), [1, -2, 0.5]);
  }
});

test('noise at rest is smoothed hard, a fast ramp follows with little lag (the speed-adaptive cutoff)', () => {
  const rng = mulberry32(3);
  const adaptive = new OneEuroFilter(1, { minCutoff: 1, beta: 5 });
  const fixed = new OneEuroFilter(1, { minCutoff: 1, beta: 0 });
  const out = new Float64Array(1);
  const raw: number[] = [];
  const smooth: number[] = [];
  for (let i = 0; i < 600; i++) {
    const x = 0.01 * gaussian(rng);
    adaptive.filter(i * 33.3, [x], out);
    if (i > 30) {
      raw.push(x);
      smooth.push(out[0]);
    }
  }
  // a first-order low-pass at 1 Hz, 30 Hz sampling, keeps sqrt(a / (2 - a)) ~ 0.31 of white noise
  assert.ok(std(smooth) < 0.4 * std(raw), `noise ${std(smooth)} vs raw ${std(raw)}`);
  // ramp of 1 unit/s: lag of the adaptive filter well below the fixed one's 1/(2 pi 1 Hz) = 160 ms
  const a = new OneEuroFilter(1, { minCutoff: 1, beta: 5 });
  const outA = new Float64Array(1);
  const outF = new Float64Array(1);
  for (let i = 0; i <= 90; i++) {
    const t = i * 33.3;
    a.filter(t, [t / 1000], outA);
    fixed.filter(t, [t / 1000], outF);
  }
  const lagAdaptive = 3 - outA[0];
  const lagFixed = 3 - outF[0];
  assert.ok(lagFixed > 0.14 && lagFixed < 0.18, `fixed lag ${lagFixed}`);
  assert.ok(lagAdaptive < 0.06, `adaptive lag ${lagAdaptive}`);
});

test('irregular frame intervals give the same response as regular ones', () => {
  const regular = new OneEuroFilter(1, { minCutoff: 1, beta: 0 });
  const irregular = new OneEuroFilter(1, { minCutoff: 1, beta: 0 });
  const out = new Float64Array(1);
  const rng = mulberry32(9);
  let tr = 0;
  let lastIrregular = 0;
  for (let t = 0; t <= 2000; t += 10) {
    const x = t < 500 ? 0 : 1;
    if (t % 30 === 0) regular.filter(t, [x], out);
    if (t >= tr) {
      irregular.filter(t, [x], out);
      lastIrregular = out[0];
      tr = t + 10 + Math.floor(rng() * 6) * 10; // 10..60 ms
    }
  }
  regular.filter(2010, [1], out);
  // both follow exp(-t / tau) after the step: at 2 s they agree to 1e-3
  assert.ok(Math.abs(out[0] - lastIrregular) < 1e-3, `${out[0]} vs ${lastIrregular}`);
  assert.ok(lastIrregular > 0.99);
});

test('elements keep their own time: a partial update leaves the others, a long gap restarts an element', () => {
  const f = new OneEuroFilter(4, { maxGapMs: 300 });
  const out = new Float64Array(4);
  f.filter(0, [0, 0, 0, 0], out);
  f.filterRange(33, [9, 9, 1, 1], out, 2, 2);
  assert.equal(f.value[0], 0);
  assert.equal(f.value[1], 0);
  assert.ok(out[2] > 0 && out[2] < 1);
  assert.equal(f.lastTime(0), 0);
  assert.equal(f.lastTime(2), 33);
  f.filterRange(500, [5, 5, 5, 5], out, 0, 2); // 500 ms since element 0's last sample: restart
  assert.equal(out[0], 5);
  assert.equal(f.derivative[0], 0);
  // a sample not newer than the last changes nothing
  const before = f.value[2];
  f.filterRange(33, [100, 100, 100, 100], out, 2, 1);
  assert.equal(f.value[2], before);
});

test('copyFrom snapshots the state exactly', () => {
  const a = new OneEuroFilter(2);
  const b = new OneEuroFilter(2);
  const outA = new Float64Array(2);
  const outB = new Float64Array(2);
  for (let i = 0; i < 10; i++) a.filter(i * 33, [Math.sin(i), i], outA);
  b.copyFrom(a);
  a.filter(400, [1, 2], outA);
  b.filter(400, [1, 2], outB);
  assert.deepEqual(Array.from(outA), Array.from(outB));
  assert.throws(() => b.copyFrom(new OneEuroFilter(3)), RangeError);
});

test('invalid options are refused with the bad value named', () => {
  assert.throws(() => new OneEuroFilter(0), /size must be a positive integer, but is 0/);
  assert.throws(() => new OneEuroFilter(1, { minCutoff: 0 }), /minCutoff must be > 0 Hz, but is 0/);
  assert.throws(() => new OneEuroFilter(1, { beta: -1 }), /beta must be >= 0/);
});
