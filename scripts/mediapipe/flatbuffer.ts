/**
 * Just enough FlatBuffers to edit a TFLite model without its generated code.
 *
 * Reading: `FbTable` reads fields by id from a buffer (vtable lookup), like generated accessors.
 *
 * Writing: `layoutFlatbuffer` lays out a tree of new objects *in front of* an existing buffer's
 * body. FlatBuffers offsets (uoffset) only point forward, so new objects placed first may point
 * at each other (parents before children) and at any object of the old body, which keeps its
 * bytes and moves as one block. The block moves by a multiple of 16 bytes, so the 16-byte
 * alignment of TFLite weight buffers survives. Nothing of the old model is decoded and
 * re-encoded: the edit cannot lose a field this file does not know about.
 */

export type ScalarType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'u64' | 'i64' | 'f64';

const SCALAR_SIZE: Readonly<Record<ScalarType, number>> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, u64: 8, i64: 8, f64: 8 };

/** An object of the old buffer, by its absolute position there. */
export interface OldRef {
  readonly kind: 'old';
  readonly pos: number;
}
export interface TableNode {
  readonly kind: 'table';
  readonly fields: readonly TableField[];
}
export type TableField =
  | { readonly id: number; readonly scalar: ScalarType; readonly value: number | bigint }
  | { readonly id: number; readonly ref: Ref };
export interface ScalarVectorNode {
  readonly kind: 'scalars';
  readonly type: ScalarType;
  readonly values: readonly number[] | Uint8Array;
  /** Alignment of the first element (TFLite buffers use force_align 16). */
  readonly align?: number;
}
export interface RefVectorNode {
  readonly kind: 'refs';
  readonly refs: readonly Ref[];
}
export interface StringNode {
  readonly kind: 'string';
  readonly text: string;
}
export type Node = TableNode | ScalarVectorNode | RefVectorNode | StringNode;
export type Ref = Node | OldRef;

export const old = (pos: number): OldRef => ({ kind: 'old', pos });
export const table = (...fields: (TableField | null)[]): TableNode => ({ kind: 'table', fields: fields.filter((f): f is TableField => f !== null) });
export const scalars = (type: ScalarType, values: readonly number[] | Uint8Array, align?: number): ScalarVectorNode =>
  align === undefined ? { kind: 'scalars', type, values } : { kind: 'scalars', type, values, align };
export const refs = (items: readonly Ref[]): RefVectorNode => ({ kind: 'refs', refs: items });
export const str = (text: string): StringNode => ({ kind: 'string', text });
export const field = (id: number, ref: Ref | null): TableField | null => (ref === null ? null : { id, ref });
export const scalar = (id: number, type: ScalarType, value: number | bigint): TableField => ({ id, scalar: type, value });

const align = (pos: number, to: number): number => Math.ceil(pos / to) * to;

interface Placed {
  node: Node;
  pos: number;
  /** Tables: where the vtable starts and each field's position. */
  vtablePos?: number;
  fieldPos?: Map<number, number>;
  tableSize?: number;
}

/**
 * Serialises `root` as a new flatbuffer with `identifier`, placed in front of `oldBuffer`'s body
 * (everything after its 8-byte header) when one is given. `OldRef` positions are positions in
 * `oldBuffer`.
 */
