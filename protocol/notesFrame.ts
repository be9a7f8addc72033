/**
 * Binary `notes` frames (server -> client, one per audio chunk of a symbolic pack, sent just
 * before that chunk, only to clients whose hello asked for `notes`).
 *
 * A frame carries the notes the generator played in the chunk on the session's sample timeline,
 * the generated beat grid (quarter notes) and the performer's motion beat grid the generator saw.
 * A note that starts in the chunk and still sounds at its end is sent with `sounding` set and its
 * duration so far; it comes once more, same id, whole and with `sounding` false, in the frame of
 * the chunk where it ends: receivers upsert by id and draw a sounding note up to the newest chunk.
 *
 * Layout, little-endian:
 *   0  u8   kind = 0x4E ('N')
 *   1  u8   version = 1
 *   2  u16  noteCount (0..MAX_FRAME_NOTES)
 *   4  u16  beatCount (0..MAX_FRAME_BEATS)
 *   6  u16  flags: bit 0 = motion grid present; other bits 0
 *   8  f64  startSample of the chunk (non-negative safe integer)
 *   16 u32  frames of the chunk (1..MAX_CHUNK_FRAMES)
 *   20 u32  reserved, 0
 *   24 f64  motion anchorSample (0 without a motion grid)
 *   32 f32  motion periodSamples (> 0 with a motion grid, else 0)
 *   36 f32  motion strength in [0, 1]
 *   40 notes, NOTE_BYTES each:
 *        u32 id, u8 stream (0 drums, 1 bass, 2 chords, 3 lead), u8 pitch (0..127),
 *        u8 velocity (1..127), u8 flags (bit 0 = still sounding), f64 startSample, u32 durationSamples
 *   then beats, BEAT_BYTES each:
 *        f64 sample, u8 beatInBar (0..15), u8 reserved 0, u16 tempo in 0.1 BPM (1..65535)
 */
import { MAX_CHUNK_FRAMES } from './audioChunk.js';
import { ProtocolError } from './errors.js';
import type { Bpm, Samples, Unit } from './units.js';

export const NOTES_FRAME_KIND = 0x4e; // 'N'
export const NOTES_FRAME_VERSION = 1;
export const NOTES_HEADER_BYTES = 40;
export const NOTE_BYTES = 20;
export const BEAT_BYTES = 12;
/** Most notes one frame may carry (a dense 10 s chunk at 200 BPM stays under it). */
export const MAX_FRAME_NOTES = 1024;
/** Most generated beats one frame may carry. */
export const MAX_FRAME_BEATS = 256;

export const NOTE_STREAMS = ['drums', 'bass', 'chords', 'lead'] as const;
export type NoteStream = (typeof NOTE_STREAMS)[number];

export interface GeneratedNote {
  /** Unique per session; a note sent again (still sounding) keeps its id. */
  id: number;
  /** Index into NOTE_STREAMS. */
  stream: number;
  /** MIDI pitch (drums: General MIDI percussion keys). */
  pitch: number;
  /** MIDI velocity 1..127. */
  velocity: number;
  startSample: Samples;
  durationSamples: Samples;
  /** True when the note had not ended by the chunk's end (its duration is so far; its end comes in a later frame). */
  sounding: boolean;
}

/** A quarter note of the generated grid. */
export interface GridBeat {
  sample: Samples;
  /** Quarter within the bar, 0 = downbeat. */
  beatInBar: number;
  bpm: Bpm;
}

/** The performer's motion beat as the generator saw it (engine.ts BeatGrid). */
export interface MotionGrid {
  anchorSample: Samples;
  periodSamples: Samples;
  strength: Unit;
}

export interface ChunkNotes {
  startSample: Samples;
  frames: Samples;
  notes: GeneratedNote[];
  beats: GridBeat[];
  motion: MotionGrid | null;
}

function invalid(message: string): ProtocolError {
  return new ProtocolError('NOTES_INVALID', message);
}

