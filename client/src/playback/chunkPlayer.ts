/**
 * Streaming playback with Tone.js on a cursor (../shared/design/CLIENT.md; the Node model of
 * the same scheduling is harness/virtualListener.ts):
 *
 * - each chunk becomes a ToneAudioBuffer at the chunk's own sample rate, started at the cursor,
 *   and the cursor advances by the chunk's duration: chunks join sample to sample, with no
 *   fades and no waiting for `onended` (which would leave gaps and clicks);
 * - the first chunk of a session starts one jitter buffer after it arrives;
 * - a chunk that arrives later than `marginMs` before its start is an underrun: the mapping in
 *   force is reported first, then the cursor moves to one jitter buffer after now;
 * - the jitter buffer adapts to the measured arrival jitter (RFC 3550's running estimate);
 * - playback reports map a sample to the client time (performance.now()) it is heard at the
 *   speaker, from the AudioContext's output timestamp, output latency included; with protocol 2
 *   they also name the chunk that arrived with the least time to spare since the last report
 *   (`leastSlack`), from which the server fits its lead to this listener's network.
 *
 * Signal chain: sources -> fade (kiosk fades, stop) -> volume (master) -> meter, destination.
 */
import * as Tone from 'tone';
import type { AudioChunk } from '../../../protocol/audioChunk.js';
import { LeastSlack } from '../../../protocol/leastSlack.js';
import type { PlaybackMessage } from '../../../protocol/messages.js';
import { clamp } from '../../../protocol/numbers.js';
import type { Milliseconds, Samples, Seconds } from '../../../protocol/units.js';

export interface ChunkPlayerOptions {
  /** A chunk must arrive at least this long before its start, or it is an underrun. */
  marginMs: Milliseconds;
  /** Jitter buffer bounds and its size in multiples of the measured jitter (plus the margin). */
  minBufferMs: Milliseconds;
  maxBufferMs: Milliseconds;
  jitterMultiple: number;
  /** Buffer for the first chunk of a session, before any jitter is measured. */
  initialBufferMs: Milliseconds;
  /** Underruns in this first part of a session count as warm-up. */
  warmupMs: Milliseconds;
  /** Master volume (dB). */
  volumeDb: number;
}

export const CHUNK_PLAYER_DEFAULTS: ChunkPlayerOptions = {
  marginMs: 5,
  minBufferMs: 40,
  maxBufferMs: 300,
  jitterMultiple: 4,
  initialBufferMs: 80,
  warmupMs: 3000,
  volumeDb: -6,
};

export interface ChunkPlayerStats {
  chunks: number;
  underruns: number;
  underrunMs: Milliseconds;
  /** Underruns after the warm-up part of the session. */
  underrunsAfterWarmup: number;
  /** Sample index gaps or overlaps between consecutive chunks (must stay 0). */
  discontinuities: number;
  /** When the last few underruns happened (ms since the session started) and by how much the chunk was late (ms). */
  recentUnderruns: { atMs: Milliseconds; lateMs: Milliseconds }[];
  jitterMs: Milliseconds;
  bufferTargetMs: Milliseconds;
  bufferedMs: Milliseconds;
  outputLatencyMs: Milliseconds;
  /** Output level (dB, -Infinity when silent). */
  levelDb: number;
  activeSources: number;
}

interface Scheduled {
  startSample: Samples;
  /** AudioContext time of the chunk's first sample. */
  startTime: Seconds;
  endTime: Seconds;
  source: Tone.ToneBufferSource;
}

export class ChunkPlayer {
  readonly options: ChunkPlayerOptions;
  readonly context: Tone.Context;
  private readonly fade: Tone.Gain;
  private readonly volume: Tone.Volume;
  private readonly meter: Tone.Meter;
  private cursor: Seconds | null = null;
  private expectedSample: Samples | null = null;
  private sessionStart: Milliseconds = 0;
  private last: { startSample: Samples; startTime: Seconds } | null = null;
  private readonly playing: Scheduled[] = [];
  private lastArrival: { ms: Milliseconds; durationMs: Milliseconds } | null = null;
  private jitter: Milliseconds = 0;
  private stats_ = { chunks: 0, underruns: 0, underrunMs: 0, underrunsAfterWarmup: 0, discontinuities: 0 };
  private recentUnderruns: { atMs: Milliseconds; lateMs: Milliseconds }[] = [];
  /** The session speaks protocol 2: reports carry `leastSlack`. */
  private reportsSlack = false;
  /** Since the last report: the chunk that arrived with the least time to spare (ms before it was needed). */
  private readonly leastSlack = new LeastSlack();

