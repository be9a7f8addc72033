/**
 * Standard MIDI files from generated notes (server recordings and the browser's Record
 * download): one track per stream (drums on channel 10, as General MIDI wants), and a tempo map
 * that follows the generated beat grid, so a DAW's bars line up with what was played.
 *
 * Ticks: quarter `k` of the grid is at tick t0 + k * ppq, with t0 chosen so that tick 0 is the
 * session's first sample; between two grid beats the ticks are linear in samples, and the tempo
 * of each quarter is what its length says. Before the first and after the last grid beat the
 * nearest quarter's tempo holds. Without a grid (fewer than two beats), 120 BPM.
 */
import { Midi } from '@tonejs/midi/dist/Midi.js';
import { NOTE_STREAMS, type GeneratedNote, type GridBeat } from './notesFrame.js';
import type { Hz, Samples } from './units.js';

/** A note as a MIDI file keeps it. */
export type MidiNote = Pick<GeneratedNote, 'stream' | 'pitch' | 'velocity' | 'startSample' | 'durationSamples'>;

/** MIDI channel (0-based) per stream: drums on General MIDI's percussion channel 10. */
export const STREAM_CHANNELS: readonly number[] = [9, 0, 1, 2];

const DEFAULT_BPM = 120;

/** Maps timeline samples to ticks along the grid; lists the tempo changes. */
class TickMap {
  private readonly beats: number[];
  private readonly t0: number;
  readonly tempos: { ticks: number; bpm: number }[] = [];

  constructor(
    grid: readonly GridBeat[],
    private readonly sampleRate: Hz,
    private readonly ppq: number,
  ) {
    const beats = [...new Set(grid.map((b) => b.sample))].sort((a, b) => a - b);
    this.beats = beats.length >= 2 ? beats : [0, (60 / DEFAULT_BPM) * sampleRate];
    this.t0 = (this.beats[0]! / this.interval(0)) * ppq;
    for (let k = 0; k < this.beats.length - 1; k++) {
      const bpm = (60 * sampleRate) / this.interval(k);
      const ticks = k === 0 ? 0 : Math.round(this.t0 + k * ppq);
      if (this.tempos.length === 0 || Math.abs(this.tempos[this.tempos.length - 1]!.bpm - bpm) > 1e-6) this.tempos.push({ ticks, bpm });
    }
  }

  private interval(k: number): number {
    const last = this.beats.length - 2;
    const i = Math.max(0, Math.min(last, k));
    return this.beats[i + 1]! - this.beats[i]!;
  }

  ticks(sample: Samples): number {
    const beats = this.beats;
    let k = 0;
    let lo = 0;
    let hi = beats.length - 1;
    if (sample >= beats[0]!) {
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (beats[mid]! <= sample) lo = mid;
        else hi = mid - 1;
      }
      k = lo;
    }
    return Math.round(this.t0 + (k + (sample - beats[k]!) / this.interval(k)) * this.ppq);
  }
}

/** A Standard MIDI File of the notes (sounding notes as far as they got), tempo map from the grid. */
export function notesToMidi(notes: readonly MidiNote[], grid: readonly GridBeat[], sampleRate: Hz): Uint8Array<ArrayBuffer> {
  const midi = new Midi();
  const map = new TickMap(grid, sampleRate, midi.header.ppq);
  midi.header.tempos = map.tempos;
  midi.header.update();
  const tracks = NOTE_STREAMS.map((name, i) => {
    const track = midi.addTrack();
    track.name = name;
    track.channel = STREAM_CHANNELS[i]!;
    return track;
  });
  for (const n of notes) {
    const ticks = map.ticks(n.startSample);
    tracks[n.stream]?.addNote({ midi: n.pitch, ticks, durationTicks: Math.max(1, map.ticks(n.startSample + n.durationSamples) - ticks), velocity: n.velocity / 127 });
  }
  return new Uint8Array(midi.toArray());
}

/** The notes of a file written by notesToMidi, back on the sample timeline (to the tick's precision). */
export function midiToNotes(bytes: Uint8Array, sampleRate: Hz): MidiNote[] {
  const midi = new Midi(bytes);
  const notes: MidiNote[] = [];
  for (const track of midi.tracks) {
    const stream = NOTE_STREAMS.indexOf(track.name as (typeof NOTE_STREAMS)[number]);
    if (stream < 0) continue;
    for (const n of track.notes) {
      const startSample = Math.round(n.time * sampleRate);
      notes.push({ stream, pitch: n.midi, velocity: Math.round(n.velocity * 127), startSample, durationSamples: Math.round((n.time + n.duration) * sampleRate) - startSample });
    }
  }
  return notes.sort((a, b) => a.startSample - b.startSample || a.stream - b.stream || a.pitch - b.pitch);
}
