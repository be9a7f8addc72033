/**
 * Trains the scene model (sceneModel.ts) with a symmetric InfoNCE loss: in a batch of B
 * (music, sentence) pairs, each music clip must pick its own sentence among the B, and each
 * sentence its own clip; logits are cosines / temperature. Plain TypeScript, hand-written
 * gradients, Adam (lazy on the term table: only rows a batch touched move). Deterministic for
 * a seed.
 */
import { Rng } from '../../server/generation/rng.js';
import { MUSIC_FEATURE_COUNT, MUSIC_FEATURE_NAMES } from '../../server/scene/musicFeatures.js';
import { SceneModel, dot, normalise } from '../../server/scene/sceneModel.js';
import type { ScenePair } from './sceneCorpus.js';
import { Vocabulary } from '../../server/scene/sentenceEncoder.js';

export interface TrainerOptions {
  hidden: number;
  dim: number;
  temperature: number;
  batch: number;
  steps: number;
  rate: number;
  /** L2 on every weight, per step. */
  weightDecay: number;
  /** Probability of hiding the style one-hot of a training clip (packs that report no style). */
  styleDropout: number;
  /** Terms seen fewer times are left out of the vocabulary. */
  minTermCount: number;
  seed: number;
}

export const TRAINER_DEFAULTS: TrainerOptions = {
  hidden: 48,
  dim: 32,
  temperature: 0.1,
  batch: 128,
  steps: 2500,
  rate: 0.01,
  weightDecay: 1e-4,
  styleDropout: 0.25,
  minTermCount: 2,
  seed: 1,
};

class Adam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly t: Int32Array;
  constructor(
    private readonly w: Float32Array,
    private readonly rowSize: number,
  ) {
    this.m = new Float32Array(w.length);
    this.v = new Float32Array(w.length);
    this.t = new Int32Array(Math.ceil(w.length / rowSize));
  }
  /** Updates rows `rows` (all when null) from gradient `g`. */
  step(g: Float32Array, rate: number, decay: number, rows: Iterable<number> | null): void {
    const b1 = 0.9;
    const b2 = 0.999;
    const update = (r: number): void => {
      const t = ++this.t[r]!;
      const c1 = 1 - b1 ** t;
      const c2 = 1 - b2 ** t;
      for (let i = r * this.rowSize; i < (r + 1) * this.rowSize; i++) {
        const gi = g[i]! + decay * this.w[i]!;
        this.m[i] = b1 * this.m[i]! + (1 - b1) * gi;
        this.v[i] = b2 * this.v[i]! + (1 - b2) * gi * gi;
        this.w[i]! -= (rate * (this.m[i]! / c1)) / (Math.sqrt(this.v[i]! / c2) + 1e-8);
      }
    };
    if (rows === null) for (let r = 0; r < this.t.length; r++) update(r);
    else for (const r of rows) update(r);
  }
}

export interface TrainingLog {
  step: number;
  loss: number;
}

