import { encodecOf } from '../../../server/generation/pack/manifest.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importExport, IMPORT_DEFAULTS } from '../../../scripts/musicgen/exportImporter.js';
import { loadMusicgenEngine } from '../../../server/generation/musicgen/musicgenEngine.js';
import { renderStream, TINY, TINY_SPLIT } from '../tinyPacks.js';

/** A folder laid out like the public musicgen-small export, holding the tiny pack's files. */
function fakeExport(root: string): string {
  const src = join(root, 'musicgen-tiny');
  mkdirSync(join(src, 'onnx'), { recursive: true });
  // transformers' MusicGen config layout (the real one: 24 layers, 16 heads, 1024, 2048 ...).
  writeFileSync(join(src, 'config.json'), JSON.stringify({
    architectures: ['MusicgenForConditionalGeneration'],
    model_type: 'musicgen',
    decoder: { model_type: 'musicgen_decoder', num_hidden_layers: 2, num_attention_heads: 4, hidden_size: 64, ffn_dim: 128, vocab_size: 64, num_codebooks: 4, pad_token_id: 64, bos_token_id: 64, max_position_embeddings: 256 },
    text_encoder: { model_type: 't5', d_model: 32 },
    audio_encoder: { model_type: 'encodec', sampling_rate: 32000, upsampling_ratios: [8, 5, 4, 4], codebook_size: 64, audio_channels: 1 },
  }));
  writeFileSync(join(src, 'generation_config.json'), JSON.stringify({ do_sample: true, guidance_scale: 3.0, max_length: 1500, top_k: 16, decoder_start_token_id: 64, pad_token_id: 64 }));
  copyFileSync(join(TINY, 'tokenizer.json'), join(src, 'tokenizer.json'));
  for (const f of ['text_encoder.onnx', 'encodec_decode.onnx', 'decoder_model_merged.onnx']) copyFileSync(join(TINY, f), join(src, 'onnx', f));
  for (const f of ['decoder_model.onnx', 'decoder_with_past_model.onnx']) copyFileSync(join(TINY_SPLIT, f), join(src, 'onnx', f));
  return src;
}

test('models:import turns a MusicGen ONNX export folder into a pack that loads and plays (both layouts)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'import-'));
  try {
    const src = fakeExport(root);
    const models = join(root, 'models');
    const audio: Float32Array[] = [];
    for (const layout of ['merged', 'split'] as const) {
      const { dir, manifest } = importExport(src, { ...IMPORT_DEFAULTS, name: `tiny-${layout}`, modelsDir: models, layout, contextSeconds: 4 });
      assert.equal(manifest.audio.stepsPerSecond, 50, '32000 / (8*5*4*4)');
      assert.equal(encodecOf(manifest).hop, 640);
      assert.equal(manifest.decoder.headDim, 16);
      assert.equal(manifest.decoder.maxPositions, 200, '4 s of context at 50 steps/s');
      assert.deepEqual(manifest.sampling, { guidanceScale: 3, temperature: 1, topK: 16 });
      const engine = await loadMusicgenEngine(dir);
      audio.push(await renderStream(engine.openStream({ prompt: 'calm piano', seed: 1 }), 8000, 1024));
      engine.dispose();
    }
    assert.ok(Math.max(...audio[0]!.map(Math.abs)) > 0.05, 'makes sound');
    let diff = 0;
    for (let i = 0; i < 8000; i++) diff = Math.max(diff, Math.abs(audio[0]![i]! - audio[1]![i]!));
    assert.ok(diff < 1e-3, 'both layouts play the same music');
    assert.throws(() => importExport(src, { ...IMPORT_DEFAULTS, name: 'tiny-merged', modelsDir: models }), /exists \(pass --force/);
    assert.throws(() => importExport(src, { ...IMPORT_DEFAULTS, name: 'q', modelsDir: models, quantized: true }), /text_encoder_quantized\.onnx: missing/);
    rmSync(join(src, 'config.json'));
    assert.throws(() => importExport(src, { ...IMPORT_DEFAULTS, name: 'x', modelsDir: models }), /config\.json: missing/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
