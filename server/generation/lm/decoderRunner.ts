/**
 * The decoder LM behind one interface, whatever the layout: `full` runs positions with no past
 * (the first step, and every re-prime after a slide or a prompt change); `cached` runs new
 * positions on top of a KV cache. Merged layout: one graph with `use_cache_branch`. Split
 * layout: decoder_model.onnx + decoder_with_past_model.onnx.
 *
 * The public export's cached branch returns empty placeholders as present.*.encoder.* (it does
 * not recompute cross-attention K/V): the encoder K/V of the full pass are kept in the cache and
 * fed on every cached step; the placeholders are dropped.
 *
 * decoder.kvOutputs "new" (EngineCacheDecoderRunner): the cached graph returns only the new
 * positions' K/V and this runner keeps the cache in preallocated buffers (capacity grown in
 * blocks, bounded by the window), so no step copies the whole past out of onnxruntime.
 */
import { Tensor } from 'onnxruntime-node';
import type { PackManifest } from '../pack/manifest.js';
import { PackError, controlFeatureWidth } from '../pack/manifest.js';
import type { Feeds, Fetches, OnnxSession } from '../pack/onnxSession.js';
import { CONTROL_INPUT, PAST_SEQUENCE_LENGTH, USE_CACHE_BRANCH, pastName, presentName, presentNewName } from '../pack/packSpec.js';
import type { EncodedPrompt } from './textConditioner.js';

/** Self-attention K/V of the cached positions plus the text's cross-attention K/V. */
export interface KvCache {
  /** Positions held. */
  length: number;
  /**
   * present.{i}.decoder.{key,value} of the last pass: [T, H, length, Dh], layer i at 2i, 2i+1;
   * with an engine-held cache [T, H, capacity, Dh] whose first `length` positions are valid.
   */
  decoder: Tensor[];
  /** Positions allocated in each decoder tensor (engine-held cache); absent = length. */
  capacity?: number;
  /** present.{i}.encoder.{key,value} of the last full pass: [T, H, S, Dh]. */
  encoder: Tensor[];
}

export interface DecoderInput {
  /** input_ids [T*K, s], row t*K + k = codebook k of batch row t. */
  ids: BigInt64Array;
  positions: number;
  /** control_features for the s positions, [s, C] (copied to every batch row), when the pack has controls. */
  controls?: Float32Array;
}

/** One session's cached pass in EngineCacheDecoderRunner.cachedBatch. */
export interface BatchItem {
  prompt: EncodedPrompt;
  cache: KvCache;
  input: DecoderInput;
}

export interface DecoderPass {
  /** logits [T*K, s, V]. */
  logits: Tensor;
  cache: KvCache;
}

export abstract class DecoderRunner {
  protected readonly m: PackManifest;
  /** Whether the decoder takes control_features. */
  readonly usesControls: boolean;

  protected constructor(m: PackManifest, sessions: readonly OnnxSession[]) {
    this.m = m;
    const has = sessions.map((s) => s.hasInput(CONTROL_INPUT));
    sessions.forEach((s, i) => {
      if (has[i] && !m.controls) throw new PackError(`${s.spec.file}: declares input "${CONTROL_INPUT}" but the manifest has no "controls" (version and size)`, 'PACK_ONNX_MISMATCH');
      if (!has[i] && m.controls) throw new PackError(`${s.spec.file}: missing input "${CONTROL_INPUT}" that the manifest's "controls" promises (float32[T, s, ${controlFeatureWidth(m)}])`, 'PACK_ONNX_MISMATCH');
    });
    this.usesControls = m.controls !== undefined;
  }

  abstract full(prompt: EncodedPrompt, input: DecoderInput): Promise<DecoderPass>;
  abstract cached(prompt: EncodedPrompt, cache: KvCache, input: DecoderInput): Promise<DecoderPass>;
  abstract dispose(): Promise<void>;

