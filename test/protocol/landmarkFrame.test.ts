import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BLENDSHAPE_BYTES,
  COORD_MAX_EXCLUSIVE,
  COORD_MIN,
  FACE_BYTES,
  FACE_VALUES,
  FLAG_BLENDSHAPES,
  FLAG_FACE,
  FLAG_POSE,
  LANDMARK_FRAME_HEADER_BYTES,
  LANDMARK_FRAME_KIND,
  LANDMARK_FRAME_MAX_BYTES,
  POSE_BYTES,
  POSE_VALUES,
  BLENDSHAPE_VALUES,
  decodeLandmarkFrame,
  encodeLandmarkFrame,
  landmarkFrameByteLength,
} from '../../protocol/landmarkFrame.js';
import type { LandmarkFrame } from '../../protocol/landmarkTypes.js';
import { assertProtocolError, patched, rng, viewAt } from './helpers.js';

const COORD_TOLERANCE = 1 / 16384;
// Half a quantisation step of 1/10000, plus float32 rounding of the decoded value.
const SCORE_TOLERANCE = 0.5 / 10000 + 1e-7;

interface Parts {
  face?: boolean;
  blendshapes?: boolean;
  pose?: boolean;
}

/** A frame with plausible MediaPipe-like values (coordinates mostly in [0, 1], a few outside). */
function makeFrame(parts: Parts, seed = 1): LandmarkFrame {
  const r = rng(seed);
  const coord = () => r() * 1.6 - 0.3;
  const face = parts.face ? Float32Array.from({ length: FACE_VALUES }, coord) : null;
  const blendshapes = parts.blendshapes ? Float32Array.from({ length: BLENDSHAPE_VALUES }, r) : null;
  const pose = parts.pose
    ? Float32Array.from({ length: POSE_VALUES }, (_, i) => (i % 4 === 3 ? r() : coord()))
    : null;
  return { seq: 1000 + seed, captureTimeMs: 123456.789 + seed, face, blendshapes, pose };
}

function assertClose(actual: Float32Array | null, expected: Float32Array | null, tolerance: number, what: string): void {
  if (expected === null) {
    assert.equal(actual, null, `${what} should be null`);
    return;
  }
  assert.ok(actual instanceof Float32Array, `${what} should be a Float32Array`);
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    assert.ok(err <= tolerance, `${what}[${i}]: ${actual[i]} vs ${expected[i]} (error ${err} > ${tolerance})`);
  }
}

function assertRoundTrip(frame: LandmarkFrame, decoded: LandmarkFrame): void {
  assert.equal(decoded.seq, frame.seq);
  assert.equal(decoded.captureTimeMs, frame.captureTimeMs);
  assertClose(decoded.face, frame.face, COORD_TOLERANCE, 'face');
  assertClose(decoded.blendshapes, frame.blendshapes, SCORE_TOLERANCE, 'blendshapes');
  if (frame.pose === null) {
    assert.equal(decoded.pose, null);
  } else {
    assert.ok(decoded.pose instanceof Float32Array);
    assert.equal(decoded.pose.length, POSE_VALUES);
    for (let i = 0; i < POSE_VALUES; i++) {
      const tolerance = i % 4 === 3 ? SCORE_TOLERANCE : COORD_TOLERANCE;
      const err = Math.abs(decoded.pose[i]! - frame.pose[i]!);
      assert.ok(err <= tolerance, `pose[${i}] error ${err} > ${tolerance}`);
    }
  }
}

const FORMS: [string, Parts, number][] = [
  ['empty (nobody detected)', {}, LANDMARK_FRAME_HEADER_BYTES],
  ['face only', { face: true }, LANDMARK_FRAME_HEADER_BYTES + FACE_BYTES],
  ['pose only', { pose: true }, LANDMARK_FRAME_HEADER_BYTES + POSE_BYTES],
  ['face + blendshapes', { face: true, blendshapes: true }, LANDMARK_FRAME_HEADER_BYTES + FACE_BYTES + BLENDSHAPE_BYTES],
  ['face + pose', { face: true, pose: true }, LANDMARK_FRAME_HEADER_BYTES + FACE_BYTES + POSE_BYTES],
  ['face + blendshapes + pose', { face: true, blendshapes: true, pose: true }, LANDMARK_FRAME_MAX_BYTES],
];

