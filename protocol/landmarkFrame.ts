/**
 * Binary landmark frames (client -> server, about 30 a second per session).
 *
 * Layout, little-endian (see README.md for the table):
 *   0  u8   kind = 0x4C ('L')
 *   1  u8   version = 1
 *   2  u8   flags: bit0 face, bit1 blendshapes (requires face), bit2 pose; other bits 0
 *   3  u8   reserved = 0
 *   4  u32  seq, < 0xFFFFFFFF (MAX_FRAME_SEQ; 0xFFFFFFFF is the audio chunk's "no frame yet")
 *   8  f64  captureTimeMs (client clock, finite, in [0, MAX_CAPTURE_TIME_MS])
 *   16 face: 478 x (x, y, z) int16, round(coord * 8192)
 *      blendshapes: 52 u16, round(score * 10000) <= 10000
 *      pose: 33 x (x, y, z int16 as face, visibility u16 as a score)
 *
 * int16 -32768 is reserved as "not a number" and always rejected. The encoder never clamps:
 * a value it cannot represent is an error (FRAME_RANGE / FRAME_NONFINITE), not a silent change.
 */

import { ProtocolError } from './errors.js';
import {
  BLENDSHAPE_COUNT,
  FACE_LANDMARK_COUNT,
  POSE_LANDMARK_COUNT,
  type LandmarkFrame,
} from './landmarkTypes.js';

export const LANDMARK_FRAME_KIND = 0x4c; // 'L'
export const LANDMARK_FRAME_VERSION = 1;
export const LANDMARK_FRAME_HEADER_BYTES = 16;
/**
 * Largest seq: one below u32 max, which audio chunks use for "no frame used yet"
 * (audioChunk.ts CONTROL_SEQ_NONE), so a frame's seq can always be echoed in a chunk.
 */
export const MAX_FRAME_SEQ = 0xfffffffe;
/**
 * Largest capture time, ms (2^43, about 278 years): any real clock (performance.now, Date.now)
 * fits, and times stay exact to a microsecond, so stepping through time in ms always advances.
 */
export const MAX_CAPTURE_TIME_MS = 2 ** 43;

export const FLAG_FACE = 0b001;
export const FLAG_BLENDSHAPES = 0b010;
export const FLAG_POSE = 0b100;
const KNOWN_FLAGS = FLAG_FACE | FLAG_BLENDSHAPES | FLAG_POSE;

/** Coordinates are stored as round(coord * COORD_SCALE) in an int16: a step of 1/8192. */
export const COORD_SCALE = 8192;
/** Scores (blendshapes, pose visibility) are stored as round(score * SCORE_SCALE) in a u16. */
export const SCORE_SCALE = 10000;
/** The int16 value reserved for "not a number"; never valid on the wire. */
export const INT16_NOT_A_NUMBER = -32768;
/**
 * Coordinates the encoder accepts: those that round to an int16 in [-32767, 32767], i.e.
 * [-32767.5 / 8192, 32767.5 / 8192) = about [-3.99994, 3.99994). Nominally "[-4, 4)"; the last
 * half step at each end is given up so that no value rounds onto -32768 or past 32767.
 */
export const COORD_MIN = -32767.5 / COORD_SCALE;
export const COORD_MAX_EXCLUSIVE = 32767.5 / COORD_SCALE;

/** Float values per part, as decoded. */
export const FACE_VALUES = FACE_LANDMARK_COUNT * 3; // 1434
export const BLENDSHAPE_VALUES = BLENDSHAPE_COUNT; // 52
export const POSE_VALUES = POSE_LANDMARK_COUNT * 4; // 132

/** Bytes per part on the wire. */
export const FACE_BYTES = FACE_VALUES * 2; // 2868
export const BLENDSHAPE_BYTES = BLENDSHAPE_VALUES * 2; // 104
export const POSE_BYTES = POSE_VALUES * 2; // 264
/** The largest landmark frame (face + blendshapes + pose): 3252 bytes. */
export const LANDMARK_FRAME_MAX_BYTES =
  LANDMARK_FRAME_HEADER_BYTES + FACE_BYTES + BLENDSHAPE_BYTES + POSE_BYTES;

/** Flags as a readable list for messages, e.g. "face+pose" or "none". */
export function describeLandmarkFlags(flags: number): string {
  const parts: string[] = [];
  if (flags & FLAG_FACE) parts.push('face');
  if (flags & FLAG_BLENDSHAPES) parts.push('blendshapes');
  if (flags & FLAG_POSE) parts.push('pose');
  return parts.length > 0 ? parts.join('+') : 'none';
}

