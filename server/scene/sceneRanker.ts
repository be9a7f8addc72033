/**
 * Ranks a bank of scene sentences against a music embedding. The sentences are embedded once
 * (a bank of a few hundred x 32 floats); a ranking is one matrix-vector product and a partial
 * sort: microseconds. Sentences with no word the model knows are left out.
 */
import type { SceneModel } from './sceneModel.js';

export interface RankedScene {
  /** Index into the bank as given. */
  index: number;
  sentence: string;
  /** Cosine similarity after any penalty. */
  score: number;
}

export class SceneRanker {
  private readonly matrix: Float32Array;
  private readonly indices: Int32Array;
  private readonly scores: Float32Array;
  readonly dim: number;

  constructor(
    readonly model: SceneModel,
    readonly sentences: readonly string[],
  ) {
    this.dim = model.dim;
    const kept: number[] = [];
    const rows: Float32Array[] = [];
    sentences.forEach((s, i) => {
      const e = model.embedText(s);
      if (e === null) return;
      kept.push(i);
      rows.push(e);
    });
    if (kept.length === 0) throw new RangeError('no bank sentence has a word the scene model knows');
    this.indices = Int32Array.from(kept);
    this.matrix = new Float32Array(kept.length * this.dim);
    rows.forEach((r, i) => this.matrix.set(r, i * this.dim));
    this.scores = new Float32Array(kept.length);
  }

  /** Sentences that can be ranked. */
  get size(): number {
    return this.indices.length;
  }

  /**
   * The `k` best sentences for a unit music embedding, best first. `penalty(index)` (bank index)
   * is subtracted from a sentence's score (recently shown sentences).
   */
  rank(music: Float32Array, k: number, penalty?: (index: number) => number): RankedScene[] {
    const d = this.dim;
    for (let r = 0; r < this.indices.length; r++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += this.matrix[r * d + j]! * music[j]!;
      this.scores[r] = penalty ? s - penalty(this.indices[r]!) : s;
    }
    const best: RankedScene[] = [];
    for (let r = 0; r < this.indices.length; r++) {
      const score = this.scores[r]!;
      if (best.length === k && score <= best[k - 1]!.score) continue;
      const index = this.indices[r]!;
      let at = best.length;
      while (at > 0 && best[at - 1]!.score < score) at--;
      best.splice(at, 0, { index, sentence: this.sentences[index]!, score });
      if (best.length > k) best.pop();
    }
    return best;
  }

  /** The (unpenalised) score of one bank sentence, or null when it cannot be ranked. */
  scoreOf(music: Float32Array, index: number): number | null {
    const r = this.indices.indexOf(index);
    if (r < 0) return null;
    let s = 0;
    for (let j = 0; j < this.dim; j++) s += this.matrix[r * this.dim + j]! * music[j]!;
    return s;
  }
}
