/**
 * Scene -> music evaluation: does a scene typed as the prompt make the music a listener would
 * expect? Each held-out prompt (models/scene/eval-scenes.json) names the acceptable styles, a
 * mood (bright = mostly major, dark = mostly minor) and a pace (calm / lively). The teacher
 * renders it for a performer standing still; the style classifier (token statistics, trained
 * on plain style prompts) names the style; mode share and density/tempo give mood and pace.
 */
import { STYLE_PRESETS } from '../../server/generation/symbolic/stylePresets.js';
import { STYLE_NAMES, type StyleName } from '../../server/generation/symbolic/styleNames.js';
import type { EmittedStep } from '../../server/generation/symbolic/symbolicStream.js';
import { Rng } from '../../server/generation/rng.js';
import { StyleClassifier, tokenStatistics, type LabelledExample } from '../evaluation/styleClassifier.js';
import { renderTeacherClip, type ControlTrajectory } from './teacherClips.js';

export type Mood = 'bright' | 'dark' | 'any';
export type Pace = 'calm' | 'lively' | 'any';

export interface ScenePromptCase {
  prompt: string;
  styles: StyleName[];
  mood: Mood;
  pace: Pace;
}

export interface SceneCaseResult extends ScenePromptCase {
  heardStyle: StyleName;
  majorShare: number;
  meanLevel: number;
  /** Mean tempo's place in the heard style's range, 0..1. */
  tempoPosition: number;
  heardMood: 'bright' | 'dark';
  heardPace: 'calm' | 'lively';
  styleOk: boolean;
  moodOk: boolean;
  paceOk: boolean;
  ok: boolean;
}

export interface SceneEvalOptions {
  /** Clips per style for the classifier. Default 16. */
  clipsPerStyle?: number;
  seed?: number;
}

/** A performer standing in front of the camera, barely moving, neutral face. */
export const STANDING_STILL: ControlTrajectory = () => ({ presence: 1, energy: 0.25, valence: 0, handHeight: 0.3, armOpenness: 0.3 });

function stepsOf(prompt: string, seed: number, seconds: number, controls: ControlTrajectory): EmittedStep[] {
  const steps: EmittedStep[] = [];
  renderTeacherClip({ prompt, seed, seconds, controls, prerollSeconds: 2, chunkFrames: 4800 }, { onStep: (s) => steps.push(s) });
  return steps;
}

/** Trains the classifier on plain style prompts and varied performers (deterministic). */
export function trainStyleClassifier(options: SceneEvalOptions = {}): StyleClassifier {
  const rng = new Rng(options.seed ?? 7);
  const examples: LabelledExample[] = [];
  const perStyle = options.clipsPerStyle ?? 16;
  for (const style of STYLE_NAMES) {
    for (let i = 0; i < perStyle; i++) {
      const energy = rng.next();
      const valence = rng.next() * 2 - 1;
      const hand = rng.next();
      const controls: ControlTrajectory = () => ({ presence: 1, energy, valence, handHeight: hand, armOpenness: 0.5 });
      // Half the clips at an explicit tempo anywhere in the style's range, so that tempo words
      // in a scene prompt cannot push a style outside what the classifier has heard.
      const [lo, hi] = STYLE_PRESETS[style].tempo;
      const prompt = i % 2 === 0 ? style : `${style} ${Math.round(lo + rng.next() * (hi - lo))} bpm`;
      const steps = stepsOf(prompt, rng.int(2 ** 31), 8, controls);
      examples.push({ features: tokenStatistics(steps), style });
    }
  }
  return StyleClassifier.train(examples);
}

export function evaluateScenePrompt(c: ScenePromptCase, classifier: StyleClassifier, seed: number, seconds = 12): SceneCaseResult {
  const steps = stepsOf(c.prompt, seed, seconds, STANDING_STILL);
  const heardStyle = classifier.classify(tokenStatistics(steps));
  const majorShare = steps.filter((s) => s.mode === 'major').length / Math.max(1, steps.length);
  const meanLevel = steps.reduce((a, s) => a + s.level, 0) / Math.max(1, steps.length);
  const bpm = steps.reduce((a, s) => a + s.bpm, 0) / Math.max(1, steps.length);
  const [lo, hi] = STYLE_PRESETS[heardStyle].tempo;
  const tempoPosition = Math.max(0, Math.min(1, (bpm - lo) / Math.max(1, hi - lo)));
  const heardMood = majorShare >= 0.5 ? 'bright' : 'dark';
  const heardPace = meanLevel >= 1.5 || tempoPosition > 0.5 ? 'lively' : 'calm';
  const styleOk = c.styles.includes(heardStyle);
  const moodOk = c.mood === 'any' || c.mood === heardMood;
  const paceOk = c.pace === 'any' || c.pace === heardPace;
  return { ...c, heardStyle, majorShare, meanLevel, tempoPosition, heardMood, heardPace, styleOk, moodOk, paceOk, ok: styleOk && moodOk && paceOk };
}

/** Validates the held-out file's contents. */
export function parseScenePromptCases(json: unknown): ScenePromptCase[] {
  const prompts = (json as { prompts?: unknown }).prompts;
  if (!Array.isArray(prompts)) throw new TypeError('eval scenes must have a "prompts" array');
  return prompts.map((p, i) => {
    const c = p as ScenePromptCase;
    const ok =
      typeof c.prompt === 'string' &&
      Array.isArray(c.styles) &&
      c.styles.length > 0 &&
      c.styles.every((s) => (STYLE_NAMES as readonly string[]).includes(s)) &&
      ['bright', 'dark', 'any'].includes(c.mood) &&
      ['calm', 'lively', 'any'].includes(c.pace);
    if (!ok) throw new TypeError(`eval scene ${i} is malformed: ${JSON.stringify(p)}`);
    return c;
  });
}
