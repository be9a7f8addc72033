/**
 * `npm run eval:default`: the default pack against its text-only base and the teacher, on
 * held-out control trajectories and held-out caption wordings (the data generator's test split),
 * every engine rendered exactly as live (symbolic stream: step clock, beat lock, synthesiser),
 * one table written to models/expotion-small/EVAL.md with the command that produced it.
 *
 *   npm run eval:default -- [--clips 48] [--dance-clips 16] [--seconds 24] [--first-clip 0] [--out FILE] [--wav DIR] [--models DIR] [--guidance G]
 *                           [--engines teacher,base,unsteered,adaptor] [--seed 1000] [--temperatures T0,T1,T2,T3] [--steering off|mode=4,register=0.5,colour=0.6,density=2.5]
 *                           [--groove off|always=0.8,never=0.9] [--speed-rounds 8]
 *
 * Minutes on two cores. --wav DIR also writes a few clips per engine as WAV files to listen to.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { C, CONTROL_SIZE } from '../protocol/controlVector.js';
import type { InstrumentKind } from '../protocol/messages.js';
import { encodeWav } from '../server/audio/wav.js';
import { MODELS_DIR, REPO_ROOT } from '../server/paths.js';
import type { BeatGrid } from '../server/generation/engine.js';
import { CONTROL_STEERING_DEFAULTS, type ControlSteeringOptions } from '../server/generation/symbolic/controlSteering.js';
import { STYLE_GROOVE_DEFAULTS, type StyleGrooveOptions } from '../server/generation/symbolic/styleGroovePrior.js';
import { loadNeuralEngine, type NeuralEngine } from '../server/generation/symbolic/neuralEngine.js';
import { STYLE_NAMES, type StyleName } from '../server/generation/symbolic/styleNames.js';
import { SYMBOLIC_CHANNELS, SYMBOLIC_SAMPLE_RATE, type EmittedStep, type SymbolicStream } from '../server/generation/symbolic/symbolicStream.js';
import { TeacherStream } from '../server/generation/symbolic/teacherEngine.js';
import { StyleClassifier, TOKEN_FEATURE_NAMES, tokenStatistics } from './evaluation/styleClassifier.js';
import { makeClip, type SymbolicClip } from './dataset/symbolicClips.js';
import { percentiles } from '../protocol/statistics.js';
import { pearson } from '../server/stats.js';
import { CliOptions } from './cliOptions.js';
import { AdherenceSamples, SanityCounts } from './evaluation/symbolicMetrics.js';

const SR = SYMBOLIC_SAMPLE_RATE;
const CHUNK = 1024;
const PACK = 'expotion-small';
const BASE = 'expotion-small-base';
/** Seed of the data generator's held-out test split (`npm run data:symbolic -- --seed 1`: train 1, valid 2, test 3). */
const TEST_SEED = 3;

