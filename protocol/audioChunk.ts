/**
 * Binary audio chunks (server -> client, one every few tens of milliseconds per session).
 *
 * Layout, little-endian (see README.md for the table):
 *   0  u8   kind = 0x41 ('A')
 *   1  u8   version = 1
 *   2  u8   format: 1 = float32, 2 = int16
 *   3  u8   channels (1 or 2)
 *   4  u32  sampleRate (8000..192000)
 *   8  u32  frames (1..MAX_CHUNK_FRAMES)
 *   12 u32  controlSeq (0xFFFFFFFF = none yet)
 *   16 f64  startSample (non-negative safe integer)
 *   24 f64  genStartMs (server clock)
 *   32 f64  genEndMs (server clock, >= genStartMs)
 *   40 PCM, interleaved: float32 LE, or int16 LE = round(clamp(s, -1, 1) * 32767)
 *
 * The header is 40 bytes, a multiple of 4, so float32 PCM in a freshly allocated chunk is
 * aligned and both directions copy it in one typed-array `set` (on little-endian hosts: all
 * browsers and Node platforms in practice; big-endian hosts take a DataView loop).
 */

import { ProtocolError } from './errors.js';
import type { FrameSeq, Hz, Milliseconds, Samples } from './units.js';

export const AUDIO_CHUNK_KIND = 0x41; // 'A'
export const AUDIO_CHUNK_VERSION = 1;
export const AUDIO_CHUNK_HEADER_BYTES = 40;

export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 192000;
/** The most frames one chunk may carry: 4 s at 48 kHz (1.5 MiB of stereo float32). */
export const MAX_CHUNK_FRAMES = 48000 * 4;
/** controlSeq on the wire when no landmark frame had been used yet. */
export const CONTROL_SEQ_NONE = 0xffffffff;

export type AudioFormat = 'f32' | 's16';

/** The format byte of each format. */
export const AUDIO_FORMAT_CODES: Readonly<Record<AudioFormat, number>> = Object.freeze({ f32: 1, s16: 2 });

const S16_SCALE = 32767;

export interface AudioChunkHeader {
  /** Index of the chunk's first frame on the session's audio timeline (0 = first sample of the session). */
  startSample: Samples;
  /** Sample frames in the chunk (one frame = one sample per channel). */
  frames: Samples;
  sampleRate: Hz;
  channels: number;
  format: AudioFormat;
  /** Newest landmark frame seq the generator had used for this chunk; null before any frame arrived. */
  controlSeq: FrameSeq | null;
  /** When generation of this chunk started, on the server clock. */
  genStartMs: Milliseconds;
  /** When generation of this chunk ended, on the server clock (>= genStartMs). */
  genEndMs: Milliseconds;
}

