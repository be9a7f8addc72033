/**
 * One session's scene imaginer: fed every generated chunk (state, PCM, controls), it describes
 * the scene the music evokes and says so only when that changes.
 *
 * Per chunk (cheap): one pass over the PCM for level, brightness and onsets, a summary pushed
 * onto the feature window, the audio kept for the hook when one is configured. Every
 * `intervalMs` (a decision): the window's features -> the model's music embedding, compared
 * with the embedding at the last change (hysteresis: the caption changes only when the music
 * moved more than `changeThreshold` in cosine distance and stayed there for `settleMs`, or
 * after `refreshMs` of steady music);
 * on a change the bank is ranked, recently shown sentences penalised (no repeats), and the
 * best one sent. With a hook, the external service is asked first and the built-in sentence
 * is the fallback (timeout, error, bad answer), with the reason reported.
 */
import type { ControlVector } from '../../protocol/controlVector.js';
import type { Milliseconds } from '../../protocol/units.js';
import { encodeWav } from '../audio/wav.js';
import type { MusicState } from '../generation/index.js';
import { AudioDescriptors } from './audioDescriptors.js';
import { AudioHistory } from './audioHistory.js';
import { MUSIC_FEATURE_COUNT, MusicFeatureWindow } from './musicFeatures.js';
import { dot } from './sceneModel.js';
import type { SceneHook, SceneHookResult } from './sceneHook.js';
import type { SceneRanker } from './sceneRanker.js';

export type SceneSource = 'builtin' | 'external';

export interface SceneCaption {
  caption: string;
  source: SceneSource;
  /** Why it changed: the first caption, the music changed character, a refresh of steady music. */
  reason: 'first' | 'music' | 'refresh';
}

export interface SceneImaginerOptions {
  /** How often a decision is taken (ms). Default 4000. */
  intervalMs: Milliseconds;
  /** Seconds of music the features describe. Default 5. */
  windowSeconds: number;
  /** No caption before this much music (seconds): a full window, so the first caption's features are settled. Default 5. */
  minSeconds: number;
  /**
   * Cosine distance of the music embedding from the last change's that counts as a new
   * character. Default 0.3: steady music wanders up to about 0.25 (sections, fills, phrasing),
   * a new style or mood moves it 0.5 to 1.2 (measured with the teacher).
   */
  changeThreshold: number;
  /**
   * A change of character must hold this long before the caption follows (ms). Default 5000 (one window):
   * while the window fills with the new music the embedding keeps moving, so captioning the
   * first moment would caption a mix and change again; one change per transition.
   */
  settleMs: Milliseconds;
  /** A new sentence after this long even when the music holds steady (ms); 0 = never. Default 30000. */
  refreshMs: Milliseconds;
  /** Sentences remembered as recently shown. Default 16. */
  recentCount: number;
  /** Score penalty of the most recent sentence (older ones less, linearly). Default 1 (cosines are <= 1). */
  recentPenalty: number;
  /** Seconds of audio sent to the hook. Default 5. */
  hookSeconds: number;
}

export const SCENE_IMAGINER_DEFAULTS: SceneImaginerOptions = {
  intervalMs: 4000,
  windowSeconds: 5,
  minSeconds: 5,
  changeThreshold: 0.3,
  settleMs: 5000,
  refreshMs: 30000,
  recentCount: 16,
  recentPenalty: 1,
  hookSeconds: 5,
};

export interface SceneImaginerDeps {
  ranker: SceneRanker;
  sampleRate: number;
  channels: number;
  /** Called when the caption changes (not called again for the same caption). */
  send(caption: SceneCaption): void;
  hook?: SceneHook | null;
  /** Every hook answer: 'ok' or the failure reason (for metrics and logs). */
  onHookResult?(result: SceneHookResult): void;
  prompt?: string;
}

export class SceneImaginer {
  readonly options: SceneImaginerOptions;
  private readonly audio: AudioDescriptors;
  private readonly window: MusicFeatureWindow;
  private readonly history: AudioHistory | null;
  private readonly features = new Float32Array(MUSIC_FEATURE_COUNT);
  private readonly embedding: Float32Array;
  private anchor: Float32Array | null = null;
  private changedAtMs = 0;
  /** When the music first moved past the threshold (a change waiting to settle), or null. */
  private movedSinceMs: number | null = null;
  private nextDecisionMs: number | null = null;
  private readonly recent: number[] = [];
  private currentCaption: SceneCaption | null = null;
  private music: MusicState | null = null;
  private prompt: string;
  private hookInFlight = false;
  private readonly cancel = new AbortController();
  private disposed = false;

