/**
 * Batched decoder steps across sessions (decoder.pastLength "per-row", lm/stepBatcher.ts) on the
 * default pack: one run over several sessions' rows with different past lengths, capacities and
 * prompt lengths gives each session what its own run gives; a stream's tokens do not depend on
 * the company it decoded in; packs with a scalar past length still load and run unbatched.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { DecodeLoop, resolveSettings, type GeneratorState } from '../../../server/generation/lm/decodeLoop.js';
import { EngineCacheDecoderRunner, type DecoderPass, type KvCache } from '../../../server/generation/lm/decoderRunner.js';
import { MusicgenPack } from '../../../server/generation/lm/musicgenPack.js';
import { PackError } from '../../../server/generation/pack/manifest.js';
import { OnnxSession, type Feeds } from '../../../server/generation/pack/onnxSession.js';
import { pastName } from '../../../server/generation/pack/packSpec.js';
import { MODELS_DIR } from '../../../server/paths.js';
import { controls, disposePacks, pack, tempPack, TINY_NEWKV } from '../tinyPacks.js';

after(disposePacks);

const PACK = join(MODELS_DIR, 'expotion-small');
const TIMEOUT = { timeout: 120_000 };

function cloneCache(c: KvCache): KvCache {
  const copy = (t: Tensor) => new Tensor('float32', (t.data as Float32Array).slice(), t.dims);
  return { length: c.length, capacity: c.capacity, decoder: c.decoder.map(copy), encoder: c.encoder };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The default pack's control_features for position p of a session: a window of 16 vectors (deterministic, in range). */
function controlsAt(seed: number) {
  return (p: number): Float32Array => {
    const out = new Float32Array(16 * 15);
    for (let w = 0; w < 16; w++) {
      const c = controls();
      c[0] = Math.sin(seed + (p + w) * 0.3);
      c[13] = 90 + 10 * seed;
      out.set(c, w * 15);
    }
    return out;
  };
}

/** A session's state after `steps` decoded steps (one full pass, then cached steps), unbatched. */
async function decoded(loop: DecodeLoop, prompt: string, seed: number, steps: number): Promise<GeneratorState> {
  const state = await loop.createState(prompt, seed);
  for (let i = 0; i < steps; i++) await loop.step(state, controlsAt(seed));
  return state;
}

test('cachedBatch: sessions with different past lengths, capacities and prompts get the logits and caches of their own runs', TIMEOUT, async () => {
  const p = await MusicgenPack.load(PACK);
  try {
    assert.equal(p.manifest.decoder.pastLength, 'per-row');
    const runner = p.decoder;
    assert.ok(runner instanceof EngineCacheDecoderRunner && runner.batchable);
    runner.wholeWindowMaxBytesPerRow = 0; // caches of different capacities, as a large model's grow
    const loop = new DecodeLoop(p, resolveSettings(p, { batchSteps: false }));
    const specs: Array<[string, number, number]> = [
      ['a happy funk groove with slap bass', 1, 3],
      ['ambient', 2, 40],
      ['dark cinematic strings in the rain at night with a slow heavy beat', 3, 17],
      ['pop', 4, 90],
      ['house', 5, 1],
    ];
    const states = [];
    for (const [prompt, seed, steps] of specs) states.push(await decoded(loop, prompt, seed, steps));
    const lengths = new Set(states.map((s) => s.cache!.length));
    const capacities = new Set(states.map((s) => s.cache!.capacity));
    const promptLengths = new Set(states.map((s) => s.prompt.mask.dims[1]));
    assert.equal(lengths.size, specs.length, 'every session has its own past length');
    assert.ok(capacities.size >= 3 && promptLengths.size >= 3, 'capacities and prompt lengths differ too');

    // One position (a step) twice (the second batch reuses the stacking buffers), then three (a prefill pass).
    for (const positions of [1, 1, 3]) {
      const inputs = states.map((s, i) => ({
        ids: BigInt64Array.from({ length: s.prompt.rows * 4 * positions }, (_, j) => BigInt((j * 13 + i) % 60)),
        positions,
        controls: Float32Array.from({ length: 240 * positions }, (_, j) => Math.cos(i + j)),
      }));
      const alone: DecoderPass[] = [];
      for (let i = 0; i < states.length; i++) alone.push(await runner.cached(states[i]!.prompt, cloneCache(states[i]!.cache!), inputs[i]!));
      const batched: DecoderPass[] = await runner.cachedBatch(states.map((s, i) => ({ prompt: s.prompt, cache: cloneCache(s.cache!), input: inputs[i]! })));
      for (let i = 0; i < states.length; i++) {
        const a = alone[i]!;
        const b = batched[i]!;
        assert.deepEqual(b.logits.dims, a.logits.dims);
        const d = maxDiff(a.logits.data as Float32Array, b.logits.data as Float32Array);
        assert.ok(d < 1e-4, `session ${i}: max |batched - alone| logit = ${d}`);
        assert.equal(b.cache.length, a.cache.length);
        assert.equal(b.cache.capacity, a.cache.capacity);
        for (let t = 0; t < a.cache.decoder.length; t++) {
          const kd = maxDiff(a.cache.decoder[t]!.data as Float32Array, b.cache.decoder[t]!.data as Float32Array);
          assert.ok(kd < 1e-4, `session ${i} tensor ${t}: max |batched - alone| K/V = ${kd}`);
        }
      }
    }
  } finally {
    await p.dispose();
  }
});

