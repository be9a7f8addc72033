/**
 * Does a chunk cost the same at any session age? Renders default-pack streams in this process
 * for `--seconds` of audio in `--chunk`-frame chunks at 48 kHz with slowly varying controls and a
 * performer beat at `--bpm` (16th-note steps: 8 per second at 120 BPM), and prints, per
 * `--window` seconds of session age:
 *   - render time per chunk (median, p99, max, and how many chunks took over 5 ms);
 *   - decoder time per step (DecodeLoop.step: median, p99, max; in the summary line, the steps at
 *     which the window slid apart), the prefill passes between steps
 *     (DecodeLoop.prefill: how many, median and max ms) and the most decoder positions any one
 *     step or prefill call computed (a one-pass re-prime of the window computes 128 at once);
 *   - heapUsed and RSS at the window's end (does anything grow with session age?).
 *
 *   node dist/bench/sessionAgeBench.js [--seconds 180] [--chunk 1024] [--window 30] [--bpm 120]
 *     [--variants prefill,reprime] [--prompt "..."] [--seed 3]
 *
 * Variants (`--variants`, comma-separated) are the decoder's window handling: "prefill" (the
 * default pack's: the next window's cache is built ahead, 8 positions per pass in chunks without
 * a step; "prefillN": N per pass) and "reprime" (prefillPositions 0, the old way: one full pass
 * over the kept positions when the window slides); "keepF": the default prefill with a slide that
 * keeps the share F of the context (keep0.25: the context spans 64-256 steps, not 128-256, and
 * the next window has a quarter as many positions to prefill); "default" leaves the settings alone.
 * With several variants, one stream per variant renders, chunk by chunk in turn, in one process,
 * so that they share the machine's load: compare them within one run (the machine is shared).
 * heapUsed and RSS are the whole process's, so with several variants they are their sum.
 * One onnxruntime thread (the server's setting: one worker per core).
 */
import { join } from 'node:path';
import { C, neutralControls, type ControlVector } from '../protocol/controlVector.js';
import { percentile } from '../protocol/statistics.js';
import type { GenerationSettings } from '../server/generation/lm/decodeLoop.js';
import { NEURAL_WINDOW_DEFAULTS, loadNeuralEngine, type NeuralEngine, type NeuralStream } from '../server/generation/symbolic/neuralEngine.js';
import { MODELS_DIR } from '../server/paths.js';
import { CliOptions } from '../scripts/cliOptions.js';

const SR = 48000;

/** "reprime": prefillPositions 0; "prefill": the engine's default (NEURAL_WINDOW_DEFAULTS); "prefillN": N; "keepF": keepFraction F; "default": the engine's settings as they are. */
function variant(name: string): Partial<GenerationSettings> {
  if (name === 'default') return {};
  if (name === 'reprime') return { prefillPositions: 0 };
  if (name === 'prefill') return { prefillPositions: NEURAL_WINDOW_DEFAULTS.prefillPositions };
  const m = /^prefill(\d+)$/.exec(name);
  if (m) return { prefillPositions: Number(m[1]) };
  const k = /^keep(0?\.\d+)$/.exec(name);
  if (k) return { keepFraction: Number(k[1]) };
  throw new Error(`unknown variant "${name}" (reprime, prefill, prefillN, keepF, default)`);
}

const cli = new CliOptions('bench:session-age', 'node dist/bench/sessionAgeBench.js [--seconds 180] [--chunk 1024] [--window 30] [--bpm 120] [--variants prefill,reprime] [--prompt "..."] [--seed 3]');
const seconds = cli.number('seconds', 180);
const chunk = Math.floor(cli.number('chunk', 1024));
const windowS = cli.number('window', 30);
const bpm = cli.number('bpm', 120);
const prompt = cli.text('prompt') ?? 'a happy funk groove with slap bass';
const seed = Math.floor(cli.number('seed', 3));
const names = (cli.text('variants') ?? 'prefill,reprime').split(',').filter(Boolean);
cli.done();
names.forEach(variant);

