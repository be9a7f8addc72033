/**
 * A loaded MusicGen-contract pack: its manifest, tokenizer and ONNX sessions, each checked
 * against the manifest. Loaded once per worker thread; shared by that worker's streams.
 */
import { relative } from 'node:path';
import { REPO_ROOT } from '../../paths.js';
import { DecoderRunner, EngineCacheDecoderRunner, MergedDecoderRunner, SplitDecoderRunner } from './decoderRunner.js';
import { DelayPattern } from './delayPattern.js';
import { loadManifest, type LoadedManifest, type PackManifest } from '../pack/manifest.js';
import { OnnxSession } from '../pack/onnxSession.js';
import { codecSpec, decoderSpec, decoderWithPastNewKvSpec, decoderWithPastSpec, mergedDecoderSpec, textEncoderSpec } from '../pack/packSpec.js';
import { loadTokenizer, TextConditioner } from './textConditioner.js';

export interface PackLoadOptions {
  /** onnxruntime intra-op threads per session (the worker pool already runs one worker per core). */
  intraOpThreads: number;
  /** Load the manifest's int8 file set (quantizedFiles); refused when the pack has none. */
  quantized?: boolean;
}

export const DEFAULT_PACK_LOAD_OPTIONS: PackLoadOptions = { intraOpThreads: 1 };

function shown(path: string): string {
  const rel = relative(REPO_ROOT, path);
  return rel.startsWith('..') ? path : rel;
}

export class MusicgenPack {
  readonly loaded: LoadedManifest;
  readonly text: TextConditioner;
  readonly decoder: DecoderRunner;
  readonly pattern: DelayPattern;
  /** The codec graph; null for a symbolic pack (its tokens go to the built-in synthesiser). Streamed by musicgen/codecStreamer.ts. */
  readonly codec: OnnxSession | null;
  private readonly sessions: OnnxSession[];

  private constructor(loaded: LoadedManifest, text: TextConditioner, decoder: DecoderRunner, codec: OnnxSession | null, sessions: OnnxSession[]) {
    this.loaded = loaded;
    this.text = text;
    this.decoder = decoder;
    this.codec = codec;
    this.sessions = sessions;
    const t = loaded.manifest.tokens;
    this.pattern = new DelayPattern(t.delays, t.padTokenId);
  }

  get manifest(): PackManifest {
    return this.loaded.manifest;
  }

  static async load(dir: string, options: PackLoadOptions = DEFAULT_PACK_LOAD_OPTIONS): Promise<MusicgenPack> {
    const loaded = loadManifest(dir, { quantized: options.quantized ?? false });
    const m = loaded.manifest;
    const p = loaded.paths;
    const sessions: OnnxSession[] = [];
    const open = async (path: string, spec: (m: PackManifest, file: string) => ReturnType<typeof textEncoderSpec>) => {
      const s = await OnnxSession.load(path, spec(m, shown(path)), options);
      sessions.push(s);
      return s;
    };
    try {
      const tokenizer = loadTokenizer(p.tokenizer);
      const encoder = await open(p.textEncoder, textEncoderSpec);
      const codec = p.codec !== undefined ? await open(p.codec, codecSpec) : null;
      let decoder: DecoderRunner;
      if (m.decoder.layout === 'merged' && m.decoder.kvOutputs === 'new') {
        const merged = await open(p.decoderMerged!, mergedDecoderSpec);
        decoder = new EngineCacheDecoderRunner(m, merged, merged);
      } else if (m.decoder.layout === 'merged') {
        decoder = new MergedDecoderRunner(m, await open(p.decoderMerged!, mergedDecoderSpec));
      } else if (m.decoder.kvOutputs === 'new') {
        decoder = new EngineCacheDecoderRunner(m, await open(p.decoder!, decoderSpec), await open(p.decoderWithPast!, decoderWithPastNewKvSpec));
      } else {
        decoder = new SplitDecoderRunner(m, await open(p.decoder!, decoderSpec), await open(p.decoderWithPast!, decoderWithPastSpec));
      }
      const text = new TextConditioner(tokenizer, encoder, m.text.hiddenSize, m.text.maxTokens);
      return new MusicgenPack(loaded, text, decoder, codec, sessions);
    } catch (err) {
      await Promise.all(sessions.map((s) => s.dispose()));
      throw err;
    }
  }

  /** Time spent in onnxruntime runs so far, summed over this pack's sessions. */
  onnxTime(): { runs: number; ms: number } {
    return this.sessions.reduce((a, s) => ({ runs: a.runs + s.stats.runs, ms: a.ms + s.stats.ms }), { runs: 0, ms: 0 });
  }

  async dispose(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.dispose()));
  }
}
