import { encodecOf } from '../../../server/generation/pack/manifest.js';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamRequestError } from '../../../server/generation/chunkRequest.js';
import { CodecStreamer, codecStreamerFor } from '../../../server/generation/musicgen/codecStreamer.js';
import { DecodeLoop, resolveSettings } from '../../../server/generation/lm/decodeLoop.js';
import { loadMusicgenEngine } from '../../../server/generation/musicgen/musicgenEngine.js';
import { controls, disposePacks, HOP, maxAbsDiff, maxJump, pack, renderStream, TINY, TINY_EXPOTION, TINY_SPLIT } from '../tinyPacks.js';

after(disposePacks);

async function frames(dir: string, steps: number, seed = 3) {
  const p = await pack(dir);
  const loop = new DecodeLoop(p, resolveSettings(p));
  const state = await loop.createState('a dreamy synth pad at night', seed);
  for (let i = 0; i < steps; i++) await loop.step(state, () => controls());
  return { p, codes: loop.takeFrames(state) };
}

test('chunked codec streaming equals one-shot decoding outside the crossfade zones, and is continuous at borders', async () => {
  const { p, codes } = await frames(TINY, 64);
  const K = p.manifest.tokens.codebooks;
  const F = codes.length / K;
  assert.equal(F, 64 - 3, 'frames complete 3 steps after codebook 0 (delay pattern)');
  const oneShot = await codecStreamerFor(p).put(codes);
  const streamer: CodecStreamer = codecStreamerFor(p);
  const X = streamer.options.crossfadeSamples;
  const parts: Float32Array[] = [];
  const borders: number[] = [];
  const blocks = [1, 2, 3, 1, 5, 2, 1, 4];
  for (let f = 0, i = 0; f < F; i++) {
    const n = Math.min(blocks[i % blocks.length]!, F - f);
    if (f > 0) borders.push(f * HOP);
    parts.push(await streamer.put(codes.subarray(f * K, (f + n) * K)));
    f += n;
  }
  const chunked = Float32Array.from(parts.flatMap((x) => [...x]));
  assert.equal(chunked.length, oneShot.length);
  assert.equal(chunked.length, F * HOP - X, 'only the last crossfade length is held back');
  const inZone = (n: number) => borders.some((b) => n >= b - X && n < b);
  let outside = 0;
  for (let n = 0; n < chunked.length; n++) if (!inZone(n)) outside = Math.max(outside, Math.abs(chunked[n]! - oneShot[n]!));
  assert.ok(outside < 1e-5, `outside crossfade zones |chunked - one-shot| = ${outside}`);
  const reference = maxJump(oneShot);
  for (const b of borders) {
    const jump = maxJump(chunked, b - X - 8, b + 8);
    assert.ok(jump <= reference * 1.25, `border at ${b}: step ${jump} vs largest step of one-shot audio ${reference}`);
    assert.ok(maxAbsDiff(chunked, oneShot, b - X, b) < 0.5, 'the crossfade stays near the one-shot audio');
  }
  assert.ok(Math.max(...chunked.map(Math.abs)) <= 1, 'samples stay in [-1, 1]');
});

test('same seed, same audio; another seed, other audio (merged and split layouts agree)', async () => {
  const render = async (dir: string, seed: number) => {
    const engine = await loadMusicgenEngine(dir);
    try {
      return await renderStream(engine.openStream({ prompt: 'epic cinematic strings', seed }), 16000, 1024);
    } finally {
      engine.dispose();
    }
  };
  const a = await render(TINY, 11);
  assert.deepEqual(await render(TINY, 11), a);
  assert.ok(maxAbsDiff(a, await render(TINY, 12)) > 0.05, 'a different seed changes the audio');
  assert.ok(maxAbsDiff(a, await render(TINY_SPLIT, 11)) < 1e-3, 'split layout renders the same music');
});

test('the stream renders exactly the frames asked for, whatever the chunk sizes, continuing the same audio', async () => {
  const engine = await loadMusicgenEngine(TINY);
  const whole = await renderStream(engine.openStream({ prompt: 'jazz piano', seed: 4 }), 12000, 12000);
  const small = await renderStream(engine.openStream({ prompt: 'jazz piano', seed: 4 }), 12000, 333);
  // Same tokens; only the crossfade zones (where codec blocks meet) may differ.
  assert.ok(maxAbsDiff(whole, small) < 0.5 && maxJump(small) <= maxJump(whole) * 1.25, 'chunk size does not change the music');
  assert.deepEqual(await renderStream(engine.openStream({ prompt: 'jazz piano', seed: 4 }), 12000, 333), small);
  const s = engine.openStream({ prompt: 'jazz piano', seed: 4 });
  const ok = { startSample: 0, frames: 256, controls: [controls()], controlStepSamples: HOP, beat: null };
  await assert.rejects(s.render({ ...ok, frames: 0 }), (e: unknown) => e instanceof StreamRequestError && /frames must be an integer in \[1, \d+\], but is 0/.test(e.message) && e.code === 'GEN_ERR_BAD_REQUEST');
  await assert.rejects(s.render({ ...ok, frames: 11 * 48000 }), /frames must be an integer in \[1, \d+\]/, 'chunks are capped at 10 s');
  await assert.rejects(s.render({ ...ok, startSample: 5 }), /contiguous: startSample must be 0, but is 5/);
  await assert.rejects(s.render({ ...ok, controls: [] }), /at least one control vector/);
  await assert.rejects(s.render({ ...ok, controls: [new Float32Array(3)] }), /Float32Array of 15/);
  assert.equal((await s.render(ok)).pcm.length, 256, 'the stream goes on after refused requests');
  engine.dispose();
});

