/**
 * MusicGen's delay ("interleaving") pattern as its own small type (audiocraft habit,
 * codebooks_patterns.py). Codebook k is shifted right by delays[k] steps and every row starts
 * with the start token, so sequence position p of codebook k holds frame p - 1 - delays[k]
 * (pad where that frame index is negative or past the end).
 *
 * Worked example, K = 4, delays [0, 1, 2, 3], frames a b c (codebook k of frame a is a_k), P = pad:
 *
 *   position   0   1   2   3   4   5   6
 *   cb 0       P  a0  b0  c0   P   P   P
 *   cb 1       P   P  a1  b1  c1   P   P
 *   cb 2       P   P   P  a2  b2  c2   P
 *   cb 3       P   P   P   P  a3  b3  c3
 *
 * Frame f is complete once position f + 1 + maxDelay exists (here frame a at position 4).
 */

/** Codes in frame-major order: frame f, codebook k at [f * K + k]. */
export type FrameCodes = Int32Array;

export class DelayPattern {
  readonly codebooks: number;
  readonly delays: readonly number[];
  readonly maxDelay: number;
  readonly pad: number;

  constructor(delays: readonly number[], pad: number) {
    if (delays.length === 0) throw new RangeError('`delays` must name at least one codebook');
    delays.forEach((d, k) => {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`\`delays[${k}]\` must be a non-negative integer, but is ${d}`);
    });
    if (!Number.isInteger(pad) || pad < 0) throw new RangeError(`\`pad\` must be a non-negative integer, but is ${pad}`);
    this.codebooks = delays.length;
    this.delays = [...delays];
    this.maxDelay = Math.max(...delays);
    this.pad = pad;
  }

  /** The frame that sequence position `position` holds for codebook k (negative: before the first frame). */
  frameAt(position: number, k: number): number {
    return position - 1 - this.delays[k]!;
  }

  /** Whether codebook k at `position` is a real token (else the pattern forces pad). */
  isValid(position: number, k: number): boolean {
    return this.frameAt(position, k) >= 0;
  }

  /** The first position at which all codebooks of frame f exist. */
  completedAt(frame: number): number {
    return frame + 1 + this.maxDelay;
  }

  /** How many frames are complete once positions 0..position exist. */
  framesCompleteAt(position: number): number {
    return Math.max(0, position - this.maxDelay);
  }

  /** Frames [F x K] -> pattern sequence [K rows x (F + 1 + maxDelay) positions], row-major. */
  build(frames: FrameCodes): Int32Array {
    const K = this.codebooks;
    if (frames.length % K !== 0) throw new RangeError(`frames length ${frames.length} is not a multiple of ${K} codebooks`);
    const F = frames.length / K;
    const L = F + 1 + this.maxDelay;
    const seq = new Int32Array(K * L).fill(this.pad);
    for (let k = 0; k < K; k++) {
      for (let f = 0; f < F; f++) seq[k * L + f + 1 + this.delays[k]!] = frames[f * K + k]!;
    }
    return seq;
  }

  /** Pattern sequence [K x L] -> the complete frames [F x K], F = L - 1 - maxDelay. */
  revert(seq: Int32Array, length: number): FrameCodes {
    const K = this.codebooks;
    if (seq.length !== K * length) throw new RangeError(`sequence length ${seq.length} is not ${K} codebooks x ${length} positions`);
    const F = Math.max(0, length - 1 - this.maxDelay);
    const frames = new Int32Array(F * K);
    for (let f = 0; f < F; f++) {
      for (let k = 0; k < K; k++) frames[f * K + k] = seq[k * length + f + 1 + this.delays[k]!]!;
    }
    return frames;
  }
}