const isSampleIndex = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/** Small pure checks shared by encoder and decoder; each returns a message naming the bad value, or null. */
function checkNote(n: GeneratedNote, i: number): string | null {
  if (!Number.isInteger(n.id) || n.id < 0 || n.id > 0xffffffff) return `note ${i} id is ${n.id}; it must be a u32`;
  if (!Number.isInteger(n.stream) || n.stream < 0 || n.stream >= NOTE_STREAMS.length) return `note ${i} stream is ${n.stream}; it must be 0..${NOTE_STREAMS.length - 1}`;
  if (!Number.isInteger(n.pitch) || n.pitch < 0 || n.pitch > 127) return `note ${i} pitch is ${n.pitch}; it must be 0..127`;
  if (!Number.isInteger(n.velocity) || n.velocity < 1 || n.velocity > 127) return `note ${i} velocity is ${n.velocity}; it must be 1..127`;
  if (!isSampleIndex(n.startSample)) return `note ${i} startSample is ${n.startSample}; it must be a non-negative safe integer`;
  if (!Number.isInteger(n.durationSamples) || n.durationSamples < 0 || n.durationSamples > 0xffffffff) return `note ${i} durationSamples is ${n.durationSamples}; it must be a u32`;
  return null;
}

function checkBeat(b: GridBeat, i: number): string | null {
  if (!isSampleIndex(b.sample)) return `beat ${i} sample is ${b.sample}; it must be a non-negative safe integer`;
  if (!Number.isInteger(b.beatInBar) || b.beatInBar < 0 || b.beatInBar > 15) return `beat ${i} beatInBar is ${b.beatInBar}; it must be 0..15`;
  const tenths = Math.round(b.bpm * 10);
  if (!(tenths >= 1 && tenths <= 0xffff)) return `beat ${i} bpm is ${b.bpm}; it must be in [0.1, 6553.5]`;
  return null;
}

function checkMotion(m: MotionGrid): string | null {
  if (!isSampleIndex(m.anchorSample)) return `motion anchorSample is ${m.anchorSample}; it must be a non-negative safe integer`;
  if (!(Number.isFinite(m.periodSamples) && m.periodSamples > 0 && m.periodSamples < 2 ** 24)) return `motion periodSamples is ${m.periodSamples}; it must be in (0, 2^24)`;
  if (!(m.strength >= 0 && m.strength <= 1)) return `motion strength is ${m.strength}; it must be in [0, 1]`;
  return null;
}

function checkHeader(startSample: number, frames: number, notes: number, beats: number): string | null {
  if (!isSampleIndex(startSample)) return `notes frame startSample is ${startSample}; it must be a non-negative safe integer`;
  if (!Number.isInteger(frames) || frames < 1 || frames > MAX_CHUNK_FRAMES) return `notes frame frames is ${frames}; it must be in [1, ${MAX_CHUNK_FRAMES}]`;
  if (notes > MAX_FRAME_NOTES) return `notes frame has ${notes} notes; at most ${MAX_FRAME_NOTES}`;
  if (beats > MAX_FRAME_BEATS) return `notes frame has ${beats} beats; at most ${MAX_FRAME_BEATS}`;
  return null;
}

export function notesFrameByteLength(notes: number, beats: number): number {
  return NOTES_HEADER_BYTES + notes * NOTE_BYTES + beats * BEAT_BYTES;
}

/** Encodes one frame; throws NOTES_INVALID for anything the decoder would reject. */
export function encodeNotesFrame(chunk: ChunkNotes): Uint8Array<ArrayBuffer> {
  const { notes, beats, motion } = chunk;
  const problem =
    checkHeader(chunk.startSample, chunk.frames, notes.length, beats.length) ??
    (motion ? checkMotion(motion) : null) ??
    notes.reduce<string | null>((p, n, i) => p ?? checkNote(n, i), null) ??
    beats.reduce<string | null>((p, b, i) => p ?? checkBeat(b, i), null);
  if (problem) throw invalid(problem);
  const bytes = new Uint8Array(notesFrameByteLength(notes.length, beats.length));
  const view = new DataView(bytes.buffer);
  view.setUint8(0, NOTES_FRAME_KIND);
  view.setUint8(1, NOTES_FRAME_VERSION);
  view.setUint16(2, notes.length, true);
  view.setUint16(4, beats.length, true);
  view.setUint16(6, motion ? 1 : 0, true);
  view.setFloat64(8, chunk.startSample, true);
  view.setUint32(16, chunk.frames, true);
  if (motion) {
    view.setFloat64(24, motion.anchorSample, true);
    view.setFloat32(32, motion.periodSamples, true);
    view.setFloat32(36, motion.strength, true);
  }
  let off = NOTES_HEADER_BYTES;
  for (const n of notes) {
    view.setUint32(off, n.id, true);
    view.setUint8(off + 4, n.stream);
    view.setUint8(off + 5, n.pitch);
    view.setUint8(off + 6, n.velocity);
    view.setUint8(off + 7, n.sounding ? 1 : 0);
    view.setFloat64(off + 8, n.startSample, true);
    view.setUint32(off + 16, n.durationSamples, true);
    off += NOTE_BYTES;
  }
  for (const b of beats) {
    view.setFloat64(off, b.sample, true);
    view.setUint8(off + 8, b.beatInBar);
    view.setUint16(off + 10, Math.round(b.bpm * 10), true);
    off += BEAT_BYTES;
  }
  return bytes;
}

