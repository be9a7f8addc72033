/**
 * The streaming scheduler of one session: generates each chunk just ahead of the listener's
 * playhead (the adaptive lead), sends it, and keeps the latency ledger that playback reports
 * settle. It owns the listener clock (where the playhead is), the lead controller and the
 * session's audio timeline (`nextSample`); the session owns the socket and the protocol.
 */
import { encodeAudioChunk, type AudioFormat } from '../../protocol/audioChunk.js';
import type { ControlVector } from '../../protocol/controlVector.js';
import { ProtocolError, type ErrorCode } from '../../protocol/errors.js';
import type { MusicState, PlaybackMessage, StatsMessage } from '../../protocol/messages.js';
import { RecentValues } from '../../protocol/statistics.js';
import type { Milliseconds, Samples } from '../../protocol/units.js';
import { serverNow } from '../clock.js';
import type { ServerConfig } from '../config.js';
import type { ClockSync } from '../controls/clockSync.js';
import type { ControlTracker } from '../controls/controlTracker.js';
import type { ChunkNotes, RemoteStream } from '../generation/index.js';
import type { ServerMetrics } from '../metrics.js';
import { MAX_CLOCK_JUMP_MS } from './clientClock.js';
import { LeadController } from './leadController.js';
import { ListenerClock } from './listenerClock.js';
import type { SessionTimers } from './sessionTimers.js';

/** A chunk just sent, for what else the session does with it (scene, recording, UI). */
export interface SentChunk {
  startSample: Samples;
  controlSeq: number | null;
  /** Server time the chunk's generation was decided. */
  decidedMs: Milliseconds;
  controls: readonly ControlVector[];
  pcm: Float32Array;
  state: MusicState;
}

export interface ChunkSchedulerHost {
  readonly config: ServerConfig;
  readonly metrics: ServerMetrics;
  readonly tracker: ControlTracker;
  readonly clock: ClockSync;
  readonly stream: RemoteStream;
  readonly format: AudioFormat;
  readonly timers: SessionTimers;
  /** Bytes queued on the socket but not yet written to the network. */
  bufferedBytes(): number;
  send(chunk: Uint8Array): void;
  /** A chunk's notes (packs that have them), just before its audio; `heardAtMs`: server time its first sample is heard. */
  onNotes(notes: ChunkNotes, heardAtMs: Milliseconds): void;
  onChunk(sent: SentChunk): void;
  /** Ends the session with a protocol error (a client that stopped reading). */
  fail(code: ErrorCode, message: string): void;
  /** Ends the session with a server-side failure (1011). */
  crash(err: unknown, code: ErrorCode, message: string): void;
}

/** A chunk whose control-to-audio latency is known once the listener reports hearing it. */
interface PendingLatency {
  startSample: Samples;
  captureMs: Milliseconds;
}

/** No scheduler timer waits longer than this (ms); a far-off deadline is re-checked instead (Node clamps > 2^31 ms to 1 ms). */
const MAX_TIMER_MS = 1_000;
/** Largest output latency a playback report may claim (ms): no audio device buffers more. */
const MAX_OUTPUT_LATENCY_MS = 5_000;
/** Chunks awaiting a playback report are forgotten beyond this many (a client that never reports). */
const MAX_PENDING_LATENCIES = 4096;
/** The margins of this many recent chunks are kept for the listener's slack reports (10 s of 1024-frame chunks at 48 kHz). */
const SENT_MARGINS = 512;

/** A session's first seconds of audio (first pass, JIT, samples loading, other sessions starting beside it) say nothing about the machine's stalls. */
const WARMUP_SECONDS = 2;

class RenderTimeout extends Error {
  override name = 'RenderTimeout';
}

export class ChunkScheduler {
  private readonly host: ChunkSchedulerHost;
  private readonly lead: LeadController;
  private readonly listener: ListenerClock;
  private readonly latencies = new RecentValues(512);
  private readonly rtfs = new RecentValues(64);
  private pendingLatency: PendingLatency[] = [];
  /** The margin each recent chunk was scheduled with, by start sample (a ring), for slack reports. */
  private readonly sentMargins = new Float64Array(SENT_MARGINS * 2).fill(NaN);
  private sentMarginHead = 0;
  private nextSample: Samples = 0;
  private chunksSent = 0;
  private underrunsReported = 0;
  private rendering = false;
  /** The prompt changed since the last render started: the next chunk re-primes the model. */
  private promptChanged = false;
  private stalledSince: Milliseconds | null = null;
  private pumpTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(host: ChunkSchedulerHost, now: Milliseconds) {
    this.host = host;
    this.lead = new LeadController({ marginMs: host.config.leadMs, fitMargin: host.config.leadFit, maxLeadMs: host.config.maxLeadMs, peakCapMs: host.config.leadHoldMs });
    this.listener = new ListenerClock(host.stream.info.sampleRate, now + this.lead.leadMs(0, now));
  }

