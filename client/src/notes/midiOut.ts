/**
 * Web MIDI out: the generated notes to the performer's own synths, in time with the streamed
 * audio. Each chunk's notes are scheduled with `MIDIOutput.send(data, timestamp)` at the time the
 * chunk's samples are heard (the player's schedule, on the performance.now() clock), so they
 * sound together with the audio (which can be muted to hear only the synths). Controls go out
 * as control changes, at most `ccIntervalMs` apart, only when their 7-bit value moves.
 */
import { NOTE_STREAMS, type ChunkNotes } from '../../../protocol/notesFrame.js';
import type { Hz, Milliseconds } from '../../../protocol/units.js';

/** What MidiOut needs of a Web MIDI output (a fake in the tests). */
export interface MidiOutputLike {
  readonly id: string;
  readonly name?: string | null;
  send(data: number[] | Uint8Array, timestamp?: number): void;
}

export interface MidiOutOptions {
  /** MIDI channel 1..16 per stream (drums, bass, chords, lead); 0 leaves the stream out. Drums default to 10. */
  channels: [number, number, number, number];
  /** Control name -> CC number sent for it (values 0..1, or -1..1 for valence). */
  controlCcs: Record<string, number>;
  ccIntervalMs: Milliseconds;
}

export const MIDI_OUT_DEFAULTS: MidiOutOptions = {
  channels: [10, 1, 2, 3],
  controlCcs: { energy: 1, valence: 2, presence: 11, armOpenness: 74, handHeight: 71 },
  ccIntervalMs: 50,
};

const NOTE_ON = 0x90;
const NOTE_OFF = 0x80;
const CONTROL_CHANGE = 0xb0;

export class MidiOut {
  readonly options: MidiOutOptions;
  private output: MidiOutputLike | null = null;
  /** Notes whose note on was sent and note off not yet: id -> [channel, pitch]. */
  private readonly on = new Map<number, [number, number]>();
  private readonly lastCc = new Map<number, number>();
  private lastCcMs = -Infinity;

  constructor(options: Partial<MidiOutOptions> = {}) {
    this.options = { ...MIDI_OUT_DEFAULTS, ...options };
  }

  /** Selects the output (null: none); notes still on at the old one are ended. */
  setOutput(output: MidiOutputLike | null): void {
    this.allNotesOff();
    this.output = output;
  }

  get outputName(): string | null {
    return this.output ? (this.output.name ?? this.output.id) : null;
  }

  /** Schedules a chunk's note ons and offs; `heardAtMs`: performance.now() time its first sample is heard. */
  schedule(notes: ChunkNotes, heardAtMs: Milliseconds, sampleRate: Hz): void {
    const out = this.output;
    if (!out) return;
    const at = (sample: number): number => heardAtMs + ((sample - notes.startSample) / sampleRate) * 1000;
    for (const n of notes.notes) {
      const channel = this.options.channels[n.stream] ?? 0;
      if (channel < 1 || channel > 16) continue;
      if (!this.on.has(n.id)) {
        this.on.set(n.id, [channel - 1, n.pitch]);
        out.send([NOTE_ON | (channel - 1), n.pitch, n.velocity], at(n.startSample));
      }
      if (!n.sounding) {
        this.on.delete(n.id);
        out.send([NOTE_OFF | (channel - 1), n.pitch, 0], at(n.startSample + n.durationSamples));
      }
    }
  }

  /** Sends the controls as CCs on the first enabled channel (rate-limited, changes only). */
  controls(values: Record<string, number>, nowMs: Milliseconds): void {
    const out = this.output;
    if (!out || nowMs - this.lastCcMs < this.options.ccIntervalMs) return;
    this.lastCcMs = nowMs;
    const channel = this.options.channels.find((c, i) => c >= 1 && c <= 16 && NOTE_STREAMS[i] !== 'drums') ?? 1;
    for (const [name, cc] of Object.entries(this.options.controlCcs)) {
      const v = values[name];
      if (v === undefined || !Number.isFinite(v)) continue;
      const unit = name === 'valence' ? (v + 1) / 2 : v;
      const value = Math.max(0, Math.min(127, Math.round(unit * 127)));
      if (this.lastCc.get(cc) === value) continue;
      this.lastCc.set(cc, value);
      out.send([CONTROL_CHANGE | (channel - 1), cc, value]);
    }
  }

  /** Ends every note still on, now (stop, output change). */
  allNotesOff(): void {
    const out = this.output;
    if (out) for (const [channel, pitch] of this.on.values()) out.send([NOTE_OFF | channel, pitch, 0]);
    this.on.clear();
  }
}
