/**
 * A style classifier over token statistics of the teacher's emitted steps: what a listener
 * would call the style, judged from the notes and drums only (never from the composer's own
 * style label). Used by the scene -> music evaluation (`npm run eval:scenes`).
 *
 * Features (tokenStatistics): tempo, swing (read from step durations), each drum voice's rate
 * and where it falls (on beats, off beats, 16ths), bass, chord and lead onset/hold/rest rates,
 * chord-quality shares, chord changes per bar, registers. The model is multinomial logistic
 * regression on standardised features, trained on clips rendered from plain style prompts
 * ("funk", "bossa nova") with varied performers and seeds.
 */
import { CHORD_QUALITIES, DRUM_VOICES, decodeStep } from '../../server/generation/symbolic/tokens.js';
import { STYLE_NAMES, type StyleName } from '../../server/generation/symbolic/styleNames.js';
import type { EmittedStep } from '../../server/generation/symbolic/symbolicStream.js';

export const TOKEN_FEATURE_NAMES: readonly string[] = [
  'bpm',
  'swing',
  ...DRUM_VOICES.flatMap((v) => [`${v}:beat`, `${v}:offbeat`, `${v}:16th`]),
  'bass:onset',
  'bass:hold',
  'bass:rest',
  'bass:pitch',
  'harmony:onset',
  'harmony:rest',
  'harmony:changesPerBar',
  ...CHORD_QUALITIES.map((q) => `harmony:${q}`),
  'lead:onset',
  'lead:hold',
  'lead:rest',
  'lead:pitch',
];

/** Token statistics of a run of steps (at least one bar). */
export function tokenStatistics(steps: readonly EmittedStep[]): Float64Array {
  const f = new Float64Array(TOKEN_FEATURE_NAMES.length);
  if (steps.length === 0) return f;
  let i = 0;
  let bpm = 0;
  let even = 0;
  let evenN = 0;
  let odd = 0;
  let oddN = 0;
  const drum = new Float64Array(DRUM_VOICES.length * 3);
  const pos = [0, 0, 0];
  let bassOn = 0, bassHold = 0, bassRest = 0, bassPitch = 0;
  let harmOn = 0, harmRest = 0, changes = 0;
  const quality = new Float64Array(CHORD_QUALITIES.length);
  let leadOn = 0, leadHold = 0, leadRest = 0, leadPitch = 0;
  let lastChord = '';
  for (const s of steps) {
    bpm += s.bpm;
    if (s.stepInBar % 2 === 0) {
      even += s.durationSamples;
      evenN++;
    } else {
      odd += s.durationSamples;
      oddN++;
    }
    const p = s.stepInBar % 4 === 0 ? 0 : s.stepInBar % 2 === 0 ? 1 : 2;
    pos[p]!++;
    const e = decodeStep(s.tokens);
    for (let v = 0; v < DRUM_VOICES.length; v++) if ((e.drums >> v) & 1) drum[v * 3 + p]!++;
    if (e.bass.type === 'note') {
      bassOn++;
      bassPitch += e.bass.pitch;
    } else if (e.bass.type === 'hold') bassHold++;
    else bassRest++;
    if (e.harmony.type === 'chord') {
      harmOn++;
      quality[CHORD_QUALITIES.indexOf(e.harmony.quality)]!++;
      const name = `${e.harmony.root}${e.harmony.quality}`;
      if (name !== lastChord) changes++;
      lastChord = name;
    } else if (e.harmony.type === 'rest') harmRest++;
    if (e.lead.type === 'note') {
      leadOn++;
      leadPitch += e.lead.pitch;
    } else if (e.lead.type === 'hold') leadHold++;
    else leadRest++;
  }
  const n = steps.length;
  f[i++] = bpm / n / 100;
  f[i++] = evenN > 0 && oddN > 0 ? even / evenN / (even / evenN + odd / oddN) : 0.5;
  for (let v = 0; v < DRUM_VOICES.length; v++) for (let q = 0; q < 3; q++) f[i++] = drum[v * 3 + q]! / Math.max(1, pos[q]!);
  f[i++] = bassOn / n;
  f[i++] = bassHold / n;
  f[i++] = bassRest / n;
  f[i++] = bassOn > 0 ? bassPitch / bassOn / 60 : 0.5;
  f[i++] = harmOn / n;
  f[i++] = harmRest / n;
  f[i++] = (changes / n) * 16;
  for (let q = 0; q < CHORD_QUALITIES.length; q++) f[i++] = harmOn > 0 ? quality[q]! / harmOn : 0;
  f[i++] = leadOn / n;
  f[i++] = leadHold / n;
  f[i++] = leadRest / n;
  f[i++] = leadOn > 0 ? leadPitch / leadOn / 90 : 0.7;
  return f;
}

