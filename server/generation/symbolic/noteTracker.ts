/**
 * Turns a symbolic stream's steps into notes on the session's sample timeline (the `notes`
 * frames of protocol/notesFrame.ts): every onset a note with its pitch, velocity and start, its
 * duration settled when the stream rests or plays the next onset; drums as General MIDI
 * percussion keys one step long; a chord onset as one note per voiced pitch. Quarter-note steps
 * make the beat grid.
 *
 * `add` takes each step as it is decided (in timeline order), `take` closes a chunk: it returns
 * the notes that ended in it and, marked sounding with their duration so far, those that started
 * in it and are still open at its end. A sounding note comes once more, whole, with the chunk
 * where it ends (not with every chunk in between: a held chord would cost its notes 47 times a
 * second).
 */
import type { ChunkNotes, GeneratedNote, GridBeat } from '../../../protocol/notesFrame.js';
import { clamp01 } from '../../../protocol/numbers.js';
import type { Samples } from '../../../protocol/units.js';
import type { ChunkRequest } from '../engine.js';
import { quarterPosition } from './stepClock.js';
import type { EmittedStep } from './symbolicStream.js';
import { DRUM_VOICES, decodeStep, type DrumVoice, type NoteEvent } from './tokens.js';

/** General MIDI percussion keys (channel 10) of the drum voices. */
export const GM_DRUM_KEYS: Readonly<Record<DrumVoice, number>> = Object.freeze({
  kick: 36,
  snare: 38,
  closedHat: 42,
  openHat: 46,
  clap: 39,
  perc: 37,
});

const DRUMS = 0;
const BASS = 1;
const CHORDS = 2;
const LEAD = 3;

export interface NoteTrackerOptions {
  /** Most notes returned per chunk (the earliest are kept). Default 1024 (the frame's limit). */
  maxNotesPerChunk?: number;
  /** Most beats returned per chunk. Default 256. */
  maxBeatsPerChunk?: number;
}

const midiVelocity = (v: number): number => Math.max(1, Math.min(127, Math.round(clamp01(v) * 127)));

export class NoteTracker {
  private readonly maxNotes: number;
  private readonly maxBeats: number;
  private nextId = 0;
  /** Open notes per stream (bass and lead hold one, chords several; drums never stay open). */
  private readonly open: GeneratedNote[][] = [[], [], [], []];
  private ended: GeneratedNote[] = [];
  private beats: GridBeat[] = [];

  constructor(options: NoteTrackerOptions = {}) {
    this.maxNotes = options.maxNotesPerChunk ?? 1024;
    this.maxBeats = options.maxBeatsPerChunk ?? 256;
  }

  /** One decided step; `beatOffset` says which step of each four is on the beat. */
  add(step: EmittedStep, beatOffset: number): void {
    const at = step.sample;
    const event = decodeStep(step.tokens);
    const { energy, beatStrength } = step.controls;
    const inBar = step.stepInBar;
    const accented = inBar % 4 === 0;
    const metric = inBar === 0 ? 1 : accented ? 0.9 : inBar % 2 === 0 ? 0.78 : 0.66;
    // The built-in synthesiser's velocity curves (symbolicSynth.ts), on the step's own controls.
    const drumVelocity = midiVelocity((0.5 + 0.5 * energy) * metric * (accented ? 1 + 0.3 * beatStrength : 1));
    const noteVelocity = midiVelocity((0.6 + 0.4 * energy) * (accented ? 1 + 0.15 * beatStrength : 0.9));
    // Quarters start where the step clock puts them.
    if (quarterPosition(step.step, beatOffset) === 0) {
      this.beats.push({ sample: at, beatInBar: Math.floor(inBar / 4), bpm: step.bpm });
    }
    DRUM_VOICES.forEach((voice, bit) => {
      if (event.drums & (1 << bit)) this.ended.push(this.note(DRUMS, GM_DRUM_KEYS[voice], drumVelocity, at, Math.round(step.durationSamples), false));
    });
    this.mono(BASS, event.bass, noteVelocity, at);
    this.mono(LEAD, event.lead, noteVelocity, at);
    if (event.harmony.type !== 'hold') this.end(CHORDS, at);
    if (event.harmony.type === 'chord' && step.voicing) {
      const velocity = midiVelocity(0.75 + 0.25 * energy);
      for (const pitch of step.voicing) this.open[CHORDS]!.push(this.note(CHORDS, pitch, velocity, at, 0, true));
    }
  }

  /** The notes and beats of the chunk `request` covered, with the motion grid it carried. */
  take(request: ChunkRequest): ChunkNotes {
    const end = request.startSample + request.frames;
    const notes = this.ended;
    for (const open of this.open) {
      for (const n of open) if (n.startSample >= request.startSample) notes.push({ ...n, durationSamples: end - n.startSample });
    }
    const beats = this.beats;
    this.ended = [];
    this.beats = [];
    const b = request.beat;
    return {
      startSample: request.startSample,
      frames: request.frames,
      notes: notes.length > this.maxNotes ? notes.slice(0, this.maxNotes) : notes,
      beats: beats.length > this.maxBeats ? beats.slice(0, this.maxBeats) : beats,
      motion: b && b.anchorSample >= 0 && b.periodSamples > 0 && b.periodSamples < 2 ** 24
        ? { anchorSample: Math.round(b.anchorSample), periodSamples: b.periodSamples, strength: clamp01(b.strength) }
        : null,
    };
  }

  private mono(stream: number, event: NoteEvent, velocity: number, at: Samples): void {
    if (event.type === 'hold') return;
    this.end(stream, at);
    if (event.type === 'note') this.open[stream]!.push(this.note(stream, event.pitch, velocity, at, 0, true));
  }

  private end(stream: number, at: Samples): void {
    const open = this.open[stream]!;
    for (const n of open) {
      n.durationSamples = at - n.startSample;
      n.sounding = false;
      this.ended.push(n);
    }
    open.length = 0;
  }

  private note(stream: number, pitch: number, velocity: number, startSample: Samples, durationSamples: Samples, sounding: boolean): GeneratedNote {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    return { id, stream, pitch, velocity, startSample, durationSamples, sounding };
  }
}
