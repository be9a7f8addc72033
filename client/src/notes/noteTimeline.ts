/**
 * The notes a session has generated, on its sample timeline: frames merged by note id (a note
 * still sounding comes again when it ends; until then it lasts to the newest chunk's end), the
 * generated beat grid and the performer's motion grid.
 * The piano roll reads a window of it; the MIDI file of a recording reads all of it.
 * Bounded: the oldest notes and beats go first beyond `maxNotes` / `maxBeats`.
 */
import type { ChunkNotes, GeneratedNote, GridBeat, MotionGrid } from '../../../protocol/notesFrame.js';
import type { Samples } from '../../../protocol/units.js';

export interface NoteTimelineOptions {
  /** Notes kept at most. Default 20 000 (about 20 minutes of dense music). */
  maxNotes: number;
  /** Beats kept at most. Default 4096. */
  maxBeats: number;
}

export const NOTE_TIMELINE_DEFAULTS: NoteTimelineOptions = { maxNotes: 20_000, maxBeats: 4096 };

export class NoteTimeline {
  readonly options: NoteTimelineOptions;
  private readonly notes = new Map<number, GeneratedNote>();
  private beats: GridBeat[] = [];
  /** End of the newest chunk whose notes arrived: where sounding notes end for now. */
  private newestSample: Samples = 0;
  /** The newest motion grid the generator saw. */
  motion: MotionGrid | null = null;

  constructor(options: Partial<NoteTimelineOptions> = {}) {
    this.options = { ...NOTE_TIMELINE_DEFAULTS, ...options };
  }

  add(frame: ChunkNotes): void {
    for (const n of frame.notes) {
      this.notes.delete(n.id); // re-inserted last: the map stays in order of the newest news
      this.notes.set(n.id, n);
    }
    while (this.notes.size > this.options.maxNotes) this.notes.delete(this.notes.keys().next().value!);
    this.beats.push(...frame.beats);
    if (this.beats.length > this.options.maxBeats) this.beats = this.beats.slice(-this.options.maxBeats);
    this.motion = frame.motion;
    this.newestSample = Math.max(this.newestSample, frame.startSample + frame.frames);
  }

  clear(): void {
    this.notes.clear();
    this.beats = [];
    this.motion = null;
    this.newestSample = 0;
  }

  get size(): number {
    return this.notes.size;
  }

  /** Notes sounding somewhere in [from, to), sounding ones lasting to the newest chunk's end. */
  notesIn(from: Samples, to: Samples): GeneratedNote[] {
    const out: GeneratedNote[] = [];
    for (const n of this.notes.values()) {
      const note = this.soFar(n);
      if (note.startSample < to && note.startSample + note.durationSamples > from) out.push(note);
    }
    return out;
  }

  /** A sounding note lasts, for now, to the newest chunk's end. */
  private soFar(n: GeneratedNote): GeneratedNote {
    return n.sounding ? { ...n, durationSamples: Math.max(n.durationSamples, this.newestSample - n.startSample) } : n;
  }

  beatsIn(from: Samples, to: Samples): GridBeat[] {
    return this.beats.filter((b) => b.sample >= from && b.sample < to);
  }

  allNotes(): GeneratedNote[] {
    return [...this.notes.values()].map((n) => this.soFar(n));
  }

  allBeats(): GridBeat[] {
    return [...this.beats];
  }
}