  /** The lead the next chunk would get (ms). */
  leadMs(now: Milliseconds): Milliseconds {
    return this.lead.leadMs(this.listener.outputLatencyMs, now);
  }

  /** Latency, RTF, underruns and lead for the `stats` message. */
  stats(now: Milliseconds): Omit<StatsMessage, 'type'> {
    const lat = this.latencies;
    return {
      latencyMs: lat.count > 0 ? { p50: lat.percentile(50), p95: lat.percentile(95), max: lat.max(), count: lat.count } : null,
      rtf: this.rtfs.count > 0 ? this.rtfs.mean() : 0,
      underruns: this.underrunsReported,
      leadMs: this.leadMs(now),
      chunks: this.chunksSent,
    };
  }

  /** The stream's prompt changed: its next chunk does one-off work and is slow for that reason. */
  onPromptChanged(): void {
    this.promptChanged = true;
  }

  stop(): void {
    this.stopped = true;
    if (this.pumpTimer) this.host.timers.cancel(this.pumpTimer);
    this.pumpTimer = null;
  }

  /**
   * A playback report: settles the latency of the chunks heard by now, moves the listener clock,
   * and counts underruns. Throws ProtocolError for numbers that contradict the session's history.
   */
  onPlayback(msg: PlaybackMessage, now: Milliseconds): void {
    const { metrics, clock } = this.host;
    if (msg.sample > this.nextSample) {
      throw new ProtocolError('JSON_SCHEMA', `playback report for sample ${msg.sample}, but only ${this.nextSample} samples were sent`);
    }
    // Each chunk can underrun at most once: a count beyond the chunks sent is a lie.
    if (msg.underruns > this.chunksSent) {
      throw new ProtocolError('REPORT_RANGE', `playback report counts ${msg.underruns} underruns, but only ${this.chunksSent} chunks were sent`);
    }
    if (msg.outputLatencyMs > MAX_OUTPUT_LATENCY_MS) {
      throw new ProtocolError('REPORT_RANGE', `playback report outputLatencyMs is ${msg.outputLatencyMs}; at most ${MAX_OUTPUT_LATENCY_MS}`);
    }
    const heardServerMs = clock.sampleCount > 0 ? clock.toLocal(msg.clientTimeMs) : null;
    if (heardServerMs !== null && Math.abs(heardServerMs - now) > MAX_CLOCK_JUMP_MS) {
      throw new ProtocolError('REPORT_RANGE', `playback report clientTimeMs is ${Math.round((heardServerMs - now) / 1000)} s away from now on this session's clock`);
    }
    const newUnderruns = msg.underruns - this.underrunsReported;
    if (newUnderruns > 0) {
      metrics.underruns.inc(newUnderruns);
      this.lead.recordUnderruns(newUnderruns, now);
      this.underrunsReported = msg.underruns;
    }
    const sampleRate = this.listener.sampleRate;
    // Latency needs no clock offset: capture time and heard time are both on the client clock.
    const heardClientMs = (n: Samples): Milliseconds => msg.clientTimeMs - ((msg.sample - n) / sampleRate) * 1000;
    let resolved = 0;
    for (const p of this.pendingLatency) {
      if (p.startSample > msg.sample) break;
      const latencyMs = heardClientMs(p.startSample) - p.captureMs;
      if (latencyMs >= 0 && latencyMs < 60_000) {
        this.latencies.push(latencyMs);
        metrics.latency.observe(latencyMs / 1000);
      }
      resolved++;
    }
    this.pendingLatency.splice(0, resolved);
    if (heardServerMs !== null) this.listener.update(msg.sample, heardServerMs, msg.outputLatencyMs);
    if (msg.leastSlack) this.onSlack(msg.leastSlack.sample, msg.leastSlack.ms);
  }

  /** A listener's least-slack chunk: what it took of the margin it was sent with fits the margin (start-up chunks say nothing about the link). */
  private onSlack(sample: Samples, slackMs: Milliseconds): void {
    if (sample >= this.nextSample) throw new ProtocolError('REPORT_RANGE', `playback report leastSlack names sample ${sample}, but no chunk starting there was sent`);
    if (sample < WARMUP_SECONDS * this.listener.sampleRate) return;
    const m = this.sentMargins;
    for (let i = 0; i < SENT_MARGINS; i++) {
      const slot = ((this.sentMarginHead - 1 - i + SENT_MARGINS) % SENT_MARGINS) * 2;
      if (m[slot] === sample) {
        this.lead.recordSlack(m[slot + 1]!, slackMs);
        this.host.metrics.slackReports.inc();
        return;
      }
    }
  }

