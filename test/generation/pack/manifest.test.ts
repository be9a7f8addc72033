import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest, parseManifest, PackError } from '../../../server/generation/pack/manifest.js';
import { loadMusicgenEngine } from '../../../server/generation/musicgen/musicgenEngine.js';
import { MusicgenPack } from '../../../server/generation/lm/musicgenPack.js';
import { createEngine, defaultPack, listPacks, packProblems } from '../../../server/generation/packs.js';
import { controls, disposePacks, tempPack, TINY, TINY_EXPOTION, TINY_SPLIT } from '../tinyPacks.js';

after(disposePacks);

type M = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Expects loading a pack edited by `edit` to fail with a PackError whose message matches every pattern. */
async function refused(from: string, edit: (m: M, dir: string) => void, ...patterns: RegExp[]): Promise<void> {
  const t = tempPack(from);
  try {
    const path = join(t.dir, 'manifest.json');
    const m = loadManifest(t.dir).manifest as M;
    edit(m, t.dir);
    writeFileSync(path, JSON.stringify(m));
    await assert.rejects(MusicgenPack.load(t.dir), (e: unknown) => {
      assert.ok(e instanceof PackError, `a PackError, got ${String(e)}`);
      for (const p of patterns) assert.match(e.message, p);
      return true;
    });
  } finally {
    t.cleanup();
  }
}

test('the tiny packs load, with the numbers of their manifests', async () => {
  for (const dir of [TINY, TINY_SPLIT, TINY_EXPOTION]) {
    const engine = await loadMusicgenEngine(dir);
    assert.equal(engine.info.kind, 'musicgen');
    assert.equal(engine.info.sampleRate, 32000);
    engine.dispose();
  }
  const { manifest } = loadManifest(TINY_EXPOTION);
  assert.deepEqual(manifest.controls, { version: 1, size: 15, window: 1 });
  assert.equal(loadManifest(TINY).manifest.controls, undefined);
});

test('invalid manifests are refused naming the file, the field and what was expected', async () => {
  await refused(TINY, (m) => (m.tokens.codebooks = 3), /manifest\.json: invalid manifest/, /tokens\.delays: expected 3 entries/);
  await refused(TINY, (m) => (m.audio.stepsPerSecond = 75), /audio\.stepsPerSecond: expected sampleRate \/ codec\.hop = 50, got 75/);
  await refused(TINY, (m) => (m.tokens.validRanges[2] = [0, 65]), /tokens\.validRanges\.2: expected \[lo, hi\) with 0 <= lo < hi <= vocabSize 64, got \[0, 65\)/);
  await refused(TINY, (m) => (m.tokens.padTokenId = 5), /padTokenId: 5 lies inside validRanges\.0/);
  await refused(TINY, (m) => (m.decoder.layout = 'split'), /files\.decoder and files\.decoderWithPast: both required/);
  await refused(TINY, (m) => (m.files.codec = '../elsewhere.onnx'), /files\.codec: expected a path inside the pack folder/);
  await refused(TINY, (m) => (m.files.codec = 'nope.onnx'), /files\.codec: .*nope\.onnx is missing/);
  await refused(TINY, (m) => (m.sampling.topK = 0), /sampling\.topK: Number must be greater than or equal to 1/);
  await refused(TINY, (m) => (m.sampling.codebookTemperatures = [1, 0.7]), /sampling\.codebookTemperatures: expected 4 entries \(one per codebook\), got 2/);
  await refused(TINY, (m) => (m.sampling.codebookTemperatures = [1, 1, 0, 1]), /sampling\.codebookTemperatures\.2: Number must be greater than 0/);
  await refused(TINY, (m) => (m.extra = 1), /Unrecognized key\(s\) in object: 'extra'/);
  await refused(TINY_EXPOTION, (m) => (m.controls.version = 2), /controls\.version: this server speaks control vector version 1, the pack wants 2/);
  await refused(TINY_EXPOTION, (m) => (m.controls.size = 16), /controls\.size: control vector v1 has 15 entries, the pack declares 16/);
  assert.throws(() => parseManifest('{', 'x.json'), /x\.json: invalid manifest/);
});

test('ONNX files that do not match the manifest are refused naming the file, the tensor and what was expected', async () => {
  await refused(TINY, (m) => (m.tokens.vocabSize = 128), /decoder_model_merged\.onnx: does not match the pack manifest/, /output "logits": dimension 2 expected 128/);
  await refused(TINY, (m) => (m.decoder.layers = 3), /missing input "past_key_values\.2\.decoder\.key"/);
  await refused(TINY, (m) => (m.decoder.heads = 8), /input "past_key_values\.0\.decoder\.key": dimension 1 expected 8/);
  await refused(TINY, (m) => (m.text.hiddenSize = 48), /text_encoder\.onnx: does not match/, /output "last_hidden_state": dimension 2 expected 48/);
  await refused(TINY, (m) => (m.tokens.codebooks = 2, m.tokens.delays = [0, 1], m.tokens.validRanges = [[0, 64], [0, 64]]), /encodec_decode\.onnx: does not match/, /input "audio_codes": dimension 2 expected 2/);
  await refused(TINY, (m) => (m.controls = { version: 1, size: 15 }), /missing input "control_features" that the manifest's "controls" promises/);
  await refused(TINY_EXPOTION, (m) => delete m.controls, /declares input "control_features" but the manifest has no "controls"/);
  await refused(TINY_SPLIT, (m) => ((m.files.decoderWithPast = 'decoder_model.onnx')), /decoder_model\.onnx: does not match/, /missing input "past_key_values\.0\.decoder\.key"/);
  await refused(TINY, (m, dir) => truncateSync(join(dir, m.files.codec), 1000), /encodec_decode\.onnx: onnxruntime cannot load it/);
});

test('GET /packs lists the tiny packs after the default pack; createEngine opens them', async () => {
  const names = listPacks().map((p) => p.name);
  assert.equal(names[0], defaultPack());
  for (const n of ['tiny-musicgen', 'tiny-musicgen-split', 'tiny-expotion']) assert.ok(names.includes(n), `${n} in ${names}`);
  assert.deepEqual(packProblems(), []);
  const engine = createEngine('tiny-expotion');
  assert.equal(engine.info.controlVersion, 1);
  const stream = engine.openStream({ prompt: 'funk', seed: 1 });
  const chunk = await stream.render({ startSample: 0, frames: 1024, controls: [controls()], controlStepSamples: 640, beat: null });
  assert.equal(chunk.pcm.length, 1024);
  stream.dispose();
  engine.dispose();
});