describe('landmark frame round trip', () => {
  FORMS.forEach(([name, parts, bytes], i) => {
    it(`${name}: ${bytes} bytes, values within the quantisation bound`, () => {
      const frame = makeFrame(parts, i + 1);
      const encoded = encodeLandmarkFrame(frame);
      assert.equal(encoded.byteLength, bytes);
      assert.equal(encoded[0], LANDMARK_FRAME_KIND);
      assertRoundTrip(frame, decodeLandmarkFrame(encoded));
    });
  });

  it('sizes follow the layout: 16 + 2868 face + 104 blendshapes + 264 pose = 3252', () => {
    assert.equal(LANDMARK_FRAME_MAX_BYTES, 3252);
    assert.equal(landmarkFrameByteLength(0), 16);
    assert.equal(landmarkFrameByteLength(FLAG_FACE), 16 + 2868);
    assert.equal(landmarkFrameByteLength(FLAG_FACE | FLAG_BLENDSHAPES), 16 + 2868 + 104);
    assert.equal(landmarkFrameByteLength(FLAG_POSE), 16 + 264);
    assert.equal(landmarkFrameByteLength(FLAG_FACE | FLAG_POSE), 3148);
    assert.equal(landmarkFrameByteLength(FLAG_FACE | FLAG_BLENDSHAPES | FLAG_POSE), 3252);
  });

  it('landmarkFrameByteLength rejects invalid flags', () => {
    assertProtocolError(() => landmarkFrameByteLength(FLAG_BLENDSHAPES), 'FRAME_FLAGS');
    assertProtocolError(() => landmarkFrameByteLength(0b1000), 'FRAME_FLAGS');
  });

  it('decodes a view at an unaligned, non-zero byteOffset inside a bigger buffer', () => {
    const frame = makeFrame({ face: true, blendshapes: true, pose: true }, 42);
    const encoded = encodeLandmarkFrame(frame);
    for (const offset of [1, 3, 8]) {
      const view = viewAt(encoded, offset);
      assert.equal(view.byteOffset, offset);
      assertRoundTrip(frame, decodeLandmarkFrame(view));
    }
  });

  it('keeps seq and capture time exactly, including the extremes', () => {
    for (const [seq, captureTimeMs] of [[0, 0], [0xfffffffe, 1.7e12 + 0.125], [7, 5e-324], [1, 2 ** 43]] as const) {
      const decoded = decodeLandmarkFrame(encodeLandmarkFrame({ ...makeFrame({}), seq, captureTimeMs }));
      assert.equal(decoded.seq, seq);
      assert.equal(decoded.captureTimeMs, captureTimeMs);
    }
  });

  it('represents the edges of the ranges: coordinates at the limits, scores 0 and 1', () => {
    const frame = makeFrame({ face: true, blendshapes: true, pose: true });
    const face = frame.face!;
    const top = 32767.49 / 8192; // just below COORD_MAX_EXCLUSIVE, still above float32 spacing
    face[0] = COORD_MIN;
    face[1] = top;
    face[2] = -0;
    frame.blendshapes![0] = 0;
    frame.blendshapes![1] = 1;
    frame.pose![3] = 1;
    frame.pose![7] = 0;
    const decoded = decodeLandmarkFrame(encodeLandmarkFrame(frame));
    assert.equal(decoded.face![0], -32767 / 8192);
    assert.equal(decoded.face![1], 32767 / 8192);
    assert.equal(decoded.face![2], 0);
    assert.equal(decoded.blendshapes![0], 0);
    assert.equal(decoded.blendshapes![1], 1);
    assert.equal(decoded.pose![3], 1);
    assert.equal(decoded.pose![7], 0);
    assertRoundTrip(frame, decoded);
  });
});