  /** Generates the next chunk when it is due: `lead` before the listener hears its first sample. */
  pump(): void {
    const { config, timers } = this.host;
    if (this.pumpTimer) timers.cancel(this.pumpTimer);
    this.pumpTimer = null;
    if (this.stopped || this.rendering) return;
    const now = serverNow();
    if (this.host.bufferedBytes() > config.maxBufferedBytes) {
      // The client is not reading: generating more would only grow memory. Wait, then give up.
      this.stalledSince ??= now;
      if (now - this.stalledSince > config.slowConsumerTimeoutMs) {
        this.host.fail('SLOW_CONSUMER', `the client read no audio for ${config.slowConsumerTimeoutMs} ms`);
        return;
      }
      this.pumpTimer = timers.after(20, () => this.pump());
      return;
    }
    this.stalledSince = null;
    const listener = this.listener;
    const leadMs = this.leadMs(now);
    const marginMs = this.lead.marginMs(now);
    if (listener.heardAt(this.nextSample) < now) {
      // The listener's playhead passed us (a stall or a starved client): it will restart playback
      // on arrival, so assume that rather than rushing out audio that is already late, and lead
      // more from now on, as after a reported underrun.
      if (this.chunksSent > 0) this.lead.recordUnderruns(1, now);
      listener.update(this.nextSample, now + leadMs, listener.outputLatencyMs);
    }
    const dueMs = listener.heardAt(this.nextSample) - leadMs;
    if (dueMs > now + 1) {
      this.pumpTimer = timers.after(Math.min(dueMs - now, MAX_TIMER_MS), () => this.pump());
      return;
    }
    this.renderNext(now, Math.min(now, dueMs), leadMs, marginMs).catch((err: unknown) => this.host.crash(err, 'INTERNAL', 'the server failed; this session ended, please start again'));
  }

  /** `dueMs`: when generation should have started (a late timer on a busy machine makes it earlier than `now`). */
  private async renderNext(now: Milliseconds, dueMs: Milliseconds, leadMs: Milliseconds, marginMs: Milliseconds): Promise<void> {
    const { config, metrics, tracker, stream } = this.host;
    const sampleRate = this.listener.sampleRate;
    const frames = config.chunkFrames;
    const controlStepSamples = Math.max(1, Math.round((config.controlStepMs * sampleRate) / 1000));
    const { controls, newestSeq: controlSeq, newestCaptureMs: captureMs, beat } = tracker.forChunk(now, {
      stepMs: config.controlStepMs,
      count: Math.ceil(frames / controlStepSamples),
      timeline: config.beatPrediction ? this.listener : null,
    });
    const startSample = this.nextSample;
    const expectedSlow = startSample < WARMUP_SECONDS * this.listener.sampleRate || this.promptChanged;
    this.promptChanged = false;
    this.rendering = true;
    let chunk;
    let timeout: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timeout = setTimeout(() => reject(new RenderTimeout()), config.renderTimeoutMs);
      });
      chunk = await Promise.race([stream.render({ startSample, frames, controls, controlStepSamples, beat }), timedOut]);
    } catch (err) {
      if (err instanceof RenderTimeout) this.host.crash(err, 'RENDER_TIMEOUT', `the generator delivered no audio within ${config.renderTimeoutMs} ms`);
      else this.host.crash(err, 'INTERNAL', 'generation failed; this session ended, please start again');
      return;
    } finally {
      clearTimeout(timeout);
      this.rendering = false;
    }
    if (this.stopped) return;
    const chunkMs = (frames / sampleRate) * 1000;
    if (chunk.notes) this.host.onNotes(chunk.notes, this.listener.heardAt(startSample));
    this.host.send(
      encodeAudioChunk(
        { startSample, frames, sampleRate, channels: stream.info.channels, format: this.host.format, controlSeq, genStartMs: chunk.genStartMs, genEndMs: chunk.genEndMs },
        chunk.pcm,
      ),
    );
    const slot = this.sentMarginHead * 2;
    this.sentMargins[slot] = startSample;
    this.sentMargins[slot + 1] = marginMs;
    this.sentMarginHead = (this.sentMarginHead + 1) % SENT_MARGINS;
    this.nextSample += frames;
    this.chunksSent++;
    const rtf = (chunk.genEndMs - chunk.genStartMs) / chunkMs;
    this.rtfs.push(rtf);
    const sentAt = serverNow();
    this.lead.recordGeneration(sentAt - dueMs, sentAt, expectedSlow);
    metrics.chunks.inc();
    metrics.rtf.observe(rtf);
    metrics.lead.observe(leadMs / 1000);
    metrics.chunkStages.observe({ stage: 'start' }, Math.max(0, chunk.genStartMs - dueMs) / 1000);
    metrics.chunkStages.observe({ stage: 'render' }, (chunk.genEndMs - chunk.genStartMs) / 1000);
    metrics.chunkStages.observe({ stage: 'reply' }, Math.max(0, sentAt - chunk.genEndMs) / 1000);
    if (controlSeq !== null && captureMs !== null) this.pendingLatency.push({ startSample, captureMs });
    if (this.pendingLatency.length > MAX_PENDING_LATENCIES) this.pendingLatency.shift();
    this.host.onChunk({ startSample, controlSeq, decidedMs: now, controls, pcm: chunk.pcm, state: chunk.state });
    this.pump();
  }
}
