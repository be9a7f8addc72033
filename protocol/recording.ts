/**
 * Performance recordings: one file holding what a session's client sent and received, so the
 * harness can replay a real performer at their real pace. The browser client writes it for
 * download; `npm run harness` replays it.
 *
 * File: the 8 ASCII bytes `EXPOREC1`, then records until the end of the file. Each record:
 *
 *   0   u8   kind: 1 meta (JSON), 2 landmark frame (protocol bytes), 3 audio chunk (protocol bytes), 4 event (JSON)
 *   1   u8   reserved, 0
 *   2   u16  reserved, 0
 *   4   u32  payload byte length
 *   8   f64  client clock (ms) when the record was written
 *   16  payload
 *
 * A landmark frame keeps its own capture time and sequence number (protocol/README.md); the
 * record time says when the client sent it. The first record is `meta`. Little-endian throughout.
 */
import { decodeAudioChunk, type AudioChunk } from './audioChunk.js';
import { ProtocolError } from './errors.js';
import { decodeLandmarkFrame } from './landmarkFrame.js';
import type { LandmarkFrame } from './landmarkTypes.js';
import type { Milliseconds } from './units.js';

export const RECORDING_MAGIC = 'EXPOREC1';
export const RECORDING_RECORD_HEADER_BYTES = 16;
/** No record is larger than this (an audio chunk of several seconds fits). */
export const MAX_RECORDING_RECORD_BYTES = 4 * 1024 * 1024;

export const RecordKind = { meta: 1, frame: 2, audio: 3, event: 4 } as const;

export interface RecordingMeta {
  /** What wrote it, e.g. "expotion-client 0.1.0". */
  writer: string;
  startedAt: string;
  prompt: string;
  pack?: string;
  sampleRate?: number;
  channels?: number;
  [extra: string]: unknown;
}

export type RecordingRecord =
  | { kind: 'meta'; timeMs: Milliseconds; meta: RecordingMeta }
  | { kind: 'frame'; timeMs: Milliseconds; frame: LandmarkFrame }
  | { kind: 'audio'; timeMs: Milliseconds; chunk: AudioChunk }
  | { kind: 'event'; timeMs: Milliseconds; event: { type: string; [field: string]: unknown } };

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

function record(kind: number, timeMs: Milliseconds, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  if (!Number.isFinite(timeMs)) throw new ProtocolError('RECORDING_INVALID', `record time must be finite, but is ${timeMs}`);
  const out = new Uint8Array(RECORDING_RECORD_HEADER_BYTES + payload.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, kind);
  view.setUint32(4, payload.byteLength, true);
  view.setFloat64(8, timeMs, true);
  out.set(payload, RECORDING_RECORD_HEADER_BYTES);
  return out;
}

/** The file's first bytes. */
export function recordingMagic(): Uint8Array<ArrayBuffer> {
  return textEncoder.encode(RECORDING_MAGIC) as Uint8Array<ArrayBuffer>;
}

export function metaRecord(timeMs: Milliseconds, meta: RecordingMeta): Uint8Array<ArrayBuffer> {
  return record(RecordKind.meta, timeMs, textEncoder.encode(JSON.stringify(meta)));
}

/** `frameBytes`: a landmark frame exactly as sent (encodeLandmarkFrame). */
export function frameRecord(timeMs: Milliseconds, frameBytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return record(RecordKind.frame, timeMs, frameBytes);
}

/** `chunkBytes`: an audio chunk exactly as received. */
export function audioRecord(timeMs: Milliseconds, chunkBytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return record(RecordKind.audio, timeMs, chunkBytes);
}

export function eventRecord(timeMs: Milliseconds, event: { type: string; [field: string]: unknown }): Uint8Array<ArrayBuffer> {
  return record(RecordKind.event, timeMs, textEncoder.encode(JSON.stringify(event)));
}

function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(textDecoder.decode(bytes));
  } catch (err) {
    throw new ProtocolError('RECORDING_INVALID', `${what} record is not valid UTF-8 JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('RECORDING_INVALID', `${what} record must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Reads a whole recording, validating every record (frames and chunks with the protocol's own
 * decoders). A file cut short mid-record (a crash while writing) yields the complete records
 * before the cut; `truncated` says so.
 */
export function readRecording(bytes: Uint8Array): { records: RecordingRecord[]; truncated: boolean } {
  if (bytes.byteLength < RECORDING_MAGIC.length || textDecoder.decode(bytes.subarray(0, RECORDING_MAGIC.length)) !== RECORDING_MAGIC) {
    throw new ProtocolError('RECORDING_INVALID', `not a performance recording: it must start with ${RECORDING_MAGIC}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: RecordingRecord[] = [];
  let offset = RECORDING_MAGIC.length;
  while (offset < bytes.byteLength) {
    if (offset + RECORDING_RECORD_HEADER_BYTES > bytes.byteLength) return { records, truncated: true };
    const kind = view.getUint8(offset);
    const length = view.getUint32(offset + 4, true);
    const timeMs = view.getFloat64(offset + 8, true);
    const at = `record ${records.length} (byte ${offset})`;
    if (view.getUint8(offset + 1) !== 0 || view.getUint16(offset + 2, true) !== 0) throw new ProtocolError('RECORDING_INVALID', `${at}: reserved bytes must be 0`);
    if (length > MAX_RECORDING_RECORD_BYTES) throw new ProtocolError('RECORDING_INVALID', `${at}: ${length} bytes exceeds ${MAX_RECORDING_RECORD_BYTES}`);
    if (!Number.isFinite(timeMs)) throw new ProtocolError('RECORDING_INVALID', `${at}: time is not finite`);
    const start = offset + RECORDING_RECORD_HEADER_BYTES;
    if (start + length > bytes.byteLength) return { records, truncated: true };
    const payload = bytes.subarray(start, start + length);
    try {
      switch (kind) {
        case RecordKind.meta:
          records.push({ kind: 'meta', timeMs, meta: parseJsonObject(payload, 'meta') as RecordingMeta });
          break;
        case RecordKind.frame:
          records.push({ kind: 'frame', timeMs, frame: decodeLandmarkFrame(payload) });
          break;
        case RecordKind.audio:
          records.push({ kind: 'audio', timeMs, chunk: decodeAudioChunk(payload) });
          break;
        case RecordKind.event: {
          const event = parseJsonObject(payload, 'event');
          if (typeof event.type !== 'string') throw new ProtocolError('RECORDING_INVALID', 'event record needs a string "type"');
          records.push({ kind: 'event', timeMs, event: event as { type: string } });
          break;
        }
        default:
          throw new ProtocolError('RECORDING_INVALID', `unknown record kind ${kind}`);
      }
    } catch (err) {
      if (err instanceof ProtocolError) throw new ProtocolError('RECORDING_INVALID', `${at}: ${err.message}`);
      throw err;
    }
    offset = start + length;
  }
  if (records.length > 0 && records[0]!.kind !== 'meta') throw new ProtocolError('RECORDING_INVALID', 'the first record must be meta');
  return { records, truncated: false };
}
