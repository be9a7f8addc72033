/**
 * The Engine for neural symbolic packs (models/<name>/manifest.json with codec.type
 * "symbolic-synth", e.g. the default pack): the MusicGen-contract text encoder and decoder
 * (musicgen/, onnxruntime) decide the tokens (neuralComposer.ts); the step clock and the
 * built-in synthesiser play them (symbolicStream.ts), exactly as for the teacher.
 *
 * Synchronous to create (the seam's createEngine is): the manifest is checked at once, the
 * ONNX sessions load in the background, and streams wait for them.
 */
import type { InstrumentKind } from '../../../protocol/messages.js';
import { controlsAt, type ChunkRequest, type Engine, type GeneratedChunk, type PackInfo, type StreamOptions } from '../engine.js';
import { DecodeLoop, resolveSettings, type GenerationSettings } from '../lm/decodeLoop.js';
import type { PackManifest } from '../pack/manifest.js';
import { DEFAULT_PACK_LOAD_OPTIONS, MusicgenPack, type PackLoadOptions } from '../lm/musicgenPack.js';
import { ContinuationMask } from '../lm/logitsProcessors.js';
import { BeatAccentPrior } from './beatAccentPrior.js';
import { ControlSteering, type ControlSteeringOptions } from './controlSteering.js';
import { NeuralComposer } from './neuralComposer.js';
import { StyleGroovePrior, type StyleGrooveOptions } from './styleGroovePrior.js';
import { HOLD_RULES } from './tokens.js';
import { loadSymbolicManifest } from './symbolicPack.js';
import { SymbolicStream, SYMBOLIC_CHANNELS, SYMBOLIC_SAMPLE_RATE, checkedSeed, readCheckedPrompt, type SymbolicStreamOptions } from './symbolicStream.js';


export interface NeuralEngineOptions extends PackLoadOptions, SymbolicStreamOptions {
  settings: Partial<GenerationSettings>;
  /** Each session's control steering (controlSteering.ts): its strengths, or false for none. Default: on where the pack takes controls. */
  steering: ControlSteeringOptions | false;
  /** Each session's style groove prior (styleGroovePrior.ts): its shares, or false for none. Default: on. */
  groove: StyleGrooveOptions | false;
}

export function neuralPackInfo(m: PackManifest): PackInfo {
  const instruments = m.codec.type === 'symbolic-synth' ? m.codec.instruments : undefined;
  return {
    name: m.name, kind: 'symbolic', description: m.description, sampleRate: SYMBOLIC_SAMPLE_RATE, channels: SYMBOLIC_CHANNELS,
    controlVersion: m.controls?.version ?? 0, ...(instruments ? { instruments } : {}), ...(m.test === true ? { test: true } : {}),
  };
}

/**
 * How a neural symbolic pack's context window slides: by half (the context spans maxPositions / 2
 * .. maxPositions steps), the next window prefilled 8 positions per pass between steps (one
 * position per step on average), so that a slide costs one ordinary step rather than a
 * 128-position pass. A pass of 8 costs 1.4x one of 4 (sessionAgeBench, interleaved: decoder time
 * 22.3 -> 20.2 ms per second of audio, chunk p99 alike); 16 saved little more (19.6) for twice the
 * chunks over 5 ms. Keeping a quarter (the context 64-256 steps, a third as much to prefill) took
 * 12% off the decoder (`--variants keep0.5,keep0.25`: 36.5 -> 32.0 ms per second of audio) but on
 * 64 s clips, where windows slide, mode followed valence in 82.1% of bars against 85.3%
 * (`npm run eval:default -- --engines adaptor --seconds 64 --keep 0.25`); not taken.
 */
export const NEURAL_WINDOW_DEFAULTS: Readonly<Pick<GenerationSettings, 'keepFraction' | 'prefillPositions'>> = Object.freeze({ keepFraction: 0.5, prefillPositions: 8 });

/** The logits processors a stream runs beside the token grammar and the beat accent prior. */
export interface StreamPriors {
  steering: ControlSteeringOptions | false;
  groove: StyleGrooveOptions | false;
  /** Whether the pack takes controls (else the groove prior does not follow the performer either). */
  takesControls: boolean;
}

export class NeuralStream extends SymbolicStream {
  private readonly composer: NeuralComposer;

