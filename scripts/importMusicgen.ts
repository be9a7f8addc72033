/**
 * npm run models:import -- <export folder> [--name musicgen-small] [--layout merged|split]
 *   [--quantized] [--controls] [--context-seconds 30] [--force] [--no-check]
 *
 * Makes models/<name>/ from a downloaded MusicGen ONNX export (config.json,
 * generation_config.json, tokenizer.json, onnx/*.onnx), then loads it once to check every ONNX
 * file against the manifest (skip with --no-check).
 */
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { importExport, IMPORT_DEFAULTS } from './musicgen/exportImporter.js';
import { MusicgenPack } from '../server/generation/lm/musicgenPack.js';
import { MODELS_DIR } from '../server/paths.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      layout: { type: 'string', default: 'merged' },
      quantized: { type: 'boolean', default: false },
      controls: { type: 'boolean', default: false },
      'context-seconds': { type: 'string', default: String(IMPORT_DEFAULTS.contextSeconds) },
      force: { type: 'boolean', default: false },
      'no-check': { type: 'boolean', default: false },
      'models-dir': { type: 'string', default: MODELS_DIR },
    },
  });
  const src = positionals[0];
  if (!src || positionals.length > 1) throw new Error('usage: npm run models:import -- <export folder> [--name N] [--layout merged|split] [--quantized] [--controls] [--force]');
  const layout = values.layout;
  if (layout !== 'merged' && layout !== 'split') throw new Error(`--layout must be "merged" or "split", but is ${JSON.stringify(layout)}`);
  const contextSeconds = Number(values['context-seconds']);
  if (!(contextSeconds > 0)) throw new Error(`--context-seconds must be a positive number, but is ${values['context-seconds']}`);
  const name = values.name ?? basename(resolve(src)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  const { dir, manifest } = importExport(src, {
    ...IMPORT_DEFAULTS,
    name,
    modelsDir: values['models-dir'],
    layout,
    quantized: values.quantized,
    controls: values.controls,
    contextSeconds,
    force: values.force,
  });
  console.log(`wrote ${dir}/manifest.json: ${manifest.decoder.layers} layers, ${manifest.tokens.codebooks} codebooks x ${manifest.tokens.vocabSize}, ${manifest.audio.stepsPerSecond} steps/s, context ${manifest.decoder.maxPositions} steps`);
  if (!values['no-check']) {
    const t0 = performance.now();
    const pack = await MusicgenPack.load(dir);
    await pack.dispose();
    console.log(`checked every ONNX file against the manifest (${((performance.now() - t0) / 1000).toFixed(1)} s); select it with the hello's pack "${name}"`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
