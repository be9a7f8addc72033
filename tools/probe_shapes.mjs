// Runs a decoder graph of the MusicGen ONNX contract (tools/static_reshapes.py's probe copy) on
// three sets of dynamic sizes and prints its int64 outputs (the shapes it computes) as JSON:
// {"name": [[values, config 1], [config 2], [config 3]]}. Sizes are chosen so that no dynamic size
// equals a fixed one (heads, head size, codebooks, control width) in the first two sets.
//
//   node tools/probe_shapes.mjs probe.onnx CODEBOOKS
import * as ort from 'onnxruntime-node';

const [file, codebooksArg] = process.argv.slice(2);
const K = Number(codebooksArg);
if (!file || !(K > 0)) throw new Error('usage: node tools/probe_shapes.mjs probe.onnx CODEBOOKS');
const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
const meta = new Map(session.inputMetadata.map((m) => [m.name, m]));
const fixed = (name, axis) => {
  const d = meta.get(name)?.shape?.[axis];
  if (typeof d !== 'number') throw new Error(`${file}: ${name} has no fixed dimension ${axis}`);
  return d;
};
const CONFIGS = [
  { T: 3, s: 1, P: 37, S: 7 },
  { T: 5, s: 3, P: 101, S: 13 },
  { T: 2, s: 1, P: 64, S: 11 },
];
const out = {};
for (const { T, s, P, S } of CONFIGS) {
  const feeds = {};
  const floats = (dims) => new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.01), dims);
  for (const name of session.inputNames) {
    if (name === 'input_ids') feeds[name] = new ort.Tensor('int64', new BigInt64Array(T * K * s).fill(1n), [T * K, s]);
    else if (name === 'encoder_attention_mask') feeds[name] = new ort.Tensor('int64', new BigInt64Array(T * S).fill(1n), [T, S]);
    else if (name === 'past_sequence_length') feeds[name] = new ort.Tensor('int64', new BigInt64Array(meta.get(name).shape[0] === 1 ? 1 : T).fill(BigInt(P - 2)), [meta.get(name).shape[0] === 1 ? 1 : T]);
    else if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', new Uint8Array([1]), [1]);
    else if (name === 'encoder_hidden_states') feeds[name] = floats([T, S, fixed(name, 2)]);
    else if (name === 'control_features') feeds[name] = floats([T, s, fixed(name, 2)]);
    else if (name.includes('.decoder.')) feeds[name] = floats([T, fixed(name, 1), P, fixed(name, 3)]);
    else if (name.includes('.encoder.')) feeds[name] = floats([T, fixed(name, 1), S, fixed(name, 3)]);
    else throw new Error(`${file}: input ${name} is not part of the decoder contract`);
  }
  const names = session.outputNames.filter((n) => n.startsWith('probe/'));
  const r = await session.run(feeds, names);
  for (const n of names) (out[n] ??= []).push(Array.from(r[n].data, Number));
}
await session.release();
console.log(JSON.stringify(out));
