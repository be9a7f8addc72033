/**
 * Second part of `npm run bench:musicgen`: a decoder with musicgen-small's shapes and random
 * weights (24 layers, d 1024, 16 heads, vocab 2048), built on demand into models/.bench/ by
 * tools/build_bench_pack.py (Debian python3-torch + python3-onnx; 6-15 min, ~9 GB RAM, 5.6 GB disk,
 * git-ignored).
 *
 * Prints ms per cached decoder step and the real-time factor (RTF = ms / 20: 50 steps per second
 * are needed) for batch 1 and 2 (classifier-free guidance), several past lengths, 1 and 2
 * onnxruntime intra-op threads, fp32 and int8 (the manifest's quantizedFiles), and two KV-cache
 * layouts of the same weights:
 *   - "graph": the public export's cached graph (present.* = past + new: the graph concatenates
 *     the past and onnxruntime-node copies every present.* out, each step);
 *   - "engine": decoder.kvOutputs "new" (present_new.* only; the engine appends into its own
 *     preallocated cache).
 * Configurations are interleaved round by round in one process (the machine is shared: medians).
 * The engine's own overhead per step is everything outside onnxruntime's run: per cached step,
 * and all-in over a short stream (input building, guidance, top-k, sampling, delay pattern, KV
 * appends, codec crossfade, buffering).
 *
 * Past 0 is measured as a cached step over 1 position; longer pasts use a synthetic cache
 * (constant values; the step time does not depend on them) around the encoder K/V of a real
 * first pass, so that no benchmark has to generate 1000 steps first.
 */
import { encodecOf } from '../server/generation/pack/manifest.js';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Tensor } from 'onnxruntime-node';
import { neutralControls } from '../protocol/controlVector.js';
import { percentile } from '../protocol/statistics.js';
import { DecodeLoop, resolveSettings, type GeneratorState } from '../server/generation/lm/decodeLoop.js';
import { MusicgenPack } from '../server/generation/lm/musicgenPack.js';
import { MusicgenStream } from '../server/generation/musicgen/musicgenStream.js';
import { codecStreamerFor } from '../server/generation/musicgen/codecStreamer.js';
import { MODELS_DIR, REPO_ROOT } from '../server/paths.js';

export const BENCH_DIR = join(MODELS_DIR, '.bench');
const PACK = 'musicgen-small-shape';
const PACK_NEWKV = 'musicgen-small-shape-newkv';
const STEP_MS = 20; // 50 steps per second
const PROMPT = 'an upbeat funk groove with bass';

type Arg = (name: string, fallback: string) => string;

// A full garbage collection before each timed step (outside the timing): interleaved configs
// must not pay for each other's garbage (the public layout frees ~400 MB of present.* per step at
// past 1000, and V8's concurrent GC threads would compete with onnxruntime's for the 2 cores).
// The streaming figures below run without it: there each layout pays its own GC.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const median = (xs: readonly number[]): number => percentile(xs, 50);
const gb = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
const load = () => `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ${gb(freemem())} of ${gb(totalmem())} GB free`;

/** Builds the packs with tools/build_bench_pack.py unless both are there. */
export function ensureBenchPacks(): boolean {
  if (existsSync(join(BENCH_DIR, PACK, 'manifest.json')) && existsSync(join(BENCH_DIR, PACK_NEWKV, 'manifest.json'))) return true;
  console.log(`\nBuilding the musicgen-small-shaped packs into ${BENCH_DIR} (tools/build_bench_pack.py: 6-15 minutes, ~9 GB RAM, 5.6 GB disk) ...`);
  const r = spawnSync('/usr/bin/python3', [join(REPO_ROOT, 'tools', 'build_bench_pack.py'), '--out', BENCH_DIR], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.log(`tools/build_bench_pack.py failed (${r.error?.message ?? `exit ${r.status}`}): it needs /usr/bin/python3 with Debian's python3-torch and python3-onnx. Skipping the small-shaped benchmark.`);
    return false;
  }
  return true;
}

interface Config {
  label: string;
  precision: 'fp32' | 'int8';
  kv: 'graph' | 'engine';
  pack: MusicgenPack;
}

interface Cell {
  step: number;
  overhead: number;
}