describe('landmark frame encoder rejections', () => {
  const full = () => makeFrame({ face: true, blendshapes: true, pose: true });

  it('FRAME_NONFINITE for NaN or Infinity anywhere', () => {
    const cases: [keyof Parts, number, number][] = [
      ['face', 0, NaN],
      ['face', FACE_VALUES - 1, Infinity],
      ['blendshapes', 5, NaN],
      ['pose', 0, -Infinity],
      ['pose', 3, NaN], // visibility
    ];
    for (const [part, index, value] of cases) {
      const frame = full();
      frame[part]![index] = value;
      assertProtocolError(() => encodeLandmarkFrame(frame), 'FRAME_NONFINITE', new RegExp(`${part}\\[${index}\\] is ${value}`));
    }
  });

  it('FRAME_RANGE for coordinates outside [-4, 4), never clamping', () => {
    for (const value of [4, -4, 4.5, -100, COORD_MAX_EXCLUSIVE]) {
      const frame = full();
      frame.face![10] = value;
      assertProtocolError(() => encodeLandmarkFrame(frame), 'FRAME_RANGE', /face\[10\]/);
      const frame2 = full();
      frame2.pose![4] = value;
      assertProtocolError(() => encodeLandmarkFrame(frame2), 'FRAME_RANGE', /pose\[4\]/);
    }
  });

  it('FRAME_RANGE for scores outside [0, 1]', () => {
    for (const value of [-0.01, 1.0001, 2]) {
      const frame = full();
      frame.blendshapes![3] = value;
      assertProtocolError(() => encodeLandmarkFrame(frame), 'FRAME_RANGE', /blendshapes\[3\]/);
      const frame2 = full();
      frame2.pose![7] = value;
      assertProtocolError(() => encodeLandmarkFrame(frame2), 'FRAME_RANGE', /pose\[7\]/);
    }
  });

  it('FRAME_RANGE for a seq that is not a u32 or is the chunks\' "no frame" value 0xFFFFFFFF', () => {
    for (const seq of [-1, 2 ** 32, 0xffffffff, 1.5, NaN]) {
      assertProtocolError(() => encodeLandmarkFrame({ ...full(), seq }), 'FRAME_RANGE', /seq/);
    }
  });

  it('FRAME_TIME for a capture time that is not finite, negative or beyond 2^43 ms', () => {
    for (const captureTimeMs of [NaN, Infinity, -Infinity, -1, 2 ** 43 + 1, 1e18, 2 ** 60]) {
      assertProtocolError(() => encodeLandmarkFrame({ ...full(), captureTimeMs }), 'FRAME_TIME', /captureTimeMs/);
    }
  });

  it('FRAME_LENGTH for arrays of the wrong length', () => {
    const f = full();
    assertProtocolError(() => encodeLandmarkFrame({ ...f, face: new Float32Array(FACE_VALUES - 1) }), 'FRAME_LENGTH', /face has 1433 values; it must have 1434/);
    assertProtocolError(() => encodeLandmarkFrame({ ...f, blendshapes: new Float32Array(53) }), 'FRAME_LENGTH', /blendshapes/);
    assertProtocolError(() => encodeLandmarkFrame({ ...f, pose: new Float32Array(99) }), 'FRAME_LENGTH', /pose/);
  });

  it('FRAME_FLAGS for blendshapes without a face', () => {
    assertProtocolError(() => encodeLandmarkFrame({ ...full(), face: null }), 'FRAME_FLAGS', /blendshapes without a face/);
  });
});