export interface AudioChunk {
  header: AudioChunkHeader;
  /** Interleaved samples, frames * channels of them. */
  pcm: Float32Array;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bytesPerSample(format: AudioFormat): number {
  return format === 'f32' ? 4 : 2;
}

function invalid(message: string): ProtocolError {
  return new ProtocolError('CHUNK_INVALID', message);
}

function formatFromCode(code: number): AudioFormat | null {
  return code === 1 ? 'f32' : code === 2 ? 's16' : null;
}

/** Small pure checks shared by encoder and decoder; each returns an error message or null. */
function checkChannels(channels: number): string | null {
  return channels === 1 || channels === 2 ? null : `audio chunk channels is ${channels}; it must be 1 or 2`;
}

function checkSampleRate(sampleRate: number): string | null {
  return Number.isInteger(sampleRate) && sampleRate >= MIN_SAMPLE_RATE && sampleRate <= MAX_SAMPLE_RATE
    ? null
    : `audio chunk sampleRate is ${sampleRate}; it must be an integer in [${MIN_SAMPLE_RATE}, ${MAX_SAMPLE_RATE}]`;
}

function checkFrames(frames: number): string | null {
  return Number.isInteger(frames) && frames >= 1 && frames <= MAX_CHUNK_FRAMES
    ? null
    : `audio chunk frames is ${frames}; it must be an integer in [1, ${MAX_CHUNK_FRAMES}]`;
}

function checkStartSample(startSample: number): string | null {
  return Number.isSafeInteger(startSample) && startSample >= 0
    ? null
    : `audio chunk startSample is ${startSample}; it must be a non-negative safe integer`;
}

function checkTimes(genStartMs: number, genEndMs: number): string | null {
  if (!Number.isFinite(genStartMs)) return `audio chunk genStartMs is ${genStartMs}; it must be finite`;
  if (!Number.isFinite(genEndMs)) return `audio chunk genEndMs is ${genEndMs}; it must be finite`;
  if (genEndMs < genStartMs) {
    return `audio chunk genEndMs (${genEndMs}) is before genStartMs (${genStartMs})`;
  }
  return null;
}

/** Exact byte length of a chunk. Throws CHUNK_INVALID for a format, frame count or channel count the layout does not allow. */
export function audioChunkByteLength(format: AudioFormat, frames: number, channels: number): number {
  if (format !== 'f32' && format !== 's16') throw invalid(`audio chunk format is ${String(format)}; it must be 'f32' or 's16'`);
  const problem = checkFrames(frames) ?? checkChannels(channels);
  if (problem) throw invalid(problem);
  return AUDIO_CHUNK_HEADER_BYTES + frames * channels * bytesPerSample(format);
}

function sampleProblem(value: number, index: number, channels: number): string {
  return `audio chunk sample ${index} (frame ${Math.floor(index / channels)}, channel ${index % channels}) is ${value}; samples must be finite`;
}

/**
 * Encode one chunk. `pcm` is interleaved and must hold exactly frames * channels samples, all
 * finite. s16 clamps to [-1, 1] (clipping is an audio matter, not a protocol one); f32 is sent as is.
 * Throws ProtocolError CHUNK_INVALID for any header field or sample the decoder would reject.
 */
export function encodeAudioChunk(header: AudioChunkHeader, pcm: Float32Array): Uint8Array<ArrayBuffer> {
  const { startSample, frames, sampleRate, channels, format, controlSeq, genStartMs, genEndMs } = header;
  const length = audioChunkByteLength(format, frames, channels);
  const problem =
    checkSampleRate(sampleRate) ??
    checkStartSample(startSample) ??
    checkTimes(genStartMs, genEndMs) ??
    (controlSeq === null || (Number.isInteger(controlSeq) && controlSeq >= 0 && controlSeq < CONTROL_SEQ_NONE)
      ? null
      : `audio chunk controlSeq is ${controlSeq}; it must be null or an integer in [0, ${CONTROL_SEQ_NONE - 1}]`);
  if (problem) throw invalid(problem);
  const n = frames * channels;
  if (pcm.length !== n) {
    throw invalid(`audio chunk pcm has ${pcm.length} samples; ${frames} frames x ${channels} channels needs ${n}`);
  }
  for (let i = 0; i < n; i++) {
    const s = pcm[i]!;
    if (s - s !== 0) throw invalid(sampleProblem(s, i, channels)); // NaN or +-Infinity
  }

  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, AUDIO_CHUNK_KIND);
  view.setUint8(1, AUDIO_CHUNK_VERSION);
  view.setUint8(2, AUDIO_FORMAT_CODES[format]);
  view.setUint8(3, channels);
  view.setUint32(4, sampleRate, true);
  view.setUint32(8, frames, true);
  view.setUint32(12, controlSeq === null ? CONTROL_SEQ_NONE : controlSeq, true);
  view.setFloat64(16, startSample, true);
  view.setFloat64(24, genStartMs, true);
  view.setFloat64(32, genEndMs, true);

  const off = AUDIO_CHUNK_HEADER_BYTES;
  if (format === 'f32') {
    if (LITTLE_ENDIAN_HOST) new Float32Array(bytes.buffer, off, n).set(pcm);
    else for (let i = 0; i < n; i++) view.setFloat32(off + 4 * i, pcm[i]!, true);
  } else {
    for (let i = 0; i < n; i++) {
      const s = pcm[i]!;
      const c = s > 1 ? 1 : s < -1 ? -1 : s;
      view.setInt16(off + 2 * i, Math.round(c * S16_SCALE), true);
    }
  }
  return bytes;
}

