/**
 * Hears the key of a symbolic token stream (Krumhansl-Schmuckler): pitch classes of bass,
 * chord and lead onsets, weighted and decaying over about two bars, correlated with the 24
 * major and minor key profiles. Reports what a listener would call the key and mode; used by
 * neural packs (which have no explicit key) for their MusicState, and by evaluations.
 */
import { CHORD_INTERVALS, decodeStep, type StepTokens } from './tokens.js';
import type { Mode, PitchClass } from './theory.js';
import { pearson } from '../../stats.js';

const MAJOR = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
const MINOR = [6.33, 2.68, 3.52, 5.38, 2.6, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];

export interface HeardKey {
  root: PitchClass;
  mode: Mode;
  /** Correlation of the best key, in [-1, 1] (0 when nothing has sounded). */
  confidence: number;
}

export class KeyFinder {
  private readonly weights = new Float64Array(12);
  private readonly decay: number;
  private heard: HeardKey | null = null;

  /** `halfLifeSteps`: how fast old notes fade (default 32 steps, two bars). */
  constructor(halfLifeSteps = 32) {
    this.decay = Math.pow(0.5, 1 / halfLifeSteps);
  }

  push(tokens: StepTokens | readonly number[]): void {
    this.heard = null;
    for (let i = 0; i < 12; i++) this.weights[i]! *= this.decay;
    const step = decodeStep(tokens);
    if (step.bass.type === 'note') this.weights[step.bass.pitch % 12]! += 2;
    if (step.lead.type === 'note') this.weights[step.lead.pitch % 12]! += 1;
    if (step.harmony.type === 'chord') {
      for (const iv of CHORD_INTERVALS[step.harmony.quality]) this.weights[(step.harmony.root + iv) % 12]! += 1;
      this.weights[step.harmony.root]! += 1;
    }
  }

  /** The key after the last push (computed once per push: the state getter and the step both read it). */
  get key(): HeardKey {
    this.heard ??= this.find();
    return this.heard;
  }

  private find(): HeardKey {
    let best: HeardKey = { root: 0, mode: 'major', confidence: 0 };
    let total = 0;
    for (let i = 0; i < 12; i++) total += this.weights[i]!;
    if (total <= 1e-9) return best;
    let score = -Infinity;
    const rotated = new Float64Array(12);
    for (let root = 0; root < 12; root++) {
      for (let i = 0; i < 12; i++) rotated[i] = this.weights[(i + root) % 12]!;
      for (const mode of ['major', 'minor'] as const) {
        const c = pearson(rotated, mode === 'major' ? MAJOR : MINOR) || 0;
        if (c > score) {
          score = c;
          best = { root, mode, confidence: c };
        }
      }
    }
    return best;
  }
}