describe('landmark frame decoder rejections', () => {
  const good = encodeLandmarkFrame(makeFrame({ face: true, blendshapes: true, pose: true }));
  const empty = encodeLandmarkFrame(makeFrame({}));

  it('FRAME_TRUNCATED below 16 bytes', () => {
    assertProtocolError(() => decodeLandmarkFrame(new Uint8Array(0)), 'FRAME_TRUNCATED');
    assertProtocolError(() => decodeLandmarkFrame(good.subarray(0, 15)), 'FRAME_TRUNCATED', /15 bytes/);
  });

  it('FRAME_RANGE for seq 0xFFFFFFFF and FRAME_TIME for a capture time of 1e18 on the wire', () => {
    assertProtocolError(() => decodeLandmarkFrame(patched(good, (v) => v.setUint32(4, 0xffffffff, true))), 'FRAME_RANGE', /seq is 4294967295/);
    for (const t of [1e18, 2 ** 60, 2 ** 53]) {
      assertProtocolError(() => decodeLandmarkFrame(patched(good, (v) => v.setFloat64(8, t, true))), 'FRAME_TIME', /captureTimeMs/);
    }
  });

  it('FRAME_KIND for another kind byte', () => {
    assertProtocolError(() => decodeLandmarkFrame(patched(good, (v) => v.setUint8(0, 0x41))), 'FRAME_KIND', /0x41/);
  });

  it('FRAME_VERSION for any version but 1', () => {
    for (const version of [0, 2, 255]) {
      assertProtocolError(() => decodeLandmarkFrame(patched(good, (v) => v.setUint8(1, version))), 'FRAME_VERSION', new RegExp(`version is ${version}`));
    }
  });

  it('FRAME_FLAGS for unknown bits, blendshapes without face, or a non-zero reserved byte', () => {
    for (const flags of [0b1000, 0x80, 0b1111, FLAG_BLENDSHAPES, FLAG_BLENDSHAPES | FLAG_POSE]) {
      assertProtocolError(() => decodeLandmarkFrame(patched(good, (v) => v.setUint8(2, flags))), 'FRAME_FLAGS');
    }
    assertProtocolError(() => decodeLandmarkFrame(patched(good, (v) => v.setUint8(3, 1))), 'FRAME_FLAGS', /reserved byte is 1/);
  });

  it('FRAME_LENGTH when the length is not exactly what the flags imply', () => {
    assertProtocolError(() => decodeLandmarkFrame(good.subarray(0, good.length - 1)), 'FRAME_LENGTH');
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    assertProtocolError(() => decodeLandmarkFrame(longer), 'FRAME_LENGTH');
    const extraOnEmpty = new Uint8Array(empty.length + 2);
    extraOnEmpty.set(empty);
    assertProtocolError(() => decodeLandmarkFrame(extraOnEmpty), 'FRAME_LENGTH', /flags none it must have 16/);
    const claimsPose = patched(good.subarray(0, 3000), (v) => v.setUint8(2, FLAG_FACE | FLAG_POSE));
    assertProtocolError(() => decodeLandmarkFrame(claimsPose), 'FRAME_LENGTH', /3000 bytes; with flags face\+pose it must have 3148/);
  });

  it('FRAME_TIME for a capture time that is NaN, infinite or negative', () => {
    for (const t of [NaN, Infinity, -Infinity, -1, -0.001]) {
      assertProtocolError(() => decodeLandmarkFrame(patched(good, (v) => v.setFloat64(8, t, true))), 'FRAME_TIME');
    }
  });

  it('FRAME_NONFINITE for the reserved int16 -32768 in any coordinate', () => {
    const firstBlend = LANDMARK_FRAME_HEADER_BYTES + FACE_BYTES;
    const firstPose = firstBlend + BLENDSHAPE_BYTES;
    const positions: [number, RegExp][] = [
      [LANDMARK_FRAME_HEADER_BYTES, /face\[0\]/],
      [firstBlend - 2, /face\[1433\]/],
      [firstPose, /pose\[0\]/],
      [firstPose + 2 * 130, /pose\[130\]/],
    ];
    for (const [offset, message] of positions) {
      assertProtocolError(() => decodeLandmarkFrame(patched(good, (v) => v.setInt16(offset, -32768, true))), 'FRAME_NONFINITE', message);
    }
  });

  it('FRAME_RANGE for a blendshape or visibility score above 10000', () => {
    const firstBlend = LANDMARK_FRAME_HEADER_BYTES + FACE_BYTES;
    const firstPose = firstBlend + BLENDSHAPE_BYTES;
    for (const raw of [10001, 0x8000, 0xffff]) {
      assertProtocolError(() => decodeLandmarkFrame(patched(good, (v) => v.setUint16(firstBlend + 2 * 51, raw, true))), 'FRAME_RANGE', /blendshapes\[51\]/);
      assertProtocolError(() => decodeLandmarkFrame(patched(good, (v) => v.setUint16(firstPose + 2 * 3, raw, true))), 'FRAME_RANGE', /pose\[3\]/);
    }
  });

  it('accepts 10000 exactly as a score of 1', () => {
    const firstBlend = LANDMARK_FRAME_HEADER_BYTES + FACE_BYTES;
    const decoded = decodeLandmarkFrame(patched(good, (v) => v.setUint16(firstBlend, 10000, true)));
    assert.equal(decoded.blendshapes![0], 1);
  });
});
