/**
 * Reads the parts of a TFLite model (schema.fbs in the TensorFlow repository) that the bundle
 * builder needs, and edits a model: adds tensors, operators and a metadata entry, replaces the
 * main subgraph's outputs. Field ids below are the schema's declaration order.
 */
import { FbTable, field, layoutFlatbuffer, old, refs, scalar, scalars, str, table, type Ref, type TableField, type TableNode } from './flatbuffer.js';

export const TFLITE_IDENTIFIER = 'TFL3';

/** Field ids (schema.fbs). */
const MODEL = { version: 0, operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4, metadataBuffer: 5, metadata: 6, signatureDefs: 7 } as const;
const SUBGRAPH = { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4, debugMetadataIndex: 5 } as const;
const TENSOR = { shape: 0, type: 1, buffer: 2, name: 3 } as const;
const OPERATOR = { opcodeIndex: 0, inputs: 1, outputs: 2, builtinOptionsType: 3, builtinOptions: 4 } as const;
const OPCODE = { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3 } as const;
const METADATA = { name: 0, buffer: 1 } as const;
const BUFFER = { data: 0, offset: 1, size: 2 } as const;

export const TensorType = { FLOAT32: 0, INT32: 2 } as const;
export const BuiltinOperator = { CONCATENATION: 2, RESHAPE: 22 } as const;
export const BuiltinOptions = { ConcatenationOptions: 10, ReshapeOptions: 17 } as const;

/** The name under which TFLite (and MediaPipe's metadata extractor) finds model metadata. */
export const METADATA_NAME = 'TFLITE_METADATA';

export interface TensorInfo {
  index: number;
  name: string;
  shape: number[];
  type: number;
  buffer: number;
}

export interface ModelInfo {
  version: number;
  tensors: TensorInfo[];
  inputs: number[];
  outputs: number[];
  operatorCount: number;
  /** Builtin code of each operator code. */
  operatorCodes: number[];
  bufferCount: number;
  /** Metadata entries by name -> buffer index. */
  metadata: Map<string, number>;
  subgraphCount: number;
}

export function readModel(bytes: Uint8Array): ModelInfo {
  const model = FbTable.root(bytes, TFLITE_IDENTIFIER);
  const subgraphs = model.tables(MODEL.subgraphs);
  if (subgraphs.length === 0) throw new Error('the model has no subgraph');
  const sg = subgraphs[0]!;
  return {
    version: model.u32(MODEL.version),
    tensors: sg.tables(SUBGRAPH.tensors).map((t, index) => ({
      index,
      name: t.string(TENSOR.name) ?? '',
      shape: t.i32s(TENSOR.shape),
      type: t.i8(TENSOR.type),
      buffer: t.u32(TENSOR.buffer),
    })),
    inputs: sg.i32s(SUBGRAPH.inputs),
    outputs: sg.i32s(SUBGRAPH.outputs),
    operatorCount: sg.vector(SUBGRAPH.operators)?.length ?? 0,
    operatorCodes: model.tables(MODEL.operatorCodes).map((c) => Math.max(c.i8(OPCODE.deprecatedBuiltinCode), c.i32(OPCODE.builtinCode))),
    bufferCount: model.vector(MODEL.buffers)?.length ?? 0,
    metadata: new Map(model.tables(MODEL.metadata).map((m) => [m.string(METADATA.name) ?? '', m.u32(METADATA.buffer)])),
    subgraphCount: subgraphs.length,
  };
}

/** The data of buffer `index` (empty when the buffer holds none). */
export function readBuffer(bytes: Uint8Array, index: number): Uint8Array {
  const model = FbTable.root(bytes, TFLITE_IDENTIFIER);
  const buffers = model.tables(MODEL.buffers);
  const buf = buffers[index];
  if (!buf) throw new RangeError(`buffer ${index} does not exist (${buffers.length} buffers)`);
  if (buf.u64(BUFFER.offset) !== 0n) throw new Error(`buffer ${index} lives outside the flatbuffer (a >2 GB model); not supported`);
  return buf.bytesOf(BUFFER.data) ?? new Uint8Array(0);
}

/** A tensor to add; `data` makes it a constant. */
export interface NewTensor {
  name: string;
  shape: number[];
  type: number;
  data?: Uint8Array;
}

/** An operator to add; tensors are named (old or new). */
export interface NewOperator {
  op: number;
  inputs: string[];
  outputs: string[];
  options?: { type: number; table: TableNode };
}

export interface ModelEdit {
  tensors?: NewTensor[];
  operators?: NewOperator[];
  /** The main subgraph's outputs, by tensor name; unchanged when absent. */
  outputs?: string[];
  /** TFLite metadata flatbuffer (identifier M001) stored as TFLITE_METADATA; replaces an existing one. */
  metadata?: Uint8Array;
}

/**
 * Returns a new model with the edit applied to the main subgraph. The old model's bytes are kept
 * as they are, behind new Model and SubGraph tables (see flatbuffer.ts).
 */
