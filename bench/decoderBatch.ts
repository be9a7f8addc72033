/**
 * What one decoder step costs against how many sessions it serves (issue #15), default pack,
 * onnxruntime on one thread (the server's setting: one worker per core). Three parts:
 *
 * 1. "same": the cached step with B sessions' rows stacked at the SAME past length (2 rows each:
 *    classifier-free guidance) through one plain cached() run: the graph's best case.
 * 2. "batched": B sessions with DIFFERENT past lengths (spread over `--past` ± 50%), capacities
 *    and prompts through EngineCacheDecoderRunner.cachedBatch (decoder.pastLength "per-row"):
 *    what the worker's step batcher runs, stacking and splitting included; also the share of
 *    the time outside onnxruntime's run (stacking the caches, splitting the outputs).
 * 3. "streams": N default-pack streams rendering concurrently in this process (the way one
 *    worker thread renders its sessions), with step batching off and on, interleaved. "free":
 *    each stream renders chunk after chunk as fast as it can (the decoder under load): wall ms
 *    per second of audio per session and the worker's RTF for N live sessions (below 1: N fit
 *    on one core). "real": streams render at real time, staggered: CPU ms per second of audio
 *    per session and late chunks. Both: how many sessions each ONNX run served.
 *
 *   npm run build && node dist/bench/decoderBatch.js [--parts same,batched,streams]
 *     [--pack NAME[,NAME...]] [--batches 1,4,8,16] [--past 128] [--runs 200] [--streams 1,8,16] [--seconds 10]
 *     [--chunk 1024] [--reps 2] [--pace free,real] [--instruments synth|soundfont]
 */