  constructor(
    generator: Promise<{ loop: DecodeLoop; pack: MusicgenPack }>,
    stream: StreamOptions,
    window: number,
    options: SymbolicStreamOptions = {},
    priors: StreamPriors = { steering: {}, groove: {}, takesControls: true },
  ) {
    const seed = checkedSeed(stream.seed);
    const reading = readCheckedPrompt(stream.prompt, options.maxPromptChars);
    const accent = new BeatAccentPrior();
    const steering = priors.steering === false ? null : new ControlSteering(priors.steering);
    // A pack without controls plays its style's backbone whatever the performer does (it hears nothing of them).
    const groove = priors.groove === false ? null : new StyleGroovePrior({ ...priors.groove, followsPerformer: priors.takesControls });
    const processors = [accent, groove, steering].filter((p): p is NonNullable<typeof p> => p !== null);
    const state = generator.then(async ({ loop }) => ({ loop, state: await loop.createState(stream.prompt, seed, processors) }));
    state.catch(() => undefined); // reported by the first render
    const composer = new NeuralComposer(state, reading, window, { accent, groove, steering });
    super(composer, seed ^ 0x5eed, { ...options, instruments: stream.instruments ?? options.instruments });
    this.composer = composer;
  }

  /**
   * A chunk that decoded no step gives the composer's background work its turn (at most one
   * prefill pass, which runs after the chunk is returned); then a step that starts within the next
   * chunk starts decoding ahead (after that pass).
   */
  override async render(request: ChunkRequest): Promise<GeneratedChunk> {
    const steps = this.composer.prepared;
    const chunk = await super.render(request);
    if (this.composer.prepared === steps) this.composer.idle();
    const end = request.startSample + request.frames;
    const next = this.nextStepSample;
    if (next !== null && next < end + request.frames) this.composer.decodeAhead(controlsAt(request, end - 1));
    return chunk;
  }

  override dispose(): void {
    super.dispose();
    this.composer.release();
  }
}

export class NeuralEngine implements Engine {
  readonly info: PackInfo;
  readonly ready: Promise<{ pack: MusicgenPack; loop: DecodeLoop }>;
  private readonly options: Partial<NeuralEngineOptions>;
  private readonly window: number;
  private readonly priors: StreamPriors;
  /** The manifest's `codec.instruments`: the pack's choice when neither session nor server makes one. */
  readonly instruments: InstrumentKind | undefined;

  constructor(dir: string, options: Partial<NeuralEngineOptions> = {}) {
    const { manifest } = loadSymbolicManifest(dir, { quantized: options.quantized ?? false });
    this.info = neuralPackInfo(manifest);
    this.window = manifest.controls?.window ?? 1;
    // Steering follows the performer: on by default where the pack takes controls (not for a text-only base).
    const steering = options.steering ?? (manifest.controls ? {} : false);
    if (steering !== false) new ControlSteering(steering); // checks the options now, not at the first session
    const groove = options.groove ?? {};
    if (groove !== false) new StyleGroovePrior(groove);
    this.priors = { steering, groove, takesControls: manifest.controls !== undefined };
    this.instruments = this.info.instruments;
    this.options = options;
    this.ready = MusicgenPack.load(dir, { ...DEFAULT_PACK_LOAD_OPTIONS, ...options }).then((pack) => {
      try {
        // The token grammar: a hold never follows a rest or the start of a stream (tokens.ts).
        const grammar = [new ContinuationMask(HOLD_RULES)];
        return { pack, loop: new DecodeLoop(pack, resolveSettings(pack, { ...NEURAL_WINDOW_DEFAULTS, ...options.settings }), { grammar }) };
      } catch (err) {
        void pack.dispose();
        throw err;
      }
    });
    this.ready.catch(() => undefined);
  }

  openStream(options: StreamOptions): NeuralStream {
    return new NeuralStream(this.ready, options, this.window, { ...this.options, instruments: this.options.instruments ?? this.instruments }, this.priors);
  }

  dispose(): Promise<void> {
    return this.ready.then(({ pack }) => pack.dispose(), () => undefined);
  }
}

export function createNeuralEngine(dir: string, options: Partial<NeuralEngineOptions> = {}): NeuralEngine {
  return new NeuralEngine(dir, options);
}

/** Loads a pack and runs every check before returning (tests, evaluation, benchmarks). */
export async function loadNeuralEngine(dir: string, options: Partial<NeuralEngineOptions> = {}): Promise<NeuralEngine> {
  const engine = new NeuralEngine(dir, options);
  await engine.ready;
  return engine;
}
