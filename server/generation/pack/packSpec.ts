/**
 * The tensors each ONNX file of a pack must declare, derived from its manifest (the contract of
 * ../shared/design/MUSICGEN-ONNX.md). T = batch after guidance doubling, S = text length,
 * s = new decoder positions, past = cached positions.
 */
import { controlFeatureWidth, type PackManifest } from './manifest.js';
import type { SessionSpec, TensorSpec } from './onnxSession.js';

export const CONTROL_INPUT = 'control_features';
export const USE_CACHE_BRANCH = 'use_cache_branch';
/** Input of the new-K/V cached graph (decoder.kvOutputs "new"): valid positions in the past tensors. */
export const PAST_SEQUENCE_LENGTH = 'past_sequence_length';

export type KvKind = 'decoder' | 'encoder';
export type KvPart = 'key' | 'value';

export const pastName = (layer: number, kind: KvKind, part: KvPart) => `past_key_values.${layer}.${kind}.${part}`;
export const presentName = (layer: number, kind: KvKind, part: KvPart) => `present.${layer}.${kind}.${part}`;
/** Output of the new-K/V cached graph: the K/V of the new positions only. */
export const presentNewName = (layer: number, part: KvPart) => `present_new.${layer}.decoder.${part}`;

function layerTensors(m: PackManifest, name: typeof pastName, kinds: readonly KvKind[], encoderDims?: TensorSpec['dims']): TensorSpec[] {
  const { layers, heads, headDim } = m.decoder;
  const out: TensorSpec[] = [];
  for (let i = 0; i < layers; i++) {
    for (const kind of kinds) {
      for (const part of ['key', 'value'] as const) {
        const dims = kind === 'encoder' && encoderDims ? encoderDims : ['T', heads, kind === 'decoder' ? 'past' : 'S', headDim];
        out.push({ name: name(i, kind, part), type: 'float32', dims });
      }
    }
  }
  return out;
}

function commonInputs(m: PackManifest, withHidden: boolean | 'optional'): TensorSpec[] {
  const inputs: TensorSpec[] = [{ name: 'input_ids', type: 'int64', dims: ['T*K', 's'] }];
  if (withHidden) {
    inputs.push({ name: 'encoder_hidden_states', type: 'float32', dims: ['T', 'S', m.text.hiddenSize], optional: withHidden === 'optional' });
  }
  inputs.push({ name: 'encoder_attention_mask', type: 'int64', dims: ['T', 'S'] });
  return inputs;
}

function controlInput(m: PackManifest): TensorSpec[] {
  // Declared as optional so that a plain decoder loads; packSession checks presence against the manifest.
  return [{ name: CONTROL_INPUT, type: 'float32', dims: ['T', 's', m.controls ? controlFeatureWidth(m) : 'C'], optional: true }];
}

function logits(m: PackManifest): TensorSpec {
  return { name: 'logits', type: 'float32', dims: ['T*K', 's', m.tokens.vocabSize] };
}

// The with-past branch of the public export returns empty placeholders [0, H, 1, Dh] as
// present.*.encoder.*, the first step real [T, H, S, Dh]: only heads and head dim are fixed.
const presentEncoderDims = (m: PackManifest): TensorSpec['dims'] => ['T|0', m.decoder.heads, 'S|1', m.decoder.headDim];

export function textEncoderSpec(m: PackManifest, file: string): SessionSpec {
  return {
    file,
    inputs: [
      { name: 'input_ids', type: 'int64', dims: ['B', 'S'] },
      { name: 'attention_mask', type: 'int64', dims: ['B', 'S'] },
    ],
    outputs: [{ name: 'last_hidden_state', type: 'float32', dims: ['B', 'S', m.text.hiddenSize] }],
  };
}

/** past_sequence_length: int64 [1] (decoder.pastLength "scalar"), or [T] with one length per row ("per-row"). */
function pastLengthSpec(m: PackManifest): TensorSpec {
  if (m.decoder.pastLength === 'per-row') {
    return { name: PAST_SEQUENCE_LENGTH, type: 'int64', dims: ['T'], symbolicRequired: 'decoder.pastLength "per-row" needs one length per row: tools/per_row_past_length.py rewrites the graph' };
  }
  return { name: PAST_SEQUENCE_LENGTH, type: 'int64', dims: [1] };
}

export function mergedDecoderSpec(m: PackManifest, file: string): SessionSpec {
  return {
    file,
    inputs: [
      ...commonInputs(m, true),
      ...(m.decoder.kvOutputs === 'new' ? [pastLengthSpec(m)] : []),
      ...layerTensors(m, pastName, ['decoder', 'encoder']),
      { name: USE_CACHE_BRANCH, type: 'bool', dims: [1] },
      ...controlInput(m),
    ],
    outputs: [logits(m), ...layerTensors(m, presentName, ['decoder', 'encoder'], presentEncoderDims(m))],
  };
}

/** decoder_model.onnx of the split layout: the first step, no past. */
export function decoderSpec(m: PackManifest, file: string): SessionSpec {
  return {
    file,
    inputs: [...commonInputs(m, true), ...controlInput(m)],
    outputs: [logits(m), ...layerTensors(m, presentName, ['decoder', 'encoder'])],
  };
}

/** decoder_with_past_model.onnx of the split layout. Some exports keep encoder_hidden_states as an (unused) input. */
export function decoderWithPastSpec(m: PackManifest, file: string): SessionSpec {
  return {
    file,
    inputs: [...commonInputs(m, 'optional'), ...layerTensors(m, pastName, ['decoder', 'encoder']), ...controlInput(m)],
    outputs: [
      logits(m),
      ...layerTensors(m, presentName, ['decoder']),
      ...layerTensors(m, presentName, ['encoder'], presentEncoderDims(m)).map((s) => ({ ...s, optional: true })),
    ],
  };
}

/**
 * The cached graph of decoder.kvOutputs "new" (split layout): the inputs of
 * decoder_with_past_model.onnx plus past_sequence_length int64 [1] (past tensors may be longer:
 * preallocated capacity, masked past the length); outputs logits and present_new.{i}.decoder.*
 * [T, H, s, Dh]. Nothing proportional to the past comes out.
 */
export function decoderWithPastNewKvSpec(m: PackManifest, file: string): SessionSpec {
  const { layers, heads, headDim } = m.decoder;
  const presentNew: TensorSpec[] = [];
  for (let i = 0; i < layers; i++) for (const part of ['key', 'value'] as const) presentNew.push({ name: presentNewName(i, part), type: 'float32', dims: ['T', heads, 's', headDim] });
  return {
    file,
    inputs: [
      ...commonInputs(m, 'optional'),
      pastLengthSpec(m),
      ...layerTensors(m, pastName, ['decoder', 'encoder']),
      ...controlInput(m),
    ],
    outputs: [logits(m), ...presentNew],
  };
}

export function codecSpec(m: PackManifest, file: string): SessionSpec {
  return {
    file,
    inputs: [{ name: 'audio_codes', type: 'int64', dims: [1, 'B', m.tokens.codebooks, 'frames'] }],
    outputs: [{ name: 'audio_values', type: 'float32', dims: ['B', m.audio.channels, 'samples'] }],
  };
}
