// Over 400 lines on purpose: the protocol side of a session is one state machine (handshake, dispatch, limits, wiring); the scheduler, recorder and clocks are already their own files.
/**
 * One performer's session, one per WebSocket connection, the protocol side: the hello handshake,
 * message dispatch (landmark frames into the control tracker, pongs into clock sync, playback
 * reports to the chunk scheduler), the controls/stats/ping/scene messages, limits, recording.
 * The chunk scheduler (chunkScheduler.ts) generates and sends the audio.
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
import type { AudioFormat } from '../../protocol/audioChunk.js';
import { CONTROL_NAMES, CONTROL_VERSION, controlsToRecord } from '../../protocol/controlVector.js';
import { CloseCode, ProtocolError, closeCodeForError, type CloseCodeValue, type ErrorCode } from '../../protocol/errors.js';
import { decodeLandmarkFrame } from '../../protocol/landmarkFrame.js';
import {
  clipText,
  encodeMessage,
  MAX_ERROR_MESSAGE_CHARS,
  SCENE_MESSAGE_VERSION,
  parseClientMessage,
  type HelloMessage,
  type PlaybackMessage,
  type ServerMessage,
} from '../../protocol/messages.js';
import type { Milliseconds } from '../../protocol/units.js';
import { negotiateVersion } from '../../protocol/version.js';
import { serverNow } from '../clock.js';
import type { ServerConfig } from '../config.js';
import { ControlTracker } from '../controls/controlTracker.js';
import { userPacks, type MusicState, type PackInfo, type RemoteStream, type WorkerPool } from '../generation/index.js';
import type { ServerMetrics } from '../metrics.js';
import type { OscOut } from '../osc/oscOut.js';
import { SessionOsc } from '../osc/sessionOsc.js';
import { RateLimiter } from '../rateLimiter.js';
import type { SceneImaginer } from '../scene/sceneImaginer.js';
import { createSessionScene } from '../scene/sessionScene.js';
import { ChunkScheduler, type SentChunk } from './chunkScheduler.js';
import { ClientClock } from './clientClock.js';
import { FrameArrivals } from './frameArrivals.js';
import { SessionNotes } from './sessionNotes.js';
import { SessionRecorder } from './recorder.js';
import { SessionTimers } from './sessionTimers.js';

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
  /** OSC out to the operator's target, shared by all sessions; null when none is set. */
  osc?: OscOut | null;
  onClosed(session: Session): void;
}

type SessionState = 'awaiting-hello' | 'opening' | 'streaming' | 'closed';

/** At most this many `error` replies per second; beyond it bad messages are only counted. */
const MAX_ERROR_REPLIES_PER_SECOND = 5;
/** How often the idle and session-length limits are checked (ms). */
const WATCHDOG_INTERVAL_MS = 1_000;

export class Session {
  readonly id = randomBytes(8).toString('hex');
  private state: SessionState = 'awaiting-hello';
  private readonly log: Logger;
  private readonly limiter: RateLimiter;
  private readonly errorReplies: RateLimiter;
  private readonly clientClock = new ClientClock();
  private readonly frameArrivals = new FrameArrivals(this.clientClock.sync);
  private readonly tracker: ControlTracker;
  private readonly timers = new SessionTimers((fn) => this.guard(fn));
  private stream: RemoteStream | null = null;
  private scheduler: ChunkScheduler | null = null;
  private recorder: SessionRecorder | null = null;
  private notes: SessionNotes | null = null;
  private osc: SessionOsc | null = null;
  private format: AudioFormat = 'f32';
  private chunksSent = 0;
  private music: MusicState | null = null;
  private scene: SceneImaginer | null = null;
  private readonly openedMs: Milliseconds;
  /** Server time of the last message of any kind (the idle limit). */
  private lastInputMs: Milliseconds;
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
    this.tracker = new ControlTracker({ clock: this.clientClock.sync });
    this.log.info({ remote }, 'connection opened');

