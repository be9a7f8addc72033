/**
 * One wrapper for every ONNX run (transformers.js habit, src/models/session.js): the session's
 * inputs and outputs are checked against an expected spec when it loads, every run's feeds are
 * checked before they reach onnxruntime, and a failing run reports each input's dtype and dims.
 */
import * as ort from 'onnxruntime-node';
import { PackError } from './manifest.js';

export type TensorType = 'float32' | 'int64' | 'bool';
/** A dimension: a number must match exactly; a string is a symbolic size (any length). */
export type Dim = number | string;

export interface TensorSpec {
  name: string;
  type: TensorType;
  dims: readonly Dim[];
  /** Inputs: the session may lack it (fed only when present). Outputs: may be absent. */
  optional?: boolean;
  /** The model must leave the string (symbolic) dims free: a fixed size there is refused, with this hint. */
  symbolicRequired?: string;
}

export interface SessionSpec {
  /** Names the file in messages, e.g. "models/x/onnx/decoder_model_merged.onnx". */
  file: string;
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
}

export interface OnnxSessionOptions {
  /** Threads inside one operator (onnxruntime intraOpNumThreads). */
  intraOpThreads: number;
}

export type Feeds = Record<string, ort.Tensor>;
export type Fetches = Record<string, ort.Tensor>;

function describe(t: ort.Tensor): string {
  return `${t.type}[${t.dims.join(', ')}]`;
}

function describeSpec(s: TensorSpec): string {
  return `${s.type}[${s.dims.join(', ')}]`;
}

/** Problems between what the model declares and what we expect (pure, tested). */
export function metadataProblems(
  kind: 'input' | 'output',
  declared: readonly ort.InferenceSession.ValueMetadata[],
  expected: readonly TensorSpec[],
): string[] {
  const p: string[] = [];
  const byName = new Map(declared.map((m) => [m.name, m]));
  for (const spec of expected) {
    const meta = byName.get(spec.name);
    if (!meta) {
      if (!spec.optional) p.push(`missing ${kind} "${spec.name}" (expected ${describeSpec(spec)})`);
      continue;
    }
    if (!meta.isTensor) {
      p.push(`${kind} "${spec.name}": expected a tensor ${describeSpec(spec)}, got a non-tensor value`);
      continue;
    }
    if (meta.type !== spec.type) {
      const hint = meta.type === 'float16' ? ' (fp16 exports run 4-7x slower on CPU: use the fp32 or quantized files)' : '';
      p.push(`${kind} "${spec.name}": expected dtype ${spec.type}, got ${meta.type}${hint}`);
      continue;
    }
    const shape = meta.shape;
    if (shape.length === 0) continue; // shape unknown to the model: checked at run time
    if (shape.length !== spec.dims.length) {
      p.push(`${kind} "${spec.name}": expected rank ${spec.dims.length} ${describeSpec(spec)}, got rank ${shape.length} [${shape.join(', ')}]`);
      continue;
    }
    spec.dims.forEach((d, i) => {
      const got = shape[i];
      if (typeof d === 'number' && typeof got === 'number' && got >= 0 && got !== d) {
        p.push(`${kind} "${spec.name}": dimension ${i} expected ${d} ${describeSpec(spec)}, got ${got} [${shape.join(', ')}]`);
      }
      if (typeof d === 'string' && spec.symbolicRequired !== undefined && typeof got === 'number' && got >= 0) {
        p.push(`${kind} "${spec.name}": dimension ${i} expected a free size ${describeSpec(spec)}, the model fixes it to ${got} (${spec.symbolicRequired})`);
      }
    });
  }
  if (kind === 'input') {
    const known = new Set(expected.map((s) => s.name));
    for (const m of declared) if (!known.has(m.name)) p.push(`unexpected input "${m.name}" (this engine cannot feed it)`);
  }
  return p;
}

