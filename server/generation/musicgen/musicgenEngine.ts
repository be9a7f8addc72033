/**
 * The Engine for MusicGen-contract packs (models/<name>/manifest.json, kind "musicgen").
 * `createMusicgenEngine` is synchronous (the seam's createEngine is): it validates the manifest
 * at once and loads the ONNX sessions in the background; streams wait for them, and a pack that
 * fails its checks fails the first render with the loader's message. `loadMusicgenEngine`
 * awaits the checks (tests, importer, benchmark).
 */
import type { Engine, GenerationStream, PackInfo, StreamOptions } from '../engine.js';
import { codecStreamerFor } from './codecStreamer.js';
import { DecodeLoop, resolveSettings, type GenerationSettings } from '../lm/decodeLoop.js';
import { encodecOf, loadManifest, type PackManifest } from '../pack/manifest.js';
import { DEFAULT_PACK_LOAD_OPTIONS, MusicgenPack, type PackLoadOptions } from '../lm/musicgenPack.js';
import { MusicgenStream } from './musicgenStream.js';

export interface MusicgenEngineOptions extends PackLoadOptions {
  settings: Partial<GenerationSettings>;
}

export function packInfo(m: PackManifest): PackInfo {
  return {
    name: m.name,
    kind: 'musicgen',
    description: m.description,
    sampleRate: m.audio.sampleRate,
    channels: m.audio.channels,
    controlVersion: m.controls?.version ?? 0,
    ...(m.test === true ? { test: true } : {}),
  };
}

export class MusicgenEngine implements Engine {
  readonly info: PackInfo;
  readonly ready: Promise<{ pack: MusicgenPack; loop: DecodeLoop }>;

  constructor(dir: string, options: Partial<MusicgenEngineOptions> = {}) {
    const loaded = loadManifest(dir, { quantized: options.quantized ?? false });
    this.info = packInfo(loaded.manifest);
    const loadOptions: PackLoadOptions = { ...DEFAULT_PACK_LOAD_OPTIONS, ...options };
    this.ready = MusicgenPack.load(dir, loadOptions).then((pack) => {
      try {
        return { pack, loop: new DecodeLoop(pack, resolveSettings(pack, options.settings)) };
      } catch (err) {
        void pack.dispose();
        throw err;
      }
    });
    this.ready.catch(() => undefined); // surfaced by loadMusicgenEngine or the first render
  }

  openStream(options: StreamOptions): GenerationStream {
    const parts = this.ready.then(async ({ pack, loop }) => ({ pack, loop, state: await loop.createState(options.prompt, options.seed) }));
    return new LazyStream(parts, options);
  }

  dispose(): Promise<void> {
    return this.ready.then(({ pack }) => pack.dispose(), () => undefined);
  }
}

/** A stream whose pack may still be loading: every call waits for it. */
class LazyStream implements GenerationStream {
  private readonly inner: Promise<MusicgenStream>;
  private prompt: string | null = null;

  constructor(parts: Promise<{ pack: MusicgenPack; loop: DecodeLoop; state: Awaited<ReturnType<DecodeLoop['createState']>> }>, options: StreamOptions) {
    this.inner = parts.then(({ pack, loop, state }) => {
      const m = pack.manifest;
      return new MusicgenStream({ loop, state: Promise.resolve(state), codec: codecStreamerFor(pack), channels: m.audio.channels, hop: encodecOf(m).hop }, options);
    });
    this.inner.catch(() => undefined);
  }

  setPrompt(prompt: string): void {
    this.prompt = prompt;
  }

  async render(request: Parameters<GenerationStream['render']>[0]) {
    const s = await this.inner;
    if (this.prompt !== null) {
      s.setPrompt(this.prompt);
      this.prompt = null;
    }
    return s.render(request);
  }

  dispose(): void {
    this.inner.then((s) => s.dispose(), () => undefined);
  }
}

export function createMusicgenEngine(dir: string, options: Partial<MusicgenEngineOptions> = {}): MusicgenEngine {
  return new MusicgenEngine(dir, options);
}

/** Loads a pack and runs every check before returning (refuses with the loader's message). */
export async function loadMusicgenEngine(dir: string, options: Partial<MusicgenEngineOptions> = {}): Promise<MusicgenEngine> {
  const engine = new MusicgenEngine(dir, options);
  await engine.ready;
  return engine;
}