export function layoutFlatbuffer(root: TableNode, identifier: string, oldBuffer?: Uint8Array): Uint8Array {
  if (identifier.length !== 4) throw new RangeError(`a file identifier has 4 characters, not ${JSON.stringify(identifier)}`);
  const placed = new Map<Node, Placed>();
  const order: Placed[] = [];
  let cursor = 8;
  const visit = (node: Node): void => {
    if (placed.has(node)) return;
    const p: Placed = { node, pos: 0 };
    switch (node.kind) {
      case 'table': {
        const maxId = node.fields.reduce((m, f) => Math.max(m, f.id), -1);
        p.vtablePos = align(cursor, 2);
        const vtableSize = 4 + 2 * (maxId + 1);
        let pos = p.vtablePos + vtableSize;
        const maxAlign = node.fields.reduce((m, f) => Math.max(m, 'scalar' in f ? SCALAR_SIZE[f.scalar] : 4), 4);
        // The table starts with its soffset (4 bytes); choose its start so 8-byte fields can align.
        pos = align(pos, 4);
        while (maxAlign === 8 && (pos + 4) % 8 !== 0) pos += 4;
        p.pos = pos;
        let at = pos + 4;
        p.fieldPos = new Map();
        for (const f of node.fields) {
          const size = 'scalar' in f ? SCALAR_SIZE[f.scalar] : 4;
          at = align(at, size);
          p.fieldPos.set(f.id, at);
          at += size;
        }
        p.tableSize = at - pos;
        cursor = at;
        break;
      }
      case 'scalars': {
        const size = SCALAR_SIZE[node.type];
        const first = Math.max(size, node.align ?? 1, 4);
        let pos = align(cursor, 4);
        while ((pos + 4) % first !== 0) pos += 4;
        p.pos = pos;
        cursor = pos + 4 + size * node.values.length;
        break;
      }
      case 'refs':
        p.pos = align(cursor, 4);
        cursor = p.pos + 4 + 4 * node.refs.length;
        break;
      case 'string':
        p.pos = align(cursor, 4);
        cursor = p.pos + 4 + new TextEncoder().encode(node.text).length + 1;
        break;
    }
    placed.set(node, p);
    order.push(p);
    // Children after their parent: every new offset points forward.
    if (node.kind === 'table') for (const f of node.fields) if ('ref' in f && f.ref.kind !== 'old') visit(f.ref);
    if (node.kind === 'refs') for (const r of node.refs) if (r.kind !== 'old') visit(r);
  };
  visit(root);
  // Old positions p (>= 8) move to p + shift, where shift = frontEnd - 8 is a multiple of 16.
  const frontEnd = align(cursor - 8, 16) + 8;
  const body = oldBuffer ? oldBuffer.subarray(8) : new Uint8Array(0);
  const shift = frontEnd - 8;
  const out = new Uint8Array(frontEnd + body.length);
  out.set(body, frontEnd);
  const view = new DataView(out.buffer);
  const target = (r: Ref): number => (r.kind === 'old' ? r.pos + shift : placed.get(r)!.pos);
  const writeOffset = (at: number, r: Ref): void => {
    const to = target(r);
    if (to <= at) throw new Error(`internal: offset at ${at} does not point forward (${to})`);
    view.setUint32(at, to - at, true);
  };
  writeOffset(0, root);
  for (let i = 0; i < 4; i++) out[4 + i] = identifier.charCodeAt(i);
  for (const p of order) {
    const node = p.node;
    switch (node.kind) {
      case 'table': {
        const maxId = node.fields.reduce((m, f) => Math.max(m, f.id), -1);
        view.setUint16(p.vtablePos!, 4 + 2 * (maxId + 1), true);
        view.setUint16(p.vtablePos! + 2, p.tableSize!, true);
        view.setInt32(p.pos, p.pos - p.vtablePos!, true);
        for (const f of node.fields) {
          const at = p.fieldPos!.get(f.id)!;
          view.setUint16(p.vtablePos! + 4 + 2 * f.id, at - p.pos, true);
          if ('scalar' in f) writeScalar(view, at, f.scalar, f.value);
          else writeOffset(at, f.ref);
        }
        break;
      }
      case 'scalars': {
        view.setUint32(p.pos, node.values.length, true);
        const size = SCALAR_SIZE[node.type];
        if (node.values instanceof Uint8Array && size === 1) out.set(node.values, p.pos + 4);
        else for (let i = 0; i < node.values.length; i++) writeScalar(view, p.pos + 4 + i * size, node.type, node.values[i]!);
        break;
      }
      case 'refs':
        view.setUint32(p.pos, node.refs.length, true);
        node.refs.forEach((r, i) => writeOffset(p.pos + 4 + 4 * i, r));
        break;
      case 'string': {
        const bytes = new TextEncoder().encode(node.text);
        view.setUint32(p.pos, bytes.length, true);
        out.set(bytes, p.pos + 4);
        break;
      }
    }
  }
  return out;
}

function writeScalar(view: DataView, at: number, type: ScalarType, value: number | bigint): void {
  switch (type) {
    case 'u8': return view.setUint8(at, Number(value));
    case 'i8': return view.setInt8(at, Number(value));
    case 'u16': return view.setUint16(at, Number(value), true);
    case 'i16': return view.setInt16(at, Number(value), true);
    case 'u32': return view.setUint32(at, Number(value), true);
    case 'i32': return view.setInt32(at, Number(value), true);
    case 'f32': return view.setFloat32(at, Number(value), true);
    case 'f64': return view.setFloat64(at, Number(value), true);
    case 'u64': return view.setBigUint64(at, BigInt(value), true);
    case 'i64': return view.setBigInt64(at, BigInt(value), true);
  }
}

