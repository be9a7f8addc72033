import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readPrompt } from '../../server/generation/symbolic/prompt.js';
import { sharedSceneRanker } from '../../server/scene/sessionScene.js';
import { SceneImaginer, type SceneCaption } from '../../server/scene/sceneImaginer.js';
import { FRAMES, RATE, TeacherFeed } from './helpers.js';

function imaginer(options: ConstructorParameters<typeof SceneImaginer>[1] = {}): { im: SceneImaginer; shown: SceneCaption[] } {
  const shown: SceneCaption[] = [];
  const im = new SceneImaginer({ ranker: sharedSceneRanker(), sampleRate: RATE, channels: 2, send: (c) => shown.push(c) }, { intervalMs: 1000, refreshMs: 0, ...options });
  return { im, shown };
}

test('steady music keeps its caption; a change of character changes it', () => {
  const { im, shown } = imaginer();
  const feed = new TeacherFeed('calm ambient drone', 3);
  feed.play(im, 12, { energy: 0.05, valence: -0.6 });
  assert.equal(shown.length, 1, `one caption for steady music: ${shown.map((s) => s.caption).join(' | ')}`);
  assert.equal(shown[0]!.reason, 'first');
  assert.equal(shown[0]!.source, 'builtin');
  const calm = shown[0]!.caption;

  feed.stream.setPrompt('punk rock, fast and loud');
  feed.play(im, 8, { energy: 0.95, valence: 0.3, beatStrength: 0.8 });
  assert.equal(shown.length, 2, `one new caption after the music changed: ${shown.map((s) => s.caption).join(' | ')}`);
  const wild = shown[shown.length - 1]!;
  assert.equal(wild.reason, 'music');
  assert.notEqual(wild.caption, calm);
  assert.equal(readPrompt(wild.caption).style, 'rock', `the new scene fits rock: ${wild.caption}`);
  // And it settles again: no caption churn while the new character holds.
  const count = shown.length;
  feed.play(im, 8, { energy: 0.95, valence: 0.3, beatStrength: 0.8 });
  assert.equal(shown.length, count, `settled: ${shown.slice(count).map((s) => s.caption).join(' | ')}`);
});

test('refreshes of steady music never repeat a recent sentence', () => {
  const { im, shown } = imaginer({ refreshMs: 1000, recentCount: 16 });
  const feed = new TeacherFeed('bossa nova cafe', 5);
  feed.play(im, 14, { energy: 0.4, valence: 0.4 });
  assert.ok(shown.length >= 8, `${shown.length} refreshes`);
  const captions = shown.map((s) => s.caption);
  assert.equal(new Set(captions).size, captions.length, captions.join(' | '));
});

test('nothing before enough music, and decisions only every interval', () => {
  const { im, shown } = imaginer({ minSeconds: 2 });
  const feed = new TeacherFeed('funk', 2);
  feed.play(im, 1.5, { energy: 0.5 });
  assert.equal(shown.length, 0);
  let decisions = 0;
  const decide = im.decide.bind(im);
  im.decide = (now) => {
    decisions++;
    return decide(now);
  };
  feed.play(im, 5, { energy: 0.5 });
  assert.ok(decisions >= 4 && decisions <= 6, `${decisions} decisions in 5 s at 1 s intervals`);
  assert.equal(shown.length, 1);
});

// Speed is a benchmark figure (printed), not an assertion: a busy machine must not fail the suite.
test('2,000 chunks of steady music: one caption, shown once (per-chunk cost printed)', () => {
  const { im, shown } = imaginer();
  const pcm = new Float32Array(FRAMES * 2).map((_, i) => Math.sin(i / 7) * 0.3);
  const state = { style: 'funk', tempoBpm: 104, key: 'E', mode: 'minor' as const, level: 2, section: 'verse' };
  const controls = new Float32Array(15);
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++) im.observe(state, pcm, controls, (i * FRAMES * 1000) / RATE);
  const perChunkMs = (performance.now() - t0) / 2000;
  console.log(`scene imaginer: ${perChunkMs.toFixed(3)} ms per chunk, decisions included`);
  assert.equal(shown.length, 1, 'an unchanging chunk never changes the caption');
  assert.ok(shown[0]!.caption.length > 0);
});