test('a stream decodes the same tokens alone and batched with other sessions (same seed)', TIMEOUT, async () => {
  const p = await MusicgenPack.load(PACK);
  try {
    const steps = 40;
    const aloneLoop = new DecodeLoop(p, resolveSettings(p, { batchSteps: false, maxPositions: 32, keepFraction: 0.5, prefillPositions: 4 }));
    assert.equal(aloneLoop.batcher, null);
    const run = async (loop: DecodeLoop, state: GeneratorState, seed: number, n: number): Promise<number[][]> => {
      const cols: number[][] = [];
      for (let i = 0; i < n; i++) {
        cols.push([...(await loop.step(state, controlsAt(seed))).column]);
        await loop.prefill(state);
      }
      return cols;
    };
    const want = await run(aloneLoop, await aloneLoop.createState('a happy funk groove with slap bass', 11), 11, steps);

    const loop = new DecodeLoop(p, resolveSettings(p, { maxPositions: 32, keepFraction: 0.5, prefillPositions: 4, maxBatchSessions: 3 }));
    assert.ok(loop.batcher, 'the default pack batches its steps');
    // Company at other past lengths: one started earlier, others with other prompts and seeds.
    const early = await loop.createState('ambient', 2);
    await run(loop, early, 2, 13);
    const others = await Promise.all(['pop', 'dark cinematic strings', 'house'].map((prompt) => loop.createState(prompt, 7)));
    const main = await loop.createState('a happy funk groove with slap bass', 11);
    const before = loop.batcher.stats.runs;
    const [got] = await Promise.all([run(loop, main, 11, steps), run(loop, early, 2, steps), ...others.map((s, i) => run(loop, s, 20 + i, steps - 5 * i))]);
    assert.deepEqual(got, want, 'the tokens do not depend on the company');
    const sizes = loop.batcher.stats.runsBySize;
    assert.ok(sizes.slice(2).some((n) => n > 0), `steps ran batched (runs by size ${sizes.join(', ')})`);
    assert.ok(sizes.length === 4, 'at most maxBatchSessions per run');
    assert.ok(loop.batcher.stats.runs > before);
  } finally {
    await p.dispose();
  }
});

test('packs with a scalar past length still load and step unbatched; a per-row manifest over a scalar graph is refused', TIMEOUT, async () => {
  const tiny = await pack(TINY_NEWKV);
  assert.equal(tiny.manifest.decoder.pastLength, 'scalar');
  const loop = new DecodeLoop(tiny, resolveSettings(tiny));
  assert.equal(loop.batcher, null, 'no batching without a per-row past length');
  const state = await loop.createState('an upbeat funk groove', 3);
  for (let i = 0; i < 5; i++) await loop.step(state, () => controls());
  assert.equal(state.cache!.length, 5);

  const wrong = tempPack(TINY_NEWKV, (m) => {
    (m['decoder'] as Record<string, unknown>)['pastLength'] = 'per-row';
  });
  try {
    await assert.rejects(MusicgenPack.load(wrong.dir), (err: unknown) => err instanceof PackError && /past_sequence_length.*per_row_past_length\.py/s.test(err.message));
  } finally {
    wrong.cleanup();
  }

  // The per-row graph under a manifest that says nothing (an old manifest): loads, steps alone.
  const old = tempPack(PACK, (m) => {
    delete (m['decoder'] as Record<string, unknown>)['pastLength'];
  });
  try {
    const p = await MusicgenPack.load(old.dir);
    try {
      assert.equal(p.manifest.decoder.pastLength, 'scalar');
      const l = new DecodeLoop(p, resolveSettings(p));
      assert.equal(l.batcher, null);
      const s = await l.createState('pop', 1);
      for (let i = 0; i < 3; i++) await l.step(s, controlsAt(1));
      assert.equal(s.cache!.length, 3);
    } finally {
      await p.dispose();
    }
  } finally {
    old.cleanup();
  }
});

test("the default pack's KV cache is allocated for its whole window once, and never regrown as a session plays", TIMEOUT, async () => {
  const p = await MusicgenPack.load(PACK);
  try {
    const loop = new DecodeLoop(p, resolveSettings(p, { batchSteps: false }));
    const state = await loop.createState('house', 1);
    const window = p.manifest.decoder.maxPositions;
    const buffers = new Set<ArrayBufferLike>();
    for (let i = 0; i < 200; i++) {
      await loop.step(state, controlsAt(1));
      assert.equal(state.cache!.capacity, window, `step ${i}: capacity ${state.cache!.capacity}`);
      buffers.add((state.cache!.decoder[0]!.data as Float32Array).buffer);
    }
    assert.equal(buffers.size, 1, 'the same buffer from the first step to the 200th');
  } finally {
    await p.dispose();
  }
});

