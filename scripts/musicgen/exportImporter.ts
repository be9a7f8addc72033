/**
 * Turns a MusicGen ONNX export as published (the Hugging Face Optimum export used by
 * transformers.js: config.json, generation_config.json, tokenizer.json, onnx/*.onnx) into a pack:
 * models/<name>/manifest.json plus links to the files (nothing is copied; gigabytes stay where the
 * user put them). The numbers come from transformers' MusicGen config; the audio frame rate is
 * sampling_rate / prod(upsampling_ratios).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { CONTROL_SIZE, CONTROL_VERSION } from '../../protocol/controlVector.js';
import { MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, PackError, parseManifest, type PackManifest } from '../../server/generation/pack/manifest.js';

export interface ImportOptions {
  /** Pack name (folder under modelsDir). */
  name: string;
  modelsDir: string;
  layout: 'merged' | 'split';
  /** Use the *_quantized.onnx files (int8 weights). */
  quantized: boolean;
  /** Trained context in seconds (MusicGen: 30); the window slides past it. */
  contextSeconds: number;
  contextFrames: number;
  crossfadeSamples: number;
  /** Replace an existing pack of that name. */
  force: boolean;
  licence: string;
  /** The decoder takes Expotion's control_features (control vector v1). */
  controls: boolean;
}

export const IMPORT_DEFAULTS: Omit<ImportOptions, 'name'> = {
  modelsDir: '',
  layout: 'merged',
  quantized: false,
  contextSeconds: 30,
  contextFrames: 10,
  crossfadeSamples: 640,
  force: false,
  licence: 'CC-BY-NC-4.0 (MusicGen weights by Meta; check the source repository)',
  controls: false,
};

const int = z.number().int();
const configSchema = z.object({
  decoder: z.object({
    num_hidden_layers: int.positive(),
    num_attention_heads: int.positive(),
    hidden_size: int.positive(),
    vocab_size: int.positive(),
    num_codebooks: int.positive(),
    pad_token_id: int.nonnegative(),
    bos_token_id: int.nonnegative(),
    max_position_embeddings: int.positive(),
    audio_channels: int.positive().optional(),
  }).passthrough(),
  text_encoder: z.object({ d_model: int.positive() }).passthrough(),
  audio_encoder: z.object({
    sampling_rate: int.positive(),
    upsampling_ratios: z.array(int.positive()).min(1),
    codebook_size: int.positive(),
    audio_channels: int.positive().optional(),
  }).passthrough(),
}).passthrough();

const generationSchema = z.object({
  guidance_scale: z.number().nonnegative().optional(),
  top_k: int.positive().optional(),
  temperature: z.number().nonnegative().optional(),
}).passthrough();

function readJson<T>(path: string, schema: z.ZodType<T>): T {
  if (!existsSync(path)) throw new PackError(`${path}: missing (expected in a MusicGen ONNX export)`, 'PACK_FILE_MISSING');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PackError(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new PackError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The manifest for an export folder (pure: reads only the JSON files). */
export function manifestForExport(src: string, options: ImportOptions): { manifest: PackManifest; links: Record<string, string> } {
  const config = readJson(join(src, 'config.json'), configSchema);
  const generation = existsSync(join(src, 'generation_config.json')) ? readJson(join(src, 'generation_config.json'), generationSchema) : {};
  const d = config.decoder;
  const a = config.audio_encoder;
  const channels = d.audio_channels ?? a.audio_channels ?? 1;
  if (channels !== 1) throw new PackError(`${join(src, 'config.json')}: audio_channels ${channels}: stereo MusicGen (8 codebooks, interleaved channels) is not supported yet`);
  if (d.hidden_size % d.num_attention_heads !== 0) throw new PackError(`${join(src, 'config.json')}: decoder.hidden_size ${d.hidden_size} is not a multiple of num_attention_heads ${d.num_attention_heads}`);
  if (a.codebook_size !== d.vocab_size) throw new PackError(`${join(src, 'config.json')}: audio_encoder.codebook_size ${a.codebook_size} differs from decoder.vocab_size ${d.vocab_size}`);
  const hop = a.upsampling_ratios.reduce((x, y) => x * y, 1);
  const stepsPerSecond = a.sampling_rate / hop;
  const q = options.quantized ? '_quantized' : '';
  const files: Record<string, string> = { tokenizer: 'tokenizer.json', textEncoder: `text_encoder${q}.onnx`, codec: `encodec_decode${q}.onnx` };
  const links: Record<string, string> = { 'tokenizer.json': join(src, 'tokenizer.json'), [files.textEncoder!]: join(src, 'onnx', files.textEncoder!), [files.codec!]: join(src, 'onnx', files.codec!) };
  const decoderFiles = options.layout === 'merged' ? { decoderMerged: `decoder_model_merged${q}.onnx` } : { decoder: `decoder_model${q}.onnx`, decoderWithPast: `decoder_with_past_model${q}.onnx` };
  for (const [field, file] of Object.entries(decoderFiles)) {
    files[field] = file;
    links[file] = join(src, 'onnx', file);
  }
  for (const path of Object.values(links)) if (!existsSync(path)) throw new PackError(`${path}: missing (expected in a MusicGen ONNX export${options.quantized ? ', quantized files' : ''})`, 'PACK_FILE_MISSING');
  const K = d.num_codebooks;
  const raw = {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    name: options.name,
    kind: 'musicgen',
    description: `MusicGen imported from ${basename(resolve(src))}${options.quantized ? ' (int8)' : ''}`,
    licence: options.licence,
    source: resolve(src),
    files,
    audio: { sampleRate: a.sampling_rate, channels, stepsPerSecond },
    tokens: {
      codebooks: K,
      vocabSize: d.vocab_size,
      padTokenId: d.pad_token_id,
      bosTokenId: d.bos_token_id,
      delays: Array.from({ length: K }, (_, k) => k),
      validRanges: Array.from({ length: K }, () => [0, d.vocab_size]),
    },
    text: { hiddenSize: config.text_encoder.d_model, maxTokens: 256 },
    decoder: {
      layout: options.layout,
      layers: d.num_hidden_layers,
      heads: d.num_attention_heads,
      headDim: d.hidden_size / d.num_attention_heads,
      maxPositions: Math.min(d.max_position_embeddings, Math.round(options.contextSeconds * stepsPerSecond)),
    },
    codec: { type: 'encodec-onnx', hop, contextFrames: options.contextFrames, crossfadeSamples: Math.min(options.crossfadeSamples, hop), crossfade: 'equal-power' },
    ...(options.controls ? { controls: { version: CONTROL_VERSION, size: CONTROL_SIZE } } : {}),
    sampling: { guidanceScale: generation.guidance_scale ?? 3, temperature: generation.temperature ?? 1, topK: Math.min(generation.top_k ?? 250, d.vocab_size) },
  };
  return { manifest: parseManifest(raw, join(src, 'config.json')), links };
}

/** Writes models/<name>/ (manifest + links); returns the pack folder. Checks the ONNX files only when loaded. */
export function importExport(src: string, options: ImportOptions): { dir: string; manifest: PackManifest } {
  const { manifest, links } = manifestForExport(src, options);
  const dir = join(options.modelsDir, options.name);
  if (existsSync(dir)) {
    if (!options.force) throw new PackError(`${dir}: a pack of that name exists (pass --force to replace it)`, 'PACK_EXISTS');
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  for (const [name, target] of Object.entries(links)) symlinkSync(resolve(target), join(dir, name));
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, manifest };
}