/** Performer controls at timeline sample n: slow sweeps of every control the pack reads. */
function controlsAt(n: number, v: ControlVector): ControlVector {
  const t = n / SR;
  v[C.presence] = 1;
  v[C.energy] = 0.5 + 0.45 * Math.sin((2 * Math.PI * t) / 23);
  v[C.valence] = 0.8 * Math.sin((2 * Math.PI * t) / 37 + 1);
  v[C.handHeight] = 0.5 + 0.4 * Math.sin((2 * Math.PI * t) / 11);
  v[C.armOpenness] = 0.5 + 0.4 * Math.sin((2 * Math.PI * t) / 17 + 2);
  v[C.mouthOpen] = 0.5 + 0.5 * Math.sin((2 * Math.PI * t) / 5);
  v[C.headYaw] = 0.6 * Math.sin((2 * Math.PI * t) / 7);
  v[C.nod] = 0.5 + 0.5 * Math.sin((2 * Math.PI * t) / 3);
  v[C.beatStrength] = 0.9;
  v[C.tempo] = bpm;
  v[C.beatPhase] = ((t * bpm) / 60) % 1;
  return v;
}

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '-');
const mb = (b: number): string => (b / 2 ** 20).toFixed(1);

interface Window {
  chunks: number[];
  steps: number[];
  /** The steps at which the window slid, ms each. */
  slides: number[];
  /** Prefill passes that ran (DecodeLoop.prefill returned > 0), ms each. */
  prefills: number[];
  /** The most decoder positions one step or prefill call computed. */
  maxPositions: number;
  heap: number;
  rss: number;
}

interface Run {
  name: string;
  engine: NeuralEngine;
  stream: NeuralStream;
  windows: Window[];
  /** Decoder positions computed since the current step began. */
  positions: number;
  first: number;
}

async function open(name: string): Promise<Run> {
  const engine = await loadNeuralEngine(join(MODELS_DIR, 'expotion-small'), { settings: variant(name) });
  const { loop, pack } = await engine.ready;
  const run: Run = { name, engine, stream: engine.openStream({ prompt, seed }), windows: [], positions: 0, first: NaN };
  // Count the positions the decoder computes and time each step (per engine: one stream each).
  const decoder = pack.decoder;
  const full = decoder.full.bind(decoder);
  const cached = decoder.cached.bind(decoder);
  decoder.full = (p, input) => ((run.positions += input.positions), full(p, input));
  decoder.cached = (p, c, input) => ((run.positions += input.positions), cached(p, c, input));
  // (A checkout without prefill has nothing to wrap: the bench then measures the one-pass re-prime.)
  const prefill = loop.prefill?.bind(loop) ?? (async () => 0);
  loop.prefill = async (state) => {
    run.positions = 0;
    const t0 = performance.now();
    const n = await prefill(state);
    const w = run.windows[run.windows.length - 1]!;
    if (n > 0) w.prefills.push(performance.now() - t0);
    w.maxPositions = Math.max(w.maxPositions, run.positions);
    return n;
  };
  const step = loop.step.bind(loop);
  loop.step = async (state, source) => {
    run.positions = 0;
    const slides = state.slides;
    const t0 = performance.now();
    const r = await step(state, source);
    const ms = performance.now() - t0;
    const w = run.windows[run.windows.length - 1]!;
    w.steps.push(ms);
    if (state.slides !== slides) w.slides.push(ms);
    w.maxPositions = Math.max(w.maxPositions, run.positions);
    return r;
  };
  return run;
}

