import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyGuidance, ContinuationMask, LogitsProcessorList, selectKth, Temperature, TopK, ValidRangeMask } from '../../../server/generation/lm/logitsProcessors.js';
import { Rng } from '../../../server/generation/rng.js';
import { GreedySampler, MultinomialSampler } from '../../../server/generation/lm/sampler.js';

test('guidance is uncond + scale * (cond - uncond)', () => {
  const cond = Float32Array.from([1, 2, -3, 0.5]);
  const uncond = Float32Array.from([0.5, 2, 1, -1]);
  const out = applyGuidance(cond, uncond, 3, new Float32Array(4));
  assert.deepEqual([...out], [0.5 + 3 * 0.5, 2, 1 + 3 * -4, -1 + 3 * 1.5]);
  assert.deepEqual([...applyGuidance(cond, uncond, 1, new Float32Array(4))], [...cond]);
  assert.deepEqual([...applyGuidance(cond, uncond, 0, new Float32Array(4))], [...uncond]);
  assert.throws(() => applyGuidance(cond, new Float32Array(3), 3, new Float32Array(4)), /differ in length/);
});

test('top-k keeps exactly the k largest logits and temperature scales them', () => {
  const row = Float32Array.from([0.1, 5, -2, 3, 4, 0]);
  new TopK(3).process(row);
  assert.deepEqual([...row], [-Infinity, 5, -Infinity, 3, 4, -Infinity]);
  const t = Float32Array.from([2, -4]);
  new Temperature(0.5).process(t);
  assert.deepEqual([...t], [4, -8]);
  assert.throws(() => new TopK(0), /`topK` must be a positive integer, but is 0/);
  assert.throws(() => new Temperature(-1), /`temperature` must be a positive number, but is -1/);
  const per = new Temperature(1, [1, 0.5]);
  const drums = Float32Array.from([2, -4]);
  const chords = Float32Array.from([2, -4]);
  per.process(drums, 0);
  per.process(chords, 1);
  assert.deepEqual([...drums], [2, -4], 'codebook 0 at temperature 1');
  assert.deepEqual([...chords], [4, -8], 'codebook 1 at its own temperature 0.5');
  assert.throws(() => new Temperature(1, [1, 0]), /`codebookTemperatures\[1\]` must be a positive number, but is 0/);
});

test('valid-range masks and top-k never let an invalid token out, whatever the logits', () => {
  const ranges: [number, number][] = [[0, 64], [0, 48], [8, 64], [0, 32]];
  const chain = new LogitsProcessorList([new ValidRangeMask(ranges), new Temperature(1.5), new TopK(5)]);
  const random = new Rng(7);
  const sampler = new MultinomialSampler(random);
  const row = new Float32Array(64);
  for (let draw = 0; draw < 4000; draw++) {
    const k = draw % 4;
    // Adversarial logits: the largest values sit outside the valid range.
    for (let i = 0; i < 64; i++) row[i] = random.next() * 4 + (i < ranges[k]![0] || i >= ranges[k]![1] ? 100 : 0);
    const kept = [...row].map((v, i) => [v, i] as const);
    chain.process(row, k);
    const allowed = kept.filter(([, i]) => i >= ranges[k]![0] && i < ranges[k]![1]).sort((a, b) => b[0] - a[0]).slice(0, 5).map(([, i]) => i);
    const token = sampler.sample(row);
    assert.ok(allowed.includes(token), `codebook ${k} drew ${token}, allowed ${allowed}`);
  }
});

test('seeded sampling: same seed same draws, another seed other draws; greedy takes the argmax', () => {
  const row = Float32Array.from({ length: 32 }, (_, i) => Math.sin(i));
  const draw = (seed: number) => {
    const s = new MultinomialSampler(new Rng(seed));
    return Array.from({ length: 50 }, () => s.sample(row));
  };
  assert.deepEqual(draw(42), draw(42));
  assert.notDeepEqual(draw(42), draw(43));
  assert.equal(new GreedySampler().sample(row), 14); // sin(14) = 0.9906 is the largest of sin(0..31)
  assert.throws(() => new MultinomialSampler(new Rng(1)).sample(new Float32Array(4).fill(-Infinity)), /every token is masked/);
});

test('top-k selection (quickselect) finds the value a sort would, with ties and -Infinity', () => {
  const random = new Rng(11);
  for (let t = 0; t < 500; t++) {
    const n = 1 + Math.floor(random.next() * 300);
    const a = Float32Array.from({ length: n }, () => (random.next() < 0.3 ? Math.round(random.next() * 5) : random.next() < 0.1 ? -Infinity : random.next()));
    const sorted = Float32Array.from(a).sort();
    const k = Math.floor(random.next() * n);
    assert.equal(selectKth(Float32Array.from(a), k), sorted[k], `n ${n} index ${k}`);
  }
});

test('the continuation grammar: a hold never follows a rest or the start, and is heard as the rest it would have been', { timeout: 10_000 }, () => {
  // Codebook 1: tokens 0 rest, 1 hold, 2.. notes; 9 = pad. Codebook 0 has no hold.
  const mask = new ContinuationMask([null, { hold: 1, after: [0, 9], into: 0 }]);
  const softmax = (row: Float32Array): number[] => {
    const max = Math.max(...row);
    const e = [...row].map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  };
  const logits = Float32Array.from([0.5, 1.2, -0.3, 2, 0.1, -1, 0, 0.7, -2]);
  const before = softmax(logits);
  for (const previous of [0, 9]) {
    const row = Float32Array.from(logits);
    mask.process(row, 1, { frame: 5, previous });
    const after = softmax(row);
    assert.equal(row[1], -Infinity, `a hold after ${previous === 0 ? 'a rest' : 'the start'} is masked`);
    assert.ok(Math.abs(after[0]! - (before[0]! + before[1]!)) < 1e-6, 'the rest takes the hold probability');
    for (let i = 2; i < logits.length; i++) assert.ok(Math.abs(after[i]! - before[i]!) < 1e-6, `token ${i} keeps its probability`);
  }
  for (const [codebook, previous] of [[1, 3], [0, 0]] as const) {
    const row = Float32Array.from(logits);
    mask.process(row, codebook, { frame: 5, previous });
    assert.deepEqual([...row], [...logits], `after a note (or on a stream without a hold) nothing changes`);
  }
  const row = Float32Array.from(logits);
  mask.process(row, 1);
  assert.deepEqual([...row], [...logits], 'without a context nothing changes');
  // The draw is the same draw: the rest sits just before the hold, so folding moves no other token's draws.
  const a = new MultinomialSampler(new Rng(3));
  const b = new MultinomialSampler(new Rng(3));
  const masked = Float32Array.from(logits);
  mask.process(masked, 1, { frame: 0, previous: 0 });
  for (let i = 0; i < 2000; i++) {
    const x = a.sample(logits);
    const y = b.sample(masked);
    assert.equal(y, x === 1 ? 0 : x);
  }
  assert.throws(() => new ContinuationMask([{ hold: 1, after: [0], into: 1 }]), /`into` must differ from `hold`/);
  assert.throws(() => new ContinuationMask([{ hold: -1, after: [0], into: 0 }]), /`rules\[0\]\.hold` must be a token id/);
});
