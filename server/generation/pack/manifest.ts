/**
 * A model pack's manifest (`models/<name>/manifest.json`): what the files are and the numbers the
 * engine needs (sizes, tokens, layout, codec, sampling defaults). Validated strictly at load:
 * every error names the file, the field and what was expected. The ONNX files themselves are
 * checked against these numbers in packSpec.ts / onnxSession.ts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { CONTROL_SIZE, CONTROL_VERSION } from '../../../protocol/controlVector.js';
import { instrumentsSchema } from '../../../protocol/messages.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'expotion-pack';
export const MANIFEST_FORMAT_VERSION = 1;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
const relFile = z.string().min(1);

const fileSet = {
  tokenizer: relFile,
  textEncoder: relFile,
  /** The codec graph; absent for a symbolic pack (codec.type "symbolic-synth"). */
  codec: relFile.optional(),
  decoderMerged: relFile.optional(),
  decoder: relFile.optional(),
  decoderWithPast: relFile.optional(),
};

const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, ".", "_" or "-" (at most 64)'),
    kind: z.literal('musicgen'),
    description: z.string(),
    /** A pack for tests (the tiny-* packs): loadable by name, hidden from users' pack lists. */
    test: z.boolean().optional(),
    licence: z.string().min(1),
    source: z.string().min(1),
    files: z.object(fileSet).strict(),
    /**
     * The int8 file set (the public export's `*_quantized.onnx`, or tools/quantize_int8.py): the
     * same fields as `files`, each optional (a missing one falls back to `files`). Selected by the
     * loader's `quantized` option.
     */
    quantizedFiles: z.object(fileSet).partial().strict().optional(),
    audio: z.object({ sampleRate: int(8000, 192000), channels: int(1, 2), stepsPerSecond: z.number().positive() }).strict(),
    tokens: z
      .object({
        codebooks: int(1, 32),
        vocabSize: int(2, 1 << 20),
        padTokenId: int(0),
        bosTokenId: int(0),
        delays: z.array(int(0, 64)),
        validRanges: z.array(z.tuple([int(0), int(1)])),
      })
      .strict(),
    text: z.object({ hiddenSize: int(1), maxTokens: int(1, 4096) }).strict(),
    decoder: z
      .object({
        layout: z.enum(['merged', 'split']),
        layers: int(1, 256),
        heads: int(1, 256),
        headDim: int(1, 1024),
        maxPositions: int(8),
        /**
         * "full": the cached graph returns present.{i}.decoder.* = past + new (the public export).
         * "new": it takes `past_sequence_length` and a past of any capacity, and returns the new
         * positions' K/V only; the engine keeps the cache (tools/build_test_packs.py, new_kv_doc).
         * Split layout: the cached graph's outputs are present_new.{i}.decoder.*; merged layout
         * (tools/export_default_pack.py): the cached branch returns them as present.{i}.decoder.*.
         */
        kvOutputs: z.enum(['full', 'new']).default('full'),
        /**
         * With kvOutputs "new": the shape of `past_sequence_length`. "scalar": int64 [1], one length
         * for every row (the first exports). "per-row": int64 [T], one length per batch row (rows
         * may also pass [1]), so cached steps of sessions with different cache lengths run as one
         * batch (lm/stepBatcher.ts); tools/per_row_past_length.py rewrites a scalar merged graph.
         */
        pastLength: z.enum(['scalar', 'per-row']).default('scalar'),
      })
      .strict(),
    /**
     * The Expotion adaptor's input: control vector `version` of `size` entries. With `window` W > 1
     * every position carries the last W vectors (oldest first, the newest last), so
     * control_features is [T, s, W * size] and the adaptor attends over a causal window.
     */
    controls: z.object({ version: int(1), size: int(1), window: int(1, 256).default(1) }).strict().optional(),
    codec: z.discriminatedUnion('type', [
      z
        .object({
          type: z.literal('encodec-onnx'),
          hop: int(1),
          contextFrames: int(0, 256),
          crossfadeSamples: int(0),
          crossfade: z.enum(['equal-power', 'equal-gain']).default('equal-power'),
        })
        .strict(),
      /**
       * A symbolic pack (DEFAULT-PACK.md): the four codebooks are the symbolic token streams
       * (server/generation/symbolic/tokens.ts, `vocabulary` = its version), one decoder position
       * per 16th-note step at the session's tempo, played by the built-in synthesiser with the
       * preset its prompt's style words pick (`presets`, the first one by default), with the
       * instruments `instruments` names ("soundfont" or "synth", symbolic/synth/instruments.ts).
       */
      z
        .object({
          type: z.literal('symbolic-synth'),
          vocabulary: int(1),
          presets: z.array(z.string().min(1)).min(1),
          instruments: instrumentsSchema.optional(),
        })
        .strict(),
    ]),
    sampling: z
      .object({
        guidanceScale: z.number().min(0).max(100),
        temperature: z.number().min(0).max(100),
        topK: int(1),
        /** Each codebook's own temperature (one per codebook), in place of `temperature` when that is > 0. */
        codebookTemperatures: z.array(z.number().gt(0).max(100)).optional(),
      })
      .strict(),
  })
  .strict();