  /**
   * A cache of `length` positions filled with a constant (benchmarks: step time does not depend on
   * the values), around the encoder K/V of a real pass. Same layout as the runner's own caches.
   */
  syntheticCache(encoder: Tensor[], rows: number, length: number): KvCache {
    const { layers, heads, headDim } = this.m.decoder;
    const decoder: Tensor[] = [];
    for (let i = 0; i < 2 * layers; i++) decoder.push(new Tensor('float32', new Float32Array(rows * heads * length * headDim).fill(0.01), [rows, heads, length, headDim]));
    return { length, decoder, encoder };
  }

  protected baseFeeds(prompt: EncodedPrompt, input: DecoderInput, withHidden: boolean): Feeds {
    const T = prompt.rows;
    const K = this.m.tokens.codebooks;
    if (input.ids.length !== T * K * input.positions) throw new RangeError(`input_ids has ${input.ids.length} values, expected ${T} x ${K} x ${input.positions}`);
    const feeds: Feeds = {
      input_ids: new Tensor('int64', input.ids, [T * K, input.positions]),
      encoder_attention_mask: prompt.mask,
    };
    if (withHidden) feeds['encoder_hidden_states'] = prompt.hidden;
    if (this.usesControls) {
      const C = controlFeatureWidth(this.m);
      const one = input.controls;
      if (!one || one.length !== input.positions * C) throw new RangeError(`control_features needs ${input.positions} x ${C} values, got ${one?.length ?? 0}`);
      const data = new Float32Array(T * one.length);
      for (let t = 0; t < T; t++) data.set(one, t * one.length); // guidance rows get the same controls
      feeds[CONTROL_INPUT] = new Tensor('float32', data, [T, input.positions, C]);
    }
    return feeds;
  }

  protected collect(out: Fetches, file: string, prompt: EncodedPrompt, keepEncoder: Tensor[] | null, pastLength: number, positions: number): DecoderPass {
    const { layers, heads, headDim } = this.m.decoder;
    const T = prompt.rows;
    const S = prompt.mask.dims[1]!;
    const decoder: Tensor[] = [];
    const encoder: Tensor[] = keepEncoder ?? [];
    for (let i = 0; i < layers; i++) {
      for (const part of ['key', 'value'] as const) {
        const d = out[presentName(i, 'decoder', part)]!;
        const want = [T, heads, pastLength + positions, headDim];
        if (d.dims.join() !== want.join()) throw new Error(`${file}: ${presentName(i, 'decoder', part)} is [${d.dims.join(', ')}], expected [${want.join(', ')}]`);
        decoder.push(d);
        if (!keepEncoder) {
          const e = out[presentName(i, 'encoder', part)];
          const wantE = [T, heads, S, headDim];
          if (!e || e.dims.join() !== wantE.join()) {
            throw new Error(`${file}: ${presentName(i, 'encoder', part)} on a pass without past is [${e?.dims.join(', ') ?? 'missing'}], expected [${wantE.join(', ')}]`);
          }
          encoder.push(e);
        }
      }
    }
    return { logits: out['logits']!, cache: { length: pastLength + positions, decoder, encoder } };
  }

  /** The merged graph needs zero-length past tensors of the right dtype on a pass without past. */
  protected emptyPastFeeds(feeds: Feeds, rows: number): void {
    const { layers, heads, headDim } = this.m.decoder;
    const empty = new Tensor('float32', new Float32Array(0), [rows, heads, 0, headDim]);
    for (let i = 0; i < layers; i++) {
      for (const kind of ['decoder', 'encoder'] as const) for (const part of ['key', 'value'] as const) feeds[pastName(i, kind, part)] = empty;
    }
  }

  protected pastFeeds(feeds: Feeds, cache: KvCache): void {
    for (let i = 0; i < this.m.decoder.layers; i++) {
      feeds[pastName(i, 'decoder', 'key')] = cache.decoder[2 * i]!;
      feeds[pastName(i, 'decoder', 'value')] = cache.decoder[2 * i + 1]!;
      feeds[pastName(i, 'encoder', 'key')] = cache.encoder[2 * i]!;
      feeds[pastName(i, 'encoder', 'value')] = cache.encoder[2 * i + 1]!;
    }
  }
}

