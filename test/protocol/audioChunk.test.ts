import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AUDIO_CHUNK_HEADER_BYTES,
  AUDIO_CHUNK_KIND,
  CONTROL_SEQ_NONE,
  MAX_CHUNK_FRAMES,
  audioChunkByteLength,
  decodeAudioChunk,
  encodeAudioChunk,
  type AudioChunkHeader,
  type AudioFormat,
} from '../../protocol/audioChunk.js';
import { assertProtocolError, patched, rng, viewAt } from './helpers.js';

function header(overrides: Partial<AudioChunkHeader> = {}): AudioChunkHeader {
  return {
    startSample: 96000,
    frames: 480,
    sampleRate: 48000,
    channels: 2,
    format: 'f32',
    controlSeq: 17,
    genStartMs: 1000.25,
    genEndMs: 1004.5,
    ...overrides,
  };
}

function noise(n: number, seed = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 1.8 - 0.9);
}

function chunk(overrides: Partial<AudioChunkHeader> = {}): { h: AudioChunkHeader; pcm: Float32Array } {
  const h = header(overrides);
  return { h, pcm: noise(h.frames * h.channels) };
}

const S16_TOLERANCE = 0.5 / 32767 + 1e-7;

describe('audio chunk round trip', () => {
  it('decodes into a caller\'s scratch buffer when it is large enough, the same samples as a fresh one', () => {
    for (const format of ['f32', 's16'] as const) {
      const { h, pcm } = chunk({ format, frames: 333 });
      const bytes = encodeAudioChunk(h, pcm);
      const fresh = decodeAudioChunk(bytes).pcm;
      const scratch = new Float32Array(4096).fill(7);
      const into = decodeAudioChunk(bytes, scratch).pcm;
      assert.equal(into.buffer, scratch.buffer, 'no new buffer');
      assert.equal(into.length, 666);
      assert.deepEqual(into, fresh);
      const small = new Float32Array(100);
      const grown = decodeAudioChunk(bytes, small).pcm;
      assert.notEqual(grown.buffer, small.buffer, 'a scratch too small is left alone');
      assert.deepEqual(grown, fresh);
      assert.ok(small.every((v) => v === 0));
    }
  });

  const forms: [AudioFormat, number][] = [['f32', 1], ['f32', 2], ['s16', 1], ['s16', 2]];
  for (const [format, channels] of forms) {
    it(`${format} ${channels === 1 ? 'mono' : 'stereo'}`, () => {
      const { h, pcm } = chunk({ format, channels, frames: 333 });
      const bytes = encodeAudioChunk(h, pcm);
      assert.equal(bytes.byteLength, audioChunkByteLength(format, 333, channels));
      assert.equal(bytes.byteLength, AUDIO_CHUNK_HEADER_BYTES + 333 * channels * (format === 'f32' ? 4 : 2));
      assert.equal(bytes[0], AUDIO_CHUNK_KIND);
      const decoded = decodeAudioChunk(bytes);
      assert.deepEqual(decoded.header, h);
      assert.ok(decoded.pcm instanceof Float32Array);
      assert.equal(decoded.pcm.length, pcm.length);
      if (format === 'f32') {
        assert.deepEqual(decoded.pcm, pcm);
      } else {
        for (let i = 0; i < pcm.length; i++) {
          assert.ok(Math.abs(decoded.pcm[i]! - pcm[i]!) <= S16_TOLERANCE, `sample ${i}`);
        }
      }
    });
  }

  it('controlSeq null travels as 0xFFFFFFFF and comes back null', () => {
    const { h, pcm } = chunk({ controlSeq: null });
    const bytes = encodeAudioChunk(h, pcm);
    assert.equal(new DataView(bytes.buffer).getUint32(12, true), CONTROL_SEQ_NONE);
    assert.equal(decodeAudioChunk(bytes).header.controlSeq, null);
  });

  it('keeps extreme header values: startSample 2^53 - 1, controlSeq 0 and 0xFFFFFFFE, 1 frame, MAX_CHUNK_FRAMES', () => {
    for (const overrides of [
      { startSample: Number.MAX_SAFE_INTEGER, controlSeq: 0, frames: 1 },
      { startSample: 0, controlSeq: CONTROL_SEQ_NONE - 1, frames: MAX_CHUNK_FRAMES, channels: 1 },
      { sampleRate: 8000, genStartMs: -5, genEndMs: -5 },
      { sampleRate: 192000, format: 's16' as const },
    ]) {
      const { h, pcm } = chunk(overrides);
      assert.deepEqual(decodeAudioChunk(encodeAudioChunk(h, pcm)).header, h);
    }
  });

  it('s16 clamps to [-1, 1] and maps full scale to +-32767', () => {
    const pcm = Float32Array.from([1.5, -2, 1, -1, 0, 0.5]);
    const bytes = encodeAudioChunk(header({ format: 's16', channels: 1, frames: 6 }), pcm);
    const view = new DataView(bytes.buffer);
    const raw = Array.from({ length: 6 }, (_, i) => view.getInt16(AUDIO_CHUNK_HEADER_BYTES + 2 * i, true));
    assert.deepEqual(raw, [32767, -32767, 32767, -32767, 0, 16384]);
    const decoded = decodeAudioChunk(bytes).pcm;
    assert.deepEqual(Array.from(decoded.subarray(0, 5)), [1, -1, 1, -1, 0]);
  });

  it('s16 reads -32768 (never written by the encoder) as -1', () => {
    const bytes = encodeAudioChunk(header({ format: 's16', channels: 1, frames: 2 }), Float32Array.from([0, 0]));
    const decoded = decodeAudioChunk(patched(bytes, (v) => v.setInt16(AUDIO_CHUNK_HEADER_BYTES, -32768, true)));
    assert.equal(decoded.pcm[0], -1);
  });

  it('decodes views at unaligned and aligned non-zero byteOffsets inside a bigger buffer', () => {
    for (const format of ['f32', 's16'] as const) {
      const { h, pcm } = chunk({ format });
      const bytes = encodeAudioChunk(h, pcm);
      const reference = decodeAudioChunk(bytes);
      for (const offset of [1, 2, 3, 8]) {
        const view = viewAt(bytes, offset);
        assert.equal(view.byteOffset, offset);
        const decoded = decodeAudioChunk(view);
        assert.deepEqual(decoded.header, h);
        assert.deepEqual(decoded.pcm, reference.pcm);
      }
    }
  });

  it('returns pcm that does not alias the input bytes', () => {
    const { h, pcm } = chunk();
    const view = viewAt(encodeAudioChunk(h, pcm), 8); // aligned: the fast path
    const decoded = decodeAudioChunk(view);
    view.fill(0, AUDIO_CHUNK_HEADER_BYTES);
    assert.deepEqual(decoded.pcm, pcm);
  });

  it('audioChunkByteLength rejects what the layout cannot carry', () => {
    assert.equal(audioChunkByteLength('s16', 10, 2), 80);
    assertProtocolError(() => audioChunkByteLength('f32', 0, 1), 'CHUNK_INVALID', /frames is 0/);
    assertProtocolError(() => audioChunkByteLength('f32', 10, 3), 'CHUNK_INVALID', /channels is 3/);
    assertProtocolError(() => audioChunkByteLength('u8' as AudioFormat, 10, 1), 'CHUNK_INVALID', /format/);
  });
});

