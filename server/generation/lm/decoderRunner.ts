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
  }

  capacityFor(needed: number): number {
    return kvCapacity(needed, this.m.decoder.maxPositions);
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
    const { layers, heads, headDim } = this.m.decoder;
    const T = prompt.rows;
    const s = input.positions;
    const feeds = this.baseFeeds(prompt, input, this.withPast.hasInput('encoder_hidden_states'));
    feeds[PAST_SEQUENCE_LENGTH] = new Tensor('int64', BigInt64Array.of(BigInt(cache.length)), [1]);
    this.pastFeeds(feeds, cache);
    if (this.merged) feeds[USE_CACHE_BRANCH] = new Tensor('bool', new Uint8Array([1]), [1]);
    const out = await this.withPast.run(feeds);
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
        const name = this.merged ? presentName(i, 'decoder', part) : presentNewName(i, part);
        const d = out[name];
        const want = [T, heads, s, headDim];
        if (!d || d.dims.join() !== want.join()) throw new Error(`${file}: ${name} is [${d?.dims.join(', ') ?? 'missing'}], expected [${want.join(', ')}]`);
        const src = d.data as Float32Array;
        const dst = cache.decoder[2 * i + j]!.data as Float32Array;
        // Element loop: 32 rows of 64 floats per tensor, where subarray objects cost more than the copy.
        const n = s * row;
        for (let r = 0; r < T * heads; r++) {
          const from = r * n;
          const to = (r * capacity + cache.length) * row;
          for (let x = 0; x < n; x++) dst[to + x] = src[from + x]!;
        }
      }
    }
    cache.length = length;
    cache.capacity = capacity;
    return { logits: out['logits']!, cache };
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
