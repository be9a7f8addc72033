/**
 * The committed model on pairs it never saw: clips rendered from fresh seeds, captions written
 * afresh. Ranking must beat chance by a wide margin (the training script reports the full
 * figures on 300 clips: scripts/scene/results/training.md).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readPrompt } from '../../server/generation/symbolic/prompt.js';
import { retrievalAccuracy } from '../../scripts/scene/contrastiveTrainer.js';
import { loadSceneBank, loadSceneModel } from '../../server/scene/sceneAssets.js';
import { buildSceneCorpus, splitBank } from '../../scripts/scene/sceneCorpus.js';
import { SceneRanker } from '../../server/scene/sceneRanker.js';
import { SceneModel, dot } from '../../server/scene/sceneModel.js';
import { STYLE_NAMES } from '../../server/generation/symbolic/styleNames.js';

const model = loadSceneModel();
const bank = loadSceneBank();
const held = buildSceneCorpus({ clips: 40, firstClip: 5_000_000, bank: splitBank(bank).test, captionsPerClip: 1, seconds: 2.5, prerollSeconds: 1, seed: 42 });

test('held-out ranking: top-1 and top-5 far above chance', () => {
  const r = retrievalAccuracy(model, held);
  console.log(`held-out pairs ${r.pairs}: top-1 ${(100 * r.top1).toFixed(1)}% (chance ${(100 * r.chanceTop1).toFixed(1)}%), top-5 ${(100 * r.top5).toFixed(1)}% (chance ${(100 * r.chanceTop5).toFixed(1)}%)`);
  assert.ok(r.pairs >= 35);
  assert.ok(r.top1 >= 4 * r.chanceTop1, `top-1 ${r.top1} vs chance ${r.chanceTop1}`);
  assert.ok(r.top5 >= 3 * r.chanceTop5, `top-5 ${r.top5} vs chance ${r.chanceTop5}`);
});

test('the best bank sentence mostly reads as the style that is playing', () => {
  const ranker = new SceneRanker(model, bank);
  assert.ok(ranker.size >= 300, `${ranker.size} rankable sentences`);
  let agree = 0;
  const clips = new Set<number>();
  for (const p of held) {
    if (clips.has(p.clip)) continue;
    clips.add(p.clip);
    const style = STYLE_NAMES[[...p.features.slice(0, STYLE_NAMES.length)].indexOf(Math.max(...p.features.slice(0, STYLE_NAMES.length)))]!;
    if (readPrompt(ranker.rank(model.embedMusic(p.features), 1)[0]!.sentence).style === style) agree++;
  }
  // Chance (the bank's style mix) is about 14%.
  assert.ok(agree / clips.size > 0.5, `${agree}/${clips.size}`);
});

// Speed is a benchmark figure (printed), not an assertion: a busy machine must not fail the suite.
test('ranking the bank is deterministic and honours the penalty (time printed)', () => {
  const ranker = new SceneRanker(model, bank);
  const e = model.embedMusic(held[0]!.features);
  const penalty = (k: number): number => (k % 7 === 0 ? 0.5 : 0);
  const first = ranker.rank(e, 1, penalty)[0]!;
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) assert.equal(ranker.rank(e, 1, penalty)[0]!.index, first.index);
  const ms = (performance.now() - t0) / 200;
  console.log(`scene ranker: ${ms.toFixed(3)} ms per ranking`);
  const penalised = ranker.rank(e, 1, (k) => (k === first.index ? 10 : 0))[0]!;
  assert.notEqual(penalised.index, first.index, 'a penalised scene gives way to the next');
});

test('the model file is small and round-trips', () => {
  const file = model.toFile();
  assert.ok(JSON.stringify(file).length < 400 * 1024);
  const again = SceneModel.fromFile(JSON.parse(JSON.stringify(file)) as typeof file);
  const a = again.embedText(bank[0]!)!;
  const b = model.embedText(bank[0]!)!;
  assert.ok(dot(a, b) > 0.999, 'text embeddings survive');
  assert.deepEqual(Array.from(again.embedMusic(held[0]!.features)), Array.from(model.embedMusic(held[0]!.features)));
});