/** Read access to one table of a flatbuffer. */
export class FbTable {
  private readonly view: DataView;
  private readonly vtable: number;
  private readonly vtableSize: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly pos: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.vtable = pos - this.view.getInt32(pos, true);
    this.vtableSize = this.view.getUint16(this.vtable, true);
  }

  /** The root table of a flatbuffer; checks the file identifier when given. */
  static root(bytes: Uint8Array, identifier?: string): FbTable {
    if (bytes.length < 8) throw new RangeError(`a flatbuffer has at least 8 bytes, this one ${bytes.length}`);
    if (identifier !== undefined) {
      const got = String.fromCharCode(...bytes.subarray(4, 8));
      if (got !== identifier) throw new Error(`file identifier is ${JSON.stringify(got)}, expected ${JSON.stringify(identifier)}`);
    }
    return new FbTable(bytes, new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true));
  }

  /** Ids of the fields present (vtable entries that are set). */
  presentFields(): number[] {
    const ids: number[] = [];
    for (let id = 0; 4 + 2 * id < this.vtableSize; id++) if (this.fieldPos(id) !== 0) ids.push(id);
    return ids;
  }

  /** Absolute position of field `id`, 0 when absent. */
  fieldPos(id: number): number {
    const entry = 4 + 2 * id;
    if (entry >= this.vtableSize) return 0;
    const rel = this.view.getUint16(this.vtable + entry, true);
    return rel === 0 ? 0 : this.pos + rel;
  }

  has(id: number): boolean {
    return this.fieldPos(id) !== 0;
  }

  /** Absolute position of the object field `id` points to, 0 when absent. */
  refPos(id: number): number {
    const at = this.fieldPos(id);
    return at === 0 ? 0 : at + this.view.getUint32(at, true);
  }

  u8(id: number, dflt = 0): number {
    const at = this.fieldPos(id);
    return at === 0 ? dflt : this.view.getUint8(at);
  }

  i8(id: number, dflt = 0): number {
    const at = this.fieldPos(id);
    return at === 0 ? dflt : this.view.getInt8(at);
  }

  u32(id: number, dflt = 0): number {
    const at = this.fieldPos(id);
    return at === 0 ? dflt : this.view.getUint32(at, true);
  }

  i32(id: number, dflt = 0): number {
    const at = this.fieldPos(id);
    return at === 0 ? dflt : this.view.getInt32(at, true);
  }

  u64(id: number): bigint {
    const at = this.fieldPos(id);
    return at === 0 ? 0n : this.view.getBigUint64(at, true);
  }

  string(id: number): string | null {
    const at = this.refPos(id);
    if (at === 0) return null;
    const len = this.view.getUint32(at, true);
    return new TextDecoder().decode(this.bytes.subarray(at + 4, at + 4 + len));
  }

  /** Length and element start of a vector field, or null when absent. */
  vector(id: number): { length: number; start: number } | null {
    const at = this.refPos(id);
    if (at === 0) return null;
    return { length: this.view.getUint32(at, true), start: at + 4 };
  }

  i32s(id: number): number[] {
    const v = this.vector(id);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => this.view.getInt32(v.start + 4 * i, true));
  }

  f32s(id: number): number[] {
    const v = this.vector(id);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => this.view.getFloat32(v.start + 4 * i, true));
  }

  bytesOf(id: number): Uint8Array | null {
    const v = this.vector(id);
    return v ? this.bytes.subarray(v.start, v.start + v.length) : null;
  }

  /** Absolute positions of the tables in a vector-of-tables field. */
  tablePositions(id: number): number[] {
    const v = this.vector(id);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => {
      const at = v.start + 4 * i;
      return at + this.view.getUint32(at, true);
    });
  }

  tables(id: number): FbTable[] {
    return this.tablePositions(id).map((p) => new FbTable(this.bytes, p));
  }

  table(id: number): FbTable | null {
    const at = this.refPos(id);
    return at === 0 ? null : new FbTable(this.bytes, at);
  }
}
