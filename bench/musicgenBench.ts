/**
 * MusicGen-contract engine benchmark (CPU, onnxruntime-node).
 *
 *   npm run bench:musicgen -- [--packs tiny-musicgen,tiny-musicgen-split,tiny-expotion,tiny-musicgen-newkv]
 *     [--threads 1,2] [--seconds 8] [--past 0,100,200]
 *     [--skip-small | --small-only] [--small-threads 1,2] [--small-batch 1,2]
 *     [--small-past 0,250,500,1000] [--small-precision fp32,int8] [--small-kv full,new]
 *     [--rounds 9] [--small-seconds 2]
 *
 * Tiny packs (first part; --small-only skips it):
 * For each pack and thread count:
 *   - decoder step: median ms of one cached step (guidance batch 2) at several past lengths;
 *   - streaming: one session rendering 1024-frame chunks for --seconds of audio: ms per step,
 *     real-time factor (generation time / audio time), and the engine's own overhead per step
 *     (everything outside onnxruntime's run: input building, guidance, sampling, delay pattern,
 *     codec crossfade, buffering), as a share of step time;
 *   - two sessions interleaved on the same engine (what a worker does): RTF per session.
 */
import { join } from 'node:path';
import { neutralControls } from '../protocol/controlVector.js';
import { percentile } from '../protocol/statistics.js';
import { DecodeLoop, resolveSettings } from '../server/generation/lm/decodeLoop.js';
import { loadMusicgenEngine, type MusicgenEngine } from '../server/generation/musicgen/musicgenEngine.js';
import { MODELS_DIR } from '../server/paths.js';
import { smallShapeBenchmark } from './musicgenSmallBench.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const packs = arg('packs', 'tiny-musicgen,tiny-musicgen-split,tiny-expotion,tiny-musicgen-newkv').split(',');
const threads = arg('threads', '1,2').split(',').map(Number);
const seconds = Number(arg('seconds', '8'));
const pasts = arg('past', '0,100,200').split(',').map(Number);
const CHUNK = 1024;

const median = (xs: readonly number[]): number => percentile(xs, 50);

async function stepTimes(engine: MusicgenEngine): Promise<string> {
  const { pack } = await engine.ready;
  const out: string[] = [];
  for (const past of pasts) {
    if (past + 20 > pack.manifest.decoder.maxPositions) continue;
    const loop = new DecodeLoop(pack, resolveSettings(pack));
    const state = await loop.createState('an upbeat funk groove', 1);
    const ctrl = () => neutralControls();
    for (let i = 0; i < past; i++) await loop.step(state, ctrl);
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await loop.step(state, ctrl);
      times.push(performance.now() - t0);
    }
    out.push(`past ${past}: ${median(times).toFixed(2)} ms`);
  }
  return out.join(', ');
}

async function stream(engine: MusicgenEngine, sessions: number): Promise<{ rtf: number; msPerStep: number; overheadPerStep: number }> {
  const { pack } = await engine.ready;
  const sr = pack.manifest.audio.sampleRate;
  const total = Math.round(seconds * sr);
  const streams = Array.from({ length: sessions }, (_, i) => engine.openStream({ prompt: 'an upbeat funk groove with bass', seed: i + 1 }));
  // Warm up (first prompt encoding, first pass).
  for (const s of streams) await s.render({ startSample: 0, frames: CHUNK, controls: [neutralControls()], controlStepSamples: 640, beat: null });
  const before = pack.onnxTime();
  const t0 = performance.now();
  for (let start = CHUNK; start < total; start += CHUNK) {
    for (const s of streams) await s.render({ startSample: start, frames: CHUNK, controls: [neutralControls()], controlStepSamples: 640, beat: null });
  }
  const wall = performance.now() - t0;
  const after = pack.onnxTime();
  const audioS = (total - CHUNK) / sr;
  const steps = (audioS * pack.manifest.audio.stepsPerSecond) * sessions;
  for (const s of streams) s.dispose();
  return { rtf: wall / 1000 / audioS / sessions, msPerStep: wall / steps, overheadPerStep: (wall - (after.ms - before.ms)) / steps };
}

async function main(): Promise<void> {
  if (!process.argv.includes('--small-only')) await tinyPacks();
  if (!process.argv.includes('--skip-small')) await smallShapeBenchmark(arg);
}

async function tinyPacks(): Promise<void> {
  console.log(`MusicGen-contract engine benchmark: ${seconds} s of audio per session, chunks of ${CHUNK} frames, guidance on`);
  let warm = false;
  for (const name of packs) {
    for (const t of threads) {
      const engine = await loadMusicgenEngine(join(MODELS_DIR, name), { intraOpThreads: t });
      if (!warm) await stream(engine, 1); // the engine's JavaScript is cold for the first pack only
      warm = true;
      const steps = await stepTimes(engine);
      const one = await stream(engine, 1);
      const two = await stream(engine, 2);
      console.log(
        `${name} threads ${t}: cached step ${steps}\n` +
          `  1 session: ${one.msPerStep.toFixed(2)} ms/step (all-in), RTF ${one.rtf.toFixed(3)}, engine overhead ${one.overheadPerStep.toFixed(3)} ms/step (${((100 * one.overheadPerStep) / one.msPerStep).toFixed(0)}%)\n` +
          `  2 sessions interleaved: RTF per session ${two.rtf.toFixed(3)}, ${two.msPerStep.toFixed(2)} ms/step`,
      );
      engine.dispose();
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
