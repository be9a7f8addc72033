/**
 * Where a session's generated notes go, chunk by chunk, before the chunk's audio: a `notes`
 * frame to a client that asked for them (hello.notes), the OSC stream when the operator set a
 * target, and the recording's notes.mid (written when the session ends, beside audio.wav).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeNotesFrame, type ChunkNotes, type GeneratedNote, type GridBeat } from '../../protocol/notesFrame.js';
import { notesToMidi } from '../../protocol/notesMidi.js';
import type { Hz, Milliseconds } from '../../protocol/units.js';
import type { SessionOsc } from '../osc/sessionOsc.js';

export interface SessionNotesOptions {
  sampleRate: Hz;
  /** Sends a frame to the client; null when the client did not ask for notes. */
  sendFrame: ((frame: Uint8Array) => void) | null;
  osc: SessionOsc | null;
  /** The recording's folder; null when the session is not recorded. */
  recordDir: string | null;
  /** Most notes a recording keeps (then it keeps the first ones). Default 200 000 (hours of dense music). */
  maxRecordedNotes?: number;
}

export class SessionNotes {
  private readonly options: SessionNotesOptions;
  private readonly maxRecorded: number;
  /** Recorded notes by id: a note still sounding is replaced by its longer self. */
  private readonly recorded = new Map<number, GeneratedNote>();
  private readonly beats: GridBeat[] = [];
  /** End of the newest chunk: where notes still sounding at the end of the session stop. */
  private newestSample = 0;
  private closing: Promise<void> | null = null;

  constructor(options: SessionNotesOptions) {
    this.options = options;
    this.maxRecorded = options.maxRecordedNotes ?? 200_000;
  }

  /** A chunk's notes, just before its audio is sent; `heardAtMs`: server time its first sample is heard. */
  onChunk(notes: ChunkNotes, heardAtMs: Milliseconds): void {
    this.options.sendFrame?.(encodeNotesFrame(notes));
    this.options.osc?.notes(notes, heardAtMs);
    if (this.options.recordDir === null || this.closing) return;
    for (const n of notes.notes) {
      if (this.recorded.has(n.id) || this.recorded.size < this.maxRecorded) this.recorded.set(n.id, n);
    }
    if (this.beats.length < this.maxRecorded) this.beats.push(...notes.beats);
    this.newestSample = notes.startSample + notes.frames;
  }

  /** Writes notes.mid into the recording (once; never rejects: a failed write only loses the file). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const dir = this.options.recordDir;
      if (dir === null) return;
      const notes = [...this.recorded.values()].map((n) => (n.sounding ? { ...n, durationSamples: this.newestSample - n.startSample } : n));
      const midi = notesToMidi(notes, this.beats, this.options.sampleRate);
      await writeFile(join(dir, 'notes.mid'), midi).catch(() => undefined);
    })();
    return this.closing;
  }
}
