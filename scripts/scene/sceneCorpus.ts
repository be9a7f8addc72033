/**
 * Paired training data for the scene imaginer: teacher clips (music features) with scene
 * sentences that fit them.
 *
 * Each clip: a prompt (a plain style prompt, a caption the grammar wrote, or a bank sentence:
 * scene -> music), a performer (mood, energy, hands, arms, beat; drifting over the clip) and a
 * seed; the teacher renders it chunk by chunk as a session would and the feature window reads
 * it. Then the captions: the grammar writes `captionsPerClip` sentences for what the clip
 * actually became (its style, how minor it sounded, how dense and fast it was), and a bank
 * sentence that was the prompt is paired too when the music landed in its style.
 */
import { C } from '../../protocol/controlVector.js';
import { clamp } from '../../protocol/numbers.js';
import { Rng } from '../../server/generation/rng.js';
import { STYLE_PRESETS } from '../../server/generation/symbolic/stylePresets.js';
import { STYLE_NAMES, type StyleName } from '../../server/generation/symbolic/styleNames.js';
import { readPrompt } from '../../server/generation/symbolic/prompt.js';
import { AudioDescriptors } from '../../server/scene/audioDescriptors.js';
import { CaptionGrammar, type CaptionTarget } from '../dataset/captionGrammar.js';
import { MusicFeatureWindow } from '../../server/scene/musicFeatures.js';
import { CLIP_CHANNELS, CLIP_SAMPLE_RATE, renderTeacherClip } from './teacherClips.js';

export interface ScenePair {
  features: Float32Array;
  caption: string;
  /** Clip index (pairs of one clip share it). */
  clip: number;
  source: 'grammar' | 'bank';
}

export interface SceneCorpusOptions {
  /** Clips to render. */
  clips: number;
  /** Index of the first clip (seeds derive from it, so train and test sets never share clips). */
  firstClip: number;
  /** Seconds of each clip read by the feature window (after a preroll). Default 3. */
  seconds: number;
  /** Preroll before the window, so smoothing settles. Default 1.5. */
  prerollSeconds: number;
  captionsPerClip: number;
  /** Bank sentences that may serve as prompts (and captions). */
  bank: readonly string[];
  /** Share of clips prompted by a bank sentence. Default 0.6. */
  bankShare: number;
  seed: number;
}

const DEFAULTS: Omit<SceneCorpusOptions, 'clips' | 'bank'> = {
  firstClip: 0,
  seconds: 3,
  prerollSeconds: 1.5,
  captionsPerClip: 2,
  bankShare: 0.6,
  seed: 1,
};


/** What a clip became, as a caption target. */
export function realisedTarget(style: StyleName, minorShare: number, meanLevel: number, meanBpm: number, controlValence: number, controlEnergy: number): CaptionTarget {
  const [lo, hi] = STYLE_PRESETS[style].tempo;
  const tempo = clamp((meanBpm - lo) / Math.max(1, hi - lo), 0, 1);
  return {
    style,
    valence: clamp(0.75 * (1 - 2 * minorShare) + 0.25 * controlValence, -1, 1),
    energy: clamp(0.6 * (meanLevel / 3) + 0.25 * tempo + 0.15 * controlEnergy, 0, 1),
  };
}

export function buildSceneCorpus(options: Partial<SceneCorpusOptions> & Pick<SceneCorpusOptions, 'clips' | 'bank'>, onClip?: (done: number) => void): ScenePair[] {
  const o: SceneCorpusOptions = { ...DEFAULTS, ...options };
  const grammar = new CaptionGrammar();
  const pairs: ScenePair[] = [];
  for (let c = o.firstClip; c < o.firstClip + o.clips; c++) {
    const rng = new Rng((o.seed * 1_000_003 + c * 7919) >>> 0);
    let prompt: string;
    let bankPrompt: string | null = null;
    const u = rng.next();
    if (u < o.bankShare && o.bank.length > 0) {
      prompt = bankPrompt = rng.pick(o.bank);
    } else {
      const style = rng.pick(STYLE_NAMES);
      prompt =
        u < o.bankShare + (1 - o.bankShare) / 2
          ? grammar.write({ style, valence: rng.next() * 2 - 1, energy: rng.next() }, rng)
          : style === 'hip-hop'
            ? 'hip hop'
            : style;
    }
    // A performer: mood and energy from anywhere in their range, drifting over the clip.
    const v0 = rng.chance(0.7) ? rng.next() * 2 - 1 : (rng.next() - 0.5) * 0.3;
    const v1 = rng.chance(0.3) ? rng.next() * 2 - 1 : v0;
    const e0 = rng.next();
    const e1 = rng.chance(0.3) ? rng.next() : e0;
    const presence = rng.chance(0.1) ? 0.2 + rng.next() * 0.4 : 1;
    const hand = rng.next();
    const arms = rng.next();
    const beat = rng.chance(0.3) ? 0.6 + rng.next() * 0.4 : rng.next() * 0.4;
    const tempo = 80 + rng.next() * 60;
    const span = o.seconds;
    const window = new MusicFeatureWindow(o.seconds + 1);
    const audio = new AudioDescriptors(CLIP_SAMPLE_RATE, CLIP_CHANNELS);
    let style: StyleName = 'pop';
    let minor = 0, level = 0, bpm = 0, n = 0, cv = 0, ce = 0;
    renderTeacherClip(
      {
        prompt,
        seed: rng.int(2 ** 31),
        seconds: o.seconds,
        prerollSeconds: o.prerollSeconds,
        controls: (t) => {
          const k = clamp(t / span, 0, 1);
          return { valence: v0 + (v1 - v0) * k, energy: e0 + (e1 - e0) * k, presence, handHeight: hand, armOpenness: arms, beatStrength: beat, tempo };
        },
      },
      {
        onChunk: (chunk) => {
          const d = audio.analyse(chunk.pcm);
          window.push(chunk.state, chunk.controls, d);
          style = chunk.state.style as StyleName;
          minor += chunk.state.mode === 'minor' ? 1 : 0;
          level += Number(chunk.state['level'] ?? 0);
          bpm += chunk.state.tempoBpm ?? 0;
          cv += chunk.controls[C.valence]!;
          ce += chunk.controls[C.energy]!;
          n++;
        },
      },
    );
    const features = window.features();
    const target = realisedTarget(style, minor / n, level / n, bpm / n, cv / n, ce / n);
    for (let k = 0; k < o.captionsPerClip; k++) pairs.push({ features, caption: grammar.write(target, rng), clip: c, source: 'grammar' });
    if (bankPrompt !== null && readPrompt(bankPrompt).style === style) pairs.push({ features, caption: bankPrompt, clip: c, source: 'bank' });
    onClip?.(c - o.firstClip + 1);
  }
  return pairs;
}

/** Splits the bank deterministically: every `every`-th sentence is held out. */
export function splitBank(bank: readonly string[], every = 5): { train: string[]; test: string[] } {
  return { train: bank.filter((_, i) => i % every !== 0), test: bank.filter((_, i) => i % every === 0) };
}
