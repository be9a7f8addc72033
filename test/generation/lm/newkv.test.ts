/**
 * The engine-held KV cache (decoder.kvOutputs "new": the cached graph returns only the new
 * positions' K/V) and the int8 file set (quantizedFiles), on tiny-musicgen-newkv, which has
 * tiny-musicgen's weights.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecodeLoop, resolveSettings } from '../../../server/generation/lm/decodeLoop.js';
import { EngineCacheDecoderRunner, kvCapacity } from '../../../server/generation/lm/decoderRunner.js';
import { loadManifest, PackError } from '../../../server/generation/pack/manifest.js';
import { MusicgenPack } from '../../../server/generation/lm/musicgenPack.js';
import { controls, disposePacks, pack, tempPack, TINY, TINY_NEWKV, TINY_SPLIT } from '../tinyPacks.js';

after(disposePacks);

type M = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `steps` cached steps, then one full pass over every position: the largest logit difference. */
async function cachedVersusFull(p: MusicgenPack, steps: number, guidanceScale: number): Promise<{ diff: number; scale: number; capacities: Set<number> }> {
  const loop = new DecodeLoop(p, resolveSettings(p, { guidanceScale }));
  const state = await loop.createState('an upbeat funk groove with bass', 5);
  const raws: Float32Array[] = [];
  const capacities = new Set<number>();
  for (let i = 0; i < steps; i++) {
    raws.push((await loop.step(state, () => controls())).raw);
    capacities.add(state.cache!.capacity ?? state.cache!.length);
  }
  assert.equal(state.primes, 1, 'one full pass at the start, cached steps after');
  const full = await p.decoder.full(state.prompt, { ids: loop.windowIds(state, 0, steps - 1), positions: steps });
  const V = p.manifest.tokens.vocabSize;
  const rows = state.prompt.rows * p.manifest.tokens.codebooks;
  const data = full.logits.data as Float32Array;
  let diff = 0;
  let scale = 0;
  for (let pos = 0; pos < steps; pos++) {
    for (let r = 0; r < rows * V; r++) {
      const a = raws[pos]![r]!;
      diff = Math.max(diff, Math.abs(a - data[(Math.floor(r / V) * steps + pos) * V + (r % V)]!));
      scale = Math.max(scale, Math.abs(a));
    }
  }
  return { diff, scale, capacities };
}

test('engine-held cache: cached decoding equals full recomputation within 1e-4 (guidance batch 2, across capacity growths)', async () => {
  const p = await pack(TINY_NEWKV);
  assert.ok(p.decoder instanceof EngineCacheDecoderRunner);
  p.decoder.wholeWindowMaxBytesPerRow = 0; // grow, as a large model's cache does
  const { diff, scale, capacities } = await cachedVersusFull(p, 150, 3);
  assert.ok(scale > 1, `logits are not trivially small (max |logit| ${scale})`);
  assert.ok(diff < 1e-4, `max |cached - full| = ${diff}`);
  assert.ok(capacities.size >= 5, `the cache grew several times: capacities ${[...capacities].join(', ')}`);
});

test('engine-held cache capacity: a slack of 2 sqrt(n) (at least 16), bounded by the window', () => {
  assert.equal(kvCapacity(1, 1500), 17);
  assert.equal(kvCapacity(250, 1500), 250 + 32);
  assert.equal(kvCapacity(1000, 1500), 1000 + 64);
  assert.equal(kvCapacity(1490, 1500), 1500);
  assert.equal(kvCapacity(1500, 1500), 1500);
  assert.equal(kvCapacity(1501, 1500), 1501, 'never less than needed');
});

test('engine-held cache: cached equals full without guidance (batch 1)', async () => {
  const { diff } = await cachedVersusFull(await pack(TINY_NEWKV), 30, 1);
  assert.ok(diff < 1e-4, `max |cached - full| = ${diff}`);
});

test('engine-held cache gives the logits of the public layout (same weights), through window slides', async () => {
  const run = async (dir: string) => {
    const p = await pack(dir);
    const loop = new DecodeLoop(p, resolveSettings(p, { temperature: 0, maxPositions: 40 }));
    const state = await loop.createState('calm ambient pad', 1);
    const out: Float32Array[] = [];
    const tokens: string[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await loop.step(state, () => null);
      out.push(r.raw);
      tokens.push(r.column.join());
    }
    return { out, primes: state.primes, tokens };
  };
  const a = await run(TINY_SPLIT);
  const b = await run(TINY_NEWKV);
  assert.ok(b.primes > 2, `the window slid (${b.primes} full passes)`);
  assert.equal(a.primes, b.primes);
  assert.deepEqual(b.tokens, a.tokens, 'greedy tokens are identical');
  let diff = 0;
  for (let s = 0; s < a.out.length; s++) for (let i = 0; i < a.out[s]!.length; i++) diff = Math.max(diff, Math.abs(a.out[s]![i]! - b.out[s]![i]!));
  assert.ok(diff < 1e-4, `split vs engine-held cache ${diff}`);
});

