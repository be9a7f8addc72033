/**
 * A symbolic stream: a step source (the teacher's composer, or a neural pack's decoder) driving
 * the built-in synthesiser (synth/) on the step clock, behind the GenerationStream seam.
 *
 * A stream renders its timeline in order. Inside a chunk it walks sample by sample in
 * pieces that end at 64-sample block boundaries (control-rate updates) and at step starts
 * (token decisions): a step's tokens are decided when its first sample is rendered, from the
 * controls in effect at that sample, so a control change is heard at the next step (drums,
 * notes) or the next block (levels, filters) after it arrives. The step clock follows the
 * style's tempo, or the performer's (see stepClock.ts for the beat lock).
 *
 * A source that decides asynchronously (a neural decoder) says it is not `ready()`: the render
 * stops at that step's first sample, `render()` awaits `source.prepare()` with the controls of
 * that sample, and carries on. The teacher is always ready (`renderSync`).
 */
import { C, NEUTRAL, type ControlVector } from '../../../protocol/controlVector.js';
import type { Samples } from '../../../protocol/units.js';
import { checkChunkRequest, maxChunkFrames, StreamRequestError } from '../chunkRequest.js';
import { controlsAt, type ChunkRequest, type GeneratedChunk, type GenerationStream, type MusicState } from '../engine.js';
import { readPrompt, type PromptReading } from './prompt.js';
import { NoteTracker } from './noteTracker.js';
import { StepClock, type StepClockOptions } from './stepClock.js';
import { createStepRenderer, DEFAULT_INSTRUMENTS, type ChosenRenderer, type InstrumentKind, type SampledOptions } from './synth/instruments.js';
import type { StepRenderer } from './synth/stepRenderer.js';
import { SYMBOLIC_AUDIO, SYNTH_BLOCK, type SynthControls } from './synth/symbolicSynth.js';
import { STYLE_PRESETS } from './stylePresets.js';
import type { ComposedStep, ComposerControls, StepSource } from './stepSource.js';
import { PITCH_CLASS_NAMES, chordName, type Mode, type PitchClass } from './theory.js';
import type { StyleName } from './styleNames.js';

export const SYMBOLIC_SAMPLE_RATE = SYMBOLIC_AUDIO.sampleRate;
export const SYMBOLIC_CHANNELS = SYMBOLIC_AUDIO.channels;

export interface SymbolicStreamOptions {
  /** Largest chunk accepted, in frames. Default MAX_CHUNK_SECONDS (10 s). */
  maxChunkFrames?: Samples;
  /** Longest prompt accepted, in characters. Default 2000. */
  maxPromptChars?: number;
  /** Master level with nobody there, dB. Default -60. */
  idleLevelDb?: number;
  clock?: Omit<StepClockOptions, 'sampleRate'>;
  /** Sampled GM instruments or the built-in synthesiser (synth/instruments.ts). Default DEFAULT_INSTRUMENTS. */
  instruments?: InstrumentKind;
  /** The sampled instruments' bank and speed knobs (synth/instruments.ts). */
  sampled?: SampledOptions;
}

/** One step as emitted (the source's decision, where and how it sounded), for tests, evaluation and dumps. */
export interface EmittedStep extends Omit<ComposedStep, 'event'> {
  /** The sample at which the step's events sound. */
  sample: Samples;
  durationSamples: number;
  bpm: number;
  locked: boolean;
  /** Quarter-note phase error against the performer's grid, ms (+ = late), 0 unless locked. */
  phaseErrorMs: number;
  /** Chord onsets: the pitches as voiced. */
  voicing: number[] | null;
  controls: ComposerControls;
}

export type StepListener = (step: EmittedStep) => void;

const DEFAULTS = { maxChunkFrames: maxChunkFrames(SYMBOLIC_SAMPLE_RATE), maxPromptChars: 2000, idleLevelDb: -60 };

/** Reads a prompt after checking its type and length (at most `maxChars`, default 2000). */
export function readCheckedPrompt(prompt: string, maxChars: number = DEFAULTS.maxPromptChars): PromptReading {
  if (typeof prompt !== 'string') throw new StreamRequestError(`prompt must be a string, but is ${typeof prompt}`, 'GEN_ERR_BAD_PROMPT');
  if (prompt.length > maxChars) throw new StreamRequestError(`prompt must be at most ${maxChars} characters, but has ${prompt.length}`, 'GEN_ERR_BAD_PROMPT');
  return readPrompt(prompt);
}

/** A session seed as an unsigned 32-bit integer; refuses non-finite numbers. */
export function checkedSeed(seed: number): number {
  if (!Number.isFinite(seed)) throw new StreamRequestError(`seed must be a finite number, but is ${seed}`, 'GEN_ERR_BAD_SEED');
  return Math.floor(seed) >>> 0;
}

function finiteOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) ? value : fallback;
}

export class SymbolicStream implements GenerationStream {
  protected readonly options: Required<Omit<SymbolicStreamOptions, 'clock' | 'instruments' | 'sampled'>> & { clock: SymbolicStreamOptions['clock'] };
  protected readonly source: StepSource;
  /** The renderer, once chosen (the sampled one waits for the worker's bank). */
  private synth: StepRenderer | null = null;
  private chosen: ChosenRenderer | null = null;
  private readonly rendererReady: Promise<void>;
  private readonly notes = new NoteTracker();
  private clock: StepClock | null = null;
  private nextSample: Samples | null = null;
  private blockControlsSet = false;
  private readonly listeners = new Set<StepListener>();
  private recent: EmittedStep[] = [];
  private last: EmittedStep | null = null;
  protected disposed = false;
  /** The chunk being rendered (render() may pause at a step and resume). */
  private pcm: Float32Array = new Float32Array(0);
  /** Reused for every block: no allocation per block. */
  private readonly blockControls: SynthControls = { energy: 0, valence: 0, presence: 0, armOpenness: 0, beatStrength: 0 };

  constructor(source: StepSource, synthSeed: number, options: SymbolicStreamOptions = {}) {
    this.options = {
      maxChunkFrames: options.maxChunkFrames ?? DEFAULTS.maxChunkFrames,
      maxPromptChars: options.maxPromptChars ?? DEFAULTS.maxPromptChars,
      idleLevelDb: options.idleLevelDb ?? DEFAULTS.idleLevelDb,
      clock: options.clock,
    };
    this.source = source;
    const chosen = createStepRenderer(
      options.instruments ?? DEFAULT_INSTRUMENTS,
      { seed: synthSeed, style: source.style, sampleRate: SYMBOLIC_SAMPLE_RATE, idleLevelDb: this.options.idleLevelDb },
      options.sampled,
    );
    const adopt = (c: ChosenRenderer): void => {
      this.chosen = c;
      this.synth = c.renderer;
    };
    if (chosen instanceof Promise) this.rendererReady = chosen.then(adopt);
    else this.rendererReady = Promise.resolve(adopt(chosen));
  }

  /** Resolves once the renderer is chosen (at once for the built-in synthesiser; after the bank loads for the sampled one). */
  whenReady(): Promise<void> {
    return this.rendererReady;
  }

  /** What plays the notes ("synth" when the sampled instruments were asked for but the bank did not load); null until ready. */
  get instruments(): InstrumentKind | null {
    return this.chosen?.instruments ?? null;
  }

  /** Why the sampled instruments were asked for and not used, if they were not. */
  get instrumentsFallbackReason(): string | undefined {
    return this.chosen?.fallbackReason;
  }

  setPrompt(prompt: string): void {
    this.source.setPrompt(readCheckedPrompt(prompt, this.options.maxPromptChars));
  }

  /** The sample at which the next step starts (null before the first render). */
  protected get nextStepSample(): Samples | null {
    return this.clock?.nextTrigger ?? null;
  }