export class MergedDecoderRunner extends DecoderRunner {
  private readonly session: OnnxSession;
  constructor(m: PackManifest, session: OnnxSession) {
    super(m, [session]);
    this.session = session;
  }

  async full(prompt: EncodedPrompt, input: DecoderInput): Promise<DecoderPass> {
    const feeds = this.baseFeeds(prompt, input, true);
    this.emptyPastFeeds(feeds, prompt.rows);
    feeds[USE_CACHE_BRANCH] = new Tensor('bool', new Uint8Array([0]), [1]);
    const out = await this.session.run(feeds);
    return this.collect(out, this.session.spec.file, prompt, null, 0, input.positions);
  }

  async cached(prompt: EncodedPrompt, cache: KvCache, input: DecoderInput): Promise<DecoderPass> {
    const feeds = this.baseFeeds(prompt, input, true);
    this.pastFeeds(feeds, cache);
    feeds[USE_CACHE_BRANCH] = new Tensor('bool', new Uint8Array([1]), [1]);
    const out = await this.session.run(feeds);
    return this.collect(out, this.session.spec.file, prompt, cache.encoder, cache.length, input.positions);
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}

export class SplitDecoderRunner extends DecoderRunner {
  private readonly first: OnnxSession;
  private readonly withPast: OnnxSession;
  constructor(m: PackManifest, first: OnnxSession, withPast: OnnxSession) {
    super(m, [first, withPast]);
    this.first = first;
    this.withPast = withPast;
  }

  async full(prompt: EncodedPrompt, input: DecoderInput): Promise<DecoderPass> {
    const out = await this.first.run(this.baseFeeds(prompt, input, true));
    return this.collect(out, this.first.spec.file, prompt, null, 0, input.positions);
  }

  async cached(prompt: EncodedPrompt, cache: KvCache, input: DecoderInput): Promise<DecoderPass> {
    const feeds = this.baseFeeds(prompt, input, this.withPast.hasInput('encoder_hidden_states'));
    this.pastFeeds(feeds, cache);
    const out = await this.withPast.run(feeds);
    return this.collect(out, this.withPast.spec.file, prompt, cache.encoder, cache.length, input.positions);
  }

  async dispose(): Promise<void> {
    await Promise.all([this.first.dispose(), this.withPast.dispose()]);
  }
}

/** Most memory the stacking buffers of the past decoder K/V are reserved at (EngineCacheDecoderRunner.reserveStacking); bigger packs grow them as batches need. */
const STACK_RESERVE_MAX_BYTES = 128 * 1024 * 1024;

/** Largest window whose cache (per row: keys and values of every layer) is allocated whole rather than grown. */
const WHOLE_WINDOW_MAX_BYTES_PER_ROW = 4 * 1024 * 1024;

/**
 * Capacity of an engine-held cache for `needed` positions: a slack of 2·sqrt(needed) (at least
 * 16) balances the masked positions every step reads (slack / 2 on average) against the copy
 * of the whole cache at each growth (every `slack` steps); at most the window unless needed.
 */
export function kvCapacity(needed: number, maxPositions: number): number {
  const slack = Math.max(16, Math.ceil(2 * Math.sqrt(needed)));
  return Math.max(needed, Math.min(needed + slack, maxPositions));
}

/**
 * decoder.kvOutputs "new". Split layout: decoder_model.onnx for full passes (its present.*
 * are copied once into the engine's buffers), decoder_with_past_newkv.onnx for cached steps.
 * Merged layout: one graph (both sessions are the same), use_cache_branch picks the branch and the
 * cached branch returns the new K/V as present.{i}.decoder.*. The
 * cache lives in [T, H, capacity, Dh] buffers fed as past tensors with past_sequence_length; each
 * step appends the s new positions' K/V in place. Capacity: kvCapacity (the length plus a slack
 * of 2·sqrt(length), at most the window); growing copies the cache once per slack.
 * cached() mutates and returns the cache it is given.
 */
export class EngineCacheDecoderRunner extends DecoderRunner {
  private readonly first: OnnxSession;
  private readonly withPast: OnnxSession;
  /** One merged graph (first === withPast, branch chosen by use_cache_branch) rather than two files. */
  private readonly merged: boolean;
  constructor(m: PackManifest, first: OnnxSession, withPast: OnnxSession) {
    super(m, [first, withPast]);
    if (m.decoder.kvOutputs !== 'new') throw new PackError(`EngineCacheDecoderRunner needs decoder.kvOutputs "new"`);
    this.first = first;
    this.withPast = withPast;
    this.merged = m.decoder.layout === 'merged';
    const news: string[] = [];
    for (let i = 0; i < m.decoder.layers; i++) for (const part of ['key', 'value'] as const) news.push(this.merged ? presentName(i, 'decoder', part) : presentNewName(i, part));
    this.stepOutputs = ['logits', ...news];
  }

