import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from 'onnxruntime-node';
import { DecodeLoop, resolveSettings } from '../../../server/generation/lm/decodeLoop.js';
import { OnnxSession } from '../../../server/generation/pack/onnxSession.js';
import { mergedDecoderSpec, pastName, presentName } from '../../../server/generation/pack/packSpec.js';
import { controls, disposePacks, pack, TINY, TINY_EXPOTION, TINY_SPLIT } from '../tinyPacks.js';

after(disposePacks);

/** Runs `steps` cached steps, then one full pass over all positions; returns the largest logit difference. */
async function cachedVersusFull(dir: string, steps: number, guidanceScale: number): Promise<{ diff: number; scale: number }> {
  const p = await pack(dir);
  const loop = new DecodeLoop(p, resolveSettings(p, { guidanceScale }));
  const state = await loop.createState('an upbeat funk groove with bass', 5);
  const ctrl = (position: number) => controls({ energy: (position % 7) / 7, valence: Math.sin(position) });
  const raws: Float32Array[] = [];
  for (let i = 0; i < steps; i++) raws.push((await loop.step(state, ctrl)).raw);
  assert.equal(state.primes, 1, 'one full pass at the start, cached steps after');
  const C = p.manifest.controls?.size;
  const input = {
    ids: loop.windowIds(state, 0, steps - 1),
    positions: steps,
    ...(C ? { controls: Float32Array.from({ length: steps * C }, (_, i) => state.history.controls(Math.floor(i / C))![i % C]!) } : {}),
  };
  const full = await p.decoder.full(state.prompt, input);
  const V = p.manifest.tokens.vocabSize;
  const rows = state.prompt.rows * p.manifest.tokens.codebooks;
  const data = full.logits.data as Float32Array;
  let diff = 0;
  let scale = 0;
  for (let pos = 0; pos < steps; pos++) {
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < V; v++) {
        const a = raws[pos]![r * V + v]!;
        diff = Math.max(diff, Math.abs(a - data[(r * steps + pos) * V + v]!));
        scale = Math.max(scale, Math.abs(a));
      }
    }
  }
  return { diff, scale };
}

for (const [name, dir] of [['merged', TINY], ['split', TINY_SPLIT], ['expotion (control_features)', TINY_EXPOTION]] as const) {
  test(`cached decoding equals full recomputation within 1e-4 (${name} layout, guidance batch 2)`, async () => {
    const { diff, scale } = await cachedVersusFull(dir, 40, 3);
    assert.ok(scale > 1, `logits are not trivially small (max |logit| ${scale})`);
    assert.ok(diff < 1e-4, `max |cached - full| = ${diff}`);
  });
}

test('cached decoding equals full recomputation without guidance (batch 1)', async () => {
  const { diff } = await cachedVersusFull(TINY, 20, 1);
  assert.ok(diff < 1e-4, `max |cached - full| = ${diff}`);
});

test('the merged and split layouts of the same weights give the same logits', async () => {
  const run = async (dir: string) => {
    const p = await pack(dir);
    const loop = new DecodeLoop(p, resolveSettings(p, { temperature: 0 }));
    const state = await loop.createState('calm ambient pad', 1);
    const out: number[] = [];
    for (let i = 0; i < 12; i++) out.push(...(await loop.step(state, () => null)).raw.subarray(0, 64));
    return Float32Array.from(out);
  };
  const a = await run(TINY);
  const b = await run(TINY_SPLIT);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  assert.ok(diff < 1e-4, `merged vs split ${diff}`);
});

test('like the public export, the merged decoder returns encoder placeholders on cached steps, and feeding them back fails', async () => {
  const p = await pack(TINY);
  const m = p.manifest;
  const session = await OnnxSession.load(`${TINY}/decoder_model_merged.onnx`, mergedDecoderSpec(m, 'decoder_model_merged.onnx'), { intraOpThreads: 1 });
  try {
    const prompt = await p.text.encode('rock drums', true);
    const T = 2;
    const { heads: H, headDim: Dh, layers } = m.decoder;
    const ids = new Tensor('int64', new BigInt64Array(T * 4).fill(BigInt(m.tokens.bosTokenId)), [T * 4, 1]);
    const empty = new Tensor('float32', new Float32Array(0), [T, H, 0, Dh]);
    const feeds: Record<string, Tensor> = { input_ids: ids, encoder_hidden_states: prompt.hidden, encoder_attention_mask: prompt.mask, use_cache_branch: new Tensor('bool', new Uint8Array([0]), [1]) };
    for (let i = 0; i < layers; i++) for (const kind of ['decoder', 'encoder'] as const) for (const part of ['key', 'value'] as const) feeds[pastName(i, kind, part)] = empty;
    const first = await session.run(feeds);
    assert.deepEqual(first[presentName(0, 'encoder', 'key')]!.dims, [T, H, prompt.mask.dims[1], Dh]);
    for (let i = 0; i < layers; i++) {
      for (const kind of ['decoder', 'encoder'] as const) for (const part of ['key', 'value'] as const) feeds[pastName(i, kind, part)] = first[presentName(i, kind, part)]!;
    }
    feeds['use_cache_branch'] = new Tensor('bool', new Uint8Array([1]), [1]);
    const second = await session.run(feeds);
    assert.deepEqual(second[presentName(0, 'encoder', 'key')]!.dims, [0, H, 1, Dh], 'cached steps return empty placeholders');
    for (let i = 0; i < layers; i++) {
      for (const kind of ['decoder', 'encoder'] as const) for (const part of ['key', 'value'] as const) feeds[pastName(i, kind, part)] = second[presentName(i, kind, part)]!;
    }
    await assert.rejects(session.run(feeds), (e: unknown) => {
      const msg = String((e as Error).message);
      // The wrapper names the file and lists each input's dtype and dims.
      return /decoder_model_merged\.onnx: onnxruntime run failed/.test(msg) && /past_key_values\.0\.encoder\.key: float32\[0, 4, 1, 16\]/.test(msg);
    });
  } finally {
    await session.dispose();
  }
});