/** Trains a model on `pairs`; `onLog` hears the mean loss every 100 steps. */
export function trainSceneModel(pairs: readonly ScenePair[], options: Partial<TrainerOptions> = {}, onLog?: (log: TrainingLog) => void): SceneModel {
  const o = { ...TRAINER_DEFAULTS, ...options };
  if (!Number.isInteger(o.batch) || o.batch < 2) throw new RangeError(`batch must be an integer of at least 2, but is ${o.batch}`);
  if (!Number.isInteger(o.steps) || o.steps < 0) throw new RangeError(`steps must be a non-negative integer, but is ${o.steps}`);
  const rng = new Rng(o.seed);
  const D = MUSIC_FEATURE_COUNT;
  const { hidden: H, dim: K, temperature: tau } = o;

  const vocabulary = Vocabulary.build(pairs.map((p) => p.caption), o.minTermCount);
  const ids = pairs.map((p) => vocabulary.encode(p.caption));
  // A batch holds distinct clips whose captions have known terms; with fewer such clips than a
  // batch, filling one would never end (a small --clips run did exactly that).
  const usableClips = new Set(pairs.filter((_, i) => ids[i]!.length > 0).map((p) => p.clip)).size;
  if (usableClips < o.batch) {
    throw new RangeError(`training needs at least one batch of ${o.batch} distinct clips with known caption terms, but got ${usableClips} (from ${pairs.length} pairs); use more clips or a smaller batch`);
  }
  const mean = new Float32Array(D);
  const std = new Float32Array(D);
  for (const p of pairs) for (let i = 0; i < D; i++) mean[i]! += p.features[i]! / pairs.length;
  for (const p of pairs) for (let i = 0; i < D; i++) std[i]! += (p.features[i]! - mean[i]!) ** 2 / pairs.length;
  for (let i = 0; i < D; i++) std[i] = Math.sqrt(std[i]!) + 0.05;

  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const w1 = Float32Array.from({ length: H * D }, () => gauss() / Math.sqrt(D));
  const b1 = new Float32Array(H);
  const w2 = Float32Array.from({ length: K * H }, () => gauss() / Math.sqrt(H));
  const text = Float32Array.from({ length: vocabulary.size * K }, () => gauss() * 0.1);
  const model = new SceneModel({ featureNames: MUSIC_FEATURE_NAMES, featureMean: mean, featureStd: std, hidden: H, dim: K, temperature: tau, w1, b1, w2, vocabulary, text });

  const opt = { w1: new Adam(w1, D), b1: new Adam(b1, H), w2: new Adam(w2, H), text: new Adam(text, K) };
  const g = { w1: new Float32Array(w1.length), b1: new Float32Array(H), w2: new Float32Array(w2.length), text: new Float32Array(text.length) };
  const B = o.batch;
  const xs = Array.from({ length: B }, () => new Float32Array(D));
  const hs = Array.from({ length: B }, () => new Float32Array(H));
  const zm = Array.from({ length: B }, () => new Float32Array(K));
  const zt = Array.from({ length: B }, () => new Float32Array(K));
  const um = Array.from({ length: B }, () => new Float32Array(K));
  const ut = Array.from({ length: B }, () => new Float32Array(K));
  const S = new Float64Array(B * B);
  const G = new Float64Array(B * B);
  const order = pairs.map((_, i) => i);
  let cursor = order.length;
  let lossSum = 0;

  for (let step = 1; step <= o.steps; step++) {
    // Batch: distinct clips (two captions of one clip in a batch would be false negatives). Ends
    // within the rest of this epoch and one more: every usable clip comes up in a full epoch.
    const batch: number[] = [];
    const clips = new Set<number>();
    while (batch.length < B) {
      if (cursor >= order.length) {
        for (let i = order.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        cursor = 0;
      }
      const idx = order[cursor++]!;
      if (clips.has(pairs[idx]!.clip) || ids[idx]!.length === 0) continue;
      clips.add(pairs[idx]!.clip);
      batch.push(idx);
    }
    // Forward.
    for (let b = 0; b < B; b++) {
      const p = pairs[batch[b]!]!;
      const x = xs[b]!;
      const hideStyle = rng.chance(o.styleDropout);
      for (let i = 0; i < D; i++) x[i] = ((hideStyle && i < 8 ? 0 : p.features[i]!) - mean[i]!) / std[i]!;
      const h = hs[b]!;
      for (let j = 0; j < H; j++) {
        let z = b1[j]!;
        for (let i = 0; i < D; i++) z += w1[j * D + i]! * x[i]!;
        h[j] = Math.tanh(z);
      }
      for (let k = 0; k < K; k++) {
        let z = 0;
        for (let j = 0; j < H; j++) z += w2[k * H + j]! * h[j]!;
        zm[b]![k] = z;
      }
      um[b]!.set(zm[b]!);
      normalise(um[b]!);
      zt[b]!.fill(0);
      for (const id of ids[batch[b]!]!) for (let k = 0; k < K; k++) zt[b]![k]! += text[id * K + k]!;
      ut[b]!.set(zt[b]!);
      normalise(ut[b]!);
    }
    for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) S[i * B + j] = dot(um[i]!, ut[j]!) / tau;
    // Symmetric cross-entropy and its gradient with respect to the logits.
    G.fill(0);
    let loss = 0;
    for (let i = 0; i < B; i++) {
      let max = -Infinity;
      for (let j = 0; j < B; j++) max = Math.max(max, S[i * B + j]!);
      let sum = 0;
      for (let j = 0; j < B; j++) sum += Math.exp(S[i * B + j]! - max);
      loss -= (S[i * B + i]! - max - Math.log(sum)) / (2 * B);
      for (let j = 0; j < B; j++) G[i * B + j]! += (Math.exp(S[i * B + j]! - max) / sum - (i === j ? 1 : 0)) / (2 * B);
    }
    for (let j = 0; j < B; j++) {
      let max = -Infinity;
      for (let i = 0; i < B; i++) max = Math.max(max, S[i * B + j]!);
      let sum = 0;
      for (let i = 0; i < B; i++) sum += Math.exp(S[i * B + j]! - max);
      loss -= (S[j * B + j]! - max - Math.log(sum)) / (2 * B);
      for (let i = 0; i < B; i++) G[i * B + j]! += (Math.exp(S[i * B + j]! - max) / sum - (i === j ? 1 : 0)) / (2 * B);
    }
    lossSum += loss;
    // Backward.
    g.w1.fill(0);
    g.b1.fill(0);
    g.w2.fill(0);
    const touched = new Set<number>();
    const du = new Float32Array(K);
    const dh = new Float32Array(H);
    for (let i = 0; i < B; i++) {
      // Music side.
      du.fill(0);
      for (let j = 0; j < B; j++) {
        const gij = G[i * B + j]! / tau;
        for (let k = 0; k < K; k++) du[k]! += gij * ut[j]![k]!;
      }
      backNormalise(du, um[i]!, zm[i]!);
      const h = hs[i]!;
      dh.fill(0);
      for (let k = 0; k < K; k++) {
        for (let j = 0; j < H; j++) {
          g.w2[k * H + j]! += du[k]! * h[j]!;
          dh[j]! += w2[k * H + j]! * du[k]!;
        }
      }
      for (let j = 0; j < H; j++) {
        const dpre = dh[j]! * (1 - h[j]! * h[j]!);
        g.b1[j]! += dpre;
        for (let d = 0; d < D; d++) g.w1[j * D + d]! += dpre * xs[i]![d]!;
      }
      // Text side (column i plays sentence i).
      du.fill(0);
      for (let r = 0; r < B; r++) {
        const gri = G[r * B + i]! / tau;
        for (let k = 0; k < K; k++) du[k]! += gri * um[r]![k]!;
      }
      backNormalise(du, ut[i]!, zt[i]!);
      for (const id of ids[batch[i]!]!) {
        if (!touched.has(id)) {
          touched.add(id);
          g.text.fill(0, id * K, (id + 1) * K);
        }
        for (let k = 0; k < K; k++) g.text[id * K + k]! += du[k]!;
      }
    }
    const rate = o.rate * (step > o.steps * 0.7 ? 0.3 : 1);
    opt.w1.step(g.w1, rate, o.weightDecay, null);
    opt.b1.step(g.b1, rate, 0, null);
    opt.w2.step(g.w2, rate, o.weightDecay, null);
    opt.text.step(g.text, rate, o.weightDecay, touched);
    if (step % 100 === 0) {
      onLog?.({ step, loss: lossSum / 100 });
      lossSum = 0;
    }
  }
  return model;
}