  /** Largest window allocated whole (bytes per row); 0 makes every cache grow (tests of growth). */
  wholeWindowMaxBytesPerRow = WHOLE_WINDOW_MAX_BYTES_PER_ROW;

  /** What a cached step reads back: the logits and the new positions' K/V (not the encoder K/V it already holds). */
  private readonly stepOutputs: readonly string[];

  /**
   * A small model's cache is allocated for the whole window at once (the default pack: 2 MB per
   * row), so it never grows: each growth allocated and copied a new cache (~3 MB every few seconds
   * per session), and V8 counts such buffers against the heap's headroom, so they set off a
   * mark-compact of the worker's heap every 2-3 s. Large models grow by kvCapacity's slack.
   */
  capacityFor(needed: number): number {
    const { maxPositions, layers, heads, headDim } = this.m.decoder;
    const windowBytesPerRow = maxPositions * layers * 2 * heads * headDim * Float32Array.BYTES_PER_ELEMENT;
    if (needed <= maxPositions && windowBytesPerRow <= this.wholeWindowMaxBytesPerRow) return maxPositions;
    return kvCapacity(needed, maxPositions);
  }

  async full(prompt: EncodedPrompt, input: DecoderInput): Promise<DecoderPass> {
    const feeds = this.baseFeeds(prompt, input, true);
    if (this.merged) {
      this.emptyPastFeeds(feeds, prompt.rows);
      feeds[PAST_SEQUENCE_LENGTH] = new Tensor('int64', BigInt64Array.of(0n), [1]);
      feeds[USE_CACHE_BRANCH] = new Tensor('bool', new Uint8Array([0]), [1]);
    }
    const out = await this.first.run(feeds);
    const pass = this.collect(out, this.first.spec.file, prompt, null, 0, input.positions);
    const n = input.positions;
    const capacity = this.capacityFor(n + 1);
    const decoder = pass.cache.decoder.map((t) => this.resized(t.data as Float32Array, prompt.rows, n, n, capacity));
    return { logits: pass.logits, cache: { length: n, capacity, decoder, encoder: pass.cache.encoder } };
  }

  async cached(prompt: EncodedPrompt, cache: KvCache, input: DecoderInput): Promise<DecoderPass> {
    const feeds = this.baseFeeds(prompt, input, this.withPast.hasInput('encoder_hidden_states'));
    feeds[PAST_SEQUENCE_LENGTH] = new Tensor('int64', BigInt64Array.of(BigInt(cache.length)), [1]);
    this.pastFeeds(feeds, cache);
    if (this.merged) feeds[USE_CACHE_BRANCH] = new Tensor('bool', new Uint8Array([1]), [1]);
    const out = await this.withPast.run(feeds, this.stepOutputs);
    this.append(out, cache, prompt.rows, input.positions, 0, prompt.rows);
    return { logits: out['logits']!, cache };
  }

  /** Whether cachedBatch() can run steps over caches of different lengths together (decoder.pastLength "per-row"). */
  get batchable(): boolean {
    return this.m.decoder.pastLength === 'per-row';
  }