async function main(): Promise<void> {
  const runs: Run[] = [];
  for (const n of names) runs.push(await open(n));
  const total = Math.round(seconds * SR);
  const perWindow = Math.round(windowS * SR);
  const v = neutralControls();
  const controlStep = 480;
  console.log(`sessionAgeBench: ${seconds} s of expotion-small in ${chunk}-frame chunks (${f((chunk / SR) * 1000, 1)} ms of audio each), beat ${bpm} BPM, prompt "${prompt}", seed ${seed}; variants ${names.join(', ')} (interleaved chunk by chunk)`);
  for (let start = 0; start < total; start += chunk) {
    const frames = Math.min(chunk, total - start);
    const controls: ControlVector[] = [];
    for (let i = 0; i * controlStep < frames; i++) controls.push(Float32Array.from(controlsAt(start + i * controlStep, v)));
    const beat = { anchorSample: 0, periodSamples: (60 / bpm) * SR, strength: 0.9 };
    const w = Math.floor(start / perWindow);
    for (const run of runs) {
      while (run.windows.length <= w) run.windows.push({ chunks: [], steps: [], slides: [], prefills: [], maxPositions: 0, heap: 0, rss: 0 });
      const t0 = performance.now();
      await run.stream.render({ startSample: start, frames, controls, controlStepSamples: controlStep, beat });
      const ms = performance.now() - t0;
      // The first chunk waits for the prompt's encoding and the first pass: reported apart.
      if (start === 0) run.first = ms;
      else run.windows[w]!.chunks.push(ms);
      if (start + chunk >= Math.min(total, (w + 1) * perWindow)) {
        const m = process.memoryUsage();
        run.windows[w]!.heap = m.heapUsed;
        run.windows[w]!.rss = m.rss;
      }
    }
  }
  for (const run of runs) {
    const all = run.windows.flatMap((w) => w.chunks);
    const steps = run.windows.flatMap((w) => w.steps);
    const prefills = run.windows.flatMap((w) => w.prefills);
    const slides = run.windows.flatMap((w) => w.slides);
    const decoderMs = [...steps, ...prefills].reduce((a, b) => a + b, 0);
    console.log(
      `\n${run.name}: first chunk ${f(run.first, 1)} ms; all chunks median ${f(percentile(all, 50))} / p99 ${f(percentile(all, 99))} / max ${f(Math.max(...all))} ms; ` +
        `decoder step median ${f(percentile(steps, 50))} / p99 ${f(percentile(steps, 99))} / max ${f(Math.max(...steps))} ms (${steps.length} steps), ` +
        `${slides.length} slides (step median ${f(percentile(slides, 50))} / max ${f(Math.max(...slides))} ms), ` +
        `${prefills.length} prefill passes (median ${f(percentile(prefills, 50))} ms); decoder time in all ${f(decoderMs / seconds, 1)} ms per second of audio`,
    );
    console.log('  age (s)   | chunk ms: median    p99    max  >5ms | step ms: median    p99    max | prefill passes, ms: median    max | max positions/call | heapUsed MB  RSS MB');
    run.windows.forEach((w, i) => {
      const age = `${i * windowS}-${Math.min(seconds, (i + 1) * windowS)}`.padEnd(9);
      const c = w.chunks;
      const s = w.steps;
      const p = w.prefills;
      console.log(
        `  ${age} |          ${f(percentile(c, 50)).padStart(6)} ${f(percentile(c, 99)).padStart(6)} ${f(Math.max(...c)).padStart(6)} ${String(c.filter((x) => x > 5).length).padStart(5)} |` +
          `         ${f(percentile(s, 50)).padStart(6)} ${f(percentile(s, 99)).padStart(6)} ${f(Math.max(...s)).padStart(6)} |` +
          ` ${String(p.length).padStart(14)}     ${f(percentile(p, 50)).padStart(6)} ${f(p.length ? Math.max(...p) : NaN).padStart(6)} | ${String(w.maxPositions).padStart(18)} | ${mb(w.heap).padStart(11)} ${mb(w.rss).padStart(7)}`,
      );
    });
  }
  for (const run of runs) {
    run.stream.dispose();
    await run.engine.dispose();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
