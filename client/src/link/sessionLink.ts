/**
 * The WebSocket link to the server (protocol/README.md): hello with version negotiation, clock
 * ping/pong, landmark frames out, audio chunks and JSON messages in, and reconnection (at once,
 * then with capped exponential backoff). A reconnect opens a new session with the same settings
 * (prompt, pack, seed, recording), so the music resumes where the performer left it in spirit,
 * if not in samples; behind nginx it lands on a healthy process (deploy/README.md).
 *
 * Exactly one reconnect timer and one ping timer exist at a time; `dispose()` clears both.
 */
import { decodeAudioChunk, type AudioChunk, type AudioFormat } from '../../../protocol/audioChunk.js';
import { NOTES_FRAME_KIND, decodeNotesFrame, type ChunkNotes } from '../../../protocol/notesFrame.js';
import { CloseCode } from '../../../protocol/errors.js';
import {
  encodeMessage,
  parseServerMessage,
  type ClientMessage,
  type ControlsMessage,
  type ErrorMessage,
  type InstrumentKind,
  type ReadyMessage,
  type SceneMessage,
  type StatsMessage,
  SCENE_MESSAGE_VERSION,
} from '../../../protocol/messages.js';
import type { Milliseconds } from '../../../protocol/units.js';
import { SUPPORTED_VERSIONS } from '../../../protocol/version.js';

export type LinkState = 'idle' | 'connecting' | 'streaming' | 'reconnecting' | 'failed';

export interface LinkSettings {
  prompt: string;
  pack: string | null;
  /** Sampled or synthesised instruments for symbolic packs; null: the server's choice. */
  instruments: InstrumentKind | null;
  format: AudioFormat;
  seed: number | null;
  record: boolean;
}

export interface SessionLinkOptions {
  /** ws:// or wss:// URL of /ws. */
  url: string;
  /** Delay before the second reconnect attempt (the first is immediate), doubled after each failed attempt up to `maxBackoffMs`. */
  initialBackoffMs: Milliseconds;
  maxBackoffMs: Milliseconds;
  /** Client pings (for the round-trip time shown in the UI). */
  pingIntervalMs: Milliseconds;
  /** Landmark frames are dropped while more than this many bytes wait to be sent. */
  maxBufferedBytes: number;
  client: string;
}

export const SESSION_LINK_DEFAULTS: Omit<SessionLinkOptions, 'url'> = {
  initialBackoffMs: 250,
  maxBackoffMs: 5000,
  pingIntervalMs: 2000,
  maxBufferedBytes: 64 * 1024,
  client: 'expotion-browser',
};

export interface SessionLinkEvents {
  state(state: LinkState, detail: string): void;
  ready(ready: ReadyMessage): void;
  /** An audio chunk, its bytes as received, and the client time it arrived. */
  chunk(chunk: AudioChunk, bytes: Uint8Array, arrivalMs: Milliseconds): void;
  /** The notes of the audio chunk that follows (packs that have notes). */
  notes(notes: ChunkNotes): void;
  controls(msg: ControlsMessage): void;
  stats(msg: StatsMessage): void;
  /** The scene the music evokes (MusiScene), when it changes. */
  scene(msg: SceneMessage): void;
  error(msg: ErrorMessage): void;
}

/** Close codes after which reconnecting cannot help. */
const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.versionMismatch, CloseCode.policyViolation]);

export class SessionLink {
  readonly options: SessionLinkOptions;
  private ws: WebSocket | null = null;
  private wanted = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pingId = 0;
  private readonly outstandingPings = new Map<number, number>();
  private _state: LinkState = 'idle';
  /** Counters shown in the UI and read by tests. */
  sessions = 0;
  framesSent = 0;
  framesDropped = 0;
  bytesSent = 0;
  rttMs: Milliseconds | null = null;
  sessionId: string | null = null;
  ready: ReadyMessage | null = null;

  constructor(
    options: Partial<SessionLinkOptions> & Pick<SessionLinkOptions, 'url'>,
    private settings: LinkSettings,
    private readonly on: SessionLinkEvents,
  ) {
    this.options = { ...SESSION_LINK_DEFAULTS, ...options };
  }

  get state(): LinkState {
    return this._state;
  }

  get streaming(): boolean {
    return this._state === 'streaming';
  }

  /** Connects (and keeps reconnecting) until `stop()`. */
  start(): void {
    this.wanted = true;
    this.attempt = 0;
    if (!this.ws) this.connect();
  }