/** One session per config at one batch size, primed by a real first pass. */
interface Session {
  loop: DecodeLoop;
  state: GeneratorState;
  /** The first pass's cross-attention K/V. */
  encoder: Tensor[];
}

async function sessions(configs: Config[], batch: number): Promise<Session[]> {
  const out = [];
  for (const c of configs) {
    const loop = new DecodeLoop(c.pack, resolveSettings(c.pack, { guidanceScale: batch === 2 ? 3 : 1 }));
    const state = await loop.createState(PROMPT, 1);
    await loop.step(state, () => null); // full pass: encoder K/V
    out.push({ loop, state, encoder: state.cache!.encoder });
  }
  return out;
}

/** Moves a session to `past` cached positions (synthetic cache, random tokens). */
function seek(s: Session, past: number): void {
  const p = s.loop.pack;
  const K = p.manifest.tokens.codebooks;
  s.state.cache = null;
  while (s.state.history.newest < past) s.state.history.push(Int32Array.from({ length: K }, (_, k) => (s.state.history.newest * 7 + k * 13) % p.manifest.tokens.vocabSize));
  s.state.cache = p.decoder.syntheticCache(s.encoder, s.state.prompt.rows, s.state.history.newest);
}

async function timedStep(c: Config, s: Session): Promise<Cell> {
  collectGarbage();
  const before = c.pack.onnxTime().ms;
  const t0 = performance.now();
  await s.loop.step(s.state, () => null);
  const wall = performance.now() - t0;
  return { step: wall, overhead: wall - (c.pack.onnxTime().ms - before) };
}

/**
 * ms per step and engine overhead over a short stream from the start (codec included, guidance
 * on), one stream per config, rendered chunk by chunk round-robin (interleaved). No forced GC:
 * each layout pays for its own garbage here.
 */
async function streamOverhead(configs: Config[], seconds: number): Promise<{ msPerStep: number; overhead: number }[]> {
  const CHUNK = 1024;
  const streams = configs.map((c) => {
    const m = c.pack.manifest;
    const loop = new DecodeLoop(c.pack, resolveSettings(c.pack));
    const stream = new MusicgenStream({ loop, state: loop.createState(PROMPT, 3), codec: codecStreamerFor(c.pack), channels: 1, hop: encodecOf(m).hop }, { prompt: PROMPT, seed: 3 });
    return { c, m, stream, wall: 0, onnx: 0 };
  });
  const render = (s: (typeof streams)[number], start: number) =>
    s.stream.render({ startSample: start, frames: CHUNK, controls: [neutralControls()], controlStepSamples: encodecOf(s.m).hop, beat: null });
  for (const s of streams) await render(s, 0); // first pass and prompt encoding
  const sr = streams[0]!.m.audio.sampleRate;
  const total = Math.round(seconds * sr);
  let start = CHUNK;
  for (; start < total; start += CHUNK) {
    for (const s of streams) {
      const before = s.c.pack.onnxTime().ms;
      const t0 = performance.now();
      await render(s, start);
      s.wall += performance.now() - t0;
      s.onnx += s.c.pack.onnxTime().ms - before;
    }
  }
  const steps = ((start - CHUNK) / sr) * streams[0]!.m.audio.stepsPerSecond;
  return streams.map((s) => {
    s.stream.dispose();
    return { msPerStep: s.wall / steps, overhead: (s.wall - s.onnx) / steps };
  });
}