describe('audio chunk encoder rejections', () => {
  const cases: [string, Partial<AudioChunkHeader>, RegExp][] = [
    ['format', { format: 'f64' as AudioFormat }, /format is f64/],
    ['channels 0', { channels: 0 }, /channels is 0/],
    ['channels 3', { channels: 3 }, /channels is 3/],
    ['sampleRate too low', { sampleRate: 7999 }, /sampleRate is 7999/],
    ['sampleRate too high', { sampleRate: 192001 }, /sampleRate is 192001/],
    ['sampleRate fractional', { sampleRate: 44100.5 }, /sampleRate is 44100.5/],
    ['frames 0', { frames: 0 }, /frames is 0/],
    ['frames over the limit', { frames: MAX_CHUNK_FRAMES + 1 }, /frames is 192001/],
    ['frames fractional', { frames: 1.5 }, /frames is 1.5/],
    ['startSample negative', { startSample: -1 }, /startSample is -1/],
    ['startSample fractional', { startSample: 0.5 }, /startSample is 0.5/],
    ['startSample unsafe', { startSample: 2 ** 53 }, /startSample is 9007199254740992/],
    ['controlSeq negative', { controlSeq: -1 }, /controlSeq is -1/],
    ['controlSeq reserved', { controlSeq: CONTROL_SEQ_NONE }, /controlSeq is 4294967295/],
    ['controlSeq fractional', { controlSeq: 2.5 }, /controlSeq is 2.5/],
    ['genStartMs NaN', { genStartMs: NaN }, /genStartMs is NaN/],
    ['genEndMs Infinity', { genEndMs: Infinity }, /genEndMs is Infinity/],
    ['end before start', { genStartMs: 10, genEndMs: 9 }, /genEndMs \(9\) is before genStartMs \(10\)/],
  ];
  for (const [name, overrides, message] of cases) {
    it(`CHUNK_INVALID: ${name}`, () => {
      const h = header(overrides);
      const n = Number.isInteger(h.frames * h.channels) && h.frames * h.channels > 0 ? h.frames * h.channels : 2;
      assertProtocolError(() => encodeAudioChunk(h, new Float32Array(n)), 'CHUNK_INVALID', message);
    });
  }

  it('CHUNK_INVALID: pcm length differs from frames * channels', () => {
    assertProtocolError(() => encodeAudioChunk(header(), new Float32Array(959)), 'CHUNK_INVALID', /959 samples; 480 frames x 2 channels needs 960/);
  });

  it('CHUNK_INVALID: non-finite samples, in either format', () => {
    for (const format of ['f32', 's16'] as const) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const { h, pcm } = chunk({ format });
        pcm[5] = bad;
        assertProtocolError(() => encodeAudioChunk(h, pcm), 'CHUNK_INVALID', new RegExp(`sample 5 \\(frame 2, channel 1\\) is ${bad}`));
      }
    }
  });
});