    ws.on('message', (data, isBinary) => this.guard(() => this.onMessage(data, isBinary)));
    ws.on('close', (code, reason) => this.guard(() => this.onClosed(code, reason.toString())));
    ws.on('error', (err) => this.guard(() => this.onSocketError(err)));
    this.timers.after(deps.config.helloTimeoutMs, () => {
      if (this.state === 'awaiting-hello') this.fail('HELLO_TIMEOUT', `no hello within ${deps.config.helloTimeoutMs} ms`);
    });
    this.timers.every(WATCHDOG_INTERVAL_MS, () => this.watchdog());
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
    this.clientClock.checkFrame(frame.captureTimeMs, now);
    this.frameArrivals.push(frame.captureTimeMs, now);
    const result = this.tracker.push(frame, now);
    this.deps.metrics.framesIn.inc({ result });
    this.recorder?.frame(data, now);
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
        this.scheduler?.onPromptChanged();
        this.scene?.setPrompt(msg.text);
        this.recorder?.event('prompt', { text: msg.text });
        return;
      case 'ping':
        this.send({ type: 'pong', id: msg.id, t: msg.t, recvMs: now, sendMs: serverNow() });
        return;
      case 'pong':
        this.clientClock.onPong(msg, now);
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
    this.deps.pool.openStream(pack.name, hello.prompt, seed, hello.instruments ?? this.deps.config.instruments).then(
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
    const hasNotes = info.kind === 'symbolic';
    const out = this.deps.osc;
    this.osc = out ? new SessionOsc({ out, sessionId: this.id, sampleRate: info.sampleRate, controlsHz: config.oscControlsHz, controls: () => controlsToRecord(this.tracker.current(serverNow())) }) : null;
    this.notes = new SessionNotes({ sampleRate: info.sampleRate, sendFrame: hello.notes && hasNotes ? (frame) => this.send(frame) : null, osc: this.osc, recordDir: this.recorder?.dir ?? null });
    const scheduler = new ChunkScheduler(
      {
        config,
        metrics: this.deps.metrics,
        tracker: this.tracker,
        clock: this.clientClock.sync,
        stream,
        format: this.format,
        timers: this.timers,
        bufferedBytes: () => this.ws.bufferedAmount,
        send: (chunk) => this.send(chunk),
        onNotes: (notes, heardAtMs) => this.notes?.onChunk(notes, heardAtMs),
        onChunk: (sent) => this.onChunkSent(sent),
        fail: (code, message) => this.fail(code, message),
        crash: (err, code, message) => this.crash(err, code, message),
      },
      now,
    );
    this.scheduler = scheduler;
    this.state = 'streaming';
    this.deps.metrics.sessions.inc();
    this.deps.metrics.sessionsOpened.inc();
    this.send({
      type: 'ready',
      version,
      sessionId: this.id,
      pack: info.name,
      ...(stream.instruments ? { instruments: stream.instruments } : {}),
      packs: userPacks(this.deps.packs).map((p) => p.name),
      sampleRate: info.sampleRate,
      channels: info.channels as 1 | 2,
      format: this.format,
      chunkFrames: config.chunkFrames,
      leadMs: scheduler.leadMs(now),
      controlVersion: CONTROL_VERSION,
      controlNames: [...CONTROL_NAMES],
      notes: hasNotes,
      serverTimeMs: now,
    });
    this.log.info({ pack: info.name, seed, prompt: hello.prompt, client: hello.client, record: this.recorder?.dir }, 'session started');
    this.ping();
    this.timers.every(config.controlsIntervalMs, () => this.sendControls());
    this.timers.every(config.statsIntervalMs, () => {
      const t = serverNow();
      this.send({ type: 'stats', ...scheduler.stats(t), tracking: this.frameArrivals.stats(t) });
    });
    this.scene = createSessionScene({
      config,
      metrics: this.deps.metrics,
      log: this.log,
      sampleRate: info.sampleRate,
      channels: info.channels,
      prompt: hello.prompt,
      send: (s) => {
        this.send({ type: 'scene', version: SCENE_MESSAGE_VERSION, caption: s.caption, source: s.source, serverTimeMs: serverNow() });
        this.osc?.scene(s.caption);
      },
    });
    scheduler.pump();
  }

  /** What else a sent chunk is for: the UI's music state, the scene imaginer, the recording. */
  private onChunkSent(sent: SentChunk): void {
    this.chunksSent++;
    this.music = sent.state;
    this.scene?.observe(sent.state, sent.pcm, sent.controls[sent.controls.length - 1]!, serverNow());
    this.recorder?.chunk(sent.startSample, sent.controlSeq, sent.decidedMs, sent.controls[0]!, sent.pcm);
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

  private onPlayback(msg: PlaybackMessage, now: Milliseconds): void {
    const scheduler = this.scheduler;
    if (!scheduler) throw new ProtocolError('JSON_SCHEMA', 'playback report before any audio was sent');
    scheduler.onPlayback(msg, now);
    const { type: _, ...report } = msg;
    this.recorder?.event('playback', report);
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

  private ping(): void {
    if (this.state !== 'streaming') return;
    const { ping, nextInMs } = this.clientClock.nextPing(serverNow(), this.deps.config.pingIntervalMs);
    this.send(ping);
    this.timers.after(nextInMs, () => this.ping());
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
    this.timers.clear();
    this.scheduler?.stop();
    this.stream?.close();
    try {
      this.scene?.dispose();
    } catch (err) {
      this.log.error({ err }, 'could not dispose the scene');
    }
    if (wasStreaming) this.deps.metrics.sessions.dec();
    void this.recorder?.close();
    void this.notes?.close();
    this.osc?.dispose();
    this.log.info({ code, reason: clipText(reason, 120), chunks: this.chunksSent }, 'session closed');
    this.deps.onClosed(this);
  }

  /** Waits for the recording to be on disk (graceful shutdown); never rejects. */
  async finished(): Promise<void> {
    await Promise.all([this.recorder?.close(), this.notes?.close()]);
  }
}
