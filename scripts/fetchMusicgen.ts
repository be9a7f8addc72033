/**
 * npm run models:fetch -- musicgen-small [--quantized] [--dir downloads/musicgen-small]
 *
 * For users with internet: downloads the public MusicGen ONNX export (the files transformers.js
 * uses) into a folder, then imports it with models:import. Never used by tests or CI.
 */
import { createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { importExport, IMPORT_DEFAULTS } from './musicgen/exportImporter.js';
import { MODELS_DIR, REPO_ROOT } from '../server/paths.js';

const SOURCES: Record<string, string> = {
  'musicgen-small': 'https://huggingface.co/Xenova/musicgen-small/resolve/main',
};

async function download(url: string, to: string): Promise<void> {
  if (existsSync(to)) {
    console.log(`have ${to}`);
    return;
  }
  mkdirSync(dirname(to), { recursive: true });
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`GET ${url}: HTTP ${res.status}`);
  console.log(`downloading ${url} (${res.headers.get('content-length') ?? '?'} bytes)`);
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(`${to}.part`));
  renameSync(`${to}.part`, to);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { quantized: { type: 'boolean', default: false }, dir: { type: 'string' }, force: { type: 'boolean', default: false } },
  });
  const name = positionals[0] ?? 'musicgen-small';
  const base = SOURCES[name];
  if (!base) throw new Error(`unknown model ${JSON.stringify(name)}; known: ${Object.keys(SOURCES).join(', ')}`);
  const dir = values.dir ?? join(REPO_ROOT, 'downloads', name);
  const q = values.quantized ? '_quantized' : '';
  const files = ['config.json', 'generation_config.json', 'tokenizer.json', ...['text_encoder', 'decoder_model_merged', 'encodec_decode'].map((f) => `onnx/${f}${q}.onnx`)];
  for (const f of files) await download(`${base}/${f}`, join(dir, f));
  const { dir: pack } = importExport(dir, { ...IMPORT_DEFAULTS, name: values.quantized ? `${name}-int8` : name, modelsDir: MODELS_DIR, quantized: values.quantized, force: values.force });
  console.log(`installed ${pack}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
