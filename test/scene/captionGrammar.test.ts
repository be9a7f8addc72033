import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readPrompt } from '../../server/generation/symbolic/prompt.js';
import { Rng } from '../../server/generation/rng.js';
import { STYLE_NAMES } from '../../server/generation/symbolic/styleNames.js';
import { CaptionGrammar } from '../../scripts/dataset/captionGrammar.js';

test('every caption reads back to the style it was written for, and is varied', () => {
  const grammar = new CaptionGrammar();
  const rng = new Rng(11);
  const seen = new Set<string>();
  let n = 0;
  for (const style of STYLE_NAMES) {
    for (const valence of [-0.8, 0, 0.8]) {
      for (const energy of [0.1, 0.5, 0.9]) {
        for (let k = 0; k < 3; k++) {
          const caption = grammar.write({ style, valence, energy }, rng);
          assert.equal(readPrompt(caption).style, style, caption);
          assert.match(caption, /^[a-z ,']+$/, caption);
          seen.add(caption);
          n++;
        }
      }
    }
  }
  assert.ok(seen.size > n * 0.9, `${seen.size} distinct captions of ${n}`);
});

test('captions follow the mood asked for', () => {
  const grammar = new CaptionGrammar();
  const rng = new Rng(5);
  let bright = 0;
  let dark = 0;
  for (let k = 0; k < 40; k++) {
    bright += readPrompt(grammar.write({ style: 'cinematic', valence: 0.8, energy: 0.5 }, rng)).valence;
    dark += readPrompt(grammar.write({ style: 'cinematic', valence: -0.8, energy: 0.5 }, rng)).valence;
  }
  assert.ok(bright / 40 > dark / 40 + 0.5, `mean valence bright ${bright / 40}, dark ${dark / 40}`);
});

test('the same seed writes the same captions', () => {
  const a = new CaptionGrammar().write({ style: 'bossa', valence: -0.3, energy: 0.2 }, new Rng(9));
  const b = new CaptionGrammar().write({ style: 'bossa', valence: -0.3, energy: 0.2 }, new Rng(9));
  assert.equal(a, b);
});