export type PackManifest = z.infer<typeof manifestSchema>;
export type EncodecCodec = Extract<PackManifest['codec'], { type: 'encodec-onnx' }>;
export type SymbolicCodec = Extract<PackManifest['codec'], { type: 'symbolic-synth' }>;

/** Values per position of control_features: size x window. */
export function controlFeatureWidth(m: PackManifest): number {
  return m.controls ? m.controls.size * m.controls.window : 0;
}

/** The codec section of an audio-codec pack; throws for a symbolic one. */
export function encodecOf(m: PackManifest): EncodecCodec {
  if (m.codec.type !== 'encodec-onnx') throw new PackError(`pack "${m.name}": codec.type is "${m.codec.type}", not "encodec-onnx"`);
  return m.codec;
}

export type SamplingSettings = PackManifest['sampling'];

/** A manifest and the absolute paths of its files. */
export interface LoadedManifest {
  dir: string;
  manifestPath: string;
  manifest: PackManifest;
  /** Whether `paths` are the int8 file set (quantizedFiles over files). */
  quantized: boolean;
  paths: {
    tokenizer: string;
    textEncoder: string;
    codec?: string;
    decoderMerged?: string;
    decoder?: string;
    decoderWithPast?: string;
  };
}

export class PackError extends Error {
  readonly code: string;
  constructor(message: string, code = 'PACK_INVALID') {
    super(message);
    this.name = 'PackError';
    this.code = code;
  }
}

/**
 * Cross-field rules that a schema cannot say; returns problems as "field: message". What a
 * symbolic pack must agree on with the server's vocabulary and synthesiser is checked by
 * symbolic/symbolicPack.ts.
 */
export function manifestProblems(m: PackManifest): string[] {
  const p: string[] = [];
  const t = m.tokens;
  if (t.delays.length !== t.codebooks) p.push(`tokens.delays: expected ${t.codebooks} entries (one per codebook), got ${t.delays.length}`);
  const temps = m.sampling.codebookTemperatures;
  if (temps && temps.length !== t.codebooks) p.push(`sampling.codebookTemperatures: expected ${t.codebooks} entries (one per codebook), got ${temps.length}`);
  if (t.validRanges.length !== t.codebooks) p.push(`tokens.validRanges: expected ${t.codebooks} entries (one per codebook), got ${t.validRanges.length}`);
  t.validRanges.forEach(([lo, hi], k) => {
    if (!(lo < hi && hi <= t.vocabSize)) p.push(`tokens.validRanges.${k}: expected [lo, hi) with 0 <= lo < hi <= vocabSize ${t.vocabSize}, got [${lo}, ${hi})`);
    else if (t.padTokenId >= lo && t.padTokenId < hi) p.push(`tokens.padTokenId: ${t.padTokenId} lies inside validRanges.${k} [${lo}, ${hi}); the pad token must never be sampled`);
  });
  if (t.delays.length > 0 && t.delays[0] !== 0) p.push(`tokens.delays.0: expected 0 (the first codebook is not delayed), got ${t.delays[0]}`);
  for (let k = 1; k < t.delays.length; k++) {
    if (t.delays[k]! < t.delays[k - 1]!) p.push(`tokens.delays.${k}: expected non-decreasing delays, got ${t.delays.join(', ')}`);
  }
  const codec = m.codec;
  if (codec.type === 'encodec-onnx') {
    const stepRate = m.audio.sampleRate / codec.hop;
    if (Math.abs(stepRate - m.audio.stepsPerSecond) > 1e-6) {
      p.push(`audio.stepsPerSecond: expected sampleRate / codec.hop = ${stepRate}, got ${m.audio.stepsPerSecond}`);
    }
    if (codec.crossfadeSamples > codec.hop) {
      p.push(`codec.crossfadeSamples: expected at most one frame (hop ${codec.hop}), got ${codec.crossfadeSamples}`);
    }
    if (codec.crossfadeSamples > 0 && codec.contextFrames < 1) {
      p.push('codec.contextFrames: expected at least 1 when crossfadeSamples > 0 (the crossfade re-decodes the previous block\'s tail)');
    }
    if (!m.files.codec) p.push('files.codec: required by codec.type "encodec-onnx"');
  } else {
    if (m.files.codec) p.push('files.codec: a symbolic pack (codec.type "symbolic-synth") has no codec graph');
  }
  const maxDelay = Math.max(0, ...t.delays);
  if (m.decoder.maxPositions < 2 * (maxDelay + 2)) p.push(`decoder.maxPositions: expected at least ${2 * (maxDelay + 2)} for delays up to ${maxDelay}, got ${m.decoder.maxPositions}`);
  if (m.decoder.pastLength === 'per-row' && m.decoder.kvOutputs !== 'new') p.push('decoder.pastLength: "per-row" needs decoder.kvOutputs "new" (only that graph takes past_sequence_length)');
  const f = m.files;
  if (m.decoder.layout === 'merged') {
    if (!f.decoderMerged) p.push('files.decoderMerged: required by decoder.layout "merged"');
    if (f.decoder || f.decoderWithPast) p.push('files: decoder/decoderWithPast belong to decoder.layout "split", not "merged"');
  } else {
    if (!f.decoder || !f.decoderWithPast) p.push('files.decoder and files.decoderWithPast: both required by decoder.layout "split"');
    if (f.decoderMerged) p.push('files.decoderMerged: belongs to decoder.layout "merged", not "split"');
  }
  const q = m.quantizedFiles;
  if (q) {
    if (Object.keys(q).length === 0) p.push('quantizedFiles: expected at least one file (or no quantizedFiles)');
    if (m.decoder.layout === 'merged' && (q.decoder || q.decoderWithPast)) p.push('quantizedFiles: decoder/decoderWithPast belong to decoder.layout "split", not "merged"');
    if (m.decoder.layout === 'split' && q.decoderMerged) p.push('quantizedFiles.decoderMerged: belongs to decoder.layout "merged", not "split"');
  }
  if (m.controls) {
    if (m.controls.version !== CONTROL_VERSION) p.push(`controls.version: this server speaks control vector version ${CONTROL_VERSION}, the pack wants ${m.controls.version}`);
    if (m.controls.size !== CONTROL_SIZE) p.push(`controls.size: control vector v${CONTROL_VERSION} has ${CONTROL_SIZE} entries, the pack declares ${m.controls.size}`);
  }
  if (m.sampling.topK > t.vocabSize) p.push(`sampling.topK: expected at most vocabSize ${t.vocabSize}, got ${m.sampling.topK}`);
  return p;
}