function checkFlags(flags: number): void {
  if (!Number.isInteger(flags) || flags < 0 || (flags & ~KNOWN_FLAGS) !== 0) {
    throw new ProtocolError(
      'FRAME_FLAGS',
      `landmark frame flags are 0x${flags.toString(16)}; only bits 0 (face), 1 (blendshapes) and 2 (pose) are defined`,
    );
  }
  if (flags & FLAG_BLENDSHAPES && !(flags & FLAG_FACE)) {
    throw new ProtocolError('FRAME_FLAGS', 'landmark frame has blendshapes without a face (flag bit 1 requires bit 0)');
  }
}

/** Exact byte length of a landmark frame with these flags. Throws FRAME_FLAGS for invalid flags. */
export function landmarkFrameByteLength(flags: number): number {
  checkFlags(flags);
  return (
    LANDMARK_FRAME_HEADER_BYTES +
    (flags & FLAG_FACE ? FACE_BYTES : 0) +
    (flags & FLAG_BLENDSHAPES ? BLENDSHAPE_BYTES : 0) +
    (flags & FLAG_POSE ? POSE_BYTES : 0)
  );
}

/** The flags that describe which parts of `frame` are present. */
export function landmarkFrameFlags(frame: LandmarkFrame): number {
  return (frame.face ? FLAG_FACE : 0) | (frame.blendshapes ? FLAG_BLENDSHAPES : 0) | (frame.pose ? FLAG_POSE : 0);
}

// ---------------------------------------------------------------------------------------------
// encode

function checkLength(name: string, values: ArrayLike<number>, expected: number): void {
  if (values.length !== expected) {
    throw new ProtocolError('FRAME_LENGTH', `${name} has ${values.length} values; it must have ${expected}`);
  }
}

function quantiseCoord(value: number, what: string, index: number): number {
  if (!Number.isFinite(value)) {
    throw new ProtocolError('FRAME_NONFINITE', `${what}[${index}] is ${value}; coordinates must be finite`);
  }
  const q = Math.round(value * COORD_SCALE);
  if (q < -32767 || q > 32767) {
    throw new ProtocolError(
      'FRAME_RANGE',
      `${what}[${index}] is ${value}; coordinates must lie in [-4, 4) (exactly [${COORD_MIN}, ${COORD_MAX_EXCLUSIVE}))`,
    );
  }
  return q;
}

function quantiseScore(value: number, what: string, index: number): number {
  if (!Number.isFinite(value)) {
    throw new ProtocolError('FRAME_NONFINITE', `${what}[${index}] is ${value}; scores must be finite`);
  }
  if (value < 0 || value > 1) {
    throw new ProtocolError('FRAME_RANGE', `${what}[${index}] is ${value}; scores must lie in [0, 1]`);
  }
  return Math.round(value * SCORE_SCALE);
}

function checkSeq(seq: number): void {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_FRAME_SEQ) {
    throw new ProtocolError('FRAME_RANGE', `landmark frame seq is ${seq}; it must be an integer in [0, ${MAX_FRAME_SEQ}]`);
  }
}

function checkCaptureTime(ms: number): void {
  if (!(ms >= 0 && ms <= MAX_CAPTURE_TIME_MS)) {
    throw new ProtocolError('FRAME_TIME', `landmark frame captureTimeMs is ${ms}; it must lie in [0, ${MAX_CAPTURE_TIME_MS}]`);
  }
}

/**
 * Encode one frame. Throws ProtocolError (FRAME_LENGTH, FRAME_FLAGS, FRAME_NONFINITE, FRAME_RANGE,
 * FRAME_TIME) instead of writing anything the decoder would reject or read back differently.
 */
