/**
 * The decode loop of ../shared/design/MUSICGEN-ONNX.md. It only composes: prepare the input
 * positions (delay pattern), run the decoder (cached, or a full re-prime), guidance, the logits
 * processors, the sampler, and hand completed frames on. All per-session state lives in one
 * explicit `GeneratorState` object; the loop itself holds only the pack and settings.
 *
 * Positions are absolute (0 = the start column); the KV cache holds a window that starts at
 * `windowStart`. Past `maxPositions` the window slides: decoding goes on over the newest `keep`
 * positions as a fresh window (window column 0 = start tokens, delayed codebooks padded as at a
 * real start), which is how the model was trained (crops of maxPositions that start anywhere).
 * The audio is not touched by a slide, so there is no seam.
 *
 * That new window's cache is either re-primed in one full pass at the slide (`keep` positions in
 * one step: for the default pack 128, ~15x a step's time), or, with `prefillPositions` > 0, built
 * ahead: `prefill()` (called by the stream between steps) feeds the next window's positions into
 * a second cache a few at a time as they are decoded, so that the slide's step runs on that cache
 * like any other step. Both give the same logits (cached and full passes agree to float rounding).
 */
import type { EncodedPrompt } from './textConditioner.js';
import { EngineCacheDecoderRunner, type DecoderInput, type DecoderPass, type KvCache } from './decoderRunner.js';
import { DEFAULT_MAX_BATCH_SESSIONS, StepBatcher } from './stepBatcher.js';
import type { DelayPattern, FrameCodes } from './delayPattern.js';
import { applyGuidance, LogitsProcessorList, TopK, Temperature, ValidRangeMask, type LogitsContext, type LogitsProcessor } from './logitsProcessors.js';
import { controlFeatureWidth } from '../pack/manifest.js';
import type { MusicgenPack } from './musicgenPack.js';
import { Rng } from '../rng.js';
import { GreedySampler, MultinomialSampler, type Sampler } from './sampler.js';
import { TokenHistory } from './tokenHistory.js';

export interface GenerationSettings {
  /** Classifier-free guidance scale; 1 disables guidance (no null row). */
  guidanceScale: number;
  /** 0 = greedy. */
  temperature: number;
  /** Each codebook's own temperature, in place of `temperature` (when that is > 0); the manifest's `sampling.codebookTemperatures`. */
  codebookTemperatures?: readonly number[];
  topK: number;
  /** Context limit in positions (at most the pack's decoder.maxPositions). */
  maxPositions: number;
  /** Fraction of maxPositions kept when the window slides, in (0, 1). */
  keepFraction: number;
  /**
   * Most positions one prefill() pass feeds into the next window's cache (0 = no prefill: the
   * window is re-primed in one full pass when it slides). A pass runs once this many are waiting,
   * so a larger value costs fewer, longer passes.
   */
  prefillPositions: number;
  /**
   * Run the cached passes (steps, prefill) of the sessions sharing this loop (one worker's streams
   * on one pack) together where they coincide (stepBatcher.ts). Only where the decoder takes one past
   * length per row (decoder.pastLength "per-row"); elsewhere, or false, each step runs alone.
   */
  batchSteps: boolean;
  /** Most sessions in one batched step. */
  maxBatchSessions: number;
}

export function resolveSettings(pack: MusicgenPack, overrides: Partial<GenerationSettings> = {}): GenerationSettings {
  const m = pack.manifest;
  const s: GenerationSettings = { ...m.sampling, maxPositions: m.decoder.maxPositions, keepFraction: 0.75, prefillPositions: 0, batchSteps: true, maxBatchSessions: DEFAULT_MAX_BATCH_SESSIONS, ...overrides };
  const minPositions = 2 * (pack.pattern.maxDelay + 2);
  if (!(s.guidanceScale >= 0 && Number.isFinite(s.guidanceScale))) throw new RangeError(`\`guidanceScale\` must be a finite number >= 0, but is ${s.guidanceScale}`);
  if (!(s.temperature >= 0 && Number.isFinite(s.temperature))) throw new RangeError(`\`temperature\` must be a finite number >= 0, but is ${s.temperature}`);
  const temps = s.codebookTemperatures;
  if (temps !== undefined && (temps.length !== pack.pattern.codebooks || !temps.every((t) => t > 0 && Number.isFinite(t)))) {
    throw new RangeError(`\`codebookTemperatures\` must be ${pack.pattern.codebooks} positive numbers (one per codebook), but is [${temps.join(', ')}]`);
  }
  if (!Number.isInteger(s.topK) || s.topK < 1) throw new RangeError(`\`topK\` must be a positive integer, but is ${s.topK}`);
  if (!Number.isInteger(s.maxPositions) || s.maxPositions < minPositions || s.maxPositions > m.decoder.maxPositions) {
    throw new RangeError(`\`maxPositions\` must be an integer in [${minPositions}, ${m.decoder.maxPositions}], but is ${s.maxPositions}`);
  }
  if (!(s.keepFraction > 0 && s.keepFraction < 1)) throw new RangeError(`\`keepFraction\` must be in (0, 1), but is ${s.keepFraction}`);
  if (!Number.isInteger(s.prefillPositions) || s.prefillPositions < 0) throw new RangeError(`\`prefillPositions\` must be an integer >= 0, but is ${s.prefillPositions}`);
  if (!Number.isInteger(s.maxBatchSessions) || s.maxBatchSessions < 1) throw new RangeError(`\`maxBatchSessions\` must be an integer >= 1, but is ${s.maxBatchSessions}`);
  return s;
}

