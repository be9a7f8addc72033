/**
 * One performer's session, one per WebSocket connection: the hello handshake, landmark frames
 * into the control tracker, clock sync, the streaming scheduler (generate each chunk just ahead
 * of the listener's playhead), control-to-audio latency from playback reports, recording.
 *
 * State machine: awaiting-hello -> opening (stream being created in a worker) -> streaming -> closed.
 *
 * Error boundary: every socket event, timer and promise continuation of a session runs through
 * `guard`, so nothing a client sends or a worker does can throw past the session. A bad message
 * is rejected (an `error` reply, the session goes on); anything else that fails ends this
 * session only, with 1011 and a log line and a metric, and every other session keeps streaming.
 * Every number a client sends is checked against the session's own history before it steers a
 * timer or a clock.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { encodeAudioChunk, type AudioFormat } from '../protocol/audioChunk.js';
import { CONTROL_NAMES, CONTROL_VERSION, controlsToRecord } from '../protocol/controlVector.js';
import { CloseCode, ProtocolError, closeCodeForError, type CloseCodeValue, type ErrorCode } from '../protocol/errors.js';
import { decodeLandmarkFrame } from '../protocol/landmarkFrame.js';
import {
  clipText,
  encodeMessage,
  MAX_ERROR_MESSAGE_CHARS,
  SCENE_MESSAGE_VERSION,
  parseClientMessage,
  type HelloMessage,
  type PlaybackMessage,
  type PongMessage,
  type ServerMessage,
} from '../protocol/messages.js';
import type { Milliseconds, Samples } from '../protocol/units.js';
import { negotiateVersion } from '../protocol/version.js';
import { serverNow } from './clock.js';
import type { ServerConfig } from './config.js';
import { ClockSync } from './controls/clockSync.js';
import { ControlTracker } from './controls/controlTracker.js';
import type { BeatGrid, MusicState, PackInfo } from './generation/engine.js';
import type { RemoteStream, WorkerPool } from './generation/workerPool.js';
import { RecentValues } from './latencyStats.js';
import { LeadController } from './leadController.js';
import { ListenerClock } from './listenerClock.js';
import type { ServerMetrics } from './metrics.js';
import { RateLimiter } from './rateLimiter.js';
import type { SceneImaginer } from './scene/sceneImaginer.js';
import { createSessionScene } from './scene/sessionScene.js';
import { SessionRecorder } from './sessionRecorder.js';

/** The transport a session needs (a ws WebSocket satisfies it; tests can supply their own). */
export interface SessionSocket {
  /** Bytes queued but not yet written to the network. */
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  close(code: number, reason: string): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

const SOCKET_OPEN = 1;

export interface SessionDeps {
  config: ServerConfig;
  metrics: ServerMetrics;
  pool: WorkerPool;
  log: Logger;
  packs: readonly PackInfo[];
  onClosed(session: Session): void;
}

type SessionState = 'awaiting-hello' | 'opening' | 'streaming' | 'closed';

/** A chunk whose control-to-audio latency is known once the listener reports hearing it. */
interface PendingLatency {
  startSample: Samples;
  captureMs: Milliseconds;
}

/** At most this many `error` replies per second; beyond it bad messages are only counted. */
const MAX_ERROR_REPLIES_PER_SECOND = 5;
/** The first clock pings go this fast, so the offset is known within the first half second. */
const FAST_PINGS = 5;
const FAST_PING_INTERVAL_MS = 100;
/**
 * A frame's capture time, a playback report's time or a clock sample may move against the
 * session's own history by at most this much (ms): clocks drift by milliseconds an hour and
 * networks delay by seconds, so a jump of minutes is a lie, not a clock.
 */
const MAX_CLOCK_JUMP_MS = 60_000;
/** Largest output latency a playback report may claim (ms): no audio device buffers more. */
const MAX_OUTPUT_LATENCY_MS = 5_000;
/** No session timer waits longer than this (ms); a far-off deadline is re-checked instead (Node clamps > 2^31 ms to 1 ms). */
const MAX_TIMER_MS = 1_000;
/** How often the idle and session-length limits are checked (ms). */
const WATCHDOG_INTERVAL_MS = 1_000;

export class Session {
  readonly id = randomBytes(8).toString('hex');
  private state: SessionState = 'awaiting-hello';
  private readonly log: Logger;
  private readonly limiter: RateLimiter;
  private readonly errorReplies: RateLimiter;
  private readonly clock = new ClockSync();
  private readonly tracker: ControlTracker;
  private readonly lead: LeadController;
  private readonly latencies = new RecentValues(512);
  private readonly rtfs = new RecentValues(64);
  private pendingLatency: PendingLatency[] = [];
  private stream: RemoteStream | null = null;
  private listener: ListenerClock | null = null;
  private recorder: SessionRecorder | null = null;
  private format: AudioFormat = 'f32';
  private nextSample: Samples = 0;
  private rendering = false;
  private stalledSince: Milliseconds | null = null;
  private chunksSent = 0;
  private underrunsReported = 0;
  private music: MusicState | null = null;
  private scene: SceneImaginer | null = null;
  private readonly outstandingPings = new Map<number, Milliseconds>();
  private pingsSent = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private pumpTimer: NodeJS.Timeout | null = null;
  private readonly openedMs: Milliseconds;
  /** Server time of the last message of any kind (the idle limit). */
  private lastInputMs: Milliseconds;
  /** arrival - capture of the first accepted frame: later frames must stay near it. */
  private frameClockAnchor: Milliseconds | null = null;