describe('audio chunk decoder rejections', () => {
  const { h, pcm } = chunk();
  const good = encodeAudioChunk(h, pcm);
  const reject = (bytes: Uint8Array, message: RegExp): void => {
    assertProtocolError(() => decodeAudioChunk(bytes), 'CHUNK_INVALID', message);
  };

  it('truncated header', () => {
    reject(new Uint8Array(0), /0 bytes/);
    reject(good.subarray(0, 39), /39 bytes; the header alone needs 40/);
  });
  it('wrong kind', () => reject(patched(good, (v) => v.setUint8(0, 0x4c)), /kind is 0x4c/));
  it('wrong version', () => reject(patched(good, (v) => v.setUint8(1, 2)), /version is 2/));
  it('unknown format', () => {
    reject(patched(good, (v) => v.setUint8(2, 0)), /format byte is 0/);
    reject(patched(good, (v) => v.setUint8(2, 3)), /format byte is 3/);
  });
  it('bad channel count', () => {
    reject(patched(good, (v) => v.setUint8(3, 0)), /channels is 0/);
    reject(patched(good, (v) => v.setUint8(3, 3)), /channels is 3/);
  });
  it('sample rate out of range', () => {
    reject(patched(good, (v) => v.setUint32(4, 7999, true)), /sampleRate is 7999/);
    reject(patched(good, (v) => v.setUint32(4, 192001, true)), /sampleRate is 192001/);
  });
  it('frame count out of range', () => {
    reject(patched(good, (v) => v.setUint32(8, 0, true)), /frames is 0/);
    reject(patched(good, (v) => v.setUint32(8, MAX_CHUNK_FRAMES + 1, true)), /frames is 192001/);
  });
  it('length mismatch', () => {
    reject(good.subarray(0, good.length - 1), /3879 bytes; 480 frames x 2 channels of f32 needs 3880/);
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    reject(longer, /3884 bytes/);
    reject(patched(good, (v) => v.setUint8(2, 2)), /needs 1960/); // s16 needs half the bytes
  });
  it('startSample not a non-negative safe integer', () => {
    for (const [value, text] of [[-1, '-1'], [1.5, '1.5'], [2 ** 53, '9007199254740992'], [NaN, 'NaN'], [Infinity, 'Infinity']] as const) {
      reject(patched(good, (v) => v.setFloat64(16, value, true)), new RegExp(`startSample is ${text}`));
    }
  });
  it('non-finite generation times', () => {
    reject(patched(good, (v) => v.setFloat64(24, NaN, true)), /genStartMs is NaN/);
    reject(patched(good, (v) => v.setFloat64(24, -Infinity, true)), /genStartMs is -Infinity/);
    reject(patched(good, (v) => v.setFloat64(32, Infinity, true)), /genEndMs is Infinity/);
  });
  it('end before start', () => reject(patched(good, (v) => v.setFloat64(32, 999, true)), /genEndMs \(999\) is before genStartMs \(1000.25\)/));
  it('non-finite float samples, aligned or not', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const bytes = patched(good, (v) => v.setFloat32(AUDIO_CHUNK_HEADER_BYTES + 4 * 959, bad, true));
      reject(bytes, new RegExp(`sample 959 \\(frame 479, channel 1\\) is ${bad}`));
      reject(viewAt(bytes, 3), new RegExp(`sample 959 .* is ${bad}`));
    }
  });
});