import { join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { C, neutralControls, type ControlVector } from '../protocol/controlVector.js';
import type { InstrumentKind } from '../protocol/messages.js';
import { percentile } from '../protocol/statistics.js';
import { EngineCacheDecoderRunner, type BatchItem, type KvCache } from '../server/generation/lm/decoderRunner.js';
import { MusicgenPack } from '../server/generation/lm/musicgenPack.js';
import type { EncodedPrompt } from '../server/generation/lm/textConditioner.js';
import { controlFeatureWidth } from '../server/generation/pack/manifest.js';
import { loadNeuralEngine } from '../server/generation/symbolic/neuralEngine.js';
import { MODELS_DIR } from '../server/paths.js';
import { CliOptions } from '../scripts/cliOptions.js';

const cli = new CliOptions('bench:decoder-batch', 'node dist/bench/decoderBatch.js [--parts same,batched,streams] [--batches 1,4,8,16] [--past 128] [--runs 200] [--streams 1,8,16] [--seconds 10] [--pace free,real]');
const arg = (name: string, fallback: string): string => cli.text(name) ?? fallback;

const parts = arg('parts', 'same,batched,streams').split(',');
const batches = arg('batches', '1,4,8,16').split(',').map(Number);
const past = cli.number('past', 128);
const runs = cli.number('runs', 200);
// Several packs (--pack a,b): the step parts interleave their configurations in one process, so
// that two exports of one model compare on the same load (a shared VM drifts 20-30% in minutes).
const packNames = arg('pack', 'expotion-small').split(',').filter(Boolean);
const packName = packNames[0]!;
const PROMPTS = ['an upbeat funk groove', 'ambient', 'dark cinematic strings in the rain at night with a slow heavy beat', 'pop', 'a happy house track with piano', 'bossa nova guitar'];
const f = (x: number, d = 2): string => x.toFixed(d);

/** One timed configuration: run() does one step and returns the ms spent inside onnxruntime's run. */
interface Config {
  part: 'same' | 'batched';
  b: number;
  note: string;
  run(): Promise<number>;
  times: number[];
  onnx: number[];
}

async function stepParts(): Promise<void> {
  const packs: MusicgenPack[] = [];
  const configs: Config[] = [];
  for (const name of packNames) {
    const pack = await MusicgenPack.load(join(MODELS_DIR, name));
    packs.push(pack);
    configs.push(...(await packConfigs(pack)));
  }
  // Interleaved: round r runs every configuration once (in a rotating order), so that all of
  // them see the same load on a shared machine; medians over the rounds.
  for (let r = 0; r < runs + 10; r++) {
    for (let j = 0; j < configs.length; j++) {
      const c = configs[(j + r) % configs.length]!;
      const t0 = performance.now();
      const inRun = await c.run();
      if (r >= 10) {
        c.times.push(performance.now() - t0);
        c.onnx.push(inRun);
      }
    }
  }
  console.log(`\n${packNames.join(', ')}: ms per cached step, 1 thread, medians of ${runs} interleaved rounds`);
  console.log(`  [same]    B sessions' rows stacked at one past length ${past}, one cached() run (the graph's best case)`);
  console.log(`  [batched] B sessions, past lengths spread over ${past} ± 50%, ${PROMPTS.length} prompts of different lengths, cachedBatch() (B = 1: cached()); "outside" = stacking and splitting`);
  for (const c of configs) {
    const ms = percentile(c.times, 50);
    const inRun = percentile(c.onnx, 50);
    const outside = c.part === 'batched' ? `, onnxruntime run ${f(inRun)} ms, outside it ${f(Math.max(0, ms - inRun))} ms (${f((100 * Math.max(0, ms - inRun)) / ms, 0)}%)` : '';
    console.log(`  [${c.part}]${' '.repeat(8 - c.part.length)} sessions ${String(c.b).padStart(2)}: ${f(ms).padStart(6)} ms per step, ${f(ms / c.b)} ms per session-step (${c.note}${outside})`);
  }
  for (const pack of packs) await pack.dispose();
}

/** The step configurations of one pack. */
async function packConfigs(pack: MusicgenPack): Promise<Config[]> {
  const m = pack.manifest;
  const tag = packNames.length > 1 ? `${m.name}, ` : '';
  const runner = pack.decoder;
  const K = m.tokens.codebooks;
  const Cw = runner.usesControls ? controlFeatureWidth(m) : 0;
  const input = (rows: number) => ({ ids: new BigInt64Array(rows * K), positions: 1, ...(Cw ? { controls: new Float32Array(Cw) } : {}) });
  const encoded = new Map<string, { prompt: EncodedPrompt; encoder: Tensor[] }>();
  const encodedPrompt = async (text: string) => {
    let e = encoded.get(text);
    if (!e) {
      const prompt = await pack.text.encode(text, true);
      const full = await runner.full(prompt, { ids: new BigInt64Array(prompt.rows * K * 4), positions: 4, ...(Cw ? { controls: new Float32Array(4 * Cw) } : {}) });
      e = { prompt, encoder: full.cache.encoder };
      encoded.set(text, e);
    }
    return e;
  };

  const configs: Config[] = [];
  const timedRun = async (fn: () => Promise<unknown>): Promise<number> => {
    const before = pack.onnxTime().ms;
    await fn();
    return pack.onnxTime().ms - before;
  };
  if (parts.includes('same')) {
    const one = await pack.text.encode('an upbeat funk groove', true);
    for (const b of batches) {
      const rows = one.rows * b;
      const stack = (t: Tensor): Tensor => {
        const src = t.data as Float32Array | BigInt64Array;
        const dst = new (src.constructor as Float32ArrayConstructor)(src.length * b) as unknown as Float32Array;
        for (let i = 0; i < b; i++) dst.set(src as Float32Array, i * src.length);
        return new Tensor(t.type, dst, [rows, ...t.dims.slice(1)]);
      };
      const prompt = { ...one, rows, hidden: stack(one.hidden), mask: stack(one.mask) };
      const full = await runner.full(prompt, { ids: new BigInt64Array(rows * K * 4), positions: 4, ...(Cw ? { controls: new Float32Array(4 * Cw) } : {}) });
      const cache = runner.syntheticCache(full.cache.encoder, rows, past);
      configs.push({ part: 'same', b, note: `${tag}rows ${rows}`, times: [], onnx: [], run: () => timedRun(() => runner.cached(prompt, { ...cache, decoder: [...cache.decoder], length: past }, input(rows))) });
    }
  }
  if (parts.includes('batched')) {
    if (!(runner instanceof EngineCacheDecoderRunner) || !runner.batchable) throw new Error(`${m.name}: no per-row past length (decoder.pastLength), cannot batch`);
    for (const b of batches) {
      const sessions: Array<{ prompt: EncodedPrompt; cache: KvCache; length: number }> = [];
      for (let i = 0; i < b; i++) {
        const e = await encodedPrompt(PROMPTS[i % PROMPTS.length]!);
        const length = Math.round(past * (0.5 + (b === 1 ? 0.5 : i / (b - 1))));
        sessions.push({ prompt: e.prompt, cache: runner.syntheticCache(e.encoder, e.prompt.rows, length), length });
      }
      const caps = sessions.map((s) => s.cache.capacity ?? s.length);
      const lengths = sessions.map((s) => s.length);
      configs.push({
        part: 'batched', b, times: [], onnx: [],
        note: `${tag}lengths ${Math.min(...lengths)}-${Math.max(...lengths)}, capacities ${Math.min(...caps)}-${Math.max(...caps)}`,
        run: () => {
          const items: BatchItem[] = sessions.map((s) => ({ prompt: s.prompt, cache: { ...s.cache, decoder: [...s.cache.decoder], length: s.length }, input: input(s.prompt.rows) }));
          return timedRun(() => (b === 1 ? runner.cached(items[0]!.prompt, items[0]!.cache, items[0]!.input) : runner.cachedBatch(items)));
        },
      });
    }
  }
  return configs;
}

const SR = 48000;
/** Performer controls at timeline sample n, per stream: slow sweeps of every control the pack reads. */
function controlsAt(n: number, k: number, bpm: number, v: ControlVector): ControlVector {
  const t = n / SR + 3.7 * k;
  v[C.presence] = 1;
  v[C.energy] = 0.5 + 0.45 * Math.sin((2 * Math.PI * t) / 23);
  v[C.valence] = 0.8 * Math.sin((2 * Math.PI * t) / 37 + 1);
  v[C.handHeight] = 0.5 + 0.4 * Math.sin((2 * Math.PI * t) / 11);
  v[C.armOpenness] = 0.5 + 0.4 * Math.sin((2 * Math.PI * t) / 17 + 2);
  v[C.nod] = 0.5 + 0.5 * Math.sin((2 * Math.PI * t) / 3);
  v[C.beatStrength] = 0.9;
  v[C.tempo] = bpm;
  v[C.beatPhase] = ((t * bpm) / 60) % 1;
  return v;
}

async function streamsPart(): Promise<void> {
  const counts = arg('streams', '1,8,16').split(',').map(Number);
  const seconds = cli.number('seconds', 10);
  const chunk = cli.number('chunk', 1024);
  const reps = cli.number('reps', 2);
  const paces = arg('pace', 'free,real').split(',') as Array<'free' | 'real'>;
  const instruments = arg('instruments', '') as InstrumentKind | '';
  const dir = join(MODELS_DIR, packName);
  const engines = {
    off: await loadNeuralEngine(dir, { settings: { batchSteps: false } }),
    on: await loadNeuralEngine(dir, { settings: { batchSteps: true } }),
  };
  const chunkMs = (chunk / SR) * 1000;
  console.log(
    `\n[streams] ${packName}: N streams rendering ${seconds} s each concurrently in this process (one worker's load), chunk ${chunk} frames, ` +
      `instruments ${instruments || "the pack's"}, step batching off / on interleaved, medians of ${reps} reps. ` +
      `"free": each stream renders chunk after chunk as fast as it can (saturated): wall ms per second of audio per session, and the worker's RTF for N live sessions (below 1: N fit on one core). ` +
      `"real": each stream renders at real time (chunks due every ${f(chunkMs, 1)} ms, streams staggered): process CPU ms per second of audio per session, and chunks finished over one chunk late. ` +
      'Both: mean sessions per decoder run.',
  );
  for (const pace of paces) {
    for (const n of counts) {
      type R = { wall: number[]; cpu: number[]; decoder: number[]; sizes: number[]; late: number[] };
      const results: Record<'off' | 'on', R> = { off: { wall: [], cpu: [], decoder: [], sizes: [], late: [] }, on: { wall: [], cpu: [], decoder: [], sizes: [], late: [] } };
      for (let r = 0; r < reps; r++) {
        for (const mode of ['off', 'on'] as const) {
          const engine = engines[mode];
          const { loop, pack } = await engine.ready;
          const streams = Array.from({ length: n }, (_, k) => engine.openStream({ prompt: PROMPTS[k % PROMPTS.length]!, seed: 100 + k, ...(instruments ? { instruments } : {}) }));
          await Promise.all(streams.map((s) => s.whenReady?.()));
          const total = Math.round(seconds * SR);
          const render = async (k: number, start: number, v: ControlVector) => {
            const bpm = 96 + 8 * (k % 5);
            const controls: ControlVector[] = [];
            for (let i = 0; i * 480 < chunk; i++) controls.push(Float32Array.from(controlsAt(start + i * 480, k, bpm, v)));
            await streams[k]!.render({ startSample: start, frames: chunk, controls, controlStepSamples: 480, beat: { anchorSample: 0, periodSamples: (60 / bpm) * SR, strength: 0.9 } });
          };
          // The first chunk (prompt encoding, first full pass) is rendered before the clock starts.
          await Promise.all(streams.map((_, k) => render(k, 0, neutralControls())));
          const before = { onnx: pack.onnxTime().ms, runs: loop.batcher?.stats.runs ?? 0, steps: loop.batcher?.stats.steps ?? 0 };
          let late = 0;
          let chunks = 0;
          const cpu0 = process.cpuUsage();
          const t0 = performance.now();
          await Promise.all(
            streams.map(async (_, k) => {
              const v = neutralControls();
              const offset = (k * chunkMs) / n;
              for (let start = chunk, i = 0; start < total; start += chunk, i++) {
                if (pace === 'real') {
                  const due = t0 + offset + i * chunkMs;
                  const wait = due - performance.now();
                  if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
                  await render(k, start, v);
                  if (performance.now() > due + chunkMs) late++;
                } else await render(k, start, v);
                chunks++;
              }
            }),
          );
          const wall = performance.now() - t0;
          const cpu = process.cpuUsage(cpu0);
          const audio = (total - chunk) / SR;
          results[mode].wall.push(wall / audio / n);
          results[mode].cpu.push((cpu.user + cpu.system) / 1000 / audio / n);
          results[mode].decoder.push((pack.onnxTime().ms - before.onnx) / audio / n);
          results[mode].late.push(late / chunks);
          if (loop.batcher) {
            const runs = loop.batcher.stats.runs - before.runs;
            results[mode].sizes.push((loop.batcher.stats.steps - before.steps) / Math.max(1, runs));
          }
          streams.forEach((s) => s.dispose());
        }
      }
      const med = (x: number[]) => percentile(x, 50);
      const line = (mode: 'off' | 'on') => {
        const x = results[mode];
        const sizes = x.sizes.length ? `, ${f(med(x.sizes), 1)} sessions/run` : '';
        if (pace === 'real') return `${mode}: CPU ${f(med(x.cpu), 1)} ms/s per session, ${f(100 * med(x.late), 1)}% late${sizes}`;
        // Off, the streams' runs overlap (onnxruntime-node runs them on its own threads), so time inside runs says nothing; on, runs are serial.
        const decoder = mode === 'on' ? ` (decoder runs ${f(med(x.decoder), 1)})` : '';
        return `${mode}: ${f(med(x.wall), 1)} ms/s per session${decoder}, RTF for ${n} ${f((med(x.wall) * n) / 1000)}, CPU ${f(med(x.cpu), 1)} ms/s${sizes}`;
      };
      const ratio = pace === 'real' ? med(results.on.cpu) / med(results.off.cpu) : med(results.on.wall) / med(results.off.wall);
      console.log(`  ${pace} ${String(n).padStart(2)} streams | ${line('off')} | ${line('on')} | on/off ${f(ratio)}`);
    }
  }
  const { loop } = await engines.on.ready;
  if (loop.batcher) {
    const s = loop.batcher.stats;
    console.log(`  runs by batch size (all "on" runs): ${s.runsBySize.map((c, i) => (i > 0 && c > 0 ? `${i}: ${c}` : '')).filter(Boolean).join(', ')}`);
  }
  await Promise.all([engines.off.dispose(), engines.on.dispose()]);
}

if (parts.includes('same') || parts.includes('batched')) await stepParts();
if (parts.includes('streams')) await streamsPart();