/** Everything one session's token generation owns. Created by `DecodeLoop.createState`. */
export interface GeneratorState {
  prompt: EncodedPrompt;
  cache: KvCache | null;
  /** The next window's cache, built ahead by prefill(): positions start .. start + cache.length - 1. */
  next: { start: number; cache: KvCache } | null;
  /** The next step runs a full pass over the window (start, prompt change). */
  reprime: boolean;
  windowStart: number;
  history: TokenHistory;
  /** Frames already handed out by takeFrames. */
  framesTaken: number;
  random: Rng;
  sampler: Sampler;
  /** Full passes run (start, prompt changes, slides without prefill, first pass of a prefill), for logs and tests. */
  primes: number;
  /** Times the window slid. */
  slides: number;
  /**
   * This session's own logits processors (e.g. a prior that follows the session's beat), run after
   * the valid-range mask and the loop's grammar, before temperature and top-k.
   */
  processors: LogitsProcessor[];
}

export interface DecodeLoopOptions {
  /**
   * Processors every session runs after the valid-range mask (a token grammar, e.g. a symbolic
   * pack's ContinuationMask). They see each row's frame and previous token (LogitsContext).
   */
  grammar?: readonly LogitsProcessor[];
}

export interface StepResult {
  /** Absolute position of the column sampled by this step. */
  position: number;
  column: Int32Array;
  /** The processed logits each codebook was sampled from ([K x V]), after guidance, masks, temperature, top-k. */
  processed: Float32Array;
  /** Raw last-position logits [T*K x V] as the decoder returned them. */
  raw: Float32Array;
}

/** Controls for the input position `position`, or null when the pack has none. */
export type ControlSource = (position: number) => Float32Array | null;

export class DecodeLoop {
  readonly pack: MusicgenPack;
  readonly settings: GenerationSettings;
  private readonly pattern: DelayPattern;
  private readonly masks: LogitsProcessor;
  private readonly processors: LogitsProcessor;
  private readonly keep: number;
  private readonly context: LogitsContext = { frame: 0, previous: 0 };
  /** Batches the sessions' cached passes (null: each runs alone). */
  readonly batcher: StepBatcher | null;
  private liveStates = 0;

  constructor(pack: MusicgenPack, settings: GenerationSettings, options: DecodeLoopOptions = {}) {
    this.pack = pack;
    this.settings = settings;
    this.pattern = pack.pattern;
    this.masks = new LogitsProcessorList([new ValidRangeMask(pack.manifest.tokens.validRanges), ...(options.grammar ?? [])]);
    const list: LogitsProcessor[] = [];
    if (settings.temperature > 0) list.push(new Temperature(settings.temperature, settings.codebookTemperatures ?? null));
    list.push(new TopK(settings.topK));
    this.processors = new LogitsProcessorList(list);
    this.keep = Math.max(this.pattern.maxDelay + 2, Math.floor(settings.maxPositions * settings.keepFraction));
    const decoder = pack.decoder;
    this.batcher = settings.batchSteps && decoder instanceof EngineCacheDecoderRunner && decoder.batchable ? new StepBatcher(decoder, settings.maxBatchSessions) : null;
  }

  get guidance(): boolean {
    return this.settings.guidanceScale !== 1;
  }

  async encodePrompt(prompt: string): Promise<EncodedPrompt> {
    return this.pack.text.encode(prompt, this.guidance);
  }

  /** Sessions decoding on this loop: states created and not yet released. */
  get sessions(): number {
    return this.liveStates;
  }

  /** A state's session has ended (the count of `sessions`). */
  releaseState(): void {
    this.liveStates = Math.max(0, this.liveStates - 1);
  }