/** Expects loading a pack edited by `edit` to fail with a PackError whose message matches every pattern. */
async function refused(from: string, edit: (m: M) => void, options: { quantized?: boolean }, ...patterns: RegExp[]): Promise<void> {
  const t = tempPack(from);
  try {
    const m = loadManifest(t.dir).manifest as M;
    edit(m);
    writeFileSync(join(t.dir, 'manifest.json'), JSON.stringify(m));
    await assert.rejects(MusicgenPack.load(t.dir, { intraOpThreads: 1, ...options }), (e: unknown) => {
      assert.ok(e instanceof PackError, `a PackError, got ${String(e)}`);
      for (const p of patterns) assert.match(e.message, p);
      return true;
    });
  } finally {
    t.cleanup();
  }
}

test('the loader validates the new-K/V variant both ways, and the int8 file set', async () => {
  // A new-K/V manifest over the public cached graph, and the reverse.
  await refused(TINY_SPLIT, (m) => (m.decoder.kvOutputs = 'new'), {}, /decoder_with_past_model\.onnx: does not match the pack manifest/, /missing input "past_sequence_length" \(expected int64\[1\]\)/, /missing output "present_new\.0\.decoder\.key"/);
  await refused(TINY_NEWKV, (m) => (m.decoder.kvOutputs = 'full'), {}, /decoder_with_past_newkv\.onnx: does not match/, /missing output "present\.0\.decoder\.key"/, /unexpected input "past_sequence_length"/);
  // A merged graph may be new-K/V too (the default pack), but this one is the public layout.
  await refused(TINY, (m) => (m.decoder.kvOutputs = 'new'), {}, /missing input "past_sequence_length"/);
  await refused(TINY_NEWKV, (m) => (m.decoder.kvOutputs = 'partial'), {}, /decoder\.kvOutputs: Invalid enum value/);
  // int8 file set: missing, wrong layout, missing file, wrong tensors.
  await refused(TINY, () => undefined, { quantized: true }, /manifest\.json: quantizedFiles: the pack has no int8 file set/);
  await refused(TINY_NEWKV, (m) => (m.quantizedFiles.decoderMerged = 'x.onnx'), {}, /quantizedFiles\.decoderMerged: belongs to decoder\.layout "merged"/);
  await refused(TINY_NEWKV, (m) => (m.quantizedFiles.decoder = 'nope_quantized.onnx'), { quantized: true }, /quantizedFiles\.decoder: .*nope_quantized\.onnx is missing/);
  await refused(TINY_NEWKV, (m) => (m.quantizedFiles.decoderWithPast = 'decoder_model_quantized.onnx'), { quantized: true }, /decoder_model_quantized\.onnx: does not match/, /missing input "past_sequence_length"/);
});

test('the int8 file set loads (quantized option), runs the engine-held cache, and stays close to fp32', async () => {
  const q = await MusicgenPack.load(TINY_NEWKV, { intraOpThreads: 1, quantized: true });
  try {
    assert.equal(q.loaded.quantized, true);
    assert.match(q.loaded.paths.decoder!, /decoder_model_quantized\.onnx$/);
    assert.match(q.loaded.paths.decoderWithPast!, /decoder_with_past_newkv_quantized\.onnx$/);
    assert.match(q.loaded.paths.textEncoder, /text_encoder\.onnx$/, 'fields without an int8 file fall back to files');
    // Activations are quantised per tensor at run time, so a 30-position full pass and a one-step
    // cached pass round differently: equal within int8's tolerance, not 1e-4.
    const { diff, scale: s8 } = await cachedVersusFull(q, 30, 3);
    assert.ok(diff < 0.1 * s8, `int8: cached vs full ${diff}, max |logit| ${s8}`);
    const f = await pack(TINY_NEWKV);
    const steps = async (p: MusicgenPack) => {
      const loop = new DecodeLoop(p, resolveSettings(p, { temperature: 0 }));
      const state = await loop.createState('rock drums', 2);
      return (await loop.step(state, () => null)).raw;
    };
    const a = await steps(f);
    const b = await steps(q);
    let diff8 = 0;
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      diff8 = Math.max(diff8, Math.abs(a[i]! - b[i]!));
      scale = Math.max(scale, Math.abs(a[i]!));
    }
    assert.ok(diff8 > 0, 'the int8 graphs are really different');
    assert.ok(diff8 < 0.1 * scale, `int8 vs fp32: max diff ${diff8}, max |logit| ${scale}`);
  } finally {
    await q.dispose();
  }
});
