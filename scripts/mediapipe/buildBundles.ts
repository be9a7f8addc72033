/**
 * Builds the MediaPipe tasks-vision model bundles (`.task`) into models/mediapipe/ from files
 * that ship inside the npm packages @mediapipe/face_mesh and @mediapipe/pose (Apache-2.0), so
 * the client runs with no internet (../shared/design/CLIENT.md):
 *
 *   face_landmarker.task        face_detector.tflite (short-range BlazeFace),
 *                               face_landmarks_detector.tflite (the attention mesh model, its
 *                               mesh and iris outputs concatenated into the 478 x 3 landmarks
 *                               the task expects), geometry_pipeline_metadata_landmarks.binarypb
 *   pose_landmarker_lite.task   pose_detector.tflite, pose_landmarks_detector.tflite (lite)
 *   pose_landmarker_full.task   the same with the full landmark model
 *
 * Every model gets TFLite metadata (RGB image input and its normalisation). Bundles are stored
 * zips. An official bundle placed in the folder (or fetched with `npm run models:fetch --
 * mediapipe`) is never overwritten and wins; the official face bundle adds blendshapes.
 *
 * `manifest.json` tells the client what is there. Re-running is cheap: when the manifest says
 * the same builder and package versions produced the files on disk, nothing is rebuilt.
 *
 * Run: `node dist/scripts/mediapipe/buildBundles.js [--out DIR] [--force]` (part of `npm run build`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPackedAssets } from './packedAssets.js';
import { readZip, writeStoredZip, type ZipEntry } from './storedZip.js';
import { BuiltinOperator, BuiltinOptions, concatenationOptions, editModel, float32Bytes, int32Bytes, readModel, reshapeOptions, TensorType } from './tflite.js';
import { imageModelMetadata } from './tfliteMetadata.js';
import { REPO_ROOT } from '../../server/paths.js';

/** Bump when the output of this builder changes, so existing builds are redone. */
export const BUILDER_VERSION = 2;

export const BUNDLE_FILES = ['face_landmarker.task', 'pose_landmarker_lite.task', 'pose_landmarker_full.task'] as const;
export type BundleFile = (typeof BUNDLE_FILES)[number];

export interface BundleInfo {
  file: BundleFile;
  /** 'built' by this script from npm files, or 'official' (placed in the folder by a person or models:fetch). */
  source: 'built' | 'official';
  /** The face bundle holds face_blendshapes.tflite. */
  blendshapes: boolean;
  bytes: number;
  sha256: string;
  entries: string[];
}

export interface MediapipeManifest {
  builderVersion: number;
  packages: Record<string, string>;
  bundles: BundleInfo[];
}

export interface BuildOptions {
  outDir: string;
  /** Rebuild even when the manifest says the built files are current. */
  force: boolean;
  log: (line: string) => void;
}

const require = createRequire(import.meta.url);


export const DEFAULT_OUT_DIR = join(REPO_ROOT, 'models', 'mediapipe');

/** A package's folder (by its main entry: some packages do not export package.json). */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

const DETECTOR_NORMALISATION = { mean: 127.5, std: 127.5 };
const LANDMARK_NORMALISATION = { mean: 0, std: 255 };
const AUTHOR = 'MediaPipe (Google), assembled by expotion-live from the @mediapipe npm packages';
const LICENSE = 'Apache License, Version 2.0';

function withMetadata(model: Uint8Array, name: string, norm: { mean: number; std: number }, extraEdit: Parameters<typeof editModel>[1] = {}): Uint8Array {
  const info = readModel(model);
  const outputs = extraEdit.outputs ?? info.outputs.map((i) => info.tensors[i]!.name);
  const metadata = imageModelMetadata({ name, description: `${name} (float input, RGB)`, ...norm, outputs, author: AUTHOR, license: LICENSE });
  return editModel(model, { ...extraEdit, metadata });
}

/**
 * The attention face mesh model has separate mesh, lips, eyes and iris outputs; the face
 * landmarker task wants two: 478 x 3 landmarks and the face-presence score. Append reshape and
 * concatenation ops: mesh (468 x 3) + left iris (5 x (x, y) + z) + right iris. The iris points
 * keep their real x, y; z is 0 (the task uses x, y to track the face from frame to frame).
 */