/** d(raw) from d(unit) for unit = raw / |raw|, in place in `du`. */
function backNormalise(du: Float32Array, unit: Float32Array, raw: Float32Array): void {
  let n = 0;
  for (let k = 0; k < raw.length; k++) n += raw[k]! * raw[k]!;
  n = Math.sqrt(n) || 1;
  const proj = dot(unit, du);
  for (let k = 0; k < du.length; k++) du[k] = (du[k]! - unit[k]! * proj) / n;
}

export interface RetrievalScores {
  pairs: number;
  top1: number;
  top5: number;
  chanceTop1: number;
  chanceTop5: number;
}

/**
 * Held-out retrieval: for each clip, rank the sentences of all clips; a hit when its own
 * sentence is first (top-1) or among the first five (top-5). One sentence per clip.
 */
export function retrievalAccuracy(model: SceneModel, pairs: readonly ScenePair[]): RetrievalScores {
  const byClip = new Map<number, ScenePair>();
  for (const p of pairs) if (!byClip.has(p.clip) && model.embedText(p.caption) !== null) byClip.set(p.clip, p);
  const list = [...byClip.values()];
  const music = list.map((p) => model.embedMusic(p.features));
  const text = list.map((p) => model.embedText(p.caption)!);
  let top1 = 0;
  let top5 = 0;
  for (let i = 0; i < list.length; i++) {
    const own = dot(music[i]!, text[i]!);
    let above = 0;
    for (let j = 0; j < list.length; j++) if (j !== i && dot(music[i]!, text[j]!) > own) above++;
    if (above === 0) top1++;
    if (above < 5) top5++;
  }
  const n = list.length;
  return { pairs: n, top1: top1 / n, top5: top5 / n, chanceTop1: 1 / n, chanceTop5: Math.min(1, 5 / n) };
}
