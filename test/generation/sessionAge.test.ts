/**
 * A long session costs the same per chunk as a young one: when the default pack's context window
 * slides (every 128 steps past the first 256), the decoder does not re-prime the window in one
 * 128-position pass; the next window's cache is built ahead a few positions at a time between
 * steps (DecodeLoop.prefill), and gives the music of the one-pass re-prime.
 *
 * Behaviour, not wall-clock time: the positions the decoder computes per call and per chunk are
 * counted at the runner.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { C, type ControlVector } from '../../protocol/controlVector.js';
import { DecodeLoop, resolveSettings, type GenerationSettings } from '../../server/generation/lm/decodeLoop.js';
import type { DecoderRunner } from '../../server/generation/lm/decoderRunner.js';
import { MusicgenPack } from '../../server/generation/lm/musicgenPack.js';
import { loadNeuralEngine } from '../../server/generation/symbolic/neuralEngine.js';
import type { EmittedStep } from '../../server/generation/symbolic/symbolicStream.js';
import { isValidToken } from '../../server/generation/symbolic/tokens.js';
import { MODELS_DIR } from '../../server/paths.js';
import { controls, SR } from './helpers.js';

const PACK = join(MODELS_DIR, 'expotion-small');

/** Counts the positions each decoder run computes (input positions fed to the ONNX session). */
function countPositions(decoder: DecoderRunner): { runs: number[]; full: number; maxPast: number } {
  const seen = { runs: [] as number[], full: 0, maxPast: 0 };
  const full = decoder.full.bind(decoder);
  const cached = decoder.cached.bind(decoder);
  decoder.full = (prompt, input) => {
    seen.runs.push(input.positions);
    seen.full++;
    return full(prompt, input);
  };
  decoder.cached = (prompt, cache, input) => {
    seen.runs.push(input.positions);
    seen.maxPast = Math.max(seen.maxPast, cache.length);
    return cached(prompt, cache, input);
  };
  return seen;
}

/** The performer's controls at second t: slow sweeps, a steady 120 BPM beat. */
function performer(t: number): ControlVector {
  const v = controls({
    energy: 0.5 + 0.45 * Math.sin(t / 3),
    valence: 0.8 * Math.sin(t / 5),
    handHeight: 0.5 + 0.4 * Math.sin(t / 2),
    armOpenness: 0.5 + 0.4 * Math.sin(t / 7),
    beatStrength: 0.9,
  });
  v[C.tempo] = 120;
  return v;
}

test('default pack, long stream: no chunk computes more than a few decoder positions, across three window slides', { timeout: 240_000 }, async () => {
  const engine = await loadNeuralEngine(PACK);
  try {
    const { pack: p, loop } = await engine.ready;
    assert.equal(loop.settings.maxPositions, 256);
    const prefill = loop.settings.prefillPositions;
    assert.ok(prefill > 0 && prefill <= 16, `the default pack prefills its next window a few positions per pass (${prefill})`);
    // One step (one position), or one prefill pass (at most prefillPositions) plus one position to spare.
    const bound = prefill + 1;
    const seen = countPositions(p.decoder);
    const stream = engine.openStream({ prompt: 'a happy funk groove with slap bass', seed: 11 });
    const steps: EmittedStep[] = [];
    stream.onStep((s) => steps.push(s));
    const chunk = 1024;
    const perChunk: number[] = [];
    // Past three slides (at positions 256, 384, 512): ~82 s of audio at 120 BPM (8 steps per second).
    const want = 256 + 3 * 128 + 16;
    for (let n = 0; n < 150 * SR && steps.length < want; n += chunk) {
      const before = seen.runs.length;
      const c = await stream.render({ startSample: n, frames: chunk, controls: [performer(n / SR)], controlStepSamples: chunk, beat: { anchorSample: 0, periodSamples: SR / 2, strength: 0.9 } });
      assert.equal(c.pcm.length, 2 * chunk);
      perChunk.push(seen.runs.slice(before).reduce((a, b) => a + b, 0));
    }
    stream.dispose();
    assert.ok(steps.length >= want, `${steps.length} steps in 150 s`);
    assert.ok(seen.full >= 4, `a full pass at the start and one for each next window (${seen.full})`);
    assert.equal(seen.maxPast, 255, 'the live window filled its 256 positions before sliding');
    const worst = Math.max(...perChunk);
    const at = perChunk.indexOf(worst);
    assert.ok(worst <= bound, `every chunk computes at most ${bound} decoder positions; chunk ${at} (${((at * chunk) / SR).toFixed(1)} s) computed ${worst}`);
    assert.ok(Math.max(...seen.runs) <= bound, `every decoder run computes at most ${bound} positions (runs: ${seen.runs.length})`);
    for (const s of steps) s.tokens.forEach((id, k) => assert.ok(isValidToken(k, id), `step ${s.step} stream ${k} token ${id}`));
    const hits = steps.slice(-64).filter((s) => s.tokens[0] !== 0).length;
    assert.ok(hits > 8, `still drumming after the slides (${hits} drum steps of the last 64)`);
  } finally {
    await engine.dispose();
  }
});