/** Decodes one frame, checking every field and the exact length; throws NOTES_INVALID naming the bad field. */
export function decodeNotesFrame(bytes: Uint8Array): ChunkNotes {
  const length = bytes.byteLength;
  if (length < NOTES_HEADER_BYTES) throw invalid(`notes frame has ${length} bytes; the header alone needs ${NOTES_HEADER_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  const kind = view.getUint8(0);
  if (kind !== NOTES_FRAME_KIND) throw invalid(`binary message kind is 0x${kind.toString(16)}; a notes frame has kind 0x4e ('N')`);
  const version = view.getUint8(1);
  if (version !== NOTES_FRAME_VERSION) throw invalid(`notes frame version is ${version}; only ${NOTES_FRAME_VERSION} is supported`);
  const noteCount = view.getUint16(2, true);
  const beatCount = view.getUint16(4, true);
  const flags = view.getUint16(6, true);
  const startSample = view.getFloat64(8, true) + 0;
  const frames = view.getUint32(16, true);
  const headerProblem = checkHeader(startSample, frames, noteCount, beatCount);
  if (headerProblem) throw invalid(headerProblem);
  if ((flags & ~1) !== 0 || view.getUint32(20, true) !== 0) throw invalid(`notes frame flags are 0x${flags.toString(16)} or reserved bytes are set; only bit 0 is defined`);
  const expected = notesFrameByteLength(noteCount, beatCount);
  if (length !== expected) throw invalid(`notes frame has ${length} bytes; ${noteCount} notes and ${beatCount} beats need ${expected}`);
  let motion: MotionGrid | null = null;
  if (flags & 1) {
    motion = { anchorSample: view.getFloat64(24, true) + 0, periodSamples: view.getFloat32(32, true), strength: view.getFloat32(36, true) };
    const problem = checkMotion(motion);
    if (problem) throw invalid(problem);
  }
  const notes: GeneratedNote[] = [];
  let off = NOTES_HEADER_BYTES;
  for (let i = 0; i < noteCount; i++, off += NOTE_BYTES) {
    const noteFlags = view.getUint8(off + 7);
    if ((noteFlags & ~1) !== 0) throw invalid(`note ${i} flags are 0x${noteFlags.toString(16)}; only bit 0 is defined`);
    const note: GeneratedNote = {
      id: view.getUint32(off, true),
      stream: view.getUint8(off + 4),
      pitch: view.getUint8(off + 5),
      velocity: view.getUint8(off + 6),
      sounding: noteFlags === 1,
      startSample: view.getFloat64(off + 8, true) + 0,
      durationSamples: view.getUint32(off + 16, true),
    };
    const problem = checkNote(note, i);
    if (problem) throw invalid(problem);
    notes.push(note);
  }
  const beats: GridBeat[] = [];
  for (let i = 0; i < beatCount; i++, off += BEAT_BYTES) {
    if (view.getUint8(off + 9) !== 0) throw invalid(`beat ${i} reserved byte is set`);
    const beat: GridBeat = { sample: view.getFloat64(off, true) + 0, beatInBar: view.getUint8(off + 8), bpm: view.getUint16(off + 10, true) / 10 };
    const problem = checkBeat(beat, i);
    if (problem) throw invalid(problem);
    beats.push(beat);
  }
  return { startSample, frames, notes, beats, motion };
}