const options = new CliOptions(
  'eval:default',
  'npm run eval:default -- [--clips 48] [--dance-clips 16] [--seconds 24] [--first-clip 0] [--out FILE] [--wav DIR] [--models DIR] [--guidance G] [--keep F] [--engines teacher,base,unsteered,adaptor] [--seed 1000] [--temperatures T0,T1,T2,T3] [--steering off|mode=4,register=0.5,colour=0.6,density=2.5] [--groove off|always=0.8,never=0.9] [--speed-rounds 8]',
);
// 48 + 16 clips: with 24 + 8, other draws of the same clips moved mode by 10 points and density by 0.04.
const clipsN = Math.floor(options.number('clips', 48));
const danceN = Math.floor(options.number('dance-clips', 16));
/** Index of the first clip: 0 is the reported set; others (e.g. 1000) are held-out clips to tune settings on without looking at it. */
const firstClip = Math.floor(options.nonNegative('first-clip', 0));
const seconds = options.number('seconds', 24);
const out = options.text('out') ?? join(MODELS_DIR, PACK, 'EVAL.md');
const wavDir = options.text('wav');
const modelsDir = options.text('models') ?? MODELS_DIR;
const guidance = options.text('guidance') !== null ? options.number('guidance') : null;
const temperatures = options.text('temperatures')?.split(',').map(Number) ?? null;
/** The share of the context a window slide keeps (NEURAL_WINDOW_DEFAULTS.keepFraction when absent). */
const keep = options.text('keep') !== null ? options.number('keep') : null;
const settings = {
  settings: {
    ...(guidance !== null ? { guidanceScale: guidance } : {}),
    ...(temperatures !== null ? { codebookTemperatures: temperatures } : {}),
    ...(keep !== null ? { keepFraction: keep } : {}),
  },
};
/** The shipped pack's control steering: "off", or strengths as name=value,... (controlSteering.ts; the rest keep their defaults). */
const steering = parseStrengths<ControlSteeringOptions>('steering', options.text('steering'), CONTROL_STEERING_DEFAULTS);
/** The style groove prior of every neural column (styleGroovePrior.ts): "off", or shares as name=value,... */
const groove = parseStrengths<StyleGrooveOptions>('groove', options.text('groove'), STYLE_GROOVE_DEFAULTS);
/** Seed of the first clip's stream (clip i gets seed + i): another value measures the same clips on other draws. */
const seedBase = Math.floor(options.number('seed', 1000));
const ENGINES = ['teacher', 'base', 'unsteered', 'adaptor'] as const;
/** Which columns to measure (all four by default; fewer for a quick comparison while tuning). */
const engines = new Set((options.text('engines') ?? ENGINES.join(',')).split(','));
for (const e of engines) if (!(ENGINES as readonly string[]).includes(e)) throw new RangeError(`--engines: unknown engine ${e} (${ENGINES.join(', ')})`);
/** Rounds of the speed measure: each round renders one clip per engine, the engines taking turns. */
const speedRounds = Math.floor(options.number('speed-rounds', 8));
if (!(speedRounds >= 1 && speedRounds <= 1000)) throw new RangeError(`--speed-rounds must be in [1, 1000], but is ${speedRounds}`);
options.done();

function parseStrengths<T extends object>(flag: string, text: string | null, defaults: object): T | false {
  if (text === null) return {} as T;
  if (text === 'off') return false;
  const out: Record<string, number> = {};
  const names = Object.entries(defaults).flatMap(([k, v]) => (typeof v === 'number' ? [k] : []));
  for (const part of text.split(',')) {
    const [name, value] = part.split('=');
    if (!name || !names.includes(name) || value === undefined || !Number.isFinite(Number(value))) {
      throw new RangeError(`--${flag}: expected "off" or name=value,... with names ${names.join(', ')}, got ${part}`);
    }
    out[name] = Number(value);
  }
  return out as T;
}

interface EvalClip {
  clip: SymbolicClip;
  /** Performer beats (periodic clips): the beat grid the server's beat prediction would send. */
  beat: BeatGrid | null;
}

function evalClips(): EvalClip[] {
  const list: EvalClip[] = [];
  for (let i = 0; i < clipsN; i++) list.push({ clip: makeClip({ seed: TEST_SEED, index: firstClip + i, steps: 320, split: 'test' }), beat: null });
  for (let i = 0; i < danceN; i++) {
    const clip = makeClip({ seed: TEST_SEED, index: 100_000 + firstClip + i, steps: 320, split: 'test', moves: ['dance'] });
    const period = (60 / clip.bpm) * SR;
    list.push({ clip, beat: { anchorSample: Math.round(((i * 0.37) % 1) * period) + SR, periodSamples: period, strength: 0.9 } });
  }
  return list;
}

/** The control vector at timeline sample n: the clip's trajectory row for that time; the beat's phase and tempo for periodic clips. */
function controlsAt(e: EvalClip, n: number): Float32Array {
  const stepSeconds = 15 / e.clip.bpm;
  const rows = e.clip.controls.length / CONTROL_SIZE;
  const row = Math.min(rows - 1, Math.floor(n / SR / stepSeconds));
  const v = e.clip.controls.slice(row * CONTROL_SIZE, (row + 1) * CONTROL_SIZE);
  if (e.beat) {
    const phase = (n - e.beat.anchorSample) / e.beat.periodSamples;
    v[C.beatPhase] = phase - Math.floor(phase);
    v[C.tempo] = e.clip.bpm;
  }
  return v;
}

interface Rendered {
  steps: EmittedStep[];
  controls: Float32Array;
  beats: number[];
  pcm: Float32Array | null;
  wallMs: number;
  /** CPU time of this process while rendering (every thread: onnxruntime's, the GC's). */
  cpuMs: number;
}