  async createState(prompt: string, seed: number, processors: readonly LogitsProcessor[] = []): Promise<GeneratorState> {
    this.liveStates++;
    const K = this.pattern.codebooks;
    const history = new TokenHistory(K, this.settings.maxPositions + this.pattern.maxDelay + 8);
    history.push(new Int32Array(K).fill(this.pack.manifest.tokens.bosTokenId));
    const random = new Rng(seed);
    return {
      prompt: await this.encodePrompt(prompt),
      cache: null,
      next: null,
      reprime: true,
      windowStart: 0,
      history,
      framesTaken: 0,
      random,
      sampler: this.settings.temperature > 0 ? new MultinomialSampler(random) : new GreedySampler(),
      primes: 0,
      slides: 0,
      processors: [...processors],
    };
  }

  /** Re-encodes the prompt; the next step re-primes the window with it (no seam in the audio). */
  async changePrompt(state: GeneratorState, prompt: string): Promise<void> {
    state.prompt = await this.encodePrompt(prompt);
    state.reprime = true;
  }

  /** Input ids [T*K, s] for positions from..to (inclusive) of the window whose column 0 is `windowStart`. */
  windowIds(state: GeneratorState, from: number, to: number, windowStart = from): BigInt64Array {
    const K = this.pattern.codebooks;
    const T = state.prompt.rows;
    const s = to - from + 1;
    const bos = this.pack.manifest.tokens.bosTokenId;
    const ids = new BigInt64Array(T * K * s);
    for (let i = 0; i < s; i++) {
      const col = state.history.column(from + i);
      const q = from + i - windowStart;
      for (let k = 0; k < K; k++) {
        // Window column q holds frame (from + i) - 1 - delay[k] shifted to q - 1 - delay[k]: pad before the window's first frame.
        const token = q === 0 ? bos : this.pattern.isValid(q, k) ? col[k]! : this.pattern.pad;
        for (let t = 0; t < T; t++) ids[(t * K + k) * s + i] = BigInt(token);
      }
    }
    return ids;
  }

  private windowControls(state: GeneratorState, from: number, to: number, source: ControlSource): Float32Array | undefined {
    if (!this.pack.decoder.usesControls) return undefined;
    const C = controlFeatureWidth(this.pack.manifest);
    const out = new Float32Array((to - from + 1) * C);
    for (let p = from; p <= to; p++) {
      let c = state.history.controls(p);
      if (!c) {
        c = source(p);
        if (!c || c.length !== C) throw new RangeError(`control vector for position ${p} must have ${C} entries, got ${c?.length ?? 0}`);
        state.history.setControls(p, c);
      }
      out.set(c, (p - from) * C);
    }
    return out;
  }

  /**
   * One decoder step: feeds the newest column (or re-primes the window) and samples the next column.
   * `relaxed`: decoded ahead of need, the cached pass may wait a little for other sessions' steps (stepBatcher.ts).
   */
  async step(state: GeneratorState, controls: ControlSource, relaxed = false): Promise<StepResult> {
    const P = state.history.newest;
    const decoder = this.pack.decoder;
    let pass;
    if (state.reprime || !state.cache) {
      const from = Math.max(state.windowStart, P - this.keep + 1, 0);
      const input = { ids: this.windowIds(state, from, P), positions: P - from + 1, controls: this.windowControls(state, from, P, controls) };
      pass = await decoder.full(state.prompt, input);
      state.windowStart = from;
      state.next = null;
      state.reprime = false;
      state.primes++;
    } else if (state.cache.length + 1 > this.settings.maxPositions) {
      // The window slides to the newest `keep` positions, from = nextWindowStart(state): feed P to
      // the next window's cache together with whatever prefill() has not fed yet (everything
      // from `from` without prefill: the one-pass re-prime).
      pass = await this.feedNext(state, P, controls, relaxed);
      state.windowStart = state.next!.start;
      state.next = null;
      state.slides++;
    } else {
      const input = { ids: this.columnIds(state, P), positions: 1, controls: this.windowControls(state, P, P, controls) };
      pass = await this.cachedPass(state.prompt, state.cache, input, relaxed);
    }
    state.cache = pass.cache;
    return this.sample(state, pass.logits.data as Float32Array, pass.logits.dims[1]!, P + 1);
  }

  /**
   * Background work between steps, when the stream has time (e.g. an audio chunk without a
   * step): feeds the next window's cache up to `prefillPositions` of the positions the live
   * window has already fed (their tokens and controls are final), once that many are waiting or
   * the next step slides. Over a window that is one position per step, spread so that no call
   * costs much more than a step and the slide itself costs one step. Returns the positions fed
   * (0: nothing due). Any number of calls, or none, gives the same music.
   */
  async prefill(state: GeneratorState, relaxed = false): Promise<number> {
    const due = this.prefillDue(state);
    if (due === null) return 0;
    await this.feedNext(state, due.to, () => null, relaxed); // no new controls: the live window fed these positions, with theirs
    return due.to - due.fedNext;
  }

