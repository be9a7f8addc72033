/**
 * WAV (RIFF, 16-bit PCM) encoding, shared by the demo renderer, session recordings and tests.
 */
import type { Hz } from '../../protocol/units.js';

export const WAV_HEADER_BYTES = 44;

/** A 44-byte header for `dataBytes` bytes of 16-bit little-endian PCM. */
export function wavHeader(sampleRate: Hz, channels: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28); // byte rate
  h.writeUInt16LE(channels * 2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** Float samples in [-1, 1] (clamped) to 16-bit little-endian PCM bytes. */
export function floatToPcm16(samples: Float32Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    out.writeInt16LE(Math.round(s * 32767), i * 2);
  }
  return out;
}

/** A whole WAV file from interleaved float samples. */
export function encodeWav(interleaved: Float32Array, sampleRate: Hz, channels: number): Buffer {
  const data = floatToPcm16(interleaved);
  return Buffer.concat([wavHeader(sampleRate, channels, data.length), data]);
}

/** Reads a 16-bit PCM WAV written by encodeWav (used by tests and tools). */
export function decodeWav(file: Buffer): { sampleRate: Hz; channels: number; samples: Float32Array } {
  if (file.length < WAV_HEADER_BYTES || file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  const channels = file.readUInt16LE(22);
  const sampleRate = file.readUInt32LE(24);
  const bits = file.readUInt16LE(34);
  if (bits !== 16) throw new Error(`expected 16-bit PCM, got ${bits}-bit`);
  const dataBytes = Math.min(file.readUInt32LE(40), file.length - WAV_HEADER_BYTES);
  const samples = new Float32Array(Math.floor(dataBytes / 2));
  for (let i = 0; i < samples.length; i++) samples[i] = file.readInt16LE(WAV_HEADER_BYTES + i * 2) / 32767;
  return { sampleRate, channels, samples };
}
