/**
 * A virtual listener: plays a session's audio chunks on a simulated audio clock the way the
 * browser client does (CLIENT.md), so latency is measured to the moment a sample would be heard,
 * not to when a packet arrived.
 *
 * - The first chunk starts `jitterBufferMs` after it arrives; each next chunk starts where the
 *   previous one ends (a cursor), never waiting for the previous one to finish.
 * - A chunk that arrives later than `marginMs` before its start is an underrun: playback
 *   restarts `marginMs` after arrival, and the gap is counted.
 * - A sample is heard `outputLatencyMs` after its scheduled start (the device's latency).
 * - Playback reports (protocol `playback`) give the server the sample -> heard-time mapping and,
 *   when the session speaks protocol 2 (`reportsSlack`), the chunk that arrived with the least
 *   time to spare since the last report, as the browser's do.
 */
import type { AudioChunkHeader } from '../protocol/audioChunk.js';
import { LeastSlack } from '../protocol/leastSlack.js';
import type { PlaybackMessage } from '../protocol/messages.js';
import type { Milliseconds, Samples } from '../protocol/units.js';

export interface VirtualListenerOptions {
  /**
   * Buffer before the first chunk plays (ms). It only matters until the server has the first
   * playback report: from then on the server generates each chunk just its lead before it is
   * heard, so latency no longer depends on it. About the server's lead keeps the start smooth.
   */
  jitterBufferMs: Milliseconds;
  /** A chunk must arrive at least this long before its start (ms), like Tone.js lookAhead. */
  marginMs: Milliseconds;
  /** Device output latency added to every scheduled time (ms). */
  outputLatencyMs: Milliseconds;
}

export const VIRTUAL_LISTENER_DEFAULTS: VirtualListenerOptions = { jitterBufferMs: 80, marginMs: 10, outputLatencyMs: 10 };

export interface ScheduledChunk {
  header: AudioChunkHeader;
  arrivalMs: Milliseconds;
  /** Client time at which the chunk's first sample is heard. */
  heardMs: Milliseconds;
  underrun: boolean;
  /** How long before it was needed (its start minus `marginMs`) the chunk arrived (ms); below 0 it was an underrun; null for the first. */
  slackMs: Milliseconds | null;
}

export class VirtualListener {
  readonly options: VirtualListenerOptions;
  private cursorMs: Milliseconds | null = null;
  private expectedSample: Samples = 0;
  underruns = 0;
  underrunMs: Milliseconds = 0;
  /** Sample index gaps or overlaps between consecutive chunks (must stay 0). */
  discontinuities = 0;
  private last: ScheduledChunk | null = null;
  /** Reports carry `leastSlack` (the session speaks protocol 2; set when `ready` arrives). */
  reportsSlack = false;
  /** Since the last report: the chunk that arrived with the least time to spare. */
  private readonly leastSlack = new LeastSlack();

  constructor(options: Partial<VirtualListenerOptions> = {}) {
    this.options = { ...VIRTUAL_LISTENER_DEFAULTS, ...options };
  }

  /**
   * Schedules a chunk that arrived at client time `nowMs`. `reportBeforeShift` is called with the
   * mapping in force before an underrun moves the cursor, so the server never applies the new
   * mapping to samples that were scheduled under the old one.
   */
  receive(header: AudioChunkHeader, nowMs: Milliseconds, reportBeforeShift?: (report: PlaybackMessage) => void): ScheduledChunk {
    const { jitterBufferMs, marginMs, outputLatencyMs } = this.options;
    if (header.startSample !== this.expectedSample) this.discontinuities++;
    this.expectedSample = header.startSample + header.frames;
    let underrun = false;
    const slackMs = this.cursorMs === null ? null : this.cursorMs - (nowMs + marginMs);
    if (slackMs !== null) this.leastSlack.note(header.startSample, slackMs);
    if (this.cursorMs === null) {
      this.cursorMs = nowMs + jitterBufferMs;
    } else if (this.cursorMs < nowMs + marginMs) {
      underrun = true;
      if (reportBeforeShift && this.last) reportBeforeShift(this.report(nowMs));
      this.underruns++;
      this.underrunMs += nowMs + marginMs - this.cursorMs;
      this.cursorMs = nowMs + marginMs;
    }
    const chunk: ScheduledChunk = { header, arrivalMs: nowMs, heardMs: this.cursorMs + outputLatencyMs, underrun, slackMs };
    this.cursorMs += (header.frames / header.sampleRate) * 1000;
    this.last = chunk;
    return chunk;
  }

  /** Audio scheduled ahead of the playhead at `nowMs`. */
  bufferedMs(nowMs: Milliseconds): Milliseconds {
    return this.cursorMs === null ? 0 : Math.max(0, this.cursorMs - nowMs);
  }

  /** A playback report anchored on the newest scheduled chunk; null before any audio arrived. */
  report(nowMs: Milliseconds): PlaybackMessage {
    const last = this.last;
    const least = this.leastSlack.take();
    const leastSlack = this.reportsSlack ? least : null;
    return {
      type: 'playback',
      sample: last ? last.header.startSample : 0,
      clientTimeMs: last ? last.heardMs : nowMs,
      outputLatencyMs: this.options.outputLatencyMs,
      bufferedMs: this.bufferedMs(nowMs),
      underruns: this.underruns,
      underrunMs: this.underrunMs,
      ...(leastSlack ? { leastSlack } : {}),
    };
  }

  get started(): boolean {
    return this.last !== null;
  }
}