/** Parses and validates a manifest object; `where` names the file in messages. */
export function parseManifest(raw: unknown, where: string): PackManifest {
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new PackError(`${where}: invalid manifest:\n  ${lines.join('\n  ')}`);
  }
  const problems = manifestProblems(parsed.data);
  if (problems.length > 0) throw new PackError(`${where}: invalid manifest:\n  ${problems.join('\n  ')}`);
  return parsed.data;
}

/**
 * Whether a folder's manifest.json declares a model pack (models/ also holds other bundles with
 * manifests of their own, e.g. MediaPipe's). Unreadable JSON counts as a pack, so that loading
 * reports it.
 */
export function declaresPack(dir: string): boolean {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return false;
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { format?: unknown } | null;
    return raw?.format === MANIFEST_FORMAT;
  } catch {
    return true;
  }
}

function packFile(dir: string, manifestPath: string, field: string, rel: string): string {
  if (isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) {
    throw new PackError(`${manifestPath}: ${field}: expected a path inside the pack folder, got ${JSON.stringify(rel)}`);
  }
  const path = resolve(dir, rel);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new PackError(`${manifestPath}: ${field}: ${path} is missing (or is not a file)`, 'PACK_FILE_MISSING');
  }
  return path;
}

export interface ManifestLoadOptions {
  /** Use the manifest's int8 file set (quantizedFiles; a field it lacks falls back to files). */
  quantized?: boolean;
}

/** Reads models/<name>/manifest.json (or any pack folder) and checks that its files exist. */
export function loadManifest(dir: string, options: ManifestLoadOptions = {}): LoadedManifest {
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) throw new PackError(`${manifestPath}: no manifest`, 'PACK_FILE_MISSING');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    throw new PackError(`${manifestPath}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const manifest = parseManifest(raw, manifestPath);
  const quantized = options.quantized === true;
  if (quantized && !manifest.quantizedFiles) {
    throw new PackError(`${manifestPath}: quantizedFiles: the pack has no int8 file set (asked for the quantized variant); use the fp32 files or add quantizedFiles`, 'PACK_FILE_MISSING');
  }
  const q = quantized ? manifest.quantizedFiles! : {};
  const pick = (field: keyof typeof fileSet, rel: string) => (q[field] ? packFile(dir, manifestPath, `quantizedFiles.${field}`, q[field]) : packFile(dir, manifestPath, `files.${field}`, rel));
  const f = manifest.files;
  const paths: LoadedManifest['paths'] = {
    tokenizer: pick('tokenizer', f.tokenizer),
    textEncoder: pick('textEncoder', f.textEncoder),
  };
  if (f.codec) paths.codec = pick('codec', f.codec);
  if (f.decoderMerged) paths.decoderMerged = pick('decoderMerged', f.decoderMerged);
  if (f.decoder) paths.decoder = pick('decoder', f.decoder);
  if (f.decoderWithPast) paths.decoderWithPast = pick('decoderWithPast', f.decoderWithPast);
  return { dir, manifestPath, manifest, quantized, paths };
}