/**
 * Decode one chunk. `bytes` may be a view at any byte offset into a larger buffer; the returned
 * `pcm` is never a view into `bytes` (which the transport may reuse): a fresh Float32Array, or a
 * view at the start of `scratch` where that is given and large enough (a listener that checks
 * and drops the samples need not allocate one per chunk: ArrayBuffers set off full GCs).
 * s16 samples decode as q / 32767 (the value -32768, which the encoder never writes, reads as -1).
 * Throws ProtocolError CHUNK_INVALID, naming the bad field.
 */
export function decodeAudioChunk(bytes: Uint8Array, scratch?: Float32Array): AudioChunk {
  const length = bytes.byteLength;
  if (length < AUDIO_CHUNK_HEADER_BYTES) {
    throw invalid(`audio chunk has ${length} bytes; the header alone needs ${AUDIO_CHUNK_HEADER_BYTES}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  const kind = view.getUint8(0);
  if (kind !== AUDIO_CHUNK_KIND) {
    throw invalid(`binary message kind is 0x${kind.toString(16)}; an audio chunk has kind 0x${AUDIO_CHUNK_KIND.toString(16)} ('A')`);
  }
  const version = view.getUint8(1);
  if (version !== AUDIO_CHUNK_VERSION) {
    throw invalid(`audio chunk version is ${version}; only ${AUDIO_CHUNK_VERSION} is supported`);
  }
  const formatCode = view.getUint8(2);
  const format = formatFromCode(formatCode);
  if (format === null) throw invalid(`audio chunk format byte is ${formatCode}; it must be 1 (float32) or 2 (int16)`);
  const channels = view.getUint8(3);
  const sampleRate = view.getUint32(4, true);
  const frames = view.getUint32(8, true);
  const rawSeq = view.getUint32(12, true);
  const startSample = view.getFloat64(16, true) + 0; // + 0 turns -0 into 0
  const genStartMs = view.getFloat64(24, true);
  const genEndMs = view.getFloat64(32, true);
  const headerProblem = checkChannels(channels) ?? checkSampleRate(sampleRate) ?? checkFrames(frames);
  if (headerProblem) throw invalid(headerProblem);
  const expected = AUDIO_CHUNK_HEADER_BYTES + frames * channels * bytesPerSample(format);
  if (length !== expected) {
    throw invalid(`audio chunk has ${length} bytes; ${frames} frames x ${channels} channels of ${format} needs ${expected}`);
  }
  const problem = checkStartSample(startSample) ?? checkTimes(genStartMs, genEndMs);
  if (problem) throw invalid(problem);

  const n = frames * channels;
  const pcm = scratch !== undefined && scratch.length >= n ? scratch.subarray(0, n) : new Float32Array(n);
  const off = AUDIO_CHUNK_HEADER_BYTES;
  if (format === 'f32') {
    const start = bytes.byteOffset + off;
    if (LITTLE_ENDIAN_HOST && start % 4 === 0) pcm.set(new Float32Array(bytes.buffer, start, n));
    else for (let i = 0; i < n; i++) pcm[i] = view.getFloat32(off + 4 * i, true);
    for (let i = 0; i < n; i++) {
      const s = pcm[i]!;
      if (s - s !== 0) throw invalid(sampleProblem(s, i, channels));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const q = view.getInt16(off + 2 * i, true);
      pcm[i] = q <= -S16_SCALE ? -1 : q / S16_SCALE;
    }
  }
  const header: AudioChunkHeader = {
    startSample,
    frames,
    sampleRate,
    channels,
    format,
    controlSeq: rawSeq === CONTROL_SEQ_NONE ? null : rawSeq,
    genStartMs,
    genEndMs,
  };
  return { header, pcm };
}
