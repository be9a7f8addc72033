import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BEAT_BYTES,
  MAX_FRAME_NOTES,
  NOTE_BYTES,
  NOTES_HEADER_BYTES,
  decodeNotesFrame,
  encodeNotesFrame,
  type ChunkNotes,
} from '../../protocol/notesFrame.js';
import { assertProtocolError, patched, rng, viewAt } from './helpers.js';

function chunk(overrides: Partial<ChunkNotes> = {}): ChunkNotes {
  return {
    startSample: 96000,
    frames: 1024,
    notes: [
      { id: 7, stream: 0, pitch: 36, velocity: 100, startSample: 96010, durationSamples: 6000, sounding: false },
      { id: 8, stream: 2, pitch: 60, velocity: 80, startSample: 90000, durationSamples: 7024, sounding: true },
    ],
    beats: [{ sample: 96010, beatInBar: 0, bpm: 118.5 }],
    motion: { anchorSample: 96500, periodSamples: 24000, strength: 0.75 },
    ...overrides,
  };
}

describe('notes frames', () => {
  it('round-trip every field, at any byte offset, with and without a motion grid', () => {
    const original = chunk();
    const bytes = encodeNotesFrame(original);
    assert.equal(bytes.byteLength, NOTES_HEADER_BYTES + 2 * NOTE_BYTES + BEAT_BYTES);
    assert.deepEqual(decodeNotesFrame(bytes), original);
    assert.deepEqual(decodeNotesFrame(viewAt(bytes, 3)), original);
    const none = chunk({ notes: [], beats: [], motion: null });
    assert.deepEqual(decodeNotesFrame(encodeNotesFrame(none)), none);
  });

  it('carry up to the note limit and refuse more', () => {
    const notes = Array.from({ length: MAX_FRAME_NOTES }, (_, i) => ({ id: i, stream: i % 4, pitch: 40 + (i % 40), velocity: 1 + (i % 127), startSample: 96000 + i, durationSamples: 10, sounding: false }));
    assert.equal(decodeNotesFrame(encodeNotesFrame(chunk({ notes }))).notes.length, MAX_FRAME_NOTES);
    assertProtocolError(() => encodeNotesFrame(chunk({ notes: [...notes, notes[0]!] })), 'NOTES_INVALID', /at most 1024/);
  });

  it('refuse to encode values the decoder would reject, naming them', () => {
    const note = chunk().notes[0]!;
    assertProtocolError(() => encodeNotesFrame(chunk({ notes: [{ ...note, pitch: 128 }] })), 'NOTES_INVALID', /pitch is 128/);
    assertProtocolError(() => encodeNotesFrame(chunk({ notes: [{ ...note, velocity: 0 }] })), 'NOTES_INVALID', /velocity is 0/);
    assertProtocolError(() => encodeNotesFrame(chunk({ notes: [{ ...note, stream: 4 }] })), 'NOTES_INVALID', /stream is 4/);
    assertProtocolError(() => encodeNotesFrame(chunk({ startSample: -1 })), 'NOTES_INVALID', /startSample/);
    assertProtocolError(() => encodeNotesFrame(chunk({ motion: { anchorSample: 0, periodSamples: Number.NaN, strength: 1 } })), 'NOTES_INVALID', /periodSamples/);
  });

  it('reject hostile frames: truncated, wrong kind or version, lying counts, bad fields, trailing bytes', () => {
    const bytes = encodeNotesFrame(chunk());
    assertProtocolError(() => decodeNotesFrame(bytes.subarray(0, 10)), 'NOTES_INVALID', /header alone/);
    assertProtocolError(() => decodeNotesFrame(patched(bytes, (v) => v.setUint8(0, 0x41))), 'NOTES_INVALID', /kind is 0x41/);
    assertProtocolError(() => decodeNotesFrame(patched(bytes, (v) => v.setUint8(1, 2))), 'NOTES_INVALID', /version is 2/);
    assertProtocolError(() => decodeNotesFrame(patched(bytes, (v) => v.setUint16(2, 3, true))), 'NOTES_INVALID', /need /);
    assertProtocolError(() => decodeNotesFrame(patched(bytes, (v) => v.setUint16(2, 60000, true))), 'NOTES_INVALID', /at most 1024/);
    assertProtocolError(() => decodeNotesFrame(patched(bytes, (v) => v.setUint16(6, 2, true))), 'NOTES_INVALID', /flags/);
    assertProtocolError(() => decodeNotesFrame(patched(bytes, (v) => v.setUint8(NOTES_HEADER_BYTES + 5, 200))), 'NOTES_INVALID', /pitch is 200/);
    assertProtocolError(() => decodeNotesFrame(patched(bytes, (v) => v.setFloat64(NOTES_HEADER_BYTES + 8, Number.NaN, true))), 'NOTES_INVALID', /startSample/);
    assertProtocolError(() => decodeNotesFrame(patched(bytes, (v) => v.setFloat32(36, 5, true))), 'NOTES_INVALID', /strength/);
    const longer = new Uint8Array(bytes.byteLength + 4);
    longer.set(bytes);
    assertProtocolError(() => decodeNotesFrame(longer), 'NOTES_INVALID', /need /);
  });

  it('never throw anything but NOTES_INVALID on random bytes', () => {
    const random = rng(13);
    const good = encodeNotesFrame(chunk());
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(good);
      for (let k = 0; k < 3; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      try {
        decodeNotesFrame(bytes);
      } catch (err) {
        assert.equal((err as { code?: string }).code, 'NOTES_INVALID');
      }
    }
  });
});