  /** Listens to every step as it is decided; returns the function that stops listening. */
  onStep(listener: StepListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The steps decided during the last render call. */
  lastSteps(): readonly EmittedStep[] {
    return this.recent;
  }

  get state(): MusicState {
    const last = this.last;
    return {
      style: this.source.style,
      tempoBpm: this.clock ? Math.round(this.clock.bpm * 10) / 10 : null,
      key: PITCH_CLASS_NAMES[this.source.key]!,
      mode: this.source.mode,
      bar: last?.bar ?? 0,
      step: last?.step ?? 0,
      section: last?.section ?? 'verse',
      chord: last !== null ? chordName(last.chord) : '',
      level: last?.level ?? 0,
      locked: this.clock?.locked === true ? 1 : 0,
      phaseErrorMs: Math.round(((this.clock?.phaseError ?? 0) / SYMBOLIC_SAMPLE_RATE) * 10000) / 10,
    };
  }

  async render(request: ChunkRequest): Promise<GeneratedChunk> {
    await this.rendererReady;
    const pcm = this.begin(request);
    let n = request.startSample;
    const end = n + request.frames;
    while ((n = this.renderRange(request, pcm, n)) < end) await this.source.prepare!(controlsAt(request, n));
    return this.finish(request);
  }

  /** render() without the promise, for a source that is always ready (tests, offline tools). */
  renderSync(request: ChunkRequest): GeneratedChunk {
    const pcm = this.begin(request);
    const end = request.startSample + request.frames;
    if (this.renderRange(request, pcm, request.startSample) < end) throw new StreamRequestError('the step source is not ready: use render()', 'GEN_ERR_NOT_READY');
    return this.finish(request);
  }

  private begin(request: ChunkRequest): Float32Array {
    if (this.disposed) throw new StreamRequestError('the stream was disposed', 'GEN_ERR_DISPOSED');
    if (this.synth === null) throw new StreamRequestError('the instruments are still loading: await whenReady() or use render()', 'GEN_ERR_NOT_READY');
    checkChunkRequest(request, this.nextSample, this.options.maxChunkFrames);
    if (this.clock === null) this.clock = new StepClock({ sampleRate: SYMBOLIC_SAMPLE_RATE, ...this.options.clock }, request.startSample);
    this.recent = [];
    this.pcm = new Float32Array(request.frames * SYMBOLIC_CHANNELS);
    return this.pcm;
  }

  private finish(request: ChunkRequest): GeneratedChunk {
    this.nextSample = request.startSample + request.frames;
    const pcm = this.pcm;
    this.pcm = new Float32Array(0);
    return { pcm, state: this.state, notes: this.notes.take(request) };
  }

  /** Renders from sample `n` to the chunk's end, or to the first step whose source is not ready; returns where it stopped. */
  private renderRange(request: ChunkRequest, pcm: Float32Array, n: Samples): Samples {
    const clock = this.clock!;
    const start = request.startSample;
    const end = start + request.frames;
    while (n < end) {
      if (n % SYNTH_BLOCK === 0 || !this.blockControlsSet) {
        this.synth!.setControls(readSynthControls(controlsAt(request, n), this.blockControls));
        this.blockControlsSet = true;
      }
      while (clock.nextTrigger <= n) {
        if (this.source.ready?.() === false) return n;
        this.step(request, n, clock);
      }
      const blockEnd = (Math.floor(n / SYNTH_BLOCK) + 1) * SYNTH_BLOCK;
      const pieceEnd = Math.min(end, blockEnd, clock.nextTrigger);
      this.synth!.render(pcm, n - start, pieceEnd - n, n);
      n = pieceEnd;
    }
    return n;
  }

  private step(request: ChunkRequest, sample: Samples, clock: StepClock): void {
    const controls = composerControls(controlsAt(request, sample));
    const composed = this.source.next(controls);
    if (composed.stepInBar === 0) this.synth!.setStyle(composed.style);
    const preset = STYLE_PRESETS[composed.style];
    const reading = this.source.promptReading;
    const range = preset.tempo;
    const position = Math.max(0, Math.min(1, 0.5 + 0.45 * reading.tempo + 0.5 * (this.source.energyLevel - 0.5)));
    const styleBpm = reading.bpm ?? range[0] + (range[1] - range[0]) * position;
    if (this.source.beatOffset !== undefined) clock.beatOffset = this.source.beatOffset;
    const timing = clock.advance({
      styleBpm,
      tempoRange: range,
      swing: preset.swing,
      beat: request.beat,
      motionStrength: controls.beatStrength,
      motionTempo: finiteOr(controlsAt(request, sample)[C.tempo], NEUTRAL.tempo),
    });
    const trig = this.synth!.trigger(composed.event, composed.stepInBar, sample);
    const { event: _event, ...decided } = composed;
    const emitted: EmittedStep = {
      ...decided,
      sample: timing.triggerSample,
      durationSamples: timing.durationSamples,
      bpm: timing.bpm,
      locked: timing.locked,
      phaseErrorMs: (timing.phaseError / SYMBOLIC_SAMPLE_RATE) * 1000,
      voicing: trig.voicing,
      controls,
    };
    this.last = emitted;
    this.recent.push(emitted);
    this.notes.add(emitted, this.source.beatOffset ?? 0);
    for (const listener of this.listeners) listener(emitted);
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
    this.recent = [];
  }
}

export function composerControls(v: ControlVector): ComposerControls {
  return {
    valence: finiteOr(v[C.valence], NEUTRAL.valence),
    energy: finiteOr(v[C.energy], NEUTRAL.energy),
    handHeight: finiteOr(v[C.handHeight], NEUTRAL.handHeight),
    armOpenness: finiteOr(v[C.armOpenness], NEUTRAL.armOpenness),
    presence: finiteOr(v[C.presence], NEUTRAL.presence),
    beatStrength: finiteOr(v[C.beatStrength], NEUTRAL.beatStrength),
  };
}

function readSynthControls(v: ControlVector, into: SynthControls): SynthControls {
  into.energy = finiteOr(v[C.energy], NEUTRAL.energy);
  into.valence = finiteOr(v[C.valence], NEUTRAL.valence);
  into.presence = finiteOr(v[C.presence], NEUTRAL.presence);
  into.armOpenness = finiteOr(v[C.armOpenness], NEUTRAL.armOpenness);
  into.beatStrength = finiteOr(v[C.beatStrength], NEUTRAL.beatStrength);
  return into;
}
