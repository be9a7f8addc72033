/**
 * Streaming codec decoding. EnCodec's decoder is convolutional, so a block of newly completed
 * frames is decoded with a few frames of left context; the last `crossfadeSamples` of each
 * block lack their right context and are held back, then crossfaded with the next block's
 * decoding of the same samples. The history is never re-decoded: each call costs
 * contextFrames + new frames. Two-method streaming interface (transformers.js streamers.js).
 *
 *   block n:      [ctx | new frames ........ | tail]
 *   block n+1:                        [ctx | xfade | new frames ..... | tail]
 *   emitted:      ..................... | xfade | ..................... |
 */
import { Tensor } from 'onnxruntime-node';
import type { FrameCodes } from '../lm/delayPattern.js';
import type { MusicgenPack } from '../lm/musicgenPack.js';
import { encodecOf } from '../pack/manifest.js';
import type { OnnxSession } from '../pack/onnxSession.js';

export type CrossfadeShape = 'equal-power' | 'equal-gain';

export interface CodecStreamerOptions {
  codebooks: number;
  hop: number;
  channels: number;
  /** Frames of left context re-decoded with each block. */
  contextFrames: number;
  /** Samples held back at the end of each block and crossfaded with the next (at most one hop). */
  crossfadeSamples: number;
  /**
   * equal-power: constant power for the measured correlation r of the two versions (cos/sin when
   * they are uncorrelated, tending to equal gain as r -> 1, so that two near-identical decodings
   * are not boosted by up to 3 dB mid-fade); equal-gain: raised cosine, weights summing to 1.
   */
  crossfade: CrossfadeShape;
}

/**
 * Fade-out and fade-in weights for position i of n. For equal-power, `correlation` is that of
 * the outgoing and incoming signals over the overlap (clamped to [0, 1]): the weights keep
 * a^2 + b^2 + 2 r a b = 1, i.e. cos/sin at r = 0 and equal gain at r = 1.
 */
export function crossfadeWeights(shape: CrossfadeShape, i: number, n: number, correlation = 0): [number, number] {
  const x = (i + 0.5) / n;
  const fadeIn = 0.5 - 0.5 * Math.cos(x * Math.PI);
  if (shape === 'equal-gain') return [1 - fadeIn, fadeIn];
  const r = Math.min(1, Math.max(0, correlation));
  const a = 1 - fadeIn;
  const b = fadeIn;
  const norm = Math.sqrt(a * a + b * b + 2 * r * a * b);
  return [a / norm, b / norm];
}

/** Normalised correlation of two equally long interleaved signals (0 when either is silent). */
export function correlation(x: Float32Array, y: Float32Array): number {
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < x.length; i++) {
    xy += x[i]! * y[i]!;
    xx += x[i]! * x[i]!;
    yy += y[i]! * y[i]!;
  }
  return xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
}

/** Per-session codec state: the context frames, the held-back tail, counters. */
export class CodecStreamer {
  readonly options: CodecStreamerOptions;
  private readonly codec: OnnxSession;
  private context: FrameCodes = new Int32Array(0);
  /** Interleaved samples [crossfadeSamples x channels] of the last block, not yet emitted. */
  private tail: Float32Array;
  private framesDecoded = 0;
  private samplesEmitted = 0;

  constructor(codec: OnnxSession, options: CodecStreamerOptions) {
    if (options.crossfadeSamples > options.hop) throw new RangeError(`\`crossfadeSamples\` must be at most one hop (${options.hop}), but is ${options.crossfadeSamples}`);
    if (options.crossfadeSamples > 0 && options.contextFrames < 1) throw new RangeError('`contextFrames` must be at least 1 when crossfading (the crossfade re-decodes the previous block\'s tail)');
    this.codec = codec;
    this.options = options;
    this.tail = new Float32Array(0);
  }

  get frames(): number {
    return this.framesDecoded;
  }

  /** Samples (per channel) returned so far by `put`. */
  get emitted(): number {
    return this.samplesEmitted;
  }

  /** Decodes newly completed frames [F x K]; returns the interleaved samples that became final. */
  async put(frames: FrameCodes): Promise<Float32Array> {
    const { codebooks: K, hop, channels: ch, crossfadeSamples: X } = this.options;
    const F = frames.length / K;
    if (!Number.isInteger(F)) throw new RangeError(`frames length ${frames.length} is not a multiple of ${K} codebooks`);
    if (F === 0) return new Float32Array(0);
    const ctx = this.context.length / K;
    const total = ctx + F;
    // audio_codes [1, 1, K, total]: codebook-major.
    const codes = new BigInt64Array(K * total);
    for (let f = 0; f < total; f++) {
      const src = f < ctx ? this.context : frames;
      const off = (f < ctx ? f : f - ctx) * K;
      for (let k = 0; k < K; k++) codes[k * total + f] = BigInt(src[off + k]!);
    }
    const out = await this.codec.run({ audio_codes: new Tensor('int64', codes, [1, 1, K, total]) });
    const audio = out['audio_values']!;
    const data = audio.data as Float32Array;
    const n = audio.dims[2]!;
    if (audio.dims[0] !== 1 || audio.dims[1] !== ch || n !== total * hop) {
      throw new Error(`${this.codec.spec.file}: audio_values is [${audio.dims.join(', ')}], expected [1, ${ch}, ${total * hop}] for ${total} frames`);
    }
    // Block sample j (per channel) is stream sample (framesDecoded - ctx) * hop + j.
    const newStart = ctx * hop; // first sample of the new frames within the block
    const xfadeStart = this.framesDecoded > 0 ? newStart - X : newStart;
    const keepFrom = newStart + F * hop - X; // the new tail starts here
    const count = keepFrom - xfadeStart;
    const pcm = new Float32Array(count * ch);
    for (let j = xfadeStart; j < keepFrom; j++) {
      const o = j - xfadeStart;
      for (let c = 0; c < ch; c++) pcm[o * ch + c] = data[c * n + j]!;
    }
    if (xfadeStart < newStart) {
      const incoming = pcm.slice(0, X * ch);
      const r = correlation(this.tail, incoming);
      for (let o = 0; o < X; o++) {
        const [wOut, wIn] = crossfadeWeights(this.options.crossfade, o, X, r);
        for (let c = 0; c < ch; c++) pcm[o * ch + c] = this.tail[o * ch + c]! * wOut + incoming[o * ch + c]! * wIn;
      }
    }
    this.tail = new Float32Array(X * ch);
    for (let j = 0; j < X; j++) for (let c = 0; c < ch; c++) this.tail[j * ch + c] = data[c * n + keepFrom + j]!;
    const keep = Math.min(this.options.contextFrames, total);
    const all = new Int32Array(total * K);
    all.set(this.context);
    all.set(frames, this.context.length);
    this.context = all.slice((total - keep) * K);
    this.framesDecoded += F;
    this.samplesEmitted += count;
    return pcm;
  }
}

/** A fresh codec streamer (per-session state) over an audio-codec pack's codec graph. */
export function codecStreamerFor(pack: MusicgenPack): CodecStreamer {
  const m = pack.manifest;
  const c = encodecOf(m);
  if (pack.codec === null) throw new Error(`pack "${m.name}" has no codec graph`);
  return new CodecStreamer(pack.codec, {
    codebooks: m.tokens.codebooks,
    hop: c.hop,
    channels: m.audio.channels,
    contextFrames: c.contextFrames,
    crossfadeSamples: c.crossfadeSamples,
    crossfade: c.crossfade,
  });
}