  constructor(
    private readonly ws: SessionSocket,
    private readonly deps: SessionDeps,
    readonly remote: string,
  ) {
    const now = serverNow();
    this.openedMs = now;
    this.lastInputMs = now;
    this.log = deps.log.child({ session: this.id });
    this.limiter = new RateLimiter(deps.config.maxMessagesPerSecond, deps.config.messageBurst, now);
    this.errorReplies = new RateLimiter(MAX_ERROR_REPLIES_PER_SECOND, MAX_ERROR_REPLIES_PER_SECOND, now);
    this.tracker = new ControlTracker({ clock: this.clock });
    this.lead = new LeadController({ marginMs: deps.config.leadMs, maxLeadMs: deps.config.maxLeadMs });
    this.log.info({ remote }, 'connection opened');

    ws.on('message', (data, isBinary) => this.guard(() => this.onMessage(data, isBinary)));
    ws.on('close', (code, reason) => this.guard(() => this.onClosed(code, reason.toString())));
    ws.on('error', (err) => this.guard(() => this.onSocketError(err)));
    this.after(deps.config.helloTimeoutMs, () => {
      if (this.state === 'awaiting-hello') this.fail('HELLO_TIMEOUT', `no hello within ${deps.config.helloTimeoutMs} ms`);
    });
    this.every(WATCHDOG_INTERVAL_MS, () => this.watchdog());
  }

  /** Ends the session from the server side (shutdown, admin). */
  close(code: CloseCodeValue, reason: string): void {
    if (this.state === 'closed') return;
    try {
      this.ws.close(code, reason);
    } catch (err) {
      this.log.warn({ err }, 'could not send the close frame');
    }
    this.onClosed(code, reason);
  }

  /** Runs a callback of this session; whatever it throws ends this session, never the process. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.crash(err);
    }
  }

  /** A failure inside the session (a bug, a dead worker): 1011 with a readable reason, logged and counted. */
  private crash(err: unknown, code: ErrorCode = 'INTERNAL', message = 'the server failed; this session ended, please start again'): void {
    if (this.state === 'closed') return;
    this.log.error({ err }, 'session failed');
    this.deps.metrics.sessionFailures.inc({ reason: code });
    try {
      this.fail(code, message);
    } catch (again) {
      this.log.error({ err: again }, 'could not report the failure');
      this.onClosed(CloseCode.internalError, message);
    }
  }

