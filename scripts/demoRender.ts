/**
 * Renders a 20 s demo of every style of the `teacher` pack through the Engine API, in chunks
 * of 1024 frames, from a scripted performer:
 *
 *   0-3 s still -> 3-7 s smile -> 7-13 s energetic dancing with a periodic beat at 120 BPM
 *   -> 13-17 s hands up, arms wide -> 17-20 s leaving (presence glides to 0).
 *
 * Writes out/demo/<style>.wav and prints duration, peak, RMS and the render real-time factor.
 * Usage: node dist/scripts/demoRender.js [--instruments synth|soundfont] [outDir]
 * (`soundfont`: the sampled General MIDI instruments; out/demo-soundfont/ by default).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { C, neutralControls, type ControlVector } from '../protocol/controlVector.js';
import { encodeWav } from '../server/audio/wav.js';
import type { BeatGrid } from '../server/generation/engine.js';
import { STYLE_NAMES } from '../server/generation/symbolic/styleNames.js';
import { INSTRUMENT_KINDS, type InstrumentKind } from '../protocol/messages.js';
import { DEFAULT_INSTRUMENTS } from '../server/generation/symbolic/synth/instruments.js';
import { createTeacherEngine } from '../server/generation/symbolic/teacherEngine.js';

const SECONDS = 20;
const CHUNK = 1024;
const CONTROL_STEP = 480;
const DANCE_BPM = 120;

const smoothstep = (a: number, b: number, t: number): number => {
  const x = Math.max(0, Math.min(1, (t - a) / (b - a)));
  return x * x * (3 - 2 * x);
};

/** The scripted performer at time t (seconds). */
function performer(t: number, sampleRate: number): { controls: ControlVector; beat: BeatGrid | null } {
  const v = neutralControls();
  const dancing = smoothstep(6.5, 7.5, t) * (1 - smoothstep(16.5, 17.5, t));
  const leaving = smoothstep(17, 19, t);
  v[C.presence] = smoothstep(0, 0.8, t) * (1 - leaving);
  v[C.valence] = 0.9 * smoothstep(3, 4, t) * (1 - 0.5 * leaving);
  v[C.mouthOpen] = 0.3 * dancing;
  v[C.energy] = (0.1 + 0.15 * smoothstep(3, 4, t) + 0.6 * dancing) * (1 - leaving);
  v[C.handHeight] = 0.2 + 0.8 * smoothstep(13, 14, t) * (1 - leaving);
  v[C.armOpenness] = 0.25 + 0.75 * smoothstep(13, 14, t) * (1 - leaving);
  v[C.beatStrength] = 0.9 * dancing;
  v[C.tempo] = DANCE_BPM;
  v[C.nod] = 0.5 * dancing;
  const period = (60 / DANCE_BPM) * sampleRate;
  v[C.beatPhase] = (((t * sampleRate - 0.07 * sampleRate) / period) % 1 + 1) % 1;
  const beat = dancing > 0.5 ? { anchorSample: Math.round(7.07 * sampleRate), periodSamples: period, strength: 0.9 } : null;
  return { controls: v, beat };
}

function parseArgs(argv: readonly string[]): { outDir: string | undefined; instruments: InstrumentKind } {
  let instruments: InstrumentKind = DEFAULT_INSTRUMENTS;
  let outDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const m = /^--instruments(?:=(.*))?$/.exec(argv[i]!);
    if (!m) {
      outDir = argv[i];
      continue;
    }
    const value = m[1] ?? argv[++i];
    if (!INSTRUMENT_KINDS.includes(value as InstrumentKind)) throw new Error(`--instruments must be one of ${INSTRUMENT_KINDS.join(', ')}, got ${JSON.stringify(value)}`);
    instruments = value as InstrumentKind;
  }
  return { outDir, instruments };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const instruments = args.instruments;
  const outDir = args.outDir ?? join('out', instruments === 'synth' ? 'demo' : `demo-${instruments}`);
  mkdirSync(outDir, { recursive: true });
  const engine = createTeacherEngine({ instruments });
  const { sampleRate, channels } = engine.info;
  const total = SECONDS * sampleRate;
  console.log(`teacher pack demo (${instruments}): ${SECONDS} s per style, ${CHUNK}-frame chunks, ${sampleRate} Hz, ${channels} ch`);
  // Warm up (JIT, wavetables, the SoundFont bank) so that the first style's real-time factor is not the odd one out.
  const warm = engine.openStream({ prompt: 'warm-up', seed: 0 });
  const loadStart = performance.now();
  await warm.whenReady?.();
  if (warm.instruments !== instruments) throw new Error(`asked for ${instruments}, got ${warm.instruments ?? 'nothing'}`);
  if (instruments === 'soundfont') console.log(`SoundFont bank loaded in ${((performance.now() - loadStart) / 1000).toFixed(2)} s`);
  for (let start = 0; start < sampleRate; start += CHUNK) {
    await warm.render({ startSample: start, frames: CHUNK, controls: [performer(10, sampleRate).controls], controlStepSamples: CONTROL_STEP, beat: null });
  }
  warm.dispose();
  console.log('style       file                         dur(s)  peak    peak(dBFS)  RMS(dBFS)  RTF');
  for (const style of STYLE_NAMES) {
    const stream = engine.openStream({ prompt: style, seed: 7 });
    const audio = new Float32Array(total * channels);
    let renderMs = 0;
    for (let start = 0; start < total; start += CHUNK) {
      const frames = Math.min(CHUNK, total - start);
      const controls: ControlVector[] = [];
      for (let i = 0; i * CONTROL_STEP < frames; i++) controls.push(performer((start + i * CONTROL_STEP) / sampleRate, sampleRate).controls);
      const { beat } = performer(start / sampleRate, sampleRate);
      const t0 = performance.now();
      const chunk = await stream.render({ startSample: start, frames, controls, controlStepSamples: CONTROL_STEP, beat });
      renderMs += performance.now() - t0;
      audio.set(chunk.pcm, start * channels);
    }
    stream.dispose();
    let peak = 0;
    let sum = 0;
    for (let i = 0; i < audio.length; i++) {
      const a = Math.abs(audio[i]!);
      if (a > peak) peak = a;
      sum += audio[i]! * audio[i]!;
    }
    const rms = Math.sqrt(sum / audio.length);
    const file = join(outDir, `${style}.wav`);
    writeFileSync(file, encodeWav(audio, sampleRate, channels));
    const db = (x: number): string => (20 * Math.log10(Math.max(x, 1e-9))).toFixed(1);
    const rtf = renderMs / 1000 / SECONDS;
    console.log(
      `${style.padEnd(11)} ${file.padEnd(28)} ${(total / sampleRate).toFixed(1).padStart(6)}  ${peak.toFixed(3)}  ${db(peak).padStart(10)}  ${db(rms).padStart(9)}  ${rtf.toFixed(4)}`,
    );
  }
  engine.dispose();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
