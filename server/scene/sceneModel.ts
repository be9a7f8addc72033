/**
 * The scene imaginer's compatibility model: two small towers into one shared space.
 *
 *   music:  standardised features x (MUSIC_FEATURE_NAMES) -> tanh(W1 x + b1) -> W2 -> unit vector
 *   text:   sentence terms (sentenceEncoder.ts) -> mean of their rows of T (scaled by 1/sqrt(n)) -> unit vector
 *   score:  cosine of the two (the training loss divides it by a temperature)
 *
 * Trained contrastively (scripts/scene/contrastiveTrainer.ts, InfoNCE). Stored as JSON with base64 arrays:
 * float32 for the music tower, int8 rows with one float32 scale per row for the term table.
 */
import { MUSIC_FEATURE_NAMES } from './musicFeatures.js';
import { Vocabulary } from './sentenceEncoder.js';

export const SCENE_MODEL_FORMAT = 'expotion-scene-imaginer';
export const SCENE_MODEL_VERSION = 1;

export interface SceneModelParams {
  featureNames: readonly string[];
  featureMean: Float32Array;
  featureStd: Float32Array;
  hidden: number;
  dim: number;
  temperature: number;
  /** hidden x features, row-major. */
  w1: Float32Array;
  b1: Float32Array;
  /** dim x hidden, row-major. */
  w2: Float32Array;
  vocabulary: Vocabulary;
  /** vocabulary.size x dim, row-major. */
  text: Float32Array;
}

export interface SceneModelFile {
  format: typeof SCENE_MODEL_FORMAT;
  version: number;
  featureNames: string[];
  featureMean: number[];
  featureStd: number[];
  hidden: number;
  dim: number;
  temperature: number;
  w1: string;
  b1: string;
  w2: string;
  vocabulary: string[];
  textScale: string;
  textRows: string;
  /** Free-form training facts (seed, data sizes, held-out accuracy). */
  training?: Record<string, unknown>;
}

const f32ToBase64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function base64ToF32(text: string, length: number, what: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== length * 4) throw new RangeError(`${what} must hold ${length} float32 values, but has ${bytes.length} bytes`);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

export class SceneModel {
  readonly params: SceneModelParams;
  private readonly x: Float32Array;
  private readonly h: Float32Array;

  constructor(params: SceneModelParams) {
    const p = params;
    const d = p.featureNames.length;
    const checks: [string, number, number][] = [
      ['featureMean', p.featureMean.length, d],
      ['featureStd', p.featureStd.length, d],
      ['w1', p.w1.length, p.hidden * d],
      ['b1', p.b1.length, p.hidden],
      ['w2', p.w2.length, p.dim * p.hidden],
      ['text', p.text.length, p.vocabulary.size * p.dim],
    ];
    for (const [name, has, wants] of checks) if (has !== wants) throw new RangeError(`${name} must have ${wants} values, but has ${has}`);
    if (p.featureNames.join() !== MUSIC_FEATURE_NAMES.join()) {
      throw new RangeError(`the model was trained on features ${p.featureNames.join(', ')}; this server computes ${MUSIC_FEATURE_NAMES.join(', ')}`);
    }
    this.params = p;
    this.x = new Float32Array(d);
    this.h = new Float32Array(p.hidden);
  }

  get dim(): number {
    return this.params.dim;
  }

  /** Unit-length music embedding of raw features (written into `out`). */
  embedMusic(features: Float32Array, out: Float32Array = new Float32Array(this.params.dim)): Float32Array {
    const p = this.params;
    const d = p.featureNames.length;
    for (let i = 0; i < d; i++) this.x[i] = (features[i]! - p.featureMean[i]!) / p.featureStd[i]!;
    for (let j = 0; j < p.hidden; j++) {
      let z = p.b1[j]!;
      for (let i = 0; i < d; i++) z += p.w1[j * d + i]! * this.x[i]!;
      this.h[j] = Math.tanh(z);
    }
    for (let k = 0; k < p.dim; k++) {
      let z = 0;
      for (let j = 0; j < p.hidden; j++) z += p.w2[k * p.hidden + j]! * this.h[j]!;
      out[k] = z;
    }
    return normalise(out);
  }

  /** Unit-length embedding of a sentence, or null when it has no known term. */
  embedText(sentence: string): Float32Array | null {
    const ids = this.params.vocabulary.encode(sentence);
    if (ids.length === 0) return null;
    const out = new Float32Array(this.params.dim);
    for (const id of ids) for (let k = 0; k < this.params.dim; k++) out[k]! += this.params.text[id * this.params.dim + k]!;
    return normalise(out);
  }

  toFile(training?: Record<string, unknown>): SceneModelFile {
    const p = this.params;
    const scale = new Float32Array(p.vocabulary.size);
    const rows = new Int8Array(p.vocabulary.size * p.dim);
    for (let v = 0; v < p.vocabulary.size; v++) {
      let max = 0;
      for (let k = 0; k < p.dim; k++) max = Math.max(max, Math.abs(p.text[v * p.dim + k]!));
      const s = max > 0 ? max / 127 : 1;
      scale[v] = s;
      for (let k = 0; k < p.dim; k++) rows[v * p.dim + k] = Math.round(p.text[v * p.dim + k]! / s);
    }
    return {
      format: SCENE_MODEL_FORMAT,
      version: SCENE_MODEL_VERSION,
      featureNames: [...p.featureNames],
      featureMean: Array.from(p.featureMean, round6),
      featureStd: Array.from(p.featureStd, round6),
      hidden: p.hidden,
      dim: p.dim,
      temperature: p.temperature,
      w1: f32ToBase64(p.w1),
      b1: f32ToBase64(p.b1),
      w2: f32ToBase64(p.w2),
      vocabulary: [...p.vocabulary.terms],
      textScale: f32ToBase64(scale),
      textRows: Buffer.from(rows.buffer).toString('base64'),
      ...(training ? { training } : {}),
    };
  }

  static fromFile(file: SceneModelFile): SceneModel {
    if (file.format !== SCENE_MODEL_FORMAT || file.version !== SCENE_MODEL_VERSION) {
      throw new RangeError(`not a scene model of version ${SCENE_MODEL_VERSION}: format ${String(file.format)}, version ${String(file.version)}`);
    }
    const d = file.featureNames.length;
    const vocabulary = new Vocabulary(file.vocabulary);
    const scale = base64ToF32(file.textScale, vocabulary.size, 'textScale');
    const rows = Buffer.from(file.textRows, 'base64');
    if (rows.length !== vocabulary.size * file.dim) throw new RangeError(`textRows must hold ${vocabulary.size * file.dim} int8 values, but has ${rows.length}`);
    const text = new Float32Array(rows.length);
    for (let i = 0; i < rows.length; i++) text[i] = rows.readInt8(i) * scale[Math.floor(i / file.dim)]!;
    return new SceneModel({
      featureNames: file.featureNames,
      featureMean: Float32Array.from(file.featureMean),
      featureStd: Float32Array.from(file.featureStd),
      hidden: file.hidden,
      dim: file.dim,
      temperature: file.temperature,
      w1: base64ToF32(file.w1, file.hidden * d, 'w1'),
      b1: base64ToF32(file.b1, file.hidden, 'b1'),
      w2: base64ToF32(file.w2, file.dim * file.hidden, 'w2'),
      vocabulary,
      text,
    });
  }
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
