/**
 * Logits transforms, one small class each (transformers.js habit, logits_process.js). They work
 * in place on one codebook's row of logits for the newest position; a list composes them and
 * the decode loop never knows which ones exist.
 */

/** Where the row being processed sits in its codebook's stream (the decode loop fills it in). */
export interface LogitsContext {
  /** The frame this codebook's token will belong to (the delay pattern: position - 1 - delay). */
  frame: number;
  /** The token this codebook emitted for the frame before (the pad/start id before its first frame). */
  previous: number;
}

export interface LogitsProcessor {
  /** Transforms `row` (the logits of codebook `codebook`) in place. */
  process(row: Float32Array, codebook: number, context?: LogitsContext): void;
}

/**
 * Classifier-free guidance: uncond + scale * (cond - uncond), written into `out`.
 * scale 1 is the conditional model, 0 the unconditional one.
 */
export function applyGuidance(cond: Float32Array, uncond: Float32Array, scale: number, out: Float32Array): Float32Array {
  if (cond.length !== uncond.length || out.length !== cond.length) {
    throw new RangeError(`guidance rows differ in length: cond ${cond.length}, uncond ${uncond.length}, out ${out.length}`);
  }
  for (let i = 0; i < cond.length; i++) out[i] = uncond[i]! + scale * (cond[i]! - uncond[i]!);
  return out;
}

/**
 * Moves a share (0..1) of token `from`'s probability to token `to`, in log space and in place:
 * row[to] = log(e^to + share * e^from), row[from] = log((1 - share) * e^from). The other tokens
 * keep their odds. A masked (-Infinity) `from` moves nothing.
 */
export function moveProbability(row: Float32Array, from: number, to: number, share: number): void {
  const a = row[from]!;
  if (a === -Infinity || Number.isNaN(a) || !(share > 0)) return;
  const s = Math.min(share, 1 - 1e-9);
  const b = row[to]!;
  const moved = a + Math.log(s);
  const hi = Math.max(b, moved);
  row[to] = b === -Infinity ? moved : hi + Math.log(Math.exp(b - hi) + Math.exp(moved - hi));
  row[from] = a + Math.log1p(-s);
}

/** Masks every token outside codebook k's valid range [lo, hi) to -Infinity. */
export class ValidRangeMask implements LogitsProcessor {
  private readonly ranges: readonly (readonly [number, number])[];
  constructor(ranges: readonly (readonly [number, number])[]) {
    ranges.forEach(([lo, hi], k) => {
      if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && lo < hi)) {
        throw new RangeError(`\`validRanges[${k}]\` must be integers 0 <= lo < hi, but is [${lo}, ${hi})`);
      }
    });
    this.ranges = ranges;
  }
  process(row: Float32Array, codebook: number): void {
    const range = this.ranges[codebook];
    if (!range) throw new RangeError(`no valid range for codebook ${codebook}`);
    const [lo, hi] = range;
    row.fill(-Infinity, 0, Math.min(lo, row.length));
    if (hi < row.length) row.fill(-Infinity, hi);
  }
}

/**
 * A token grammar: per codebook, a "continue" token (a hold: keep the previous note sounding)
 * that means nothing after some tokens (a rest, silence, the start of the stream), so it may never
 * follow them. There it is heard as the rest it is, so its probability goes to the rest token
 * (`into`, log-sum-exp) rather than being spread over every token: the music keeps the sound the
 * model meant and the grammar holds. `rules[k]` is null for a codebook without such a token.
 * Needs the context (the previous token); without one it changes nothing.
 */
export interface ContinuationRule {
  hold: number;
  /** Tokens a hold may not follow. */
  after: readonly number[];
  /** The token that takes the hold's probability there (the rest). */
  into: number;
}

