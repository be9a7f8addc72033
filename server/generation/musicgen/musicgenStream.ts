/**
 * One session's stream over a MusicGen-contract pack: renders exactly the requested frames,
 * generating decoder steps as needed and keeping the surplus audio for the next render (a codec
 * frame is 640 samples, a chunk ~1024). State: the generator state, the codec streamer and the
 * audio buffer, created here and released in dispose().
 */
import { finiteControls } from '../../../protocol/controlVector.js';
import type { Samples } from '../../../protocol/units.js';
import { checkChunkRequest, maxChunkFrames, StreamRequestError } from '../chunkRequest.js';
import { controlsAt, type ChunkRequest, type GeneratedChunk, type GenerationStream, type MusicState, type StreamOptions } from '../engine.js';
import type { CodecStreamer } from './codecStreamer.js';
import type { DecodeLoop, GeneratorState } from '../lm/decodeLoop.js';

/** Interleaved audio produced but not yet rendered. */
class AudioQueue {
  private data = new Float32Array(0);
  private length = 0;
  constructor(private readonly channels: number) {}
  get frames(): number {
    return this.length / this.channels;
  }
  push(pcm: Float32Array): void {
    if (this.length + pcm.length > this.data.length) {
      const grown = new Float32Array(Math.max(this.length + pcm.length, this.data.length * 2));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(pcm, this.length);
    this.length += pcm.length;
  }
  take(frames: number): Float32Array {
    const n = frames * this.channels;
    const out = this.data.slice(0, n);
    this.data.copyWithin(0, n, this.length);
    this.length -= n;
    return out;
  }
}

export interface MusicgenStreamParts {
  loop: DecodeLoop;
  /** Resolves the per-session generator state (encodes the first prompt). */
  state: Promise<GeneratorState>;
  codec: CodecStreamer;
  channels: number;
  hop: Samples;
}

export class MusicgenStream implements GenerationStream {
  private readonly loop: DecodeLoop;
  private readonly statePromise: Promise<GeneratorState>;
  private readonly codec: CodecStreamer;
  private readonly queue: AudioQueue;
  private readonly hop: Samples;
  private pendingPrompt: string | null = null;
  private prompt: string;
  /** Next sample the session expects (chunks are contiguous). */
  private nextSample: Samples = 0;
  private disposed = false;

  constructor(parts: MusicgenStreamParts, options: StreamOptions) {
    this.loop = parts.loop;
    this.statePromise = parts.state;
    this.statePromise.catch(() => undefined); // reported by the first render
    this.codec = parts.codec;
    this.queue = new AudioQueue(parts.channels);
    this.hop = parts.hop;
    this.prompt = options.prompt;
  }

  setPrompt(prompt: string): void {
    this.pendingPrompt = prompt;
  }

  async render(request: ChunkRequest): Promise<GeneratedChunk> {
    if (this.disposed) throw new StreamRequestError('the stream was disposed', 'GEN_ERR_DISPOSED');
    checkChunkRequest(request, this.nextSample, maxChunkFrames(this.loop.pack.manifest.audio.sampleRate));
    const state = await this.statePromise;
    if (this.pendingPrompt !== null && this.pendingPrompt !== this.prompt) {
      await this.loop.changePrompt(state, this.pendingPrompt);
      this.prompt = this.pendingPrompt;
    }
    this.pendingPrompt = null;
    const controlAt = (position: number) => controlFor(request, position * this.hop);
    const X = this.codec.options.crossfadeSamples;
    // Emitted samples after decoding F frames: F * hop - X. Generate the frames that cover the request.
    const target = this.nextSample + request.frames;
    const framesNeeded = Math.ceil((target + X) / this.hop);
    if (this.nextSample + this.queue.frames < target) {
      const lastPosition = framesNeeded + this.loop.pack.pattern.maxDelay;
      while (state.history.newest < lastPosition) await this.loop.step(state, controlAt);
      this.queue.push(await this.codec.put(this.loop.takeFrames(state)));
    }
    if (this.queue.frames < request.frames) throw new Error(`internal: ${this.queue.frames} frames generated, ${request.frames} requested`);
    this.nextSample = target;
    return { pcm: this.queue.take(request.frames), state: this.musicState(state) };
  }

  private musicState(state: GeneratorState): MusicState {
    return {
      style: this.loop.pack.manifest.name,
      tempoBpm: null, // audio tokens carry no tempo of their own
      key: '-',
      mode: 'major',
      step: state.history.newest,
      windowStart: state.windowStart,
      guidanceScale: this.loop.settings.guidanceScale,
    };
  }

  dispose(): void {
    this.disposed = true;
    this.statePromise.then((s) => {
      s.cache = null;
    }, () => undefined);
  }
}

/**
 * The request's control vector in force at `sample` (held before the first / after the last), as
 * a copy the history may keep; non-finite entries read as neutral.
 */
export function controlFor(request: ChunkRequest, sample: Samples): Float32Array {
  return finiteControls(controlsAt(request, sample));
}