test('controls change the Expotion pack\'s audio; the plain pack ignores them', async () => {
  const calm = () => controls({ energy: 0, valence: -1, handHeight: 0 });
  const wild = (start: number) => controls({ energy: 1, valence: 1, handHeight: 1, armOpenness: start % 2048 === 0 ? 1 : 0 });
  for (const [dir, matters] of [[TINY_EXPOTION, true], [TINY, false]] as const) {
    const engine = await loadMusicgenEngine(dir);
    const a = await renderStream(engine.openStream({ prompt: 'house groove', seed: 9 }), 16000, 1024, calm);
    const b = await renderStream(engine.openStream({ prompt: 'house groove', seed: 9 }), 16000, 1024, wild);
    if (matters) assert.ok(maxAbsDiff(a, b) > 0.05, 'Expotion: controls steer the music');
    else assert.deepEqual(a, b, 'plain pack: identical audio whatever the controls');
    engine.dispose();
  }
});

test('the Expotion pack\'s narrowed valid ranges are never violated by sampled tokens', async () => {
  const p = await pack(TINY_EXPOTION);
  const loop = new DecodeLoop(p, resolveSettings(p, { temperature: 2, topK: 64 }));
  const state = await loop.createState('chill lofi beat', 21);
  const ranges = p.manifest.tokens.validRanges;
  for (let i = 0; i < 80; i++) {
    const { column, position } = await loop.step(state, (pos) => controls({ energy: (pos % 10) / 10 }));
    column.forEach((t, k) => {
      if (p.pattern.isValid(position, k)) assert.ok(t >= ranges[k]![0] && t < ranges[k]![1], `codebook ${k} token ${t} outside [${ranges[k]}]`);
      else assert.equal(t, p.manifest.tokens.padTokenId, 'the delay pattern forces pad');
    });
  }
});

test('sliding past the context limit keeps generating without a seam', async () => {
  const engine = await loadMusicgenEngine(TINY, { settings: { maxPositions: 24, keepFraction: 0.5 } });
  const steps = 90;
  const audio = await renderStream(engine.openStream({ prompt: 'techno loop', seed: 2 }), steps * HOP - 4 * HOP, 1024);
  const { loop, pack: p } = await engine.ready;
  // Reproduce the slide points with the loop directly: re-primes happen every 24 - 12 positions.
  const state = await loop.createState('techno loop', 2);
  let primes = 0;
  const slides: number[] = [];
  for (let i = 0; i < steps - 6; i++) {
    await loop.step(state, () => controls());
    if (state.primes !== primes) {
      primes = state.primes;
      slides.push(state.history.newest - 1);
    }
    assert.ok(state.cache!.length <= 24, 'the cache never exceeds maxPositions');
  }
  assert.ok(slides.length >= 5, `slid ${slides.length - 1} times`);
  const X = encodecOf(p.manifest).crossfadeSamples;
  const reference = maxJump(audio, 1, slides[1]! * HOP);
  for (const s of slides.slice(1)) {
    const at = s * HOP;
    if (at + HOP > audio.length) continue;
    assert.ok(maxJump(audio, at - HOP - X, at + HOP) <= reference * 1.25, `no discontinuity around the slide at position ${s}`);
  }
  let energy = 0;
  for (let n = audio.length - 8000; n < audio.length; n++) energy += audio[n]! * audio[n]!;
  assert.ok(Math.sqrt(energy / 8000) > 0.05, 'still making sound after several slides');
  engine.dispose();
});

test('a prompt change mid-stream takes effect from the next chunk, without a seam', async () => {
  const engine = await loadMusicgenEngine(TINY);
  const same = await renderStream(engine.openStream({ prompt: 'sad cello', seed: 8 }), 20480, 1024);
  const changedStream = engine.openStream({ prompt: 'sad cello', seed: 8 });
  const changed = await renderStream(changedStream, 20480, 1024, () => controls(), (start) => {
    if (start === 10240) changedStream.setPrompt('happy disco party with brass');
  });
  const { pack: p } = await engine.ready;
  const lead = (p.pattern.maxDelay + 2) * HOP + encodecOf(p.manifest).crossfadeSamples;
  assert.ok(maxAbsDiff(same, changed, 0, 10240 - lead) < 1e-6, 'audio before the change (and what was already generated) is untouched');
  assert.ok(maxAbsDiff(same, changed, 10240, 20480) > 0.05, 'the new prompt changes the music');
  assert.ok(maxJump(changed, 9000, 16000) <= maxJump(same) * 1.25, 'no seam where the prompt changed');
  engine.dispose();
});
