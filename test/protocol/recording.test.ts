import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAudioChunk } from '../../protocol/audioChunk.js';
import { ProtocolError } from '../../protocol/errors.js';
import { encodeLandmarkFrame } from '../../protocol/landmarkFrame.js';
import { POSE_LANDMARK_COUNT } from '../../protocol/landmarkTypes.js';
import { audioRecord, eventRecord, frameRecord, metaRecord, readRecording, recordingMagic } from '../../protocol/recording.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

function sample(): Uint8Array {
  const pose = new Float32Array(POSE_LANDMARK_COUNT * 4).fill(0.5);
  const frame = encodeLandmarkFrame({ seq: 3, captureTimeMs: 1000, face: null, blendshapes: null, pose });
  const chunk = encodeAudioChunk(
    { startSample: 0, frames: 4, sampleRate: 48000, channels: 1, format: 'f32', controlSeq: 3, genStartMs: 1, genEndMs: 2 },
    new Float32Array([0, 0.25, -0.25, 0.5]),
  );
  return concat([
    recordingMagic(),
    metaRecord(999, { writer: 'test', startedAt: '2026-11-26T00:00:00Z', prompt: 'rain at night' }),
    frameRecord(1001, frame),
    eventRecord(1010, { type: 'prompt', text: 'sunrise' }),
    audioRecord(1020, chunk),
  ]);
}

test('a recording round-trips every record kind', () => {
  const { records, truncated } = readRecording(sample());
  assert.equal(truncated, false);
  assert.deepEqual(records.map((r) => r.kind), ['meta', 'frame', 'event', 'audio']);
  const [meta, frame, event, audio] = records;
  assert.ok(meta?.kind === 'meta' && meta.meta.prompt === 'rain at night' && meta.timeMs === 999);
  assert.ok(frame?.kind === 'frame' && frame.frame.seq === 3 && frame.frame.pose !== null && frame.timeMs === 1001);
  assert.ok(event?.kind === 'event' && event.event.type === 'prompt');
  assert.ok(audio?.kind === 'audio' && audio.chunk.header.controlSeq === 3);
  assert.deepEqual(Array.from(audio.chunk.pcm), [0, 0.25, -0.25, 0.5]);
});

test('a file cut mid-record keeps the complete records before the cut', () => {
  const bytes = sample();
  const { records, truncated } = readRecording(bytes.subarray(0, bytes.byteLength - 5));
  assert.equal(truncated, true);
  assert.deepEqual(records.map((r) => r.kind), ['meta', 'frame', 'event']);
});

test('bad recordings are refused with RECORDING_INVALID naming the record', () => {
  const invalid = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(() => readRecording(bytes), (e: unknown) => e instanceof ProtocolError && e.code === 'RECORDING_INVALID' && pattern.test(e.message));
  invalid(new TextEncoder().encode('RIFF....'), /must start with EXPOREC1/);
  const badKind = sample();
  badKind[8] = 9;
  invalid(badKind, /record 0 .*unknown record kind 9/);
  const badFrame = sample();
  const frameStart = 8 + 16 + new DataView(badFrame.buffer).getUint32(12, true) + 16;
  badFrame[frameStart] = 0x00; // the landmark frame's kind byte
  invalid(badFrame, /record 1 .*FRAME|record 1 .*kind/);
  invalid(concat([recordingMagic(), eventRecord(1, { type: 'x' })]), /first record must be meta/);
  invalid(concat([recordingMagic(), metaRecord(1, { writer: 'w', startedAt: '', prompt: '' }), eventRecord(2, { text: 'no type' } as never)]), /needs a string "type"/);
  assert.throws(() => metaRecord(NaN, { writer: 'w', startedAt: '', prompt: '' }), /finite/);
});