async function render(stream: SymbolicStream, e: EvalClip, keepAudio: boolean): Promise<Rendered> {
  const steps: EmittedStep[] = [];
  const controls: number[] = [];
  let current: Float32Array = new Float32Array(CONTROL_SIZE);
  stream.onStep((s) => {
    steps.push(s);
    controls.push(...current);
  });
  const total = Math.round(seconds * SR);
  const pcm = keepAudio ? new Float32Array(total * SYMBOLIC_CHANNELS) : null;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let n = 0; n < total; n += CHUNK) {
    const frames = Math.min(CHUNK, total - n);
    current = controlsAt(e, n);
    const chunk = await stream.render({ startSample: n, frames, controls: [current], controlStepSamples: CHUNK, beat: e.beat });
    pcm?.set(chunk.pcm, n * SYMBOLIC_CHANNELS);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  stream.dispose();
  const beats: number[] = [];
  if (e.beat) for (let b = e.beat.anchorSample; b < total; b += e.beat.periodSamples) beats.push(Math.round(b));
  return { steps, controls: Float32Array.from(controls), beats, pcm, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function tokenOnlyStatistics(steps: readonly EmittedStep[]): Float64Array {
  const f = tokenStatistics(steps);
  // bpm and swing come from the synthesiser preset (the prompt), not from the tokens.
  for (const name of ['bpm', 'swing']) f[TOKEN_FEATURE_NAMES.indexOf(name)] = 0;
  return f;
}

/** The style classifier over token statistics, trained on teacher renders of train-split captions. */
async function trainClassifier(): Promise<StyleClassifier> {
  const examples = [];
  for (let i = 0; i < 96; i++) {
    const clip = makeClip({ seed: 101, index: i, steps: 320, split: 'train', style: STYLE_NAMES[i % STYLE_NAMES.length] });
    const r = await render(new TeacherStream({ prompt: clip.caption, seed: 5000 + i }), { clip, beat: null }, false);
    examples.push({ features: tokenOnlyStatistics(r.steps.filter((s) => s.bar >= 1)), style: clip.style });
  }
  return StyleClassifier.train(examples);
}

interface EngineResult {
  name: string;
  adherence: AdherenceSamples;
  sanity: SanityCounts;
  styleHits: number;
  styleTotal: number;
  /** "caption style -> heard style" for each miss, counted. */
  styleMisses: Map<string, number>;
  wallMs: number;
  /** Per speed round: CPU time over audio time of one stream, and onnxruntime's ms per decoder step. */
  rtf: Record<InstrumentKind, number[]>;
  msPerStep: number[];
}

/** Opens a stream of one engine; the quality passes use the built-in synthesiser (the tokens do not depend on the instruments). */
type Opener = (prompt: string, seed: number, instruments: InstrumentKind) => SymbolicStream;

async function evaluate(name: string, open: Opener, clips: EvalClip[], classifier: StyleClassifier): Promise<EngineResult> {
  const r: EngineResult = { name, adherence: new AdherenceSamples(), sanity: new SanityCounts(), styleHits: 0, styleTotal: 0, styleMisses: new Map(), wallMs: 0, rtf: { synth: [], soundfont: [] }, msPerStep: [] };
  for (let i = 0; i < clips.length; i++) {
    const e = clips[i]!;
    const keep = wavDir !== null && i < 3;
    const out = await render(open(e.clip.caption, seedBase + i, 'synth'), e, keep);
    r.wallMs += out.wallMs;
    r.adherence.add({ steps: out.steps, controls: out.controls, beats: out.beats }, SR);
    r.sanity.add(out.steps);
    if (!e.beat) {
      const guess = classifier.classify(tokenOnlyStatistics(out.steps.filter((s) => s.bar >= 1)));
      r.styleTotal++;
      if (guess === e.clip.style) r.styleHits++;
      else r.styleMisses.set(`${e.clip.style} -> ${guess}`, (r.styleMisses.get(`${e.clip.style} -> ${guess}`) ?? 0) + 1);
    }
    if (keep && out.pcm) {
      mkdirSync(wavDir!, { recursive: true });
      writeFileSync(join(wavDir!, `${name}-${i}-${e.clip.style}.wav`), encodeWav(out.pcm, SR, SYMBOLIC_CHANNELS));
    }
  }
  console.log(`${name}: ${clips.length} clips in ${(r.wallMs / 1000).toFixed(1)} s`);
  return r;
}

interface Contender {
  result: EngineResult;
  open: Opener;
  engine: NeuralEngine | null;
}

/**
 * Speed, apart from the quality passes: the engines take turns, one clip each per round (a shared
 * VM's speed drifts by 20-40% within minutes, so columns measured one after the other differed by
 * that much for the same decoder). CPU time, not wall time: another process's load does not count.
 */
async function measureSpeed(contenders: readonly Contender[], clips: readonly EvalClip[]): Promise<void> {
  // Warm the JIT and onnxruntime once, outside the timing.
  const runs = contenders.flatMap((c) => INSTRUMENTS.map((instruments) => ({ c, instruments })));
  for (const { c, instruments } of runs) await render(c.open('warm up', 1, instruments), { clip: clips[0]!.clip, beat: null }, false);
  for (let round = 0; round < speedRounds; round++) {
    const e = clips[round % clips.length]!;
    for (let j = 0; j < runs.length; j++) {
      const { c, instruments } = runs[(j + round) % runs.length]!;
      const pack = c.engine ? (await c.engine.ready).pack : null;
      const before = pack?.onnxTime().ms ?? 0;
      const out = await render(c.open(e.clip.caption, seedBase + round, instruments), e, false);
      c.result.rtf[instruments].push(out.cpuMs / 1000 / seconds);
      if (pack) c.result.msPerStep.push((pack.onnxTime().ms - before) / Math.max(1, out.steps.length));
    }
  }
}

const INSTRUMENTS: readonly InstrumentKind[] = ['synth', 'soundfont'];

const median = (xs: readonly number[]): number => (xs.length > 0 ? (percentiles(xs)?.p50 ?? NaN) : NaN);

const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const pct = (a: number, b: number): string => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : '-');

function table(results: EngineResult[]): string {
  const rows: [string, (r: EngineResult) => string][] = [
    ['Control adherence', () => ''],
    ['onset density vs energy (r, per bar)', (r) => fmt(pearson(r.adherence.barEnergy, r.adherence.barDensity))],
    ['major/minor (third above the heard tonic) vs valence sign, bars with abs(valence) > 0.3', (r) => pct(r.adherence.modeAgree, r.adherence.modeBars)],
    ['lead pitch vs hand height (r, per lead onset)', (r) => fmt(pearson(r.adherence.leadHand, r.adherence.leadPitch))],
    ['chord tones (triad 3, seventh 4) vs arm openness (r, per chord onset)', (r) => fmt(pearson(r.adherence.chordArms, r.adherence.chordTones))],
    ['Beat alignment (periodic performers)', () => ''],
    ['kick offset from the performer\'s beats, mean / p95 (ms)', (r) => `${fmt(mean(r.adherence.beatOffsets), 1)} / ${fmt(percentiles(r.adherence.beatOffsets)?.p95 ?? NaN, 1)}`],
    ['beats with a kick within 60 ms', (r) => pct(r.adherence.beatsHit, r.adherence.beatsTotal)],
    ['Text adherence', () => ''],
    ['style classifier (token statistics) agrees with the caption', (r) => pct(r.styleHits, r.styleTotal)],
    ['Musical sanity', () => ''],
    ['valid tokens', (r) => pct(r.sanity.tokens - r.sanity.invalid, r.sanity.tokens)],
    ['bass and lead notes in the heard key', (r) => pct(r.sanity.notesInKey, r.sanity.noteOnsets)],
    ['stuck notes (held over 4 bars)', (r) => String(r.sanity.stuckNotes)],
    ['holds right after a rest (per 1000 steps)', (r) => fmt((1000 * r.sanity.orphanHolds) / Math.max(1, r.sanity.tokens / 4), 1)],
    ['drum bar repeats the bar before', (r) => pct(r.sanity.repeatedDrumBars, r.sanity.bars)],
    ['distinct bars (all streams) / bars', (r) => pct(r.sanity.distinctBars.size, r.sanity.bars)],
    ['Speed (one thread)', () => ''],
    ['decoder ms per step (guidance batch 2)', (r) => fmt(median(r.msPerStep), 2)],
    ['RTF per session, whole stream (decoder + the built-in synthesiser)', (r) => fmt(median(r.rtf.synth), 4)],
    ['RTF per session, whole stream (decoder + sampled General MIDI instruments, as the default pack plays)', (r) => fmt(median(r.rtf.soundfont), 4)],
  ];
  const lines = [`| | ${results.map((r) => r.name).join(' | ')} |`, `| --- | ${results.map(() => '---').join(' | ')} |`];
  for (const [label, cell] of rows) {
    const cells = results.map(cell);
    lines.push(cells.every((c) => c === '') ? `| **${label}** | ${results.map(() => '').join(' | ')} |` : `| ${label} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function mean(xs: readonly number[]): number {
  return xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

const t0 = performance.now();
const clips = evalClips();
console.log(`training the style classifier on teacher renders...`);
const classifier = await trainClassifier();
const contenders: Contender[] = [];
if (engines.has('teacher')) {
  const open: Opener = (prompt, seed, instruments) => new TeacherStream({ prompt, seed, instruments });
  contenders.push({ result: await evaluate('teacher', open, clips, classifier), open, engine: null });
}
// The base and the unsteered adaptor show what the weights learned; the adaptor column is the pack as the server plays it.
const neural = [
  ['base', BASE, `base (${BASE})`, false],
  ['unsteered', PACK, `adaptor without steering`, false],
  ['adaptor', PACK, `adaptor (${PACK}, as shipped)`, steering],
] as const;
for (const [key, name, label, steer] of neural) {
  if (!engines.has(key)) continue;
  const engine = await loadNeuralEngine(join(modelsDir, name), { ...settings, steering: steer, groove });
  const open: Opener = (prompt, seed, instruments) => engine.openStream({ prompt, seed, instruments });
  contenders.push({ result: await evaluate(label, open, clips, classifier), open, engine });
}
console.log(`speed: ${speedRounds} rounds, the engines taking turns...`);
await measureSpeed(contenders, clips);
for (const c of contenders) await c.engine?.dispose();
const results = contenders.map((c) => c.result);

const styles = new Map<StyleName, number>();
for (const c of clips) styles.set(c.clip.style, (styles.get(c.clip.style) ?? 0) + 1);
const args = process.argv.slice(2).filter((a, i, all) => !['--wav', '--models', '--out'].some((f) => a === f || all[i - 1] === f));
const report = `# ${PACK}: evaluation

Produced by \`npm run eval:default${args.length ? ' -- ' + args.join(' ') : ''}\` on ${cpus()[0]?.model.trim() ?? 'this machine'} (${cpus().length} cores), ${new Date().toISOString().slice(0, 10)},
in ${((performance.now() - t0) / 1000).toFixed(0)} s. Held out: ${clipsN} clips of the data generator's test split (seed ${TEST_SEED}: control
trajectories and captions never trained on, caption sentences the training split never uses) and ${danceN} periodic
performers (dancing, with the beat grid the server's beat prediction sends), ${seconds} s each, every engine rendered
as live (1024-frame chunks, step clock and beat lock, the built-in synthesiser; speed also with the sampled instruments). The same seeds for every engine.
Styles of the captions: ${[...styles].map(([s, n]) => `${s} ${n}`).join(', ')}.

${table(results)}

- Every metric is measured from the tokens each engine wrote, never read from the teacher's state. Mode: the
  clip's tonic is the pitch class the bass and chord roots dwell on; a bar is major when the major third above it
  sounds more than the minor third (the teacher switches between parallel major and minor). Notes in key: against
  the key a listener hears over the last two bars (Krumhansl-Schmuckler, server/generation/symbolic/keyFinder.ts).
- Density is onsets per step (drum voices + bass, chord and lead onsets) averaged per bar, against the bar's
  mean energy. Bars with the performer away are left out.
- The style classifier (softmax regression over token statistics, bpm and swing removed because the
  synthesiser preset sets them from the prompt) is trained on 96 teacher renders of train-split captions.
  Misses, caption's style -> heard: ${results.map((r) => `${r.name}: ${[...r.styleMisses].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}${n > 1 ? ` (${n})` : ''}`).join(', ') || 'none'}`).join('; ')}.
- Speed: CPU time of whole streams (decoder, sampling, instruments) over audio time, one session at a time,
  onnxruntime on one thread, medians of ${speedRounds} rounds in which the engines and instruments take turns (one ${seconds} s clip each:
  measured one engine after the other, the same decoder read 1.71 and 2.00 ms per step as the machine's speed
  drifted); decoder ms per step from onnxruntime's own run times.
`;
writeFileSync(out, report);
console.log(report);
console.log(`wrote ${relative(REPO_ROOT, out)}`);