export interface StyleClassifierWeights {
  mean: number[];
  std: number[];
  /** STYLE_NAMES.length rows of (features + 1 bias). */
  weights: number[][];
}

export interface LabelledExample {
  features: Float64Array;
  style: StyleName;
}

/** Softmax regression on standardised token statistics. */
export class StyleClassifier {
  constructor(readonly model: StyleClassifierWeights) {}

  static train(examples: readonly LabelledExample[], options: { epochs?: number; rate?: number; l2?: number } = {}): StyleClassifier {
    const dims = TOKEN_FEATURE_NAMES.length;
    if (examples.length === 0) throw new RangeError('training needs at least one example, but got none');
    const mean = new Array<number>(dims).fill(0);
    const std = new Array<number>(dims).fill(0);
    for (const ex of examples) for (let d = 0; d < dims; d++) mean[d]! += ex.features[d]! / examples.length;
    for (const ex of examples) for (let d = 0; d < dims; d++) std[d]! += (ex.features[d]! - mean[d]!) ** 2 / examples.length;
    for (let d = 0; d < dims; d++) std[d] = Math.sqrt(std[d]!) + 1e-3;
    const weights = STYLE_NAMES.map(() => new Array<number>(dims + 1).fill(0));
    const clf = new StyleClassifier({ mean, std, weights });
    const epochs = options.epochs ?? 300;
    const rate = options.rate ?? 0.5;
    const l2 = options.l2 ?? 1e-3;
    const xs = examples.map((ex) => clf.standardise(ex.features));
    const ys = examples.map((ex) => STYLE_NAMES.indexOf(ex.style));
    for (let epoch = 0; epoch < epochs; epoch++) {
      const grad = STYLE_NAMES.map(() => new Array<number>(dims + 1).fill(0));
      for (let n = 0; n < xs.length; n++) {
        const p = clf.probabilitiesOf(xs[n]!);
        for (let k = 0; k < STYLE_NAMES.length; k++) {
          const g = (p[k]! - (ys[n] === k ? 1 : 0)) / xs.length;
          const row = grad[k]!;
          for (let d = 0; d < dims; d++) row[d]! += g * xs[n]![d]!;
          row[dims]! += g;
        }
      }
      for (let k = 0; k < STYLE_NAMES.length; k++) {
        for (let d = 0; d <= dims; d++) weights[k]![d]! -= rate * (grad[k]![d]! + (d < dims ? l2 * weights[k]![d]! : 0));
      }
    }
    return clf;
  }

  private standardise(features: Float64Array): Float64Array {
    const x = new Float64Array(features.length);
    for (let d = 0; d < features.length; d++) x[d] = (features[d]! - this.model.mean[d]!) / this.model.std[d]!;
    return x;
  }

  private probabilitiesOf(x: Float64Array): Float64Array {
    const logits = new Float64Array(STYLE_NAMES.length);
    let max = -Infinity;
    for (let k = 0; k < STYLE_NAMES.length; k++) {
      const w = this.model.weights[k]!;
      let z = w[x.length]!;
      for (let d = 0; d < x.length; d++) z += w[d]! * x[d]!;
      logits[k] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let k = 0; k < logits.length; k++) sum += logits[k] = Math.exp(logits[k]! - max);
    for (let k = 0; k < logits.length; k++) logits[k]! /= sum;
    return logits;
  }

  /** Probability of each style (STYLE_NAMES order). */
  probabilities(features: Float64Array): Float64Array {
    return this.probabilitiesOf(this.standardise(features));
  }

  classify(features: Float64Array): StyleName {
    const p = this.probabilities(features);
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
    return STYLE_NAMES[best]!;
  }
}
