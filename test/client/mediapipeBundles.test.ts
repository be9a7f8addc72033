/**
 * The MediaPipe bundles built offline from the npm packages (scripts/mediapipe/): stored zips
 * with the entries tasks-vision expects, every model with image-input metadata, the face
 * landmark model adapted to 478 x 3 landmarks + a presence score, the original weights kept
 * byte for byte; official bundles in the folder win; a rebuild with nothing changed writes nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { REPO_ROOT } from '../../server/paths.js';
import { buildMediapipeBundles, type MediapipeManifest } from '../../scripts/mediapipe/buildBundles.js';
import { FbTable, field, layoutFlatbuffer, scalar, scalars, str, table } from '../../scripts/mediapipe/flatbuffer.js';
import { readPackedAssets } from '../../scripts/mediapipe/packedAssets.js';
import { crc32, readZip, writeStoredZip } from '../../scripts/mediapipe/storedZip.js';
import { METADATA_NAME, readBuffer, readModel } from '../../scripts/mediapipe/tflite.js';
import { readImageModelMetadata } from '../../scripts/mediapipe/tfliteMetadata.js';

let dir: string;
let manifest: MediapipeManifest;
const quiet = { log: () => undefined };

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'expotion-mediapipe-'));
  manifest = buildMediapipeBundles({ outDir: dir, ...quiet });
});

function entries(file: string): Map<string, Uint8Array> {
  const zip = readZip(new Uint8Array(readFileSync(join(dir, file))));
  for (const e of zip) {
    assert.equal(e.method, 0, `${file}: ${e.name} is stored, not deflated`);
    assert.equal(crc32(e.data!), e.crc, `${file}: ${e.name} CRC`);
  }
  return new Map(zip.map((e) => [e.name, e.data!]));
}

test('bundles hold the entries tasks-vision expects, stored', () => {
  assert.deepEqual([...entries('face_landmarker.task').keys()], ['face_detector.tflite', 'face_landmarks_detector.tflite', 'geometry_pipeline_metadata_landmarks.binarypb']);
  for (const f of ['pose_landmarker_lite.task', 'pose_landmarker_full.task']) assert.deepEqual([...entries(f).keys()], ['pose_detector.tflite', 'pose_landmarks_detector.tflite']);
  assert.deepEqual(manifest.bundles.map((b) => [b.file, b.source, b.blendshapes]), [
    ['face_landmarker.task', 'built', false],
    ['pose_landmarker_lite.task', 'built', false],
    ['pose_landmarker_full.task', 'built', false],
  ]);
});

test('every model has image-input metadata with its normalisation', () => {
  const expected: Record<string, [number, number]> = {
    face_detector: [127.5, 127.5],
    pose_detector: [127.5, 127.5],
    face_landmarks_detector: [0, 255],
    pose_landmarks_detector: [0, 255],
  };
  for (const file of ['face_landmarker.task', 'pose_landmarker_lite.task']) {
    for (const [name, bytes] of entries(file)) {
      if (!name.endsWith('.tflite')) continue;
      const model = readModel(bytes);
      const buffer = model.metadata.get(METADATA_NAME);
      assert.ok(buffer !== undefined, `${name} has ${METADATA_NAME}`);
      const meta = readImageModelMetadata(readBuffer(bytes, buffer));
      const key = name.replace('.tflite', '');
      assert.deepEqual([meta.mean[0], meta.std[0]], expected[key], `${name} normalisation`);
      assert.equal(meta.colorSpace, 1, `${name} input is RGB`);
      assert.equal(meta.outputCount, model.outputs.length, `${name} describes each output`);
    }
  }
});

test('the face landmark model outputs 478 x 3 landmarks and a presence score, with its weights unchanged', () => {
  const bytes = entries('face_landmarker.task').get('face_landmarks_detector.tflite')!;
  const model = readModel(bytes);
  const outputs = model.outputs.map((i) => model.tensors[i]!);
  assert.deepEqual(outputs.map((t) => t.shape), [[1, 1434], [1, 1, 1, 1]]);
  assert.equal(outputs[1]!.name, 'conv_faceflag');
  // Same input, and the original graph with 8 ops appended.
  assert.deepEqual(model.inputs.map((i) => model.tensors[i]!.shape), [[1, 192, 192, 3]]);
  const original = originalAttentionModel();
  const orig = readModel(original);
  assert.equal(model.operatorCount, orig.operatorCount + 8);
  for (const t of orig.tensors.filter((x) => x.buffer > 0).slice(0, 50)) {
    assert.deepEqual(readBuffer(bytes, t.buffer), readBuffer(original, t.buffer), `weights of ${t.name}`);
  }
  // 16-byte alignment of weight buffers survives the edit.
  const aligned = orig.tensors.filter((x) => x.buffer > 0).every((t) => readBuffer(bytes, t.buffer).byteOffset % 16 === 0 || readBuffer(original, t.buffer).byteOffset % 16 !== 0);
  assert.ok(aligned, 'weight buffers keep their alignment');
});

/** The builder's input: the attention mesh model packed in @mediapipe/face_mesh. */
function originalAttentionModel(): Uint8Array {
  const pkg = join(REPO_ROOT, 'node_modules', '@mediapipe', 'face_mesh');
  const files = readPackedAssets(join(pkg, 'face_mesh_solution_packed_assets_loader.js'), join(pkg, 'face_mesh_solution_packed_assets.data'));
  return files.get('face_landmark_with_attention.tflite')!;
}

test('an official bundle placed in the folder is kept and wins; its blendshapes are announced', () => {
  const official = mkdtempSync(join(tmpdir(), 'expotion-mediapipe-official-'));
  const fake = writeStoredZip([
    { name: 'face_detector.tflite', data: new Uint8Array([1]) },
    { name: 'face_landmarks_detector.tflite', data: new Uint8Array([2]) },
    { name: 'face_blendshapes.tflite', data: new Uint8Array([3]) },
  ]);
  writeFileSync(join(official, 'face_landmarker.task'), fake);
  const m = buildMediapipeBundles({ outDir: official, ...quiet });
  const face = m.bundles.find((b) => b.file === 'face_landmarker.task')!;
  assert.equal(face.source, 'official');
  assert.equal(face.blendshapes, true);
  assert.deepEqual(new Uint8Array(readFileSync(join(official, 'face_landmarker.task'))), fake);
  assert.equal(m.bundles.find((b) => b.file === 'pose_landmarker_lite.task')!.source, 'built');
});

test('a rebuild with nothing changed rewrites nothing', () => {
  const before = manifest.bundles.map((b) => statSync(join(dir, b.file)).mtimeMs);
  const again = buildMediapipeBundles({ outDir: dir, ...quiet });
  assert.deepEqual(again, manifest);
  assert.deepEqual(manifest.bundles.map((b) => statSync(join(dir, b.file)).mtimeMs), before);
});

test('flatbuffer layout: new tables in front of an old buffer point into it', () => {
  const oldBuf = layoutFlatbuffer(table(field(0, str('old')), scalar(1, 'u32', 7)), 'TEST');
  const oldRoot = FbTable.root(oldBuf, 'TEST');
  const edited = layoutFlatbuffer(table(field(0, { kind: 'old', pos: oldRoot.refPos(0) }), field(1, scalars('i32', [1, -2, 3])), scalar(2, 'f64', 0.5)), 'TEST', oldBuf);
  const root = FbTable.root(edited, 'TEST');
  assert.equal(root.string(0), 'old');
  assert.deepEqual(root.i32s(1), [1, -2, 3]);
  assert.equal((edited.length - oldBuf.length) % 16, 0, 'the old body moves by a multiple of 16 bytes');
});
