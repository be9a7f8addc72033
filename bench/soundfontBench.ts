/**
 * `npm run bench:soundfont`: the sampled General MIDI instruments beside the built-in
 * synthesiser, one thread, the teacher pack, a dancing performer (the densest music):
 * - render real-time factor per style from CPU time (user + system), 1024-frame chunks;
 * - what the speed knobs buy (interpolation, voice cap) on the two busiest styles;
 * - the bank's load time and the memory it adds to a worker, and what each stream adds;
 * - how each sounds: RMS, the share of energy above 2 kHz, crest factor, onsets per second.
 *
 *   node --expose-gc dist/bench/soundfontBench.js [--seconds 20]
 */
import { detectOnsets } from '../harness/analysis/onsets.js';
import { C, neutralControls } from '../protocol/controlVector.js';
import type { InstrumentKind } from '../protocol/messages.js';
import type { BeatGrid } from '../server/generation/engine.js';
import { STYLE_NAMES, type StyleName } from '../server/generation/symbolic/styleNames.js';
import type { SampledOptions } from '../server/generation/symbolic/synth/instruments.js';
import { loadSoundfontBank } from '../server/generation/symbolic/synth/soundfontBank.js';
import { TeacherStream } from '../server/generation/symbolic/teacherEngine.js';
import { CliOptions } from '../scripts/cliOptions.js';

const SR = 48000;
const CHUNK = 1024;
const cli = new CliOptions('bench:soundfont', 'npm run bench:soundfont -- [--seconds 20]');
const SECONDS = cli.number('seconds', 20);
cli.done();

const gc = (globalThis as { gc?: () => void }).gc;
function memoryMb(): { rss: number; heap: number; external: number } {
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss / 1e6, heap: m.heapUsed / 1e6, external: (m.external + m.arrayBuffers) / 1e6 };
}

/** A dancing performer: high energy, a strong beat at 120 BPM, smiling, arms open. */
function dancer(): { controls: Float32Array; beat: BeatGrid } {
  const v = neutralControls();
  v[C.presence] = 1;
  v[C.energy] = 0.85;
  v[C.valence] = 0.5;
  v[C.handHeight] = 0.6;
  v[C.armOpenness] = 0.6;
  v[C.beatStrength] = 0.9;
  v[C.tempo] = 120;
  return { controls: v, beat: { anchorSample: SR / 2, periodSamples: SR / 2, strength: 0.9 } };
}

interface Run {
  rtf: number;
  pcm: Float32Array;
}

async function renderStyle(style: StyleName, instruments: InstrumentKind, sampled: SampledOptions = {}): Promise<Run> {
  const stream = new TeacherStream({ prompt: style, seed: 11, instruments }, { sampled });
  await stream.whenReady();
  if (stream.instruments !== instruments) throw new Error(`asked for ${instruments}, got ${stream.instruments}: ${stream.instrumentsFallbackReason}`);
  const { controls, beat } = dancer();
  const total = SECONDS * SR;
  const pcm = new Float32Array(total * 2);
  // One second first, unmeasured: JIT and first-use costs are not the steady state.
  const warm = Math.ceil(SR / CHUNK) * CHUNK;
  for (let s = 0; s < warm; s += CHUNK) await stream.render({ startSample: s, frames: CHUNK, controls: [controls], controlStepSamples: CHUNK, beat });
  const cpu0 = process.cpuUsage();
  for (let s = 0; s < total; s += CHUNK) {
    const frames = Math.min(CHUNK, total - s);
    const { pcm: chunk } = await stream.render({ startSample: warm + s, frames, controls: [controls], controlStepSamples: CHUNK, beat });
    pcm.set(chunk, s * 2);
  }
  const cpu = process.cpuUsage(cpu0);
  stream.dispose();
  return { rtf: (cpu.user + cpu.system) / 1e6 / SECONDS, pcm };
}