/** The pack's control features for position `pos`: the performer's last 16 steps (8 steps per second). */
function features(pos: number): Float32Array {
  const out = new Float32Array(16 * 15);
  for (let w = 0; w < 16; w++) out.set(performer((pos - 15 + w) / 8), w * 15);
  return out;
}

/** Steps a loop `steps` times with `idle(i)` prefill calls before step i; returns every step's raw logits and column. */
async function decode(settings: Partial<GenerationSettings>, steps: number, idle: (i: number) => number) {
  const p = await MusicgenPack.load(PACK);
  const loop = new DecodeLoop(p, resolveSettings(p, { temperature: 0, ...settings }));
  const state = await loop.createState('a tense chase through a night market', 5);
  const seen = countPositions(p.decoder);
  const raws: Float32Array[] = [];
  const columns: string[] = [];
  const stepRuns: number[] = [];
  const prefillRuns: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      for (let k = idle(i); k > 0; k--) {
        const before = seen.runs.length;
        const fed = await loop.prefill(state);
        assert.equal(fed, seen.runs.slice(before).reduce((a, b) => a + b, 0), 'prefill returns the positions it fed');
        prefillRuns.push(...seen.runs.slice(before));
      }
      const before = seen.runs.length;
      const r = await loop.step(state, features);
      stepRuns.push(seen.runs.slice(before).reduce((a, b) => a + b, 0));
      raws.push(r.raw);
      columns.push(r.column.join());
    }
  } finally {
    await p.dispose();
  }
  return { raws, columns, stepRuns, prefillRuns, slides: state.slides };
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let d = 0;
  for (let s = 0; s < a.length; s++) for (let i = 0; i < a[s]!.length; i++) d = Math.max(d, Math.abs(a[s]![i]! - b[s]![i]!));
  return d;
}