  constructor(context: Tone.Context, options: Partial<ChunkPlayerOptions> = {}) {
    this.options = { ...CHUNK_PLAYER_DEFAULTS, ...options };
    this.context = context;
    this.fade = new Tone.Gain({ context, gain: 1 });
    this.volume = new Tone.Volume({ context, volume: this.options.volumeDb });
    this.meter = new Tone.Meter({ context, smoothing: 0.5 });
    this.fade.connect(this.volume);
    this.volume.connect(this.meter);
    this.volume.toDestination();
  }

  static getDefaults(): ChunkPlayerOptions {
    return { ...CHUNK_PLAYER_DEFAULTS };
  }

  /**
   * A new session: its sample timeline starts again at 0. Audio still queued plays out.
   * `reportsSlack`: the session speaks protocol 2, so reports name their least-slack chunk.
   */
  startSession(reportsSlack: boolean): void {
    this.reportsSlack = reportsSlack;
    this.leastSlack.take();
    this.cursor = null;
    this.expectedSample = null;
    this.last = null;
    this.lastArrival = null;
    this.sessionStart = performance.now();
    this.stats_ = { chunks: 0, underruns: 0, underrunMs: 0, underrunsAfterWarmup: 0, discontinuities: 0 };
    this.recentUnderruns = [];
  }

  get bufferTargetMs(): Milliseconds {
    const { minBufferMs, maxBufferMs, jitterMultiple, marginMs } = this.options;
    return clamp(marginMs + jitterMultiple * this.jitter, minBufferMs, maxBufferMs);
  }

  /**
   * Schedules a chunk that arrived at client time `arrivalMs`. `reportBeforeShift` gets the
   * mapping in force before an underrun moves the cursor.
   */
  receive(chunk: AudioChunk, arrivalMs: Milliseconds, reportBeforeShift: (report: PlaybackMessage) => void): { underrun: boolean; startTime: Seconds } {
    const { header, pcm } = chunk;
    const now = this.context.currentTime;
    const durationMs = (header.frames / header.sampleRate) * 1000;
    this.updateJitter(arrivalMs, durationMs);
    if (this.expectedSample !== null && header.startSample !== this.expectedSample) this.stats_.discontinuities++;
    this.expectedSample = header.startSample + header.frames;
    let underrun = false;
    if (this.cursor !== null) this.leastSlack.note(header.startSample, (this.cursor - now) * 1000 - this.options.marginMs);
    if (this.cursor === null) {
      this.cursor = now + Math.max(this.options.initialBufferMs, this.bufferTargetMs) / 1000;
    } else if (this.cursor < now + this.options.marginMs / 1000) {
      underrun = true;
      const before = this.report();
      if (before) reportBeforeShift(before);
      const shifted = now + this.bufferTargetMs / 1000;
      this.stats_.underruns++;
      this.stats_.underrunMs += (shifted - this.cursor) * 1000;
      if (arrivalMs - this.sessionStart > this.options.warmupMs) this.stats_.underrunsAfterWarmup++;
      this.recentUnderruns = [...this.recentUnderruns, { atMs: Math.round(arrivalMs - this.sessionStart), lateMs: Math.round((now - this.cursor) * 1000) }].slice(-8);
      this.cursor = shifted;
    }
    const startTime = this.cursor;
    const buffer = this.context.createBuffer(header.channels, header.frames, header.sampleRate);
    if (header.channels === 1) buffer.copyToChannel(new Float32Array(pcm), 0);
    else {
      for (let c = 0; c < header.channels; c++) {
        const data = new Float32Array(header.frames);
        for (let i = 0; i < header.frames; i++) data[i] = pcm[i * header.channels + c]!;
        buffer.copyToChannel(data, c);
      }
    }
    const source = new Tone.ToneBufferSource({ context: this.context, url: new Tone.ToneAudioBuffer(buffer), fadeIn: 0, fadeOut: 0 });
    source.connect(this.fade);
    source.start(startTime);
    this.cursor += header.frames / header.sampleRate;
    this.playing.push({ startSample: header.startSample, startTime, endTime: this.cursor, source });
    this.last = { startSample: header.startSample, startTime };
    this.stats_.chunks++;
    this.releaseFinished(now);
    return { underrun, startTime };
  }