export function adaptFaceLandmarkModel(model: Uint8Array): Uint8Array {
  const info = readModel(model);
  const byName = new Map(info.tensors.map((t) => [t.name, t]));
  const need = (name: string, values: number): void => {
    const t = byName.get(name);
    const size = t?.shape.reduce((a, b) => a * b, 1);
    if (!t || size !== values || !info.outputs.includes(t.index)) {
      throw new Error(`face landmark model: expected output ${name} with ${values} values, found ${t ? `shape [${t.shape}]` : 'none'}`);
    }
  };
  need('output_mesh_identity', 1404);
  need('output_left_iris', 10);
  need('output_right_iris', 10);
  need('conv_faceflag', 1);
  const F = TensorType.FLOAT32;
  const I = TensorType.INT32;
  const shapeTensor = (name: string, shape: number[]) => ({ name, shape: [shape.length], type: I, data: int32Bytes(shape) });
  const reshape = (input: string, shapeName: string, shape: number[], output: string) => ({
    op: BuiltinOperator.RESHAPE,
    inputs: [input, shapeName],
    outputs: [output],
    options: { type: BuiltinOptions.ReshapeOptions, table: reshapeOptions(shape) },
  });
  const concat = (inputs: string[], output: string) => ({
    op: BuiltinOperator.CONCATENATION,
    inputs,
    outputs: [output],
    options: { type: BuiltinOptions.ConcatenationOptions, table: concatenationOptions(1) },
  });
  const p = 'expotion/';
  return withMetadata(model, 'face_landmarks_detector', LANDMARK_NORMALISATION, {
    tensors: [
      shapeTensor(`${p}mesh_shape`, [1, 1404]),
      shapeTensor(`${p}iris_xy_shape`, [5, 2]),
      shapeTensor(`${p}iris_flat_shape`, [1, 15]),
      { name: `${p}iris_z`, shape: [5, 1], type: F, data: float32Bytes([0, 0, 0, 0, 0]) },
      { name: `${p}mesh`, shape: [1, 1404], type: F },
      { name: `${p}left_iris_xy`, shape: [5, 2], type: F },
      { name: `${p}right_iris_xy`, shape: [5, 2], type: F },
      { name: `${p}left_iris_xyz`, shape: [5, 3], type: F },
      { name: `${p}right_iris_xyz`, shape: [5, 3], type: F },
      { name: `${p}left_iris`, shape: [1, 15], type: F },
      { name: `${p}right_iris`, shape: [1, 15], type: F },
      { name: `${p}landmarks`, shape: [1, 1434], type: F },
    ],
    operators: [
      reshape('output_mesh_identity', `${p}mesh_shape`, [1, 1404], `${p}mesh`),
      reshape('output_left_iris', `${p}iris_xy_shape`, [5, 2], `${p}left_iris_xy`),
      reshape('output_right_iris', `${p}iris_xy_shape`, [5, 2], `${p}right_iris_xy`),
      concat([`${p}left_iris_xy`, `${p}iris_z`], `${p}left_iris_xyz`),
      concat([`${p}right_iris_xy`, `${p}iris_z`], `${p}right_iris_xyz`),
      reshape(`${p}left_iris_xyz`, `${p}iris_flat_shape`, [1, 15], `${p}left_iris`),
      reshape(`${p}right_iris_xyz`, `${p}iris_flat_shape`, [1, 15], `${p}right_iris`),
      concat([`${p}mesh`, `${p}left_iris`, `${p}right_iris`], `${p}landmarks`),
    ],
    outputs: [`${p}landmarks`, 'conv_faceflag'],
  });
}