export async function smallShapeBenchmark(arg: Arg): Promise<void> {
  const threads = arg('small-threads', '1,2').split(',').map(Number);
  const batches = arg('small-batch', '1,2').split(',').map(Number);
  const pasts = arg('small-past', '0,250,500,1000').split(',').map(Number).sort((a, b) => a - b);
  const precisions = arg('small-precision', 'fp32,int8').split(',') as Config['precision'][];
  const kvs = arg('small-kv', 'full,new').split(',').map((k) => (k === 'new' ? 'engine' : 'graph')) as Config['kv'][];
  const rounds = Number(arg('rounds', '9'));
  const streamSeconds = Number(arg('small-seconds', '2'));
  if (!ensureBenchPacks()) return;

  console.log(`\nmusicgen-small-shaped decoder (random weights; ${BENCH_DIR}): median ms per cached step over ${rounds} interleaved rounds, RTF = ms / ${STEP_MS}`);
  console.log(`kv "graph": public export (present.* = past + new); kv "engine": present_new.* only, cache kept by the engine. Overhead = outside onnxruntime's run.`);
  console.log(`start: ${load()}`);
  const rows: string[] = [];
  const header = `| threads | batch | weights | kv cache | ${pasts.map((p) => `past ${p}`).join(' | ')} | engine overhead / step |`;
  rows.push(header, `|${header.split('|').slice(1, -1).map(() => '---').join('|')}|`);
  const summary: string[] = [];
  const streams: string[] = [];

  for (const t of threads) {
    const configs: Config[] = [];
    for (const precision of precisions) {
      for (const kv of kvs) {
        const dir = join(BENCH_DIR, kv === 'engine' ? PACK_NEWKV : PACK);
        const t0 = performance.now();
        const pack = await MusicgenPack.load(dir, { intraOpThreads: t, quantized: precision === 'int8' });
        configs.push({ label: `${precision} ${kv}`, precision, kv, pack });
        console.log(`  loaded ${precision} kv ${kv}, ${t} thread(s), in ${((performance.now() - t0) / 1000).toFixed(1)} s (${load()})`);
      }
    }
    for (const batch of batches) {
      const ss = await sessions(configs, batch);
      const cells: Cell[][][] = configs.map(() => pasts.map(() => []));
      for (const [pi, past] of pasts.entries()) {
        for (const s of ss) seek(s, Math.max(1, past));
        for (let r = 0; r < rounds + 1; r++) {
          for (const [ci, c] of configs.entries()) {
            const cell = await timedStep(c, ss[ci]!);
            if (r > 0) cells[ci]![pi]!.push(cell); // round 0 warms up
          }
        }
        for (const s of ss) s.state.cache = null;
      }
      for (const [ci, c] of configs.entries()) {
        const steps = cells[ci]!.map((cs) => median(cs.map((x) => x.step)));
        const overheads = cells[ci]!.flat().map((x) => x.overhead);
        const allSteps = cells[ci]!.flat().map((x) => x.step);
        const ov = median(overheads);
        rows.push(`| ${t} | ${batch} | ${c.precision} | ${c.kv} | ${steps.map((ms) => `${ms.toFixed(1)} (${(ms / STEP_MS).toFixed(2)})`).join(' | ')} | ${ov.toFixed(2)} ms (${((100 * ov) / median(allSteps)).toFixed(1)}%) |`);
      }
      for (const precision of precisions) {
        const g = configs.findIndex((c) => c.precision === precision && c.kv === 'graph');
        const e = configs.findIndex((c) => c.precision === precision && c.kv === 'engine');
        if (g < 0 || e < 0) continue;
        const ratio = pasts.map((_, pi) => (median(cells[g]![pi]!.map((x) => x.step)) / median(cells[e]![pi]!.map((x) => x.step))).toFixed(2));
        summary.push(`threads ${t}, batch ${batch}, ${precision}: graph / engine step time = ${ratio.map((r, i) => `${r}x at past ${pasts[i]}`).join(', ')}`);
      }
      console.log(`  threads ${t} batch ${batch} done (${load()})`);
    }
    if (streamSeconds > 0) {
      for (const [i, r] of (await streamOverhead(configs, streamSeconds)).entries()) {
        const c = configs[i]!;
        streams.push(`| ${t} | ${c.precision} | ${c.kv} | ${r.msPerStep.toFixed(1)} | ${(r.msPerStep / STEP_MS).toFixed(2)} | ${r.overhead.toFixed(2)} ms (${((100 * r.overhead) / r.msPerStep).toFixed(1)}%) |`);
      }
    }
    await Promise.all(configs.map((c) => c.pack.dispose()));
  }
  console.log(`\nCached decoder step, ms (RTF):\n`);
  console.log(rows.join('\n'));
  console.log(`\n${summary.join('\n')}`);
  if (streams.length > 0) {
    console.log(`\nStreaming ${streamSeconds} s from the start (guidance on, 1024-frame chunks, codec included, configs interleaved chunk by chunk), all-in:\n`);
    console.log(`| threads | weights | kv cache | ms / step | RTF | engine overhead / step |\n|---|---|---|---|---|---|\n${streams.join('\n')}`);
  }
  console.log(`\nend: ${load()}`);
}