/** RMS (dBFS), share of energy above 2 kHz (dB), crest factor (dB), onsets per second. */
function listen(pcm: Float32Array): { rmsDb: number; above2kDb: number; crestDb: number; onsetsPerS: number } {
  // Second-order Butterworth high-pass at 2 kHz on the mid signal.
  const w = Math.tan((Math.PI * 2000) / SR);
  const k = 1 / (1 + Math.SQRT2 * w + w * w);
  const b0 = k;
  const a1 = 2 * (w * w - 1) * k;
  const a2 = (1 - Math.SQRT2 * w + w * w) * k;
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  let sum = 0;
  let high = 0;
  let peak = 0;
  for (let i = 0; i < pcm.length; i += 2) {
    const x = 0.5 * (pcm[i]! + pcm[i + 1]!);
    const y = b0 * (x - 2 * x1 + x2) - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = x;
    y2 = y1;
    y1 = y;
    sum += x * x;
    high += y * y;
    peak = Math.max(peak, Math.abs(pcm[i]!), Math.abs(pcm[i + 1]!));
  }
  const rms = Math.sqrt(sum / (pcm.length / 2));
  const db = (x: number): number => 20 * Math.log10(Math.max(x, 1e-12));
  return { rmsDb: db(rms), above2kDb: 10 * Math.log10(Math.max(high, 1e-24) / Math.max(sum, 1e-24)), crestDb: db(peak / rms), onsetsPerS: detectOnsets(pcm, SR, 2).length / SECONDS };
}

const f = (x: number, digits = 4): string => x.toFixed(digits);

async function main(): Promise<void> {
  console.log(`soundfont bench: ${SECONDS} s per run, ${CHUNK}-frame chunks, one thread, RTF = CPU time / audio time${gc ? '' : ' (run with --expose-gc for steadier memory figures)'}`);
  // The built-in synthesiser first, so the memory baseline includes everything but the bank.
  await renderStyle('pop', 'synth');
  const before = memoryMb();
  const loaded = await loadSoundfontBank();
  const decoded = await loaded.decoded;
  const after = memoryMb();
  console.log(
    `bank ${loaded.path.split('/').pop()}: parsed in ${f(loaded.loadMs / 1000, 2)} s, ${decoded.samples} samples decoded in the background in ${f(decoded.ms / 1000, 2)} s; ` +
      `a worker grows by RSS ${f(after.rss - before.rss, 0)} MB (heap ${f(after.heap - before.heap, 0)} MB, buffers ${f(after.external - before.external, 0)} MB)`,
  );

  const streams = Array.from({ length: 4 }, (_, i) => new TeacherStream({ prompt: STYLE_NAMES[i]!, seed: i, instruments: 'soundfont' }));
  await Promise.all(streams.map((s) => s.whenReady()));
  const { controls, beat } = dancer();
  for (const s of streams) for (let n = 0; n < SR; n += CHUNK) await s.render({ startSample: n, frames: CHUNK, controls: [controls], controlStepSamples: CHUNK, beat });
  const withStreams = memoryMb();
  console.log(`each sampled stream adds about ${f((withStreams.rss - after.rss) / streams.length, 1)} MB RSS (4 streams, 1 s rendered each)`);
  for (const s of streams) s.dispose();

  console.log('\nstyle       synth RTF  soundfont RTF | RMS dBFS (synth / sf) | >2 kHz dB (synth / sf) | crest dB (synth / sf) | onsets/s (synth / sf)');
  const rtfs: Record<InstrumentKind, number[]> = { synth: [], soundfont: [] };
  for (const style of STYLE_NAMES) {
    const synth = await renderStyle(style, 'synth');
    const sf = await renderStyle(style, 'soundfont');
    rtfs.synth.push(synth.rtf);
    rtfs.soundfont.push(sf.rtf);
    const a = listen(synth.pcm);
    const b = listen(sf.pcm);
    console.log(
      `${style.padEnd(11)} ${f(synth.rtf).padStart(9)}  ${f(sf.rtf).padStart(13)} | ${f(a.rmsDb, 1).padStart(6)} / ${f(b.rmsDb, 1).padStart(6)}      | ` +
        `${f(a.above2kDb, 1).padStart(6)} / ${f(b.above2kDb, 1).padStart(6)}        | ${f(a.crestDb, 1).padStart(5)} / ${f(b.crestDb, 1).padStart(5)}         | ${f(a.onsetsPerS, 1)} / ${f(b.onsetsPerS, 1)}`,
    );
  }
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  console.log(`mean        ${f(mean(rtfs.synth)).padStart(9)}  ${f(mean(rtfs.soundfont)).padStart(13)}   (worst: synth ${f(Math.max(...rtfs.synth))}, soundfont ${f(Math.max(...rtfs.soundfont))})`);

  console.log('\nspeed knobs (soundfont RTF): style   linear/32 voices (default) | hermite | 24 voices | 48 voices');
  for (const style of ['funk', 'rock'] as const) {
    const out: string[] = [];
    for (const tuning of [{}, { interpolation: 'hermite' as const }, { voiceCap: 24 }, { voiceCap: 48 }]) out.push(f((await renderStyle(style, 'soundfont', tuning)).rtf));
    console.log(`                             ${style.padEnd(7)} ${out.join(' | ')}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
