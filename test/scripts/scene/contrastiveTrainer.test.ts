import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ScenePair } from '../../../scripts/scene/sceneCorpus.js';
import { Rng } from '../../../server/generation/rng.js';
import { MUSIC_FEATURE_COUNT } from '../../../server/scene/musicFeatures.js';
import { trainInWorker } from './trainInWorker.js';

const WORDS = ['rain', 'night', 'city', 'storm', 'beach', 'sunset', 'forest', 'chase', 'quiet', 'dance', 'crowd', 'snow'];

/** `clips` clips with `perClip` captions each, drawn from a small word list (every term recurs). */
function pairs(clips: number, perClip: number, seed = 1): ScenePair[] {
  const rng = new Rng(seed);
  const out: ScenePair[] = [];
  for (let clip = 0; clip < clips; clip++) {
    const features = Float32Array.from({ length: MUSIC_FEATURE_COUNT }, () => rng.next());
    for (let k = 0; k < perClip; k++) {
      const caption = `a ${WORDS[(clip + k) % WORDS.length]} ${WORDS[(clip * 3 + k) % WORDS.length]} scene`;
      out.push({ features, caption, clip, source: 'grammar' });
    }
  }
  return out;
}

const LIMIT_MS = 20_000;

test('training with fewer distinct clips than a batch is refused at once instead of looping forever (npm run scene:train -- --clips 50)', { timeout: 60_000 }, async () => {
  // 5 clips x 30 captions: more pairs than the batch, but never 8 distinct clips in one.
  const outcome = await trainInWorker(pairs(5, 30), { batch: 8, steps: 10 }, LIMIT_MS);
  assert.equal(outcome.kind, 'refused', 'the trainer must stop with an error, not run on');
  assert.ok(outcome.kind === 'refused' && outcome.name === 'RangeError' && /at least one batch of 8 distinct clips .* but got 5 \(from 150 pairs\)/.test(outcome.message), JSON.stringify(outcome));
});

test('captions with no known term do not count towards a batch', { timeout: 60_000 }, async () => {
  const unique = pairs(20, 1).map((p, i) => ({ ...p, caption: `word${i}` }));
  const outcome = await trainInWorker(unique, { batch: 8, steps: 10 }, LIMIT_MS);
  assert.ok(outcome.kind === 'refused' && /but got 0/.test(outcome.message), JSON.stringify(outcome));
});

test('a small corpus with enough clips trains to the end and retrieves', { timeout: 60_000 }, async () => {
  const outcome = await trainInWorker(pairs(24, 2), { batch: 8, steps: 30, hidden: 8, dim: 8 }, LIMIT_MS);
  assert.equal(outcome.kind, 'trained', JSON.stringify(outcome));
  assert.ok(outcome.kind === 'trained' && outcome.pairs === 24 && outcome.heldInTop5 > 0, JSON.stringify(outcome));
});