export function editModel(bytes: Uint8Array, edit: ModelEdit): Uint8Array {
  const model = FbTable.root(bytes, TFLITE_IDENTIFIER);
  const known = new Set<number>(Object.values(MODEL));
  for (const id of model.presentFields()) if (!known.has(id)) throw new Error(`the model has field ${id}, which this editor does not know; refusing to drop it`);
  const info = readModel(bytes);
  const sgs = model.tables(MODEL.subgraphs);
  const sg = sgs[0]!;
  const knownSg = new Set<number>(Object.values(SUBGRAPH));
  for (const id of sg.presentFields()) if (!knownSg.has(id)) throw new Error(`the subgraph has field ${id}, which this editor does not know; refusing to drop it`);

  const oldBuffers: Ref[] = model.tablePositions(MODEL.buffers).map(old);
  const newBuffers: Ref[] = [];
  const addBuffer = (data: Uint8Array): number => {
    newBuffers.push(table(field(BUFFER.data, scalars('u8', data, 16))));
    return oldBuffers.length + newBuffers.length - 1;
  };

  const tensorIndex = new Map(info.tensors.map((t) => [t.name, t.index]));
  const newTensors: Ref[] = [];
  for (const t of edit.tensors ?? []) {
    if (tensorIndex.has(t.name)) throw new Error(`tensor ${JSON.stringify(t.name)} already exists`);
    const buffer = t.data ? addBuffer(t.data) : 0;
    tensorIndex.set(t.name, info.tensors.length + newTensors.length);
    newTensors.push(
      table(field(TENSOR.shape, scalars('i32', t.shape)), scalar(TENSOR.type, 'i8', t.type), scalar(TENSOR.buffer, 'u32', buffer), field(TENSOR.name, str(t.name))),
    );
  }
  const indexOf = (name: string): number => {
    const i = tensorIndex.get(name);
    if (i === undefined) throw new Error(`no tensor named ${JSON.stringify(name)}`);
    return i;
  };

  const opcodes: Ref[] = model.tablePositions(MODEL.operatorCodes).map(old);
  const opcodeIndex = new Map<number, number>();
  info.operatorCodes.forEach((code, i) => {
    if (!opcodeIndex.has(code)) opcodeIndex.set(code, i);
  });
  const newOps: Ref[] = [];
  for (const op of edit.operators ?? []) {
    let idx = opcodeIndex.get(op.op);
    if (idx === undefined) {
      idx = opcodes.length;
      opcodeIndex.set(op.op, idx);
      opcodes.push(table(scalar(OPCODE.deprecatedBuiltinCode, 'i8', op.op), scalar(OPCODE.version, 'i32', 1), scalar(OPCODE.builtinCode, 'i32', op.op)));
    }
    newOps.push(
      table(
        scalar(OPERATOR.opcodeIndex, 'u32', idx),
        field(OPERATOR.inputs, scalars('i32', op.inputs.map(indexOf))),
        field(OPERATOR.outputs, scalars('i32', op.outputs.map(indexOf))),
        op.options ? scalar(OPERATOR.builtinOptionsType, 'u8', op.options.type) : null,
        op.options ? field(OPERATOR.builtinOptions, op.options.table) : null,
      ),
    );
  }

  const metadataEntries: Ref[] = model
    .tables(MODEL.metadata)
    .filter((m) => edit.metadata === undefined || m.string(METADATA.name) !== METADATA_NAME)
    .map((m) => old(m.pos));
  if (edit.metadata) {
    const buffer = addBuffer(edit.metadata);
    metadataEntries.push(table(field(METADATA.name, str(METADATA_NAME)), scalar(METADATA.buffer, 'u32', buffer)));
  }

  const oldRef = (t: FbTable, id: number): Ref | null => (t.has(id) ? old(t.refPos(id)) : null);
  const oldField = (t: FbTable, id: number): TableField | null => field(id, oldRef(t, id));
  const subgraph = table(
    field(SUBGRAPH.tensors, refs([...sg.tablePositions(SUBGRAPH.tensors).map(old), ...newTensors])),
    oldField(sg, SUBGRAPH.inputs),
    field(SUBGRAPH.outputs, edit.outputs ? scalars('i32', edit.outputs.map(indexOf)) : oldRef(sg, SUBGRAPH.outputs)),
    field(SUBGRAPH.operators, refs([...sg.tablePositions(SUBGRAPH.operators).map(old), ...newOps])),
    oldField(sg, SUBGRAPH.name),
    sg.has(SUBGRAPH.debugMetadataIndex) ? scalar(SUBGRAPH.debugMetadataIndex, 'i32', sg.i32(SUBGRAPH.debugMetadataIndex)) : null,
  );
  const root = table(
    scalar(MODEL.version, 'u32', info.version),
    field(MODEL.operatorCodes, refs(opcodes)),
    field(MODEL.subgraphs, refs([subgraph, ...sgs.slice(1).map((s) => old(s.pos))])),
    oldField(model, MODEL.description),
    field(MODEL.buffers, refs([...oldBuffers, ...newBuffers])),
    oldField(model, MODEL.metadataBuffer),
    metadataEntries.length > 0 ? field(MODEL.metadata, refs(metadataEntries)) : null,
    oldField(model, MODEL.signatureDefs),
  );
  return layoutFlatbuffer(root, TFLITE_IDENTIFIER, bytes);
}

/** Operator options tables for the ops the builder adds. */
export const concatenationOptions = (axis: number): TableNode => table(scalar(0, 'i32', axis), scalar(1, 'i8', 0));
export const reshapeOptions = (shape: number[]): TableNode => table(field(0, scalars('i32', shape)));

export function int32Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setInt32(4 * i, x, true));
  return out;
}

export function float32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

export type { TableField };