export function encodeLandmarkFrame(frame: LandmarkFrame): Uint8Array<ArrayBuffer> {
  const { seq, captureTimeMs, face, blendshapes, pose } = frame;
  checkSeq(seq);
  checkCaptureTime(captureTimeMs);
  const flags = landmarkFrameFlags(frame);
  const length = landmarkFrameByteLength(flags);
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, LANDMARK_FRAME_KIND);
  view.setUint8(1, LANDMARK_FRAME_VERSION);
  view.setUint8(2, flags);
  view.setUint8(3, 0);
  view.setUint32(4, seq, true);
  view.setFloat64(8, captureTimeMs, true);

  let off = LANDMARK_FRAME_HEADER_BYTES;
  if (face) {
    checkLength('face', face, FACE_VALUES);
    for (let i = 0; i < FACE_VALUES; i++, off += 2) view.setInt16(off, quantiseCoord(face[i]!, 'face', i), true);
  }
  if (blendshapes) {
    checkLength('blendshapes', blendshapes, BLENDSHAPE_VALUES);
    for (let i = 0; i < BLENDSHAPE_VALUES; i++, off += 2) {
      view.setUint16(off, quantiseScore(blendshapes[i]!, 'blendshapes', i), true);
    }
  }
  if (pose) {
    checkLength('pose', pose, POSE_VALUES);
    for (let i = 0; i < POSE_VALUES; i++, off += 2) {
      const v = pose[i]!;
      if ((i & 3) === 3) view.setUint16(off, quantiseScore(v, 'pose', i), true);
      else view.setInt16(off, quantiseCoord(v, 'pose', i), true);
    }
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// decode

const INV_COORD_SCALE = 1 / COORD_SCALE; // a power of two: multiplying by it is exact

function badCoord(part: string, index: number): ProtocolError {
  return new ProtocolError(
    'FRAME_NONFINITE',
    `${part}[${index}] holds the reserved int16 ${INT16_NOT_A_NUMBER} ("not a number")`,
  );
}

function badScore(part: string, index: number, raw: number): ProtocolError {
  return new ProtocolError('FRAME_RANGE', `${part}[${index}] is ${raw}/${SCORE_SCALE}; scores must be <= ${SCORE_SCALE}`);
}

/**
 * Decode one frame. `bytes` may be a view into a larger buffer at any byte offset (as Node's ws
 * hands them out); the result owns fresh Float32Arrays and keeps no reference to `bytes`.
 * Throws ProtocolError with a FRAME_* code for anything the layout does not allow.
 */
export function decodeLandmarkFrame(bytes: Uint8Array): LandmarkFrame {
  const length = bytes.byteLength;
  if (length < LANDMARK_FRAME_HEADER_BYTES) {
    throw new ProtocolError(
      'FRAME_TRUNCATED',
      `landmark frame has ${length} bytes; the header alone needs ${LANDMARK_FRAME_HEADER_BYTES}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  const kind = view.getUint8(0);
  if (kind !== LANDMARK_FRAME_KIND) {
    throw new ProtocolError(
      'FRAME_KIND',
      `binary message kind is 0x${kind.toString(16)}; a landmark frame has kind 0x${LANDMARK_FRAME_KIND.toString(16)} ('L')`,
    );
  }
  const version = view.getUint8(1);
  if (version !== LANDMARK_FRAME_VERSION) {
    throw new ProtocolError('FRAME_VERSION', `landmark frame version is ${version}; only ${LANDMARK_FRAME_VERSION} is supported`);
  }
  const flags = view.getUint8(2);
  checkFlags(flags);
  const reserved = view.getUint8(3);
  if (reserved !== 0) {
    throw new ProtocolError('FRAME_FLAGS', `landmark frame reserved byte is ${reserved}; it must be 0`);
  }
  const expected = landmarkFrameByteLength(flags);
  if (length !== expected) {
    throw new ProtocolError(
      'FRAME_LENGTH',
      `landmark frame has ${length} bytes; with flags ${describeLandmarkFlags(flags)} it must have ${expected}`,
    );
  }
  const seq = view.getUint32(4, true);
  const captureTimeMs = view.getFloat64(8, true);
  checkSeq(seq);
  checkCaptureTime(captureTimeMs);

  let off = LANDMARK_FRAME_HEADER_BYTES;
  let face: Float32Array | null = null;
  let blendshapes: Float32Array | null = null;
  let pose: Float32Array | null = null;
  if (flags & FLAG_FACE) {
    face = new Float32Array(FACE_VALUES);
    for (let i = 0; i < FACE_VALUES; i++, off += 2) {
      const q = view.getInt16(off, true);
      if (q === INT16_NOT_A_NUMBER) throw badCoord('face', i);
      face[i] = q * INV_COORD_SCALE;
    }
  }
  if (flags & FLAG_BLENDSHAPES) {
    blendshapes = new Float32Array(BLENDSHAPE_VALUES);
    for (let i = 0; i < BLENDSHAPE_VALUES; i++, off += 2) {
      const q = view.getUint16(off, true);
      if (q > SCORE_SCALE) throw badScore('blendshapes', i, q);
      blendshapes[i] = q / SCORE_SCALE;
    }
  }
  if (flags & FLAG_POSE) {
    pose = new Float32Array(POSE_VALUES);
    for (let i = 0; i < POSE_VALUES; i++, off += 2) {
      if ((i & 3) === 3) {
        const q = view.getUint16(off, true);
        if (q > SCORE_SCALE) throw badScore('pose', i, q);
        pose[i] = q / SCORE_SCALE;
      } else {
        const q = view.getInt16(off, true);
        if (q === INT16_NOT_A_NUMBER) throw badCoord('pose', i);
        pose[i] = q * INV_COORD_SCALE;
      }
    }
  }
  return { seq, captureTimeMs, face, blendshapes, pose };
}
