/**
 * One session's OSC stream (address space in README.md, "OSC out"), under
 * `/expotion/<session id>/`:
 *
 *   controls/<name> f   each control (protocol/controlVector.ts names), `controlsHz` times a second
 *   note i i i          stream (0 drums, 1 bass, 2 chords, 3 lead), MIDI pitch, velocity; velocity 0 = note off
 *   beat i f            a quarter note of the generated grid: beat in bar (0 = downbeat), tempo BPM
 *   scene s             a scene caption
 *
 * Notes and beats are sent when they are heard, not when they are generated: each chunk's events
 * are scheduled at the time the listener hears the chunk (the scheduler's listener clock) plus
 * their offset in it. At most `maxPending` events wait; more are dropped. When the session ends,
 * every note still on gets its note off, so no synthesiser is left hanging.
 */
import type { ChunkNotes } from '../../protocol/notesFrame.js';
import type { Hz, Milliseconds } from '../../protocol/units.js';
import { serverNow } from '../clock.js';
import type { OscArg, OscOut } from './oscOut.js';

export interface SessionOscOptions {
  out: OscOut;
  sessionId: string;
  sampleRate: Hz;
  /** Control messages per second; 0 sends none. */
  controlsHz: number;
  /** The control values now, by name; null before the session has any. */
  controls(): Record<string, number> | null;
  /** Scheduled events waiting at most. Default 256. */
  maxPending?: number;
}

/** Notes announced but not yet ended are forgotten beyond this many (a stream that never ends a note). */
const MAX_OPEN_NOTES = 1024;

export class SessionOsc {
  private readonly out: OscOut;
  private readonly prefix: string;
  private readonly sampleRate: Hz;
  private readonly maxPending: number;
  private readonly pending = new Set<NodeJS.Timeout>();
  /** Notes whose note on was scheduled and note off not yet, by id. */
  private readonly announced = new Map<number, { stream: number; pitch: number }>();
  private readonly controlsTimer: NodeJS.Timeout | null;
  /** Events dropped because too many were waiting. */
  dropped = 0;

  constructor(options: SessionOscOptions) {
    this.out = options.out;
    this.prefix = `/expotion/${options.sessionId}`;
    this.sampleRate = options.sampleRate;
    this.maxPending = options.maxPending ?? 256;
    this.controlsTimer =
      options.controlsHz > 0
        ? setInterval(() => {
            const values = options.controls();
            if (values === null) return;
            for (const [name, value] of Object.entries(values)) this.send(`controls/${name}`, [{ type: 'f', value }]);
          }, 1000 / options.controlsHz)
        : null;
    this.controlsTimer?.unref();
  }

  /** Schedules a chunk's note ons and offs and beats; `heardAtMs`: server time its first sample is heard. */
  notes(chunk: ChunkNotes, heardAtMs: Milliseconds): void {
    const at = (sample: number): Milliseconds => heardAtMs + ((sample - chunk.startSample) / this.sampleRate) * 1000;
    for (const n of chunk.notes) {
      if (!this.announced.has(n.id)) {
        if (this.announced.size >= MAX_OPEN_NOTES) this.announced.clear();
        this.announced.set(n.id, { stream: n.stream, pitch: n.pitch });
        this.later(at(n.startSample), 'note', [{ type: 'i', value: n.stream }, { type: 'i', value: n.pitch }, { type: 'i', value: n.velocity }]);
      }
      if (!n.sounding) {
        this.announced.delete(n.id);
        this.later(at(n.startSample + n.durationSamples), 'note', [{ type: 'i', value: n.stream }, { type: 'i', value: n.pitch }, { type: 'i', value: 0 }]);
      }
    }
    for (const b of chunk.beats) this.later(at(b.sample), 'beat', [{ type: 'i', value: b.beatInBar }, { type: 'f', value: b.bpm }]);
  }

  scene(caption: string): void {
    this.send('scene', [{ type: 's', value: caption }]);
  }

  private later(atMs: Milliseconds, path: string, args: OscArg[]): void {
    if (this.pending.size >= this.maxPending) {
      this.dropped++;
      return;
    }
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      this.send(path, args);
    }, Math.max(0, atMs - serverNow()));
    this.pending.add(timer);
  }

  private send(path: string, args: OscArg[]): void {
    this.out.send(`${this.prefix}/${path}`, args);
  }

  dispose(): void {
    if (this.controlsTimer) clearInterval(this.controlsTimer);
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
    for (const { stream, pitch } of this.announced.values()) this.send('note', [{ type: 'i', value: stream }, { type: 'i', value: pitch }, { type: 'i', value: 0 }]);
    this.announced.clear();
  }
}