/** Problems between feeds and the spec of the inputs the session declares (pure, tested). */
export function feedProblems(feeds: Feeds, specs: readonly TensorSpec[], present: ReadonlySet<string>): string[] {
  const p: string[] = [];
  for (const spec of specs) {
    if (!present.has(spec.name)) continue;
    const t = feeds[spec.name];
    if (!t) {
      p.push(`input "${spec.name}" not fed (expected ${describeSpec(spec)})`);
      continue;
    }
    if (t.type !== spec.type) p.push(`input "${spec.name}": expected dtype ${spec.type}, got ${describe(t)}`);
    else if (t.dims.length !== spec.dims.length) p.push(`input "${spec.name}": expected rank ${spec.dims.length} ${describeSpec(spec)}, got ${describe(t)}`);
    else {
      spec.dims.forEach((d, i) => {
        if (typeof d === 'number' && t.dims[i] !== d) p.push(`input "${spec.name}": dimension ${i} expected ${d} ${describeSpec(spec)}, got ${describe(t)}`);
      });
    }
  }
  for (const name of Object.keys(feeds)) if (!present.has(name)) p.push(`fed "${name}", which the model does not declare`);
  return p;
}

export class OnnxSession {
  readonly spec: SessionSpec;
  private readonly session: ort.InferenceSession;
  private readonly inputNames: ReadonlySet<string>;
  /** Time spent inside onnxruntime's run, and how many runs (for the engine-overhead figure). */
  readonly stats = { runs: 0, ms: 0 };

  private constructor(session: ort.InferenceSession, spec: SessionSpec) {
    this.session = session;
    this.spec = spec;
    this.inputNames = new Set(session.inputNames);
  }

  static async load(path: string, spec: SessionSpec, options: OnnxSessionOptions): Promise<OnnxSession> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(path, {
        executionProviders: ['cpu'],
        intraOpNumThreads: options.intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        // Run failures come back as exceptions that this wrapper reports with the feeds' dtypes and dims.
        logSeverityLevel: 4,
      });
    } catch (err) {
      throw new PackError(`${spec.file}: onnxruntime cannot load it: ${err instanceof Error ? err.message : String(err)}`, 'PACK_ONNX_LOAD');
    }
    const problems = [
      ...metadataProblems('input', session.inputMetadata, spec.inputs),
      ...metadataProblems('output', session.outputMetadata, spec.outputs),
    ];
    if (problems.length > 0) {
      await session.release();
      throw new PackError(`${spec.file}: does not match the pack manifest:\n  ${problems.join('\n  ')}`, 'PACK_ONNX_MISMATCH');
    }
    return new OnnxSession(session, spec);
  }

  /** Whether the model declares this input (optional inputs are fed only then). */
  hasInput(name: string): boolean {
    return this.inputNames.has(name);
  }

  /**
   * One run. `outputs`: the outputs to return (default all). Naming only those used keeps
   * onnxruntime from copying the rest into new buffers on every run (a merged decoder's cached
   * branch hands back the whole encoder K/V each step).
   */
  async run(feeds: Feeds, outputs?: readonly string[]): Promise<Fetches> {
    if (this.released) throw new Error(`${this.spec.file}: the session was released`);
    const run = this.runChecked(feeds, outputs);
    this.inFlight.add(run);
    try {
      return await run;
    } finally {
      this.inFlight.delete(run);
    }
  }

  /** Runs in flight (a step decoded ahead may still run when its stream ends). */
  private readonly inFlight = new Set<Promise<Fetches>>();
  private released = false;

  private async runChecked(feeds: Feeds, outputs?: readonly string[]): Promise<Fetches> {
    const problems = feedProblems(feeds, this.spec.inputs, this.inputNames);
    if (problems.length > 0) throw new Error(`${this.spec.file}: bad feeds:\n  ${problems.join('\n  ')}`);
    const t0 = performance.now();
    try {
      const out = (await (outputs ? this.session.run(feeds, outputs) : this.session.run(feeds))) as Fetches;
      this.stats.ms += performance.now() - t0;
      this.stats.runs++;
      return out;
    } catch (err) {
      const inputs = Object.entries(feeds).map(([n, t]) => `${n}: ${describe(t)}`);
      throw new Error(
        `${this.spec.file}: onnxruntime run failed: ${err instanceof Error ? err.message : String(err)}\n  inputs:\n    ${inputs.join('\n    ')}`,
      );
    }
  }

  /** Releases the session once the runs in flight are done (releasing it under a run aborts the process). */
  async dispose(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await Promise.allSettled([...this.inFlight]);
    await this.session.release();
  }
}
