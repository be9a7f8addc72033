/**
 * f32 or s16 on the wire? Per audio chunk (1024 stereo frames at 48 kHz, the server's default):
 * the server's encode (validate + frame), the client's decode (parse + validate + to float32), in
 * µs, and the bytes per second a session sends. Both formats in one run, alternating, so they share
 * the machine's load; medians of `--rounds` rounds of `--chunks` chunks.
 *
 *   npm run build && node dist/bench/audioFormatBench.js [--rounds 15] [--chunks 2000]
 */
import { decodeAudioChunk, encodeAudioChunk, type AudioFormat } from '../protocol/audioChunk.js';
import { percentile } from '../protocol/statistics.js';
import { CliOptions } from '../scripts/cliOptions.js';

const cli = new CliOptions('bench:audio-format', 'node dist/bench/audioFormatBench.js [--rounds 15] [--chunks 2000]');
const rounds = cli.number('rounds', 15);
const chunks = cli.number('chunks', 2000);
cli.done();
const frames = 1024;
const channels = 2;
const sampleRate = 48000;

// Music-like samples: a few partials and noise, within [-1, 1].
const pcm = new Float32Array(frames * channels);
for (let i = 0; i < pcm.length; i++) pcm[i] = 0.4 * Math.sin(i * 0.013) + 0.2 * Math.sin(i * 0.171) + 0.1 * (Math.random() * 2 - 1);

const formats: AudioFormat[] = ['f32', 's16'];
const encodeUs: Record<AudioFormat, number[]> = { f32: [], s16: [] };
const decodeUs: Record<AudioFormat, number[]> = { f32: [], s16: [] };
const bytes: Record<AudioFormat, number> = { f32: 0, s16: 0 };
let sink = 0;
for (let r = 0; r < rounds; r++) {
  for (const format of formats) {
    const header = { startSample: 0, frames, sampleRate, channels, format, controlSeq: 1, genStartMs: 0, genEndMs: 1 };
    let t0 = performance.now();
    let wire = encodeAudioChunk(header, pcm);
    for (let i = 1; i < chunks; i++) wire = encodeAudioChunk({ ...header, startSample: i * frames }, pcm);
    encodeUs[format].push(((performance.now() - t0) * 1000) / chunks);
    bytes[format] = wire.byteLength;
    // The browser receives an ArrayBuffer of its own (aligned): decode from such a copy.
    const received = new Uint8Array(wire.byteLength);
    received.set(wire);
    t0 = performance.now();
    for (let i = 0; i < chunks; i++) sink += decodeAudioChunk(received).pcm[i % 64]!;
    decodeUs[format].push(((performance.now() - t0) * 1000) / chunks);
  }
}
const chunkSeconds = frames / sampleRate;
console.log(`audio chunk of ${frames} frames x ${channels} channels at ${sampleRate} Hz, median of ${rounds} rounds x ${chunks} chunks (${sink > 0 ? '' : ' '})`);
for (const f of formats) {
  const enc = percentile(encodeUs[f], 50);
  const dec = percentile(decodeUs[f], 50);
  console.log(
    `${f}: ${bytes[f]} bytes (${((bytes[f] * 8) / chunkSeconds / 1e6).toFixed(2)} Mbit/s per session); encode ${enc.toFixed(1)} µs, decode ${dec.toFixed(1)} µs per chunk (${((enc / 1000 / (chunkSeconds * 1000)) * 100).toFixed(3)}% / ${((dec / 1000 / (chunkSeconds * 1000)) * 100).toFixed(3)}% of a core per session)`,
  );
}
