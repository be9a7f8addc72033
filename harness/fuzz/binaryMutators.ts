/**
 * Mutations of a valid binary landmark frame (protocol/landmarkFrame.ts): bit flips, truncation,
 * extension (up to past the server's 64 KiB payload limit), special f64 capture times and f32
 * bit patterns, extreme sequence numbers, reserved and out-of-range int16/u16 values, broken
 * header bytes, and frames that are valid but extreme (capture time 1e18, degenerate geometry).
 */
import type { Rng } from './random.js';
import { EXTREME_SEQS, F64_BIT_PATTERNS, SPECIAL_F32, SPECIAL_F64 } from './specialValues.js';

export interface BinaryFrame {
  kind: string;
  data: Buffer;
}

const HEADER = 16;
/** Lengths where the decoder changes its mind: header, and each flags combination's size. */
const LENGTH_EDGES = [0, 1, 4, 8, 15, 16, 17, 280, 2884, 2988, 3148, 3252];
const VALID_FLAGS = [0b000, 0b001, 0b011, 0b100, 0b101, 0b111];
/** Capture times the decoder accepts (finite, >= 0) but that are far from any real clock. */
const EXTREME_VALID_TIMES = [0, 5e-324, 1e18, 2 ** 53, 2 ** 60, 1e308, Number.MAX_VALUE, 1e13, 4294967296];

function int16Offsets(len: number): number[] {
  // Every int16 slot after the header; which are scores depends on the flags, so both kinds get hit.
  const out: number[] = [];
  for (let o = HEADER; o + 2 <= len; o += 2) out.push(o);
  return out;
}

const MUTATIONS: readonly (readonly [string, number, (rng: Rng, b: Buffer) => Buffer])[] = [
  ['bitflip', 3, (rng, b) => {
    for (let i = rng.int(1, 8); i > 0; i--) {
      const at = rng.chance(0.5) ? rng.int(0, Math.min(HEADER, b.length) - 1) : rng.int(0, b.length - 1);
      b[at] ^= 1 << rng.int(0, 7);
    }
    return b;
  }],
  ['truncate', 2, (rng, b) => b.subarray(0, rng.length(b.length - 1, LENGTH_EDGES.filter((l) => l < b.length)))],
  ['extend', 2, (rng, b) => {
    if (rng.chance(0.08)) {
      const total = rng.pick([65535, 65536, 65537, 70000]);
      return Buffer.concat([b, Buffer.alloc(Math.max(0, total - b.length), rng.int(0, 255))]);
    }
    return Buffer.concat([b, rng.bytes(rng.int(1, 64))]);
  }],
  ['capture-f64', 3, (rng, b) => {
    if (rng.chance(0.4)) Buffer.from(rng.pick(F64_BIT_PATTERNS), 'hex').reverse().copy(b, 8);
    else b.writeDoubleLE(rng.pick(SPECIAL_F64), 8);
    return b;
  }],
  ['valid-extreme-time', 2, (rng, b) => {
    b.writeDoubleLE(rng.pick(EXTREME_VALID_TIMES), 8);
    return b;
  }],
  ['f32-special', 2, (rng, b) => {
    const slots = Math.floor((b.length - 8) / 4);
    if (slots <= 0) return b;
    for (let i = rng.int(1, 6); i > 0; i--) b.writeFloatLE(rng.pick(SPECIAL_F32), 8 + 4 * rng.int(0, slots - 1));
    return b;
  }],
  ['seq-extreme', 2, (rng, b) => {
    b.writeUInt32LE(rng.pick(EXTREME_SEQS), 4);
    return b;
  }],
  ['int16-extreme', 2, (rng, b) => {
    const slots = int16Offsets(b.length);
    if (slots.length === 0) return b;
    for (let i = rng.int(1, 20); i > 0; i--) b.writeUInt16LE(rng.pick([0x8000, 0x7fff, 0x8001, 0, 10000, 10001, 0xffff]), rng.pick(slots));
    return b;
  }],
  ['degenerate', 1, (rng, b) => {
    // Every coordinate the same (all landmarks on one point): valid on the wire, zero-size geometry.
    const v = rng.pick([0, 0x7fff, 0x8001, 1]);
    for (const o of int16Offsets(b.length)) b.writeUInt16LE(v, o);
    return b;
  }],
  ['noise-coords', 1, (rng, b) => {
    for (const o of int16Offsets(b.length)) b.writeInt16LE(rng.int(-32767, 32767), o);
    return b;
  }],
  ['header', 2, (rng, b) => {
    const at = rng.int(0, 3);
    const values = [[0x41, 0x00, 0xff, 0x4d, 0x7b], [0, 2, 255], [rng.int(0, 255), 0b010, 0b110, 0xff, 0b1000], [rng.int(1, 255)]][at]!;
    b[at] = rng.pick(values);
    return b;
  }],
  ['flags-mismatch', 1, (rng, b) => {
    b[2] = rng.pick(VALID_FLAGS.filter((f) => f !== b[2]));
    return b;
  }],
  ['not-a-frame', 1, (rng, b) => {
    if (rng.chance(0.3)) {
      const a = Buffer.alloc(40 + 4 * rng.int(0, 64)); // an audio chunk's header, sent the wrong way
      a[0] = 0x41;
      a[1] = 1;
      a[2] = 1;
      a[3] = 2;
      return a;
    }
    return rng.bytes(rng.length(4000, [1, 16, b.length]));
  }],
  ['empty', 0.3, () => Buffer.alloc(0)],
];

/** One mutated copy of a valid encoded frame. */
export function mutateFrame(rng: Rng, valid: Uint8Array): BinaryFrame {
  const name = rng.weighted(MUTATIONS.map(([n, w]) => [n, w] as const));
  const fn = MUTATIONS.find(([n]) => n === name)![2];
  return { kind: `frame:${name}`, data: fn(rng, Buffer.from(valid)) };
}

export const FRAME_MUTATION_NAMES = MUTATIONS.map(([n]) => n);