test('prefilled windows give the logits and tokens of the one-pass re-prime, at every slide, for any prefill schedule', { timeout: 120_000 }, async () => {
  const steps = 170;
  for (const keepFraction of [0.5, 0.75]) {
    const settings = { maxPositions: 40, keepFraction };
    const reference = await decode({ ...settings, prefillPositions: 0 }, steps, () => 0);
    assert.ok(reference.slides >= 5, `the window slid ${reference.slides} times`);
    assert.ok(Math.max(...reference.stepRuns) >= 20, 'without prefill a slide re-primes the kept positions in one pass');
    // Regular idle time; bursts and droughts (some windows get no prefill at all: the slide feeds what is missing).
    const schedules: [string, (i: number) => number][] = [
      ['two calls per step', () => 2],
      ['irregular', (i) => [0, 3, 1, 0, 0, 5, 1][i % 7]! * (Math.floor(i / 30) % 3 === 2 ? 0 : 1)],
    ];
    for (const [name, idle] of schedules) {
      const got = await decode({ ...settings, prefillPositions: 4 }, steps, idle);
      const what = `keepFraction ${keepFraction}, ${name}`;
      assert.equal(got.slides, reference.slides, what);
      assert.deepEqual(got.columns, reference.columns, `${what}: same tokens`);
      const d = maxDiff(got.raws, reference.raws);
      assert.ok(d < 1e-3, `${what}: max |prefilled - re-primed| logit ${d}`);
      assert.ok(Math.max(...got.prefillRuns) <= 4, `${what}: prefill passes of at most 4 positions`);
      if (name === 'two calls per step') {
        // With idle time between steps, every step after the first computes one position, slides included.
        assert.deepEqual([...new Set(got.stepRuns.slice(1))], [1], `${what}: positions per step ${[...new Set(got.stepRuns)].join(', ')}`);
      }
    }
  }
});

test('prefillPositions is validated', { timeout: 30_000 }, async () => {
  const p = await MusicgenPack.load(PACK);
  try {
    assert.equal(resolveSettings(p).prefillPositions, 0, 'off unless asked for (MusicGen packs re-prime in one pass)');
    assert.throws(() => resolveSettings(p, { prefillPositions: -1 }), /prefillPositions` must be an integer >= 0, but is -1/);
    assert.throws(() => resolveSettings(p, { prefillPositions: 1.5 }), /prefillPositions/);
  } finally {
    await p.dispose();
  }
});

test('a chunk goes out without waiting for the prefill pass it starts; the next step waits for it, and the music is the same', { timeout: 240_000 }, async () => {
  const chunk = 1024;
  const seconds = 24; // the next window's prefill starts at ~16 s (position 129 + 8 at 8 steps per second)
  const request = (n: number) => ({ startSample: n, frames: chunk, controls: [performer(n / SR)], controlStepSamples: chunk, beat: { anchorSample: 0, periodSamples: SR / 2, strength: 0.9 } });
  const render = async (gated: boolean): Promise<{ pcm: Float32Array[]; gatedPasses: number }> => {
    const engine = await loadNeuralEngine(PACK);
    try {
      const { loop } = await engine.ready;
      // The gate holds every prefill pass until the test opens it: a chunk that waited for its pass would never come back.
      let open: () => void = () => undefined;
      let gate: Promise<void> = Promise.resolve();
      let gatedPasses = 0;
      if (gated) {
        const prefill = loop.prefill.bind(loop);
        loop.prefill = async (state, relaxed) => {
          gatedPasses++;
          gate = new Promise((resolve) => (open = resolve));
          await gate;
          return prefill(state, relaxed);
        };
      }
      const stream = engine.openStream({ prompt: 'a happy funk groove with slap bass', seed: 5 });
      const pcm: Float32Array[] = [];
      for (let n = 0; n < seconds * SR; n += chunk) {
        const passes = gatedPasses;
        let hung: NodeJS.Timeout | undefined;
        const c = await Promise.race([stream.render(request(n)), new Promise<null>((resolve) => (hung = setTimeout(() => resolve(null), 20_000)))]);
        clearTimeout(hung);
        assert.ok(c !== null, `the chunk at ${(n / SR).toFixed(2)} s came back while its prefill pass was held`);
        pcm.push(c.pcm);
        if (gatedPasses > passes) open(); // the pass runs only now, after its chunk went out
      }
      stream.dispose();
      return { pcm, gatedPasses };
    } finally {
      await engine.dispose();
    }
  };
  const plain = await render(false);
  const held = await render(true);
  assert.ok(held.gatedPasses >= 5, `prefill passes ran (${held.gatedPasses})`);
  assert.equal(held.pcm.length, plain.pcm.length);
  held.pcm.forEach((p, i) => assert.deepEqual(p, plain.pcm[i], `chunk ${i} is the same with the prefill held until after it`));
});