  /**
   * Cached passes of several sessions as one run (decoder.pastLength "per-row"): their rows
   * stacked (input_ids, control_features, encoder mask and K/V padded to the longest prompt,
   * past K/V padded to the longest row, one past length per row), then split back: each
   * item gets its logits [T*K, s, V] and its cache with the new K/V appended, as cached() would.
   * Every item must feed the same number of positions. Padding is exact: past positions beyond a
   * row's length and prompt positions beyond its mask get a -1e9 bias (weight 0 after softmax);
   * a null guidance row (mask all zero, the same K/V at every position) attends uniformly, so its
   * padding repeats its own last position. Results equal cached() per item to float rounding.
   */
  async cachedBatch(items: readonly BatchItem[]): Promise<DecoderPass[]> {
    if (!this.batchable) throw new Error(`cachedBatch needs decoder.pastLength "per-row" (${this.m.name} declares "${this.m.decoder.pastLength}")`);
    if (items.length === 0) return [];
    const { layers } = this.m.decoder;
    const K = this.m.tokens.codebooks;
    const s = items[0]!.input.positions;
    let R = 0;
    let S = 0;
    let cap = 0;
    for (const it of items) {
      if (it.input.positions !== s) throw new RangeError(`cachedBatch: every item must feed the same positions (${s} and ${it.input.positions})`);
      if (it.input.ids.length !== it.prompt.rows * K * s) throw new RangeError(`input_ids has ${it.input.ids.length} values, expected ${it.prompt.rows} x ${K} x ${s}`);
      R += it.prompt.rows;
      S = Math.max(S, it.prompt.mask.dims[1]!);
      // The stacked past spans the longest row, not the caches' capacity (the whole window for
      // the default pack): positions past a row's length are masked anyway, and each one stacked
      // is copied and attended to for every row (16 sessions at lengths 64-192: 30% less time).
      cap = Math.max(cap, it.cache.length);
    }
    const scratch = this.batchBusy ? null : this.scratch;
    this.batchBusy = true;
    try {
      const ids = new BigInt64Array(R * K * s);
      const mask = new BigInt64Array(R * S);
      const lengths = new BigInt64Array(R);
      const C = this.usesControls ? controlFeatureWidth(this.m) : 0;
      const controls = this.usesControls ? new Float32Array(R * s * C) : null;
      let row = 0;
      for (const it of items) {
        const T = it.prompt.rows;
        ids.set(it.input.ids, row * K * s);
        const m = it.prompt.mask.data as BigInt64Array;
        const Si = it.prompt.mask.dims[1]!;
        for (let t = 0; t < T; t++) mask.set(m.subarray(t * Si, (t + 1) * Si), (row + t) * S);
        lengths.fill(BigInt(it.cache.length), row, row + T);
        if (controls) {
          const one = it.input.controls;
          if (!one || one.length !== s * C) throw new RangeError(`control_features needs ${s} x ${C} values, got ${one?.length ?? 0}`);
          for (let t = 0; t < T; t++) controls.set(one, (row + t) * s * C);
        }
        row += T;
      }
      const feeds: Feeds = {
        input_ids: new Tensor('int64', ids, [R * K, s]),
        encoder_attention_mask: new Tensor('int64', mask, [R, S]),
        [PAST_SEQUENCE_LENGTH]: new Tensor('int64', lengths, [R]),
      };
      if (this.withPast.hasInput('encoder_hidden_states')) {
        // The cached branch reads the kept encoder K/V, not the hidden states: zeros of the right shape.
        const hidden = this.m.text.hiddenSize;
        if (!this.zeroHidden || this.zeroHidden.dims[0] !== R || this.zeroHidden.dims[1] !== S) this.zeroHidden = new Tensor('float32', new Float32Array(R * S * hidden), [R, S, hidden]);
        feeds['encoder_hidden_states'] = this.zeroHidden;
      }
      if (controls) feeds[CONTROL_INPUT] = new Tensor('float32', controls, [R, s, C]);
      if (this.merged) feeds[USE_CACHE_BRANCH] = new Tensor('bool', new Uint8Array([1]), [1]);
      for (let i = 0; i < 2 * layers; i++) {
        const layer = i >> 1;
        const part = i & 1 ? 'value' : 'key';
        feeds[pastName(layer, 'decoder', part)] = this.stackDecoder(items, i, R, cap, scratch, 2 * i);
        feeds[pastName(layer, 'encoder', part)] = this.stackEncoder(items, i, R, S, scratch, 2 * i + 1);
      }
      const out = await this.withPast.run(feeds, this.stepOutputs);
      const logits = out['logits']!;
      const V = logits.dims[2]!;
      const all = logits.data as Float32Array;
      const passes: DecoderPass[] = [];
      row = 0;
      for (const it of items) {
        const T = it.prompt.rows;
        this.append(out, it.cache, R, s, row, T);
        const mine = all.subarray(row * K * s * V, (row + T) * K * s * V);
        passes.push({ logits: new Tensor('float32', mine, [T * K, s, V]), cache: it.cache });
        row += T;
      }
      return passes;
    } finally {
      if (scratch) this.batchBusy = false;
    }
  }

