/**
 * The engine seam: what a session needs from a generator, whatever the pack.
 *
 * An Engine is loaded once per pack (per worker thread); each session opens its own
 * GenerationStream, which owns all per-session state (token history, KV cache, synthesiser
 * voices, sampler seed) and renders the session's audio timeline chunk by chunk, in order.
 * Streams run inside worker threads (server/generation/workerPool.ts); nothing here may
 * touch the network or the event loop of the main thread.
 */
import type { ControlVector } from '../../protocol/controlVector.js';
import type { InstrumentKind } from '../../protocol/messages.js';
import type { Hz, Samples } from '../../protocol/units.js';
import type { BeatGrid } from '../controls/chunkControls.js';

/** The performer's beat on the audio timeline (defined where the tracker makes it, controls/chunkControls.ts). */
export type { BeatGrid };

export interface ChunkRequest {
  /** First sample of the chunk on the session's audio timeline (chunks are contiguous). */
  startSample: Samples;
  /** Sample frames to render. */
  frames: Samples;
  /**
   * Control vectors covering the chunk, causally resampled onto the control step clock:
   * controls[i] applies from startSample + i * controlStepSamples. At least one entry.
   */
  controls: ControlVector[];
  controlStepSamples: Samples;
  /** The performer's beat, or null when their motion is not periodic. */
  beat: BeatGrid | null;
}

/** The control vector in effect at timeline sample `sample`: controls[i] applies from startSample + i * controlStepSamples (held before the first / after the last). */
export function controlsAt(request: ChunkRequest, sample: Samples): ControlVector {
  const i = Math.floor((sample - request.startSample) / request.controlStepSamples);
  return request.controls[Math.max(0, Math.min(request.controls.length - 1, i))]!;
}

/**
 * What a generator reports about the music it is making (for the UI, logs and evaluation): the
 * protocol's own type, so what an engine reports is what a `controls` message may carry.
 */
import type { MusicState } from '../../protocol/messages.js';
import type { ChunkNotes } from '../../protocol/notesFrame.js';
export type { ChunkNotes, MusicState };

export interface GeneratedChunk {
  /**
   * Interleaved PCM, frames * channels float32 samples in [-1, 1]. A fresh array that the
   * caller owns: it is transferred between threads, so the stream must not reuse it.
   */
  pcm: Float32Array;
  state: MusicState;
  /** The notes played in the chunk (symbolic packs); absent for packs without notes (MusicGen). */
  notes?: ChunkNotes;
}

export interface StreamOptions {
  prompt: string;
  /** Seeds every random choice: the same seed, prompt and controls give the same audio. */
  seed: number;
  /** Who plays a symbolic pack's notes; the pack's own choice when absent. Audio-token packs ignore it. */
  instruments?: InstrumentKind;
}

export interface GenerationStream {
  /** Takes effect from the next chunk on, without a seam. */
  setPrompt(prompt: string): void;
  render(request: ChunkRequest): Promise<GeneratedChunk>;
  /** Resolves when the stream can render without loading anything more (e.g. a SoundFont bank). */
  whenReady?(): Promise<void>;
  /** Who plays a symbolic stream's notes, once ready. */
  readonly instruments?: InstrumentKind | null;
  dispose(): void;
}

export interface PackInfo {
  /** Pack name as clients select it in their hello. */
  name: string;
  kind: 'symbolic' | 'musicgen';
  description: string;
  sampleRate: Hz;
  channels: number;
  /** Control vector version the generator consumes. */
  controlVersion: number;
  /** A pack for tests: selectable by name, but hidden from the lists users see (/packs, ready.packs). */
  test?: boolean;
  /** A symbolic pack's own choice of instruments (manifest `codec.instruments`), if it makes one. */
  instruments?: InstrumentKind;
}

export interface Engine {
  readonly info: PackInfo;
  openStream(options: StreamOptions): GenerationStream;
  /** Releases the engine's resources (ONNX sessions: resolves once they are released). */
  dispose(): void | Promise<void>;
}
