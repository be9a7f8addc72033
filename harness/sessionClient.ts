/**
 * A Node client for one session, built on protocol/: streams a performer's landmark frames at
 * their real pace, answers clock pings, plays the returned audio on a virtual listener and sends
 * playback reports, like the browser client does. Used by the end-to-end tests and the harness.
 */
import WebSocket from 'ws';
import { decodeAudioChunk, type AudioChunkHeader, type AudioFormat } from '../protocol/audioChunk.js';
import { encodeLandmarkFrame } from '../protocol/landmarkFrame.js';
import type { LandmarkFrame } from '../protocol/landmarkTypes.js';
import {
  encodeMessage,
  parseServerMessage,
  type ClientMessage,
  type ControlsMessage,
  type InstrumentKind,
  type ErrorMessage,
  type ReadyMessage,
  type StatsMessage,
} from '../protocol/messages.js';
import { percentile } from '../protocol/statistics.js';
import { SUPPORTED_VERSIONS } from '../protocol/version.js';
import type { Milliseconds } from '../protocol/units.js';
import { abortableSleep } from './abortableSleep.js';
import type { Onset } from './analysis/onsets.js';
import type { FrameFeed } from './frameFeed.js';
import { HeardLowOnsets } from './heardOnsets.js';
import { VirtualListener, type ScheduledChunk, type VirtualListenerOptions } from './virtualListener.js';

export interface SessionClientOptions {
  /** ws:// URL of the server's /ws endpoint. */
  url: string;
  /** The landmark frames to stream (a synthetic performer or a recording). */
  feed: FrameFeed;
  prompt: string;
  pack?: string;
  format: AudioFormat;
  seed?: number;
  record?: boolean;
  /** Instruments to ask for (symbolic packs). */
  instruments?: InstrumentKind;
  /** Protocol versions the hello offers (all this code speaks when absent; [1] plays an old client). */
  versions?: readonly number[];
  /** This client's clock runs this far from the server's (ms), to prove offsets are handled. */
  clockOffsetMs: Milliseconds;
  /** How often playback reports go out (ms). */
  reportIntervalMs: Milliseconds;
  listener: Partial<VirtualListenerOptions>;
  /** Keep the PCM of every chunk (tests); off for load runs (beat alignment needs only `heardLowOnsets`, kept with the chunks). */
  keepAudio: boolean;
  /**
   * Keep every received chunk, stats and controls message in the result; off for soak runs (use
   * onChunk instead): then only the latest stats and controls are kept, so a long run's harness
   * does not grow (and its GC does not steal the cores it measures).
   */
  keepChunks: boolean;
  /** Called for every chunk as it is scheduled. */
  onChunk?: (chunk: ReceivedChunk) => void;
  /** Extra HTTP headers for the upgrade (e.g. Origin). */
  headers?: Record<string, string>;
}

/** Stats and controls messages kept when `keepChunks` is off. */
const RECENT_MESSAGES_KEPT = 64;

export const SESSION_CLIENT_DEFAULTS: Omit<SessionClientOptions, 'url' | 'feed'> = {
  prompt: '',
  format: 's16',
  clockOffsetMs: 123_456,
  reportIntervalMs: 500,
  listener: {},
  keepAudio: true,
  keepChunks: true,
};

/**
 * Where a chunk's time went, on the server's clock (ms): how long before it was needed its render
 * started (less than the lead when the timer, the worker's queue or the main thread held it), the
 * render itself, and the way back (reply to the main thread, encoding, the socket, this process).
 * slack = startAheadMs - renderMs - deliveryMs.
 */
export interface ChunkTiming {
  startAheadMs: Milliseconds;
  renderMs: Milliseconds;
  deliveryMs: Milliseconds;
}

export interface ReceivedChunk extends ScheduledChunk {
  pcm: Float32Array | null;
  /** Client-side control-to-audio latency: heard time of the first sample minus the capture time of the control frame it used. */
  latencyMs: Milliseconds | null;
  /** Null for the first chunk, or before the server's first ping told the clocks apart. */
  timing: ChunkTiming | null;
}

export interface SessionResult {
  ready: ReadyMessage | null;
  chunks: ReceivedChunk[];
  errors: ErrorMessage[];
  stats: StatsMessage[];
  controls: ControlsMessage[];
  framesSent: number;
  closeCode: number | null;
  closeReason: string;
  underruns: number;
  underrunMs: Milliseconds;
  discontinuities: number;
  /** Low-band onsets of the audio heard, on the client clock (beat alignment); empty when chunks are not kept. */
  heardLowOnsets: Onset[];
  /** Client time when streaming started (feed time 0), and when the first audio is heard. */
  startedMs: Milliseconds;
  firstAudioHeardMs: Milliseconds | null;
}