  /** The sample of the session's timeline being heard now (output latency included); null before any audio. */
  playheadSample(sampleRate: number): Samples | null {
    if (!this.last) return null;
    const latencyS = this.outputLatencyMs / 1000;
    return this.last.startSample + (this.context.currentTime - latencyS - this.last.startTime) * sampleRate;
  }

  /** Client time (performance.now() clock) at which AudioContext time `t` is heard. */
  heardAt(t: Seconds): Milliseconds {
    const raw = this.context.rawContext as unknown as AudioContext;
    const ts = typeof raw.getOutputTimestamp === 'function' ? raw.getOutputTimestamp() : null;
    if (ts && ts.performanceTime !== undefined && ts.contextTime !== undefined && ts.performanceTime > 0) {
      return ts.performanceTime + (t - ts.contextTime) * 1000;
    }
    return performance.now() + (t - this.context.currentTime) * 1000 + this.outputLatencyMs;
  }

  get outputLatencyMs(): Milliseconds {
    const raw = this.context.rawContext as unknown as AudioContext;
    return ((raw.outputLatency || 0) + (raw.baseLatency || 0)) * 1000;
  }

  /** A playback report anchored on the newest scheduled chunk; null before any audio arrived. */
  report(): PlaybackMessage | null {
    if (!this.last) return null;
    const least = this.leastSlack.take();
    const leastSlack = this.reportsSlack ? least : null;
    return {
      type: 'playback',
      sample: this.last.startSample,
      clientTimeMs: this.heardAt(this.last.startTime),
      outputLatencyMs: this.outputLatencyMs,
      bufferedMs: this.bufferedMs(),
      underruns: this.stats_.underruns,
      underrunMs: this.stats_.underrunMs,
      ...(leastSlack ? { leastSlack } : {}),
    };
  }

  bufferedMs(): Milliseconds {
    return this.cursor === null ? 0 : Math.max(0, (this.cursor - this.context.currentTime) * 1000);
  }

  /** Master volume in dB. */
  setVolume(db: number): void {
    this.volume.volume.rampTo(db, 0.05);
  }

  /** Fades the music to `gain` (0..1) over `seconds` (kiosk arrivals and departures, stop). */
  fadeTo(gain: number, seconds: Seconds): void {
    this.fade.gain.cancelScheduledValues(this.context.currentTime);
    this.fade.gain.rampTo(gain, seconds);
  }

  /** Mutes the streamed audio (a player who hears only their own MIDI synths); sessions keep streaming. */
  setMuted(muted: boolean): void {
    this.volume.mute = muted;
  }

  /** Stops everything scheduled now (after a fade, or at once). */
  silence(): void {
    for (const s of this.playing) s.source.dispose();
    this.playing.length = 0;
    this.cursor = null;
  }

  stats(): ChunkPlayerStats {
    const level: number | number[] = this.meter.getValue();
    return {
      ...this.stats_,
      recentUnderruns: this.recentUnderruns,
      jitterMs: this.jitter,
      bufferTargetMs: this.bufferTargetMs,
      bufferedMs: this.bufferedMs(),
      outputLatencyMs: this.outputLatencyMs,
      levelDb: Array.isArray(level) ? Math.max(...level) : level,
      activeSources: this.playing.length,
    };
  }

  private updateJitter(arrivalMs: Milliseconds, durationMs: Milliseconds): void {
    const prev = this.lastArrival;
    this.lastArrival = { ms: arrivalMs, durationMs };
    if (!prev) return;
    // Transit variation: how far this arrival is from "one chunk duration after the last".
    const d = Math.abs(arrivalMs - prev.ms - prev.durationMs);
    this.jitter += (d - this.jitter) / 16;
  }

  /** Disposes sources that finished playing (no `onended` callbacks: nothing can leak through them). */
  private releaseFinished(now: Seconds): void {
    let n = 0;
    while (n < this.playing.length && this.playing[n]!.endTime < now - 0.05) n++;
    if (n === 0) return;
    for (const s of this.playing.splice(0, n)) s.source.dispose();
  }

  dispose(): void {
    this.silence();
    this.fade.dispose();
    this.volume.dispose();
    this.meter.dispose();
  }
}