test('a batcher reserves the memory it stacks the past into for its largest batch: no batch mid-show allocates it', TIMEOUT, async () => {
  // Grown on demand, each batch longer or larger than any before allocated and filled new buffers
  // inside the step (30-60 ms of a worker at 12 sessions: the running show's lone stalls).
  const p = await MusicgenPack.load(PACK);
  const run = OnnxSession.prototype.run;
  try {
    const loop = new DecodeLoop(p, resolveSettings(p, { maxBatchSessions: 8 }));
    assert.ok(loop.batcher && p.decoder instanceof EngineCacheDecoderRunner);
    const runner = p.decoder;
    const stacked = new Set<ArrayBufferLike>();
    OnnxSession.prototype.run = function (this: OnnxSession, feeds: Feeds, outputs?: readonly string[]) {
      const past = feeds[pastName(0, 'decoder', 'key')];
      if (past && past.dims[2]! > 0) stacked.add((past.data as Float32Array).buffer);
      return run.call(this, feeds, outputs);
    };
    // Eight sessions decoded one step at a time (their past growing to 40-180), then batches of
    // two, five and all eight of them.
    const states: GeneratorState[] = [];
    for (let i = 0; i < 8; i++) states.push(await decoded(loop, i % 2 ? 'house' : 'a happy funk groove with slap bass', i + 1, 40 + 20 * i));
    for (const n of [2, 5, 8]) {
      const company = states.slice(8 - n);
      const inputs = company.map((s, i) => ({ ids: BigInt64Array.from({ length: s.prompt.rows * 4 }, (_, j) => BigInt((j * 7 + i) % 60)), positions: 1, controls: controlsAt(i)(s.cache!.length) }));
      const passes = await runner.cachedBatch(company.map((s, i) => ({ prompt: s.prompt, cache: s.cache!, input: inputs[i]! })));
      assert.equal(passes.length, n);
    }
    // A batch of one runs on the session's own cache; the others are stacked.
    for (const s of states) stacked.delete((s.cache!.decoder[0]!.data as Float32Array).buffer);
    assert.equal(stacked.size, 1, `every batch stacked into the same memory (${stacked.size} buffers)`);
  } finally {
    OnnxSession.prototype.run = run;
    await p.dispose();
  }
});

test('relaxed steps (decoded ahead) wait for company and run as one batch; an urgent step or hurry() runs them at once', TIMEOUT, async () => {
  const p = await MusicgenPack.load(PACK);
  try {
    const settings = resolveSettings(p, { maxPositions: 32, keepFraction: 0.5 });
    const prompts = ['ambient', 'pop', 'house'];
    const alone = new DecodeLoop(p, resolveSettings(p, { ...settings, batchSteps: false }));
    const want: number[][] = [];
    for (const [i, prompt] of prompts.entries()) {
      const s = await alone.createState(prompt, 30 + i);
      await alone.step(s, controlsAt(i));
      want.push([...(await alone.step(s, controlsAt(i))).column]);
    }

    const loop = new DecodeLoop(p, settings);
    const batcher = loop.batcher!;
    // A generous wait, so that a busy machine cannot split the company; hurry() makes the test quick.
    batcher.relaxedWaitMs = 60_000;
    const states = await Promise.all(prompts.map((prompt, i) => loop.createState(prompt, 30 + i)));
    for (const [i, s] of states.entries()) await loop.step(s, controlsAt(i)); // the first (full) passes
    const runsBefore = [...batcher.stats.runsBySize];
    // The sessions reach their steps at different moments, as at real pace.
    const steps = states.map(async (s, i) => {
      await new Promise((resolve) => setTimeout(resolve, 5 * i));
      return loop.step(s, controlsAt(i), true);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(batcher.waiting, 3, 'the relaxed steps are still waiting for company');
    batcher.hurry();
    const got = (await Promise.all(steps)).map((r) => [...r.column]);
    assert.deepEqual(got, want, 'the same tokens as decoded alone');
    assert.equal(batcher.stats.runsBySize[3]! - runsBefore[3]!, 1, `one run served the three (runs by size ${batcher.stats.runsBySize.join(', ')})`);

    // An urgent step takes the waiting relaxed ones along.
    const relaxed = loop.step(states[0]!, controlsAt(0), true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(batcher.waiting, 1);
    const urgent = loop.step(states[1]!, controlsAt(1));
    await Promise.all([relaxed, urgent]);
    assert.equal(batcher.stats.runsBySize[2]! - runsBefore[2]!, 1, 'the urgent step ran with the relaxed one');
  } finally {
    await p.dispose();
  }
});