export class SessionClient {
  readonly options: SessionClientOptions;
  private readonly ws: WebSocket;
  private readonly listener: VirtualListener;
  private readonly captureTimes = new Map<number, Milliseconds>();
  private readonly timers: NodeJS.Timeout[] = [];
  private frameTimer: NodeJS.Timeout | null = null;
  private seq = 0;
  /**
   * Server clock minus this client's, less the one-way delay of the quickest ping so far (the
   * server stamps each ping when it sends it); null before the first.
   */
  private serverAheadMs: Milliseconds | null = null;
  /** Decoded samples when they are not kept (keepAudio off), grown to the largest chunk so far. */
  private scratch: Float32Array = new Float32Array(0);
  /** The heard audio's low-band onsets, while chunks are kept (a soak keeps neither). */
  private readonly heard: HeardLowOnsets | null;
  private readonly result: SessionResult;
  private readonly closed: Promise<void>;

  constructor(options: Partial<SessionClientOptions> & Pick<SessionClientOptions, 'url' | 'feed'>) {
    this.options = { ...SESSION_CLIENT_DEFAULTS, ...options };
    this.listener = new VirtualListener(this.options.listener);
    this.result = {
      ready: null, chunks: [], errors: [], stats: [], controls: [], framesSent: 0, closeCode: null, closeReason: '',
      underruns: 0, underrunMs: 0, discontinuities: 0, heardLowOnsets: [], startedMs: this.now(), firstAudioHeardMs: null,
    };
    this.heard = this.options.keepChunks ? new HeardLowOnsets() : null;
    this.ws = new WebSocket(this.options.url, { headers: this.options.headers ?? {} });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('open', () => this.onOpen());
    this.ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        this.result.closeCode = code;
        this.result.closeReason = reason.toString();
        this.stopTimers();
        resolve();
      });
      this.ws.on('error', () => undefined); // the close event follows with the code
    });
  }

  /** The client's clock (deliberately offset from the server's). */
  now(): Milliseconds {
    return performance.now() + this.options.clockOffsetMs;
  }

  send(msg: ClientMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeMessage(msg));
  }

  sendRaw(data: Buffer | string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  /** Streams for `durationMs` (less if `signal` aborts or the server closes first), then sends stop and waits for the close. */
  async run(durationMs: Milliseconds, signal?: AbortSignal): Promise<SessionResult> {
    const serverClosed = new AbortController();
    void this.closed.then(() => serverClosed.abort());
    await abortableSleep(durationMs, signal ? AbortSignal.any([signal, serverClosed.signal]) : serverClosed.signal);
    this.send({ type: 'stop' });
    return this.finish();
  }

  /** Drops the connection without a close handshake (a crashed or unplugged client). */
  terminate(): void {
    this.ws.terminate();
  }

  /** Waits for the connection to close (or closes it after `timeoutMs`). */
  async finish(timeoutMs = 2000): Promise<SessionResult> {
    const t = setTimeout(() => this.ws.terminate(), timeoutMs);
    await this.closed;
    clearTimeout(t);
    this.result.underruns = this.listener.underruns;
    this.result.underrunMs = this.listener.underrunMs;
    this.result.discontinuities = this.listener.discontinuities;
    this.result.heardLowOnsets = this.heard?.onsets() ?? [];
    return this.result;
  }

  private onOpen(): void {
    const { prompt, pack, format, seed, record, instruments, versions } = this.options;
    this.send({
      type: 'hello',
      versions: [...(versions ?? SUPPORTED_VERSIONS)],
      prompt,
      audio: { format },
      client: 'expotion-harness',
      ...(pack !== undefined ? { pack } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(record !== undefined ? { record } : {}),
      ...(instruments !== undefined ? { instruments } : {}),
    });
  }

  private startStreaming(): void {
    const start = this.now();
    this.result.startedMs = start;
    const sendNext = (): void => {
      const item = this.options.feed.next();
      if (!item) return;
      this.frameTimer = setTimeout(() => {
        const frame: LandmarkFrame = { ...item.frame, seq: this.seq++, captureTimeMs: this.now() };
        this.captureTimes.set(frame.seq, frame.captureTimeMs);
        this.captureTimes.delete(frame.seq - 1000);
        this.sendRaw(Buffer.from(encodeLandmarkFrame(frame)));
        this.result.framesSent++;
        sendNext();
      }, Math.max(0, start + item.atMs - this.now()));
    };
    sendNext();
    this.timers.push(
      setInterval(() => {
        if (this.listener.started) this.send(this.listener.report(this.now()));
      }, this.options.reportIntervalMs),
    );
  }

  private keep<T>(list: T[], msg: T): void {
    list.push(msg);
    if (!this.options.keepChunks && list.length > RECENT_MESSAGES_KEPT) list.shift();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    try {
      this.handleMessage(data, isBinary);
    } catch (err) {
      // A server that breaks the protocol is a finding, not a reason for the harness to crash.
      this.result.errors.push({ type: 'error', code: 'INVALID_SERVER_MESSAGE', message: (err as Error).message.slice(0, 500) });
    }
  }

  private handleMessage(data: Buffer, isBinary: boolean): void {
    const now = this.now();
    if (isBinary) {
      const { header, pcm } = decodeAudioChunk(data, this.options.keepAudio ? undefined : this.scratch);
      // Without keepAudio the samples are checked and dropped: one buffer serves every chunk.
      if (!this.options.keepAudio && pcm.buffer !== this.scratch.buffer) this.scratch = pcm;
      const scheduled = this.listener.receive(header, now, (report) => this.send(report));
      const capture = header.controlSeq === null ? undefined : this.captureTimes.get(header.controlSeq);
      const chunk: ReceivedChunk = {
        ...scheduled,
        pcm: this.options.keepAudio ? pcm : null,
        latencyMs: capture === undefined ? null : scheduled.heardMs - capture,
        timing: chunkTiming(scheduled, this.serverAheadMs),
      };
      if (this.options.keepChunks) this.result.chunks.push(chunk);
      this.heard?.add(header, pcm, scheduled.heardMs);
      this.options.onChunk?.(chunk);
      this.result.firstAudioHeardMs ??= scheduled.heardMs;
      return;
    }
    const msg = parseServerMessage(data.toString('utf8'));
    switch (msg.type) {
      case 'ready':
        this.result.ready = msg;
        this.listener.reportsSlack = msg.version >= 2;
        this.startStreaming();
        return;
      case 'ping':
        this.serverAheadMs = Math.max(this.serverAheadMs ?? -Infinity, msg.t - now);
        this.send({ type: 'pong', id: msg.id, t: msg.t, recvMs: now, sendMs: this.now() });
        return;
      case 'error':
        this.result.errors.push(msg);
        return;
      case 'stats':
        this.keep(this.result.stats, msg);
        return;
      case 'controls':
        this.keep(this.result.controls, msg);
        return;
      case 'pong':
        return;
    }
  }

  private stopTimers(): void {
    for (const t of this.timers) clearInterval(t);
    if (this.frameTimer) clearTimeout(this.frameTimer);
  }
}

/** A chunk's real-time factor: its generation time over its audio time, from its header. */
export function chunkRtf(h: AudioChunkHeader): number {
  return (h.genEndMs - h.genStartMs) / ((h.frames / h.sampleRate) * 1000);
}

/** A chunk's timing from its header's generation times and when it arrived and was needed here. */
export function chunkTiming(chunk: ScheduledChunk, serverAheadMs: Milliseconds | null): ChunkTiming | null {
  if (chunk.slackMs === null || serverAheadMs === null) return null;
  const { genStartMs, genEndMs } = chunk.header;
  const arrivedMs = chunk.arrivalMs + serverAheadMs;
  return { startAheadMs: arrivedMs + chunk.slackMs - genStartMs, renderMs: genEndMs - genStartMs, deliveryMs: arrivedMs - genEndMs };
}

/** The median of each part over some chunks' timings; null for none. */
export function medianTiming(timings: readonly ChunkTiming[]): ChunkTiming | null {
  if (timings.length === 0) return null;
  const median = (key: keyof ChunkTiming): number => percentile(timings.map((t) => t[key]), 50);
  return { startAheadMs: median('startAheadMs'), renderMs: median('renderMs'), deliveryMs: median('deliveryMs') };
}

export const LATE_CAUSES = ['start', 'render', 'delivery'] as const;
export type LateCause = (typeof LATE_CAUSES)[number];

/**
 * Which part made a late chunk late: the one furthest beyond its typical value (`typical`: e.g. the
 * window's medians). `start`: its render began later than usual before it was needed (timer,
 * worker busy with other sessions, main thread); `render`: the render ran long; `delivery`: the
 * way back (main thread, socket, or this process's own stalls).
 */
export function lateCause(t: ChunkTiming, typical: ChunkTiming): LateCause {
  const excess: [LateCause, number][] = [
    ['start', typical.startAheadMs - t.startAheadMs],
    ['render', t.renderMs - typical.renderMs],
    ['delivery', t.deliveryMs - typical.deliveryMs],
  ];
  return excess.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
}

/** How many of the `late` chunks' timings each cause explains, against `typical` (none counted without it). */
export function lateCauseCounts(late: readonly ChunkTiming[], typical: ChunkTiming | null): Record<LateCause, number> {
  const counts = Object.fromEntries(LATE_CAUSES.map((c) => [c, 0])) as Record<LateCause, number>;
  if (typical) for (const t of late) counts[lateCause(t, typical)]++;
  return counts;
}