export class ContinuationMask implements LogitsProcessor {
  private readonly rules: readonly ({ hold: number; after: ReadonlySet<number>; into: number } | null)[];
  constructor(rules: readonly (ContinuationRule | null)[]) {
    rules.forEach((r, k) => {
      if (r === null) return;
      for (const [name, id] of [['hold', r.hold], ['into', r.into]] as const) {
        if (!(Number.isInteger(id) && id >= 0)) throw new RangeError(`\`rules[${k}].${name}\` must be a token id, but is ${id}`);
      }
      if (r.hold === r.into) throw new RangeError(`\`rules[${k}]\`: \`into\` must differ from \`hold\` (${r.hold})`);
    });
    this.rules = rules.map((r) => (r === null ? null : { hold: r.hold, after: new Set(r.after), into: r.into }));
  }
  process(row: Float32Array, codebook: number, context?: LogitsContext): void {
    const rule = this.rules[codebook];
    if (!rule || context === undefined || rule.hold >= row.length || rule.into >= row.length) return;
    if (!rule.after.has(context.previous)) return;
    const a = row[rule.into]!;
    const b = row[rule.hold]!;
    const hi = Math.max(a, b);
    // log(e^a + e^b); a masked (-Infinity) rest stays masked only if the hold was masked too.
    if (hi !== -Infinity && b !== -Infinity) row[rule.into] = hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
    row[rule.hold] = -Infinity;
  }
}

/**
 * Divides logits by the temperature (> 0; 0 is greedy and handled by the sampler), or by each
 * codebook's own temperature when `perCodebook` names one (e.g. a symbolic pack's chords and
 * lead sharper than its drums).
 */
export class Temperature implements LogitsProcessor {
  readonly temperature: number;
  readonly perCodebook: readonly number[] | null;
  constructor(temperature: number, perCodebook: readonly number[] | null = null) {
    for (const [name, t] of [['temperature', temperature], ...(perCodebook ?? []).map((t, k) => [`codebookTemperatures[${k}]`, t] as const)] as const) {
      if (!(t > 0) || !Number.isFinite(t)) throw new RangeError(`\`${name}\` must be a positive number, but is ${t}`);
    }
    this.temperature = temperature;
    this.perCodebook = perCodebook;
  }
  process(row: Float32Array, codebook = 0): void {
    const t = this.perCodebook?.[codebook] ?? this.temperature;
    if (t === 1) return;
    const inv = 1 / t;
    for (let i = 0; i < row.length; i++) row[i] = row[i]! * inv;
  }
}

/** Keeps the k largest logits, sets the rest to -Infinity (ties at the threshold are kept). */
export class TopK implements LogitsProcessor {
  readonly k: number;
  private scratch = new Float32Array(0);
  constructor(k: number) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`\`topK\` must be a positive integer, but is ${k}`);
    this.k = k;
  }
  process(row: Float32Array): void {
    if (this.k >= row.length) return;
    if (this.scratch.length !== row.length) this.scratch = new Float32Array(row.length);
    const a = this.scratch;
    a.set(row);
    let threshold: number;
    if (a.some(Number.isNaN)) {
      // Sorting puts NaN last, as before; selection needs a total order.
      a.sort();
      threshold = a[row.length - this.k]!;
    } else {
      // The k-th largest by selection (expected O(V); a sort of the 2048 logits per codebook cost
      // ~0.2 ms, most of the engine's own time per step at MusicGen's size).
      threshold = selectKth(a, row.length - this.k);
    }
    for (let i = 0; i < row.length; i++) if (row[i]! < threshold) row[i] = -Infinity;
  }
}

/**
 * The value that would sit at index `n` of `a` sorted ascending (Hoare's quickselect with a
 * median-of-three pivot; deterministic). Reorders `a`; no NaN.
 */
export function selectKth(a: Float32Array, n: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (n <= j) hi = j;
    else if (n >= i) lo = i;
    else return a[n]!;
  }
  return a[n]!;
}

export class LogitsProcessorList implements LogitsProcessor {
  readonly processors: readonly LogitsProcessor[];
  constructor(processors: readonly LogitsProcessor[]) {
    this.processors = processors;
  }
  process(row: Float32Array, codebook: number, context?: LogitsContext): void {
    for (const p of this.processors) p.process(row, codebook, context);
  }
}