  /** What prefill() would feed now (the next window's positions after `fedNext` up to `to`), or null: nothing is due. */
  prefillDue(state: GeneratorState): { fedNext: number; to: number } | null {
    const chunk = this.settings.prefillPositions;
    if (chunk === 0 || state.reprime || !state.cache) return null;
    const fedLive = state.windowStart + state.cache.length - 1;
    const start = this.nextWindowStart(state);
    const fedNext = state.next ? state.next.start + state.next.cache.length - 1 : start - 1;
    const waiting = fedLive - fedNext;
    const slidesNext = state.cache.length + 1 > this.settings.maxPositions;
    if (waiting <= 0 || (waiting < chunk && !slidesNext)) return null;
    return { fedNext, to: fedNext + Math.min(waiting, chunk) };
  }

  /** Where the window will start after the next slide: the newest `keep` positions at the step that overflows it. */
  private nextWindowStart(state: GeneratorState): number {
    return state.windowStart + this.settings.maxPositions - this.keep + 1;
  }

  /** A cached pass through the batcher (with company; `relaxed`: it may wait for some), or alone where there is none. */
  private cachedPass(prompt: EncodedPrompt, cache: KvCache, input: DecoderInput, relaxed: boolean): Promise<DecoderPass> {
    return this.batcher ? this.batcher.cached(prompt, cache, input, relaxed) : this.pack.decoder.cached(prompt, cache, input);
  }

  /** Feeds the next window's cache every position it lacks up to `to` (a full pass when it has none yet). */
  private async feedNext(state: GeneratorState, to: number, controls: ControlSource, relaxed = false): Promise<DecoderPass> {
    const start = this.nextWindowStart(state);
    const from = state.next ? state.next.start + state.next.cache.length : start;
    const input = { ids: this.windowIds(state, from, to, start), positions: to - from + 1, controls: this.windowControls(state, from, to, controls) };
    const pass = state.next ? await this.cachedPass(state.prompt, state.next.cache, input, relaxed) : await this.pack.decoder.full(state.prompt, input);
    if (!state.next) state.primes++;
    state.next = { start, cache: pass.cache };
    return pass;
  }

  /** input_ids [T*K, 1] of one held position, fed on top of the cache. */
  private columnIds(state: GeneratorState, position: number): BigInt64Array {
    const K = this.pattern.codebooks;
    const col = state.history.column(position);
    const ids = new BigInt64Array(state.prompt.rows * K);
    for (let t = 0; t < state.prompt.rows; t++) for (let k = 0; k < K; k++) ids[t * K + k] = BigInt(col[k]!);
    return ids;
  }

  private sample(state: GeneratorState, logits: Float32Array, s: number, position: number): StepResult {
    const K = this.pattern.codebooks;
    const V = this.pack.manifest.tokens.vocabSize;
    const T = state.prompt.rows;
    const raw = new Float32Array(T * K * V);
    for (let r = 0; r < T * K; r++) raw.set(logits.subarray((r * s + s - 1) * V, (r * s + s) * V), r * V);
    const processed = new Float32Array(K * V);
    const column = new Int32Array(K);
    const previous = state.history.column(position - 1);
    const context = this.context;
    for (let k = 0; k < K; k++) {
      const row = processed.subarray(k * V, (k + 1) * V);
      const cond = raw.subarray(k * V, (k + 1) * V);
      if (T === 2) applyGuidance(cond, raw.subarray((K + k) * V, (K + k + 1) * V), this.settings.guidanceScale, row);
      else row.set(cond);
      context.frame = this.pattern.frameAt(position, k);
      context.previous = previous[k]!;
      this.masks.process(row, k, context);
      for (const p of state.processors) p.process(row, k, context);
      this.processors.process(row, k, context);
      const token = state.sampler.sample(row);
      // The delay pattern forces pad where this codebook has no frame yet; the draw is still made so
      // that the random stream does not depend on the position.
      column[k] = this.pattern.isValid(position, k) ? token : this.pattern.pad;
    }
    state.history.push(column);
    return { position, column, processed, raw };
  }

  /** Frames completed since the last call, [F x K] frame-major (undoing the delay pattern). */
  takeFrames(state: GeneratorState): FrameCodes {
    const K = this.pattern.codebooks;
    const complete = this.pattern.framesCompleteAt(state.history.newest);
    const F = complete - state.framesTaken;
    const frames = new Int32Array(Math.max(0, F) * K);
    for (let i = 0; i < F; i++) {
      const f = state.framesTaken + i;
      for (let k = 0; k < K; k++) frames[i * K + k] = state.history.token(f + 1 + this.pattern.delays[k]!, k);
    }
    state.framesTaken = Math.max(state.framesTaken, complete);
    return frames;
  }
}