  /**
   * Allocates the stacking buffers of the past decoder K/V for batches of up to `rows` rows over
   * the whole window, and writes them once, now, where that fits STACK_RESERVE_MAX_BYTES (the
   * default pack: 16 sessions with guidance, 8 MB per tensor, 64 MB in all). Grown on demand,
   * each batch larger or longer than any before allocated new buffers inside its step, and the
   * first write of fresh memory is what costs: a page fault per 4 KB (`node` on the 2-core VM, 64
   * MB: 175 ms to fill the first time, 2.4 ms the second). That was 30-60 ms of a worker at some
   * moment mid-show, holding every session of that worker: the running show's lone stalls, several
   * sessions' chunks late at once. Reserved but left unwritten, the pages still faulted mid-show
   * as batches first reached them (46 ms in one step). So the worker pays it at start.
   */
  reserveStacking(rows: number): void {
    const { layers, heads, headDim, maxPositions } = this.m.decoder;
    const n = rows * heads * maxPositions * headDim;
    if (2 * layers * n * Float32Array.BYTES_PER_ELEMENT > STACK_RESERVE_MAX_BYTES) return;
    for (let i = 0; i < 2 * layers; i++) if ((this.scratch[2 * i]?.length ?? 0) < n) this.scratch[2 * i] = new Float32Array(n).fill(0);
  }

  /** Reused stacking buffers of cachedBatch (one per past tensor), while no other batch uses them. */
  private scratch: Float32Array[] = [];
  private batchBusy = false;
  private zeroHidden: Tensor | null = null;

  private buffer(scratch: Float32Array[] | null, slot: number, n: number): Float32Array {
    if (!scratch) return new Float32Array(n);
    let b = scratch[slot];
    if (!b || b.length < n) {
      b = new Float32Array(Math.ceil(n * 1.25));
      scratch[slot] = b;
    }
    return b.subarray(0, n);
  }

  /** past_key_values.{i}.decoder.*: each item's valid positions in a [R, H, cap, Dh] buffer (positions past a row's length are masked). */
  private stackDecoder(items: readonly BatchItem[], i: number, R: number, cap: number, scratch: Float32Array[] | null, slot: number): Tensor {
    const { heads, headDim } = this.m.decoder;
    const dst = this.buffer(scratch, slot, R * heads * cap * headDim);
    let row = 0;
    for (const it of items) {
      const T = it.prompt.rows;
      const c = it.cache.capacity ?? it.cache.length;
      const src = it.cache.decoder[i]!.data as Float32Array;
      if (c === cap) dst.set(src.subarray(0, T * heads * c * headDim), row * heads * cap * headDim);
      else {
        const n = it.cache.length * headDim;
        // Past a row's length a reused buffer keeps an earlier batch's K/V: finite, and masked.
        for (let r = 0; r < T * heads; r++) dst.set(src.subarray(r * c * headDim, r * c * headDim + n), (row * heads + r) * cap * headDim);
      }
      row += T;
    }
    return new Tensor('float32', dst, [R, heads, cap, headDim]);
  }

