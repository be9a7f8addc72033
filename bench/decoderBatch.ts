/**
 * What one decoder step costs against how many sessions it serves: the default pack's cached
 * step run with the rows of B sessions stacked (2 rows each: classifier-free guidance), past
 * length fixed, onnxruntime on one thread. Prints the median ms per run and per session.
 *
 *   npm run build && node dist/bench/decoderBatch.js [--batches 1,2,4,8,16] [--past 128] [--runs 200]
 */
import { join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { percentile } from '../protocol/statistics.js';
import { MusicgenPack } from '../server/generation/lm/musicgenPack.js';
import { controlFeatureWidth } from '../server/generation/pack/manifest.js';
import { MODELS_DIR } from '../server/paths.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const batches = arg('batches', '1,2,4,8,16').split(',').map(Number);
const past = Number(arg('past', '128'));
const runs = Number(arg('runs', '200'));
const pack = await MusicgenPack.load(join(MODELS_DIR, arg('pack', 'expotion-small')));
const m = pack.manifest;
const one = await pack.text.encode('an upbeat funk groove', true);
const K = m.tokens.codebooks;
const C = pack.decoder.usesControls ? controlFeatureWidth(m) : 0;

console.log(`decoder step, ${m.name}, past ${past}, 1 thread, median of ${runs}`);
for (const b of batches) {
  const rows = one.rows * b;
  const stack = (t: Tensor): Tensor => {
    const src = t.data as Float32Array | BigInt64Array;
    const dst = new (src.constructor as Float32ArrayConstructor)(src.length * b) as unknown as Float32Array;
    for (let i = 0; i < b; i++) dst.set(src as Float32Array, i * src.length);
    return new Tensor(t.type, dst, [rows, ...t.dims.slice(1)]);
  };
  const prompt = { ...one, rows, hidden: stack(one.hidden), mask: stack(one.mask) };
  const full = await pack.decoder.full(prompt, { ids: new BigInt64Array(rows * K * 4), positions: 4, ...(C ? { controls: new Float32Array(4 * C) } : {}) });
  const cache = pack.decoder.syntheticCache(full.cache.encoder, rows, past);
  const times: number[] = [];
  for (let i = 0; i < runs + 20; i++) {
    const c = { ...cache, decoder: [...cache.decoder], length: past };
    const t0 = performance.now();
    await pack.decoder.cached(prompt, c, { ids: new BigInt64Array(rows * K), positions: 1, ...(C ? { controls: new Float32Array(C) } : {}) });
    if (i >= 20) times.push(performance.now() - t0);
  }
  const ms = percentile(times, 50);
  console.log(`sessions ${String(b).padStart(2)} (rows ${String(rows).padStart(2)}): ${ms.toFixed(2)} ms per step, ${(ms / b).toFixed(2)} ms per session-step`);
}
await pack.dispose();