/** Assembles the bundles' entries from the npm packages. */
export function assembleBundles(): Map<BundleFile, ZipEntry[]> {
  const faceDir = packageDir('@mediapipe/face_mesh');
  const poseDir = packageDir('@mediapipe/pose');
  const face = readPackedAssets(join(faceDir, 'face_mesh_solution_packed_assets_loader.js'), join(faceDir, 'face_mesh_solution_packed_assets.data'));
  const pose = readPackedAssets(join(poseDir, 'pose_solution_packed_assets_loader.js'), join(poseDir, 'pose_solution_packed_assets.data'));
  const get = (files: Map<string, Uint8Array>, name: string, from: string): Uint8Array => {
    const f = files.get(name);
    if (!f) throw new Error(`${name} is not in ${from}'s packed assets (found: ${[...files.keys()].join(', ')})`);
    return f;
  };
  const faceDetector = withMetadata(get(face, 'face_detection_short_range.tflite', '@mediapipe/face_mesh'), 'face_detector', DETECTOR_NORMALISATION);
  const faceLandmarks = adaptFaceLandmarkModel(get(face, 'face_landmark_with_attention.tflite', '@mediapipe/face_mesh'));
  const geometry = get(face, 'geometry_pipeline_metadata_landmarks.binarypb', '@mediapipe/face_mesh');
  const poseDetector = withMetadata(get(pose, 'pose_detection.tflite', '@mediapipe/pose'), 'pose_detector', DETECTOR_NORMALISATION);
  const poseLandmarks = (variant: 'lite' | 'full'): Uint8Array =>
    withMetadata(new Uint8Array(readFileSync(join(poseDir, `pose_landmark_${variant}.tflite`))), 'pose_landmarks_detector', LANDMARK_NORMALISATION);
  return new Map<BundleFile, ZipEntry[]>([
    [
      'face_landmarker.task',
      [
        { name: 'face_detector.tflite', data: faceDetector },
        { name: 'face_landmarks_detector.tflite', data: faceLandmarks },
        { name: 'geometry_pipeline_metadata_landmarks.binarypb', data: geometry },
      ],
    ],
    ['pose_landmarker_lite.task', [{ name: 'pose_detector.tflite', data: poseDetector }, { name: 'pose_landmarks_detector.tflite', data: poseLandmarks('lite') }]],
    ['pose_landmarker_full.task', [{ name: 'pose_detector.tflite', data: poseDetector }, { name: 'pose_landmarks_detector.tflite', data: poseLandmarks('full') }]],
  ]);
}

function describe(file: BundleFile, bytes: Uint8Array, source: BundleInfo['source']): BundleInfo {
  const entries = readZip(bytes).map((e) => e.name);
  return { file, source, blendshapes: entries.includes('face_blendshapes.tflite'), bytes: bytes.length, sha256: sha256(bytes), entries };
}

function readManifest(path: string): MediapipeManifest | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as MediapipeManifest;
  } catch {
    return null;
  }
}

/** Builds what is missing or stale; returns the manifest written. */
export function buildMediapipeBundles(options: Partial<BuildOptions> = {}): MediapipeManifest {
  const { outDir, force, log } = { outDir: DEFAULT_OUT_DIR, force: false, log: (line: string) => console.log(line), ...options };
  mkdirSync(outDir, { recursive: true });
  const manifestPath = join(outDir, 'manifest.json');
  const previous = readManifest(manifestPath);
  const packages = Object.fromEntries(['@mediapipe/face_mesh', '@mediapipe/pose', '@mediapipe/tasks-vision'].map((p) => [p, packageVersion(p)]));
  const sameInputs = previous !== null && previous.builderVersion === BUILDER_VERSION && JSON.stringify(previous.packages) === JSON.stringify(packages);
  const builtBefore = new Map((previous?.bundles ?? []).filter((b) => b.source === 'built').map((b) => [b.file, b]));

  const bundles: BundleInfo[] = [];
  let assembled: Map<BundleFile, ZipEntry[]> | null = null;
  for (const file of BUNDLE_FILES) {
    const path = join(outDir, file);
    if (existsSync(path)) {
      const bytes = new Uint8Array(readFileSync(path));
      const hash = sha256(bytes);
      const ours = builtBefore.get(file);
      if (ours === undefined || ours.sha256 !== hash) {
        // Not what this script wrote: someone placed an official bundle here. It wins.
        const info = describe(file, bytes, 'official');
        log(`mediapipe: ${file}: official bundle kept (${info.entries.join(', ')})`);
        bundles.push(info);
        continue;
      }
      if (sameInputs && !force) {
        bundles.push(ours);
        continue;
      }
    }
    assembled ??= assembleBundles();
    const zip = writeStoredZip(assembled.get(file)!);
    writeFileSync(path + '.tmp', zip);
    renameSync(path + '.tmp', path);
    const info = describe(file, zip, 'built');
    log(`mediapipe: built ${file} (${(zip.length / 1e6).toFixed(1)} MB: ${info.entries.join(', ')})`);
    bundles.push(info);
  }
  const manifest: MediapipeManifest = { builderVersion: BUILDER_VERSION, packages, bundles };
  const text = JSON.stringify(manifest, null, 2) + '\n';
  if (!existsSync(manifestPath) || readFileSync(manifestPath, 'utf8') !== text) writeFileSync(manifestPath, text);
  return manifest;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  buildMediapipeBundles({ force: args.includes('--force'), ...(outAt >= 0 && args[outAt + 1] ? { outDir: args[outAt + 1] } : {}) });
}