  /** past_key_values.{i}.encoder.*: each item's encoder K/V in a [R, H, S, Dh] buffer (see cachedBatch on padding). */
  private stackEncoder(items: readonly BatchItem[], i: number, R: number, S: number, scratch: Float32Array[] | null, slot: number): Tensor {
    const { heads, headDim } = this.m.decoder;
    const dst = this.buffer(scratch, slot, R * heads * S * headDim);
    let row = 0;
    for (const it of items) {
      const T = it.prompt.rows;
      const Si = it.prompt.mask.dims[1]!;
      const src = it.cache.encoder[i]!.data as Float32Array;
      if (Si === S) dst.set(src.subarray(0, T * heads * S * headDim), row * heads * S * headDim);
      else {
        const mask = it.prompt.mask.data as BigInt64Array;
        for (let t = 0; t < T; t++) {
          let attended = false;
          for (let j = 0; j < Si; j++) if (mask[t * Si + j] !== 0n) attended = true;
          for (let h = 0; h < heads; h++) {
            const from = (t * heads + h) * Si * headDim;
            const to = ((row + t) * heads + h) * S * headDim;
            dst.set(src.subarray(from, from + Si * headDim), to);
            const pad = dst.subarray(to + Si * headDim, to + S * headDim);
            if (attended) pad.fill(0);
            else for (let j = Si; j < S; j++) dst.copyWithin(to + j * headDim, to + (Si - 1) * headDim, to + Si * headDim);
          }
        }
      }
      row += T;
    }
    return new Tensor('float32', dst, [R, heads, S, headDim]);
  }

  /**
   * Appends the s new positions' K/V of rows row0 .. row0 + T - 1 of a run's outputs ([rows, H, s, Dh])
   * to `cache` (growing it when full) and advances its length.
   */
  private append(out: Fetches, cache: KvCache, rows: number, s: number, row0: number, T: number): void {
    const { layers, heads, headDim } = this.m.decoder;
    const file = this.withPast.spec.file;
    let capacity = cache.capacity ?? cache.length;
    const length = cache.length + s;
    if (length > capacity) {
      const grown = this.capacityFor(length);
      cache.decoder = cache.decoder.map((t) => this.resized(t.data as Float32Array, T, capacity, cache.length, grown));
      capacity = grown;
    }
    const row = headDim;
    for (let i = 0; i < layers; i++) {
      for (const [j, part] of (['key', 'value'] as const).entries()) {
        const name = this.stepOutputs[1 + 2 * i + j]!;
        const d = out[name];
        const want = [rows, heads, s, headDim];
        if (!d || d.dims.join() !== want.join()) throw new Error(`${file}: ${name} is [${d?.dims.join(', ') ?? 'missing'}], expected [${want.join(', ')}]`);
        const src = d.data as Float32Array;
        const dst = cache.decoder[2 * i + j]!.data as Float32Array;
        // Element loop: 32 rows of 64 floats per tensor, where subarray objects cost more than the copy.
        const n = s * row;
        for (let r = 0; r < T * heads; r++) {
          const from = (row0 * heads + r) * n;
          const to = (r * capacity + cache.length) * row;
          for (let x = 0; x < n; x++) dst[to + x] = src[from + x]!;
        }
      }
    }
    cache.length = length;
    cache.capacity = capacity;
  }

  override syntheticCache(encoder: Tensor[], rows: number, length: number): KvCache {
    const capacity = this.capacityFor(length + 1);
    const base = super.syntheticCache(encoder, rows, length);
    return { ...base, capacity, decoder: base.decoder.map((t) => this.resized(t.data as Float32Array, rows, length, length, capacity)) };
  }

  /** A [T, H, capacity, Dh] tensor holding the first `length` positions of a [T, H, from, Dh] buffer. */
  private resized(src: Float32Array, rows: number, from: number, length: number, capacity: number): Tensor {
    const { heads, headDim } = this.m.decoder;
    const dst = new Float32Array(rows * heads * capacity * headDim);
    for (let r = 0; r < rows * heads; r++) dst.set(src.subarray(r * from * headDim, (r * from + length) * headDim), r * capacity * headDim);
    return new Tensor('float32', dst, [rows, heads, capacity, headDim]);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.merged ? [this.first.dispose()] : [this.first.dispose(), this.withPast.dispose()]);
  }
}
