/**
 * The beat accent prior (server/generation/symbolic/beatAccentPrior.ts): the teacher's "accent on
 * every quarter when the performer's beat is strong", applied softly to a neural pack's drums.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BeatAccentPrior } from '../../server/generation/symbolic/beatAccentPrior.js';
import { CLOSED_HAT, KICK, SNARE } from '../../server/generation/symbolic/tokens.js';
import { drumRow, softmax } from './helpers.js';

test('on a quarter with a strong beat, each pattern gives its share to itself plus the accent; hats and snares keep their odds', { timeout: 10_000 }, () => {
  const prior = new BeatAccentPrior({ amount: 0.8 });
  prior.accent = KICK;
  prior.beatStrength = 0.9;
  prior.offset = 1;
  const before = drumRow(5);
  const row = Float32Array.from(before);
  prior.process(row, 0, { frame: 9, previous: 0 }); // (9 - 1) % 4 === 0: starts a quarter
  const p = softmax(before);
  const q = softmax(row);
  let kickBefore = 0;
  let kickAfter = 0;
  for (let m = 0; m < 64; m++) {
    if (m & KICK) {
      kickBefore += p[m]!;
      kickAfter += q[m]!;
      assert.ok(Math.abs(q[m]! - (p[m]! + 0.8 * p[m & ~KICK]!)) < 1e-6, `pattern ${m} gains 0.8 of pattern ${m & ~KICK}`);
    } else assert.ok(Math.abs(q[m]! - 0.2 * p[m]!) < 1e-6, `pattern ${m} keeps 0.2`);
  }
  assert.ok(Math.abs(kickAfter - (kickBefore + 0.8 * (1 - kickBefore))) < 1e-6);
  const share = (dist: number[], voice: number): number => dist.reduce((a, x, m) => a + (m < 64 && m & voice ? x : 0), 0);
  for (const voice of [SNARE, CLOSED_HAT]) assert.ok(Math.abs(share(q, voice) - share(p, voice)) < 1e-6, `voice ${voice} keeps its probability`);
  for (let i = 64; i < 246; i++) assert.equal(row[i], -Infinity, 'other streams stay masked');
});

test('off the quarter, with a weak beat, on other streams or without an accent the prior changes nothing', { timeout: 10_000 }, () => {
  const prior = new BeatAccentPrior();
  prior.accent = KICK;
  prior.beatStrength = 0.9;
  const before = drumRow(6);
  const cases: [string, () => void, number, number][] = [
    ['off the quarter', () => undefined, 0, 10],
    ['weak beat', () => (prior.beatStrength = 0.35), 0, 8],
    ['bass stream', () => (prior.beatStrength = 0.9), 1, 8],
    ['no accent voice', () => (prior.accent = 0), 0, 8],
  ];
  for (const [name, set, codebook, frame] of cases) {
    set();
    const row = Float32Array.from(before);
    prior.process(row, codebook, { frame, previous: 0 });
    assert.deepEqual([...row], [...before], name);
  }
  prior.accent = KICK;
  prior.beatStrength = 0.5;
  assert.ok(Math.abs(prior.share - 1 / 2) < 1e-9, 'halfway up the ramp at beatStrength 0.5');
  assert.throws(() => new BeatAccentPrior({ amount: 1.5 }), /`amount` must be in \[0, 1\]/);
});