  constructor(
    private readonly deps: SceneImaginerDeps,
    options: Partial<SceneImaginerOptions> = {},
  ) {
    this.options = { ...SCENE_IMAGINER_DEFAULTS, ...options };
    const o = this.options;
    if (!(o.intervalMs > 0)) throw new RangeError(`intervalMs must be positive, but is ${o.intervalMs}`);
    if (!(o.changeThreshold >= 0 && o.changeThreshold <= 2)) throw new RangeError(`changeThreshold must be in [0, 2], but is ${o.changeThreshold}`);
    this.audio = new AudioDescriptors(deps.sampleRate, deps.channels);
    this.window = new MusicFeatureWindow(o.windowSeconds);
    this.history = deps.hook ? new AudioHistory(deps.sampleRate, deps.channels, o.hookSeconds) : null;
    this.embedding = new Float32Array(deps.ranker.dim);
    this.prompt = deps.prompt ?? '';
  }

  /** The caption shown now, or null before the first. */
  get current(): SceneCaption | null {
    return this.currentCaption;
  }

  setPrompt(prompt: string): void {
    this.prompt = prompt;
  }

  /** Feeds one generated chunk; decides when a decision is due. */
  observe(state: MusicState, pcm: Float32Array, controls: ControlVector, nowMs: Milliseconds): void {
    if (this.disposed) return;
    this.music = state;
    this.window.push(state, controls, this.audio.analyse(pcm));
    this.history?.push(pcm);
    if (this.window.covered < this.options.minSeconds) return;
    this.nextDecisionMs ??= nowMs;
    if (nowMs >= this.nextDecisionMs) {
      this.nextDecisionMs = nowMs + this.options.intervalMs;
      this.decide(nowMs);
    }
  }

  /** One decision now (observe() calls it on its schedule; tests may call it directly). */
  decide(nowMs: Milliseconds): SceneCaption | null {
    if (this.disposed || this.window.covered === 0) return null;
    const e = this.deps.ranker.model.embedMusic(this.window.features(this.features), this.embedding);
    let reason: SceneCaption['reason'] | null = null;
    if (this.anchor === null) reason = 'first';
    else if (1 - dot(e, this.anchor) > this.options.changeThreshold) {
      this.movedSinceMs ??= nowMs;
      if (nowMs - this.movedSinceMs >= this.options.settleMs) reason = 'music';
    } else {
      this.movedSinceMs = null;
      if (this.options.refreshMs > 0 && nowMs - this.changedAtMs >= this.options.refreshMs) reason = 'refresh';
    }
    if (reason === null || this.hookInFlight) return null;
    this.anchor = Float32Array.from(e);
    this.changedAtMs = nowMs;
    this.movedSinceMs = null;
    const best = this.deps.ranker.rank(e, 1, (index) => this.penalty(index))[0]!;
    this.remember(best.index);
    const builtin: SceneCaption = { caption: best.sentence, source: 'builtin', reason };
    if (this.deps.hook) {
      this.askHook(builtin);
      return null;
    }
    return this.show(builtin);
  }

  private penalty(index: number): number {
    const at = this.recent.lastIndexOf(index);
    if (at < 0) return 0;
    const age = this.recent.length - 1 - at;
    return (this.options.recentPenalty * (this.options.recentCount - age)) / this.options.recentCount;
  }

  private remember(index: number): void {
    const at = this.recent.indexOf(index);
    if (at >= 0) this.recent.splice(at, 1);
    this.recent.push(index);
    if (this.recent.length > this.options.recentCount) this.recent.shift();
  }

  private show(caption: SceneCaption): SceneCaption | null {
    if (this.disposed) return null;
    if (this.currentCaption !== null && this.currentCaption.caption === caption.caption) return null;
    this.currentCaption = caption;
    this.deps.send(caption);
    return caption;
  }

  private askHook(fallback: SceneCaption): void {
    const hook = this.deps.hook!;
    const wav = encodeWav(this.history!.read(), this.deps.sampleRate, 1);
    this.hookInFlight = true;
    void hook.request({ wav, prompt: this.prompt, music: this.music }, this.cancel.signal).then((result) => {
      this.hookInFlight = false;
      if (this.disposed) return;
      this.deps.onHookResult?.(result);
      this.show(result.ok ? { caption: result.caption, source: 'external', reason: fallback.reason } : fallback);
    });
  }

  dispose(): void {
    this.disposed = true;
    this.cancel.abort();
  }
}