  /** Idle clients and the optional session length limit. */
  private watchdog(): void {
    const now = serverNow();
    const { idleTimeoutMs, maxSessionMs } = this.deps.config;
    if (now - this.lastInputMs > idleTimeoutMs) {
      this.fail('IDLE_TIMEOUT', `nothing received for ${Math.round(idleTimeoutMs / 1000)} s`);
    } else if (maxSessionMs > 0 && now - this.openedMs > maxSessionMs) {
      this.fail('SESSION_TOO_LONG', `sessions on this server last at most ${Math.round(maxSessionMs / 1000)} s`);
    }
  }

  // -- input --------------------------------------------------------------------------------

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.state === 'closed') return;
    const now = serverNow();
    this.lastInputMs = now;
    if (!this.limiter.take(now)) {
      this.fail('RATE_LIMITED', `more than ${this.deps.config.maxMessagesPerSecond} messages per second`);
      return;
    }
    try {
      if (isBinary) this.onBinary(data, now);
      else this.onJson(data.toString('utf8'), now);
    } catch (err) {
      if (err instanceof ProtocolError) {
        if (closeCodeForError(err.code) === null) this.reject(err.code, err.message);
        else this.fail(err.code, err.message);
      } else {
        this.log.error({ err }, 'message handler failed');
        this.reject('INTERNAL', 'the server failed to handle that message');
      }
    }
  }

  private onBinary(data: Buffer, now: Milliseconds): void {
    if (this.state === 'awaiting-hello') throw new ProtocolError('HELLO_REQUIRED', 'send hello before landmark frames');
    const frame = decodeLandmarkFrame(data);
    this.checkFrameClock(frame.captureTimeMs, now);
    const result = this.tracker.push(frame, now);
    this.deps.metrics.framesIn.inc({ result });
    this.recorder?.frame(data, now);
  }

  /** A capture time may not jump against the session's own history (seq and range are the codec's). */
  private checkFrameClock(captureTimeMs: Milliseconds, now: Milliseconds): void {
    const delay = now - captureTimeMs;
    if (this.frameClockAnchor === null) {
      this.frameClockAnchor = delay;
      return;
    }
    const jump = this.frameClockAnchor - delay;
    if (Math.abs(jump) > MAX_CLOCK_JUMP_MS) {
      throw new ProtocolError('FRAME_TIME', `landmark frame captureTimeMs ${captureTimeMs} jumps ${Math.round(jump / 1000)} s against this session's clock; frames must keep one clock`);
    }
  }

  private onJson(text: string, now: Milliseconds): void {
    const msg = parseClientMessage(text);
    if (msg.type === 'hello') {
      this.onHello(msg);
      return;
    }
    if (this.state === 'awaiting-hello') throw new ProtocolError('HELLO_REQUIRED', `send hello before ${msg.type}`);
    switch (msg.type) {
      case 'prompt':
        this.stream?.setPrompt(msg.text);
        this.scene?.setPrompt(msg.text);
        this.recorder?.event('prompt', { text: msg.text });
        return;
      case 'ping':
        this.send({ type: 'pong', id: msg.id, t: msg.t, recvMs: now, sendMs: serverNow() });
        return;
      case 'pong':
        this.onPong(msg, now);
        return;
      case 'playback':
        this.onPlayback(msg, now);
        return;
      case 'stop':
        this.close(CloseCode.normal, 'stopped by client');
        return;
    }
  }

  private onHello(hello: HelloMessage): void {
    if (this.state !== 'awaiting-hello') throw new ProtocolError('HELLO_REPEATED', 'hello was already received; send prompt to change the prompt');
    const version = negotiateVersion(hello.versions);
    if (version === null) {
      this.fail('VERSION_UNSUPPORTED', `protocol versions ${hello.versions.join(', ')} are not supported; this server speaks ${1}`);
      return;
    }
    const packName = hello.pack ?? this.deps.config.pack;
    const pack = this.deps.packs.find((p) => p.name === packName);
    if (!pack) {
      this.reject('UNKNOWN_PACK', `pack ${JSON.stringify(packName)} is not installed; installed: ${this.deps.packs.map((p) => p.name).join(', ')}`);
      this.close(CloseCode.policyViolation, 'unknown pack');
      return;
    }
    this.state = 'opening';
    this.format = hello.audio?.format ?? 'f32';
    const seed = hello.seed ?? randomInt(0, 2 ** 32);
    this.deps.pool.openStream(pack.name, hello.prompt, seed).then(
      (stream) => this.guard(() => this.onStreamOpen(stream, hello, version, seed)),
      (err: unknown) => this.crash(err, 'INTERNAL', `could not start pack ${pack.name}`),
    );
  }

  private onStreamOpen(stream: RemoteStream, hello: HelloMessage, version: number, seed: number): void {
    if (this.state !== 'opening') {
      stream.close();
      return;
    }
    this.stream = stream;
    const { config } = this.deps;
    const info = stream.info;
    if (hello.record) this.startRecording(hello, seed, info);
    const now = serverNow();
    this.listener = new ListenerClock(info.sampleRate, now + this.lead.leadMs(0, now));
    this.state = 'streaming';
    this.deps.metrics.sessions.inc();
    this.deps.metrics.sessionsOpened.inc();
    this.send({
      type: 'ready',
      version,
      sessionId: this.id,
      pack: info.name,
      packs: this.deps.packs.map((p) => p.name),
      sampleRate: info.sampleRate,
      channels: info.channels as 1 | 2,
      format: this.format,
      chunkFrames: config.chunkFrames,
      leadMs: this.lead.leadMs(0, now),
      controlVersion: CONTROL_VERSION,
      controlNames: [...CONTROL_NAMES],
      serverTimeMs: now,
    });
    this.log.info({ pack: info.name, seed, prompt: hello.prompt, client: hello.client, record: this.recorder?.dir }, 'session started');
    this.ping();
    this.every(config.controlsIntervalMs, () => this.sendControls());
    this.every(config.statsIntervalMs, () => this.sendStats());
    this.scene = createSessionScene({
      config,
      metrics: this.deps.metrics,
      log: this.log,
      sampleRate: info.sampleRate,
      channels: info.channels,
      prompt: hello.prompt,
      send: (s) => this.send({ type: 'scene', version: SCENE_MESSAGE_VERSION, caption: s.caption, source: s.source, serverTimeMs: serverNow() }),
    });
    this.pump();
  }

  /** The operator's record folder, quotas and free-space floor; a recording that cannot start or must stop never touches the music. */
  private startRecording(hello: HelloMessage, seed: number, info: PackInfo): void {
    const { config, metrics } = this.deps;
    if (config.recordDir === null) {
      this.reject('RECORDING_DISABLED', 'this server does not record sessions (the operator has not set a record directory)');
      return;
    }
    const onStop = (reason: string): void => {
      metrics.recordingsStopped.inc();
      this.log.warn({ reason }, 'recording stopped');
      if (this.state !== 'closed') this.reject('RECORDING_FAILED', `recording stopped: ${reason}; the music goes on`);
    };
    try {
      this.recorder = new SessionRecorder(
        config.recordDir,
        { sessionId: this.id, pack: info.name, prompt: hello.prompt, seed, sampleRate: info.sampleRate, channels: info.channels, startedAt: new Date().toISOString() },
        { maxBytes: config.recordMaxBytes, maxMs: config.recordMaxMinutes * 60_000, minFreeBytes: config.recordMinFreeBytes, onStop },
      );
    } catch (err) {
      metrics.recordingsStopped.inc();
      this.log.warn({ err: (err as Error).message }, 'could not start a recording');
      this.reject('RECORDING_FAILED', `this session is not recorded: ${(err as Error).message}`);
    }
  }

  private onPong(msg: PongMessage, now: Milliseconds): void {
    const sentAt = this.outstandingPings.get(msg.id);
    if (sentAt === undefined || sentAt !== msg.t) throw new ProtocolError('JSON_SCHEMA', `pong ${msg.id} answers no ping of this session`);
    this.outstandingPings.delete(msg.id);
    if (!(msg.sendMs >= msg.recvMs && msg.sendMs - msg.recvMs <= now - msg.t)) {
      throw new ProtocolError('REPORT_RANGE', `pong ${msg.id} says it was held ${msg.sendMs - msg.recvMs} ms, longer than its round trip`);
    }
    if (this.clock.sampleCount > 0) {
      const offset = (msg.t - msg.recvMs + (now - msg.sendMs)) / 2;
      if (Math.abs(offset - this.clock.offsetMs) > MAX_CLOCK_JUMP_MS) {
        throw new ProtocolError('REPORT_RANGE', `pong ${msg.id} moves the client clock by ${Math.round((offset - this.clock.offsetMs) / 1000)} s; a clock does not jump`);
      }
    }
    this.clock.addSample(msg.t, msg.recvMs, msg.sendMs, now);
  }

  private onPlayback(msg: PlaybackMessage, now: Milliseconds): void {
    const listener = this.listener;
    if (!listener) throw new ProtocolError('JSON_SCHEMA', 'playback report before any audio was sent');
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
    const heardServerMs = this.clock.sampleCount > 0 ? this.clock.toLocal(msg.clientTimeMs) : null;
    if (heardServerMs !== null && Math.abs(heardServerMs - now) > MAX_CLOCK_JUMP_MS) {
      throw new ProtocolError('REPORT_RANGE', `playback report clientTimeMs is ${Math.round((heardServerMs - now) / 1000)} s away from now on this session's clock`);
    }
    const newUnderruns = msg.underruns - this.underrunsReported;
    if (newUnderruns > 0) {
      this.deps.metrics.underruns.inc(newUnderruns);
      this.lead.recordUnderruns(newUnderruns, now);
      this.underrunsReported = msg.underruns;
    }
    const sampleRate = listener.sampleRate;
    // Latency needs no clock offset: capture time and heard time are both on the client clock.
    const heardClientMs = (n: Samples): Milliseconds => msg.clientTimeMs - ((msg.sample - n) / sampleRate) * 1000;
    let resolved = 0;
    for (const p of this.pendingLatency) {
      if (p.startSample > msg.sample) break;
      const latencyMs = heardClientMs(p.startSample) - p.captureMs;
      if (latencyMs >= 0 && latencyMs < 60_000) {
        this.latencies.push(latencyMs);
        this.deps.metrics.latency.observe(latencyMs / 1000);
      }
      resolved++;
    }
    this.pendingLatency.splice(0, resolved);
    if (heardServerMs !== null) listener.update(msg.sample, heardServerMs, msg.outputLatencyMs);
    const { type: _, ...report } = msg;
    this.recorder?.event('playback', report);
  }

  // -- the streaming scheduler --------------------------------------------------------------

  /** Generates the next chunk when it is due: `lead` before the listener hears its first sample. */
  private pump(): void {
    if (this.pumpTimer) this.cancel(this.pumpTimer);
    this.pumpTimer = null;
    if (this.state !== 'streaming' || this.rendering) return;
    const { config } = this.deps;
    const now = serverNow();
    if (this.ws.bufferedAmount > config.maxBufferedBytes) {
      // The client is not reading: generating more would only grow memory. Wait, then give up.
      this.stalledSince ??= now;
      if (now - this.stalledSince > config.slowConsumerTimeoutMs) {
        this.fail('SLOW_CONSUMER', `the client read no audio for ${config.slowConsumerTimeoutMs} ms`);
        return;
      }
      this.pumpTimer = this.after(20, () => this.pump());
      return;
    }
    this.stalledSince = null;
    const listener = this.listener!;
    const leadMs = this.lead.leadMs(listener.outputLatencyMs, now);
    if (listener.heardAt(this.nextSample) < now) {
      // The listener's playhead passed us (a stall or a starved client): it will restart playback
      // on arrival, so assume that rather than rushing out audio that is already late, and lead
      // more from now on, as after a reported underrun.
      if (this.chunksSent > 0) this.lead.recordUnderruns(1, now);
      listener.update(this.nextSample, now + leadMs, listener.outputLatencyMs);
    }
    const dueMs = listener.heardAt(this.nextSample) - leadMs;
    if (dueMs > now + 1) {
      this.pumpTimer = this.after(Math.min(dueMs - now, MAX_TIMER_MS), () => this.pump());
      return;
    }
    this.renderNext(now, Math.min(now, dueMs), leadMs).catch((err: unknown) => this.crash(err));
  }

  /** `dueMs`: when generation should have started (a late timer on a busy machine makes it earlier than `now`). */
  private async renderNext(now: Milliseconds, dueMs: Milliseconds, leadMs: Milliseconds): Promise<void> {
    const { config, metrics } = this.deps;
    const listener = this.listener!;
    const stream = this.stream!;
    const sampleRate = listener.sampleRate;
    const frames = config.chunkFrames;
    const controlStepSamples = Math.max(1, Math.round((config.controlStepMs * sampleRate) / 1000));
    const controls = this.tracker.resample(now, config.controlStepMs, Math.ceil(frames / controlStepSamples));
    const controlSeq = this.tracker.newestSeq;
    const captureMs = this.tracker.newestCaptureMs;
    const startSample = this.nextSample;
    this.rendering = true;
    let chunk;
    let timeout: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timeout = setTimeout(() => reject(new RenderTimeout()), config.renderTimeoutMs);
      });
      chunk = await Promise.race([stream.render({ startSample, frames, controls, controlStepSamples, beat: this.beatGrid(now) }), timedOut]);
    } catch (err) {
      if (err instanceof RenderTimeout) this.crash(err, 'RENDER_TIMEOUT', `the generator delivered no audio within ${config.renderTimeoutMs} ms`);
      else this.crash(err, 'INTERNAL', 'generation failed; this session ended, please start again');
      return;
    } finally {
      clearTimeout(timeout);
      this.rendering = false;
    }
    if (this.state !== 'streaming') return;
    const chunkMs = (frames / sampleRate) * 1000;
    this.send(
      encodeAudioChunk(
        {
          startSample,
          frames,
          sampleRate,
          channels: stream.info.channels,
          format: this.format,
          controlSeq,
          genStartMs: chunk.genStartMs,
          genEndMs: chunk.genEndMs,
        },
        chunk.pcm,
      ),
    );
    this.nextSample += frames;
    this.chunksSent++;
    this.music = chunk.state;
    this.scene?.observe(chunk.state, chunk.pcm, controls[controls.length - 1]!, serverNow());
    const rtf = (chunk.genEndMs - chunk.genStartMs) / chunkMs;
    this.rtfs.push(rtf);
    this.lead.recordGeneration(serverNow() - dueMs);
    metrics.chunks.inc();
    metrics.rtf.observe(rtf);
    metrics.lead.observe(leadMs / 1000);
    if (controlSeq !== null && captureMs !== null) this.pendingLatency.push({ startSample, captureMs });
    if (this.pendingLatency.length > 4096) this.pendingLatency.shift(); // a client that never reports playback
    this.recorder?.chunk(startSample, controlSeq, now, controls[0]!, chunk.pcm);
    this.pump();
  }

  /** The performer's beat, mapped onto the audio timeline: onsets there are heard on their beats. */
  private beatGrid(now: Milliseconds): BeatGrid | null {
    const beat = this.deps.config.beatPrediction ? this.tracker.beat(now) : null;
    if (!beat) return null;
    const listener = this.listener!;
    return {
      anchorSample: listener.sampleAt(beat.nextBeatServerMs),
      periodSamples: (beat.periodMs / 1000) * listener.sampleRate,
      strength: beat.strength,
    };
  }

  // -- output -------------------------------------------------------------------------------

  private sendControls(): void {
    if (!this.music) return;
    this.send({
      type: 'controls',
      seq: this.tracker.newestSeq,
      serverTimeMs: serverNow(),
      values: controlsToRecord(this.tracker.current(serverNow())),
      music: this.music,
    });
  }

  private sendStats(): void {
    const lat = this.latencies;
    this.send({
      type: 'stats',
      latencyMs: lat.count > 0 ? { p50: lat.percentile(50), p95: lat.percentile(95), max: lat.max(), count: lat.count } : null,
      rtf: this.rtfs.count > 0 ? this.rtfs.mean() : 0,
      underruns: this.underrunsReported,
      leadMs: this.lead.leadMs(this.listener?.outputLatencyMs ?? 0, serverNow()),
      chunks: this.chunksSent,
    });
  }

  private ping(): void {
    if (this.state !== 'streaming') return;
    const id = this.pingsSent++;
    const t = serverNow();
    this.outstandingPings.set(id, t);
    if (this.outstandingPings.size > 16) this.outstandingPings.delete(this.outstandingPings.keys().next().value!);
    this.send({ type: 'ping', id, t });
    const delay = this.pingsSent < FAST_PINGS ? FAST_PING_INTERVAL_MS : this.deps.config.pingIntervalMs;
    this.after(delay, () => this.ping());
  }

  private send(msg: ServerMessage | Uint8Array): void {
    if (this.ws.readyState !== SOCKET_OPEN) return;
    this.ws.send(msg instanceof Uint8Array ? msg : encodeMessage(msg));
  }

  /** A bad message: count it, tell the client (rate-limited), drop it; the session goes on. */
  private reject(code: ErrorCode, message: string): void {
    this.deps.metrics.rejected.inc({ reason: code });
    this.log.debug({ code, message: clipText(message, 200) }, 'message rejected');
    if (this.errorReplies.take(serverNow())) this.send({ type: 'error', code, message: clipText(message, MAX_ERROR_MESSAGE_CHARS) });
  }

  /** An error that ends the connection, with the close code the protocol assigns to it. */
  private fail(code: ErrorCode, message: string): void {
    this.deps.metrics.rejected.inc({ reason: code });
    this.log.warn({ code, message: clipText(message, 200) }, 'closing session');
    this.send({ type: 'error', code, message: clipText(message, MAX_ERROR_MESSAGE_CHARS) });
    // A close reason is at most 123 bytes of UTF-8.
    this.close(closeCodeForError(code) ?? CloseCode.policyViolation, clipText(message, 40));
  }

  // -- lifecycle ----------------------------------------------------------------------------

  private onSocketError(err: Error & { code?: string }): void {
    // ws reports protocol violations (oversized messages, bad frames) here and then closes.
    const reason = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'MESSAGE_TOO_BIG' : 'SOCKET_ERROR';
    this.deps.metrics.rejected.inc({ reason });
    this.log.warn({ err: err.message, code: err.code }, 'socket error');
  }

  private onClosed(code: number, reason: string): void {
    if (this.state === 'closed') return;
    const wasStreaming = this.state === 'streaming';
    this.state = 'closed';
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.stream?.close();
    try {
      this.scene?.dispose();
    } catch (err) {
      this.log.error({ err }, 'could not dispose the scene');
    }
    if (wasStreaming) this.deps.metrics.sessions.dec();
    void this.recorder?.close();
    this.log.info({ code, reason: clipText(reason, 120), chunks: this.chunksSent }, 'session closed');
    this.deps.onClosed(this);
  }

  /** Waits for the recording to be on disk (graceful shutdown); never rejects. */
  async finished(): Promise<void> {
    await this.recorder?.close();
  }

  /** A session timer: cleared when the session closes, and guarded like every session callback. */
  private after(ms: Milliseconds, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.guard(fn);
    }, ms);
    this.timers.add(t);
    return t;
  }

  private cancel(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.timers.delete(t);
  }

  private every(ms: Milliseconds, fn: () => void): void {
    const t = setInterval(() => this.guard(fn), ms);
    this.timers.add(t);
  }
}

class RenderTimeout extends Error {
  override name = 'RenderTimeout';
}