  /** Ends the session: `stop` to the server, no reconnect. */
  stop(): void {
    this.wanted = false;
    this.clearReconnect();
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(encodeMessage({ type: 'stop' }));
      ws.close(CloseCode.normal, 'stopped');
    } else ws?.close();
    this.detach();
    this.setState('idle', 'stopped');
  }

  updateSettings(patch: Partial<LinkSettings>): void {
    const promptChanged = patch.prompt !== undefined && patch.prompt !== this.settings.prompt;
    this.settings = { ...this.settings, ...patch };
    if (promptChanged && this.streaming) this.send({ type: 'prompt', text: this.settings.prompt });
  }

  get currentSettings(): Readonly<LinkSettings> {
    return this.settings;
  }

  send(msg: ClientMessage): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeMessage(msg));
  }

  /** Sends a landmark frame unless the socket is backed up (then it is dropped and counted). */
  sendFrame(bytes: Uint8Array<ArrayBuffer>): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || !this.streaming) return false;
    if (ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.framesDropped++;
      return false;
    }
    ws.send(bytes);
    this.framesSent++;
    this.bytesSent += bytes.byteLength;
    return true;
  }

  private connect(): void {
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting', this.options.url);
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.options.url);
    } catch (err) {
      this.setState('failed', `bad server address: ${(err as Error).message}`);
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      const s = this.settings;
      ws.send(
        encodeMessage({
          type: 'hello',
          versions: [...SUPPORTED_VERSIONS],
          prompt: s.prompt,
          audio: { format: s.format },
          client: this.options.client,
          notes: true,
          ...(s.pack !== null ? { pack: s.pack } : {}),
          ...(s.instruments !== null ? { instruments: s.instruments } : {}),
          ...(s.seed !== null ? { seed: s.seed } : {}),
          ...(s.record ? { record: true } : {}),
        }),
      );
    };
    ws.onmessage = (ev: MessageEvent<ArrayBuffer | string>) => this.onMessage(ev.data);
    ws.onclose = (ev) => this.onClose(ws, ev.code, ev.reason);
    ws.onerror = () => undefined; // the close event follows with the code
  }

  private onMessage(data: ArrayBuffer | string): void {
    const now = performance.now();
    if (typeof data !== 'string') {
      const bytes = new Uint8Array(data);
      if (bytes[0] === NOTES_FRAME_KIND) {
        try {
          this.on.notes(decodeNotesFrame(bytes));
        } catch (err) {
          console.warn('dropped an invalid notes frame', err);
        }
        return;
      }
      let chunk: AudioChunk;
      try {
        chunk = decodeAudioChunk(bytes);
      } catch (err) {
        console.warn('dropped an invalid audio chunk', err);
        return;
      }
      this.on.chunk(chunk, bytes, now);
      return;
    }
    let msg;
    try {
      msg = parseServerMessage(data);
    } catch (err) {
      console.warn('dropped an invalid server message', err);
      return;
    }
    switch (msg.type) {
      case 'ready':
        this.ready = msg;
        this.sessionId = msg.sessionId;
        this.sessions++;
        this.attempt = 0;
        this.setState('streaming', `session ${msg.sessionId}`);
        this.startPings();
        this.on.ready(msg);
        return;
      case 'ping':
        this.send({ type: 'pong', id: msg.id, t: msg.t, recvMs: now, sendMs: performance.now() });
        return;
      case 'pong': {
        const sent = this.outstandingPings.get(msg.id);
        if (sent === undefined || sent !== msg.t) return;
        this.outstandingPings.delete(msg.id);
        this.rttMs = now - msg.t - (msg.sendMs - msg.recvMs);
        return;
      }
      case 'controls':
        this.on.controls(msg);
        return;
      case 'stats':
        this.on.stats(msg);
        return;
      case 'scene':
        if (msg.version === SCENE_MESSAGE_VERSION) this.on.scene(msg); // a layout we don't know is dropped
        return;
      case 'error':
        this.on.error(msg);
        return;
    }
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.detach();
    if (!this.wanted) return;
    if (FATAL_CLOSE_CODES.has(code)) {
      this.wanted = false;
      this.setState('failed', `the server ended the session (${code}${reason ? `: ${reason}` : ''})`);
      return;
    }
    // The first retry goes at once: behind nginx another process takes the session while the
    // performer is still moving (issue #15, failover within 2 s). Then exponential backoff with
    // jitter, capped, so a server that is down is not hammered; one timer at a time.
    const base = Math.min(this.options.maxBackoffMs, this.options.initialBackoffMs * 2 ** (this.attempt - 1));
    const delay = this.attempt === 0 ? 0 : Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt++;
    this.setState('reconnecting', `connection closed (${code}); retrying ${delay === 0 ? 'now' : `in ${(delay / 1000).toFixed(1)} s`}`);
    this.clearReconnect();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.wanted && !this.ws) this.connect();
    }, delay);
  }

  private startPings(): void {
    this.stopPings();
    const ping = (): void => {
      const id = this.pingId++ >>> 0;
      const t = performance.now();
      this.outstandingPings.set(id, t);
      if (this.outstandingPings.size > 8) this.outstandingPings.delete(this.outstandingPings.keys().next().value!);
      this.send({ type: 'ping', id, t });
    };
    ping();
    this.pingTimer = setInterval(ping, this.options.pingIntervalMs);
  }

  private stopPings(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.outstandingPings.clear();
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  /** Forgets the socket (its handlers are removed so a late event cannot reach us). */
  private detach(): void {
    this.stopPings();
    const ws = this.ws;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    }
    this.ws = null;
    this.sessionId = null;
    this.ready = null;
  }

  private setState(state: LinkState, detail: string): void {
    this._state = state;
    this.on.state(state, detail);
  }

  dispose(): void {
    this.stop();
  }
}
