import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DelayPattern } from '../../../server/generation/lm/delayPattern.js';

test('the delay pattern lays out the worked example of its doc comment', () => {
  const p = new DelayPattern([0, 1, 2, 3], 99);
  // frames a, b, c with codebook k of frame f = 10 * f + k
  const frames = Int32Array.from([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);
  const seq = p.build(frames);
  const L = 3 + 1 + 3;
  const rows = [0, 1, 2, 3].map((k) => [...seq.subarray(k * L, (k + 1) * L)]);
  assert.deepEqual(rows, [
    [99, 0, 10, 20, 99, 99, 99],
    [99, 99, 1, 11, 21, 99, 99],
    [99, 99, 99, 2, 12, 22, 99],
    [99, 99, 99, 99, 3, 13, 23],
  ]);
  assert.equal(p.completedAt(0), 4);
  assert.equal(p.framesCompleteAt(4), 1);
  assert.equal(p.framesCompleteAt(2), 0);
  assert.equal(p.isValid(1, 0), true);
  assert.equal(p.isValid(1, 1), false);
  assert.equal(p.isValid(4, 3), true);
});

test('build and revert round-trip for any delays, codebook count and length', () => {
  for (const delays of [[0], [0, 1, 2, 3], [0, 0, 2, 5], [0, 2, 2, 2, 4]]) {
    const p = new DelayPattern(delays, 1000);
    for (const F of [0, 1, 7, 33]) {
      const frames = Int32Array.from({ length: F * delays.length }, (_, i) => (i * 37) % 1000);
      const seq = p.build(frames);
      assert.deepEqual(p.revert(seq, seq.length / delays.length), frames, `delays ${delays} F ${F}`);
    }
  }
});

test('invalid patterns are refused with the bad value named', () => {
  assert.throws(() => new DelayPattern([], 1), /at least one codebook/);
  assert.throws(() => new DelayPattern([0, -1], 1), /delays\[1\]` must be a non-negative integer, but is -1/);
  assert.throws(() => new DelayPattern([0, 1], 1.5), /`pad` must be a non-negative integer, but is 1.5/);
  assert.throws(() => new DelayPattern([0, 1], 5).build(new Int32Array(3)), /not a multiple of 2 codebooks/);
});
