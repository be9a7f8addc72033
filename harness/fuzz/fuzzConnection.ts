/**
 * One WebSocket connection of a fuzz lane: sends what the lane gives it (recorded in the lane's
 * history and counted), answers the server's clock pings when asked to, and checks everything the
 * server sends against the protocol: JSON messages must parse, audio chunks must decode and
 * continue the session's sample timeline from sample 0.
 */
import WebSocket from 'ws';
import { decodeAudioChunk } from '../../protocol/audioChunk.js';
import { CloseCode } from '../../protocol/errors.js';
import { encodeMessage, parseServerMessage, type PingMessage } from '../../protocol/messages.js';
import { pongFor } from './baseMessages.js';
import type { LaneHistory } from './history.js';
import type { FuzzStats } from './stats.js';

export interface ConnectionContext {
  stats: FuzzStats;
  history: LaneHistory;
  /** ms since the run started (history times). */
  runMs(): number;
  /** The lane's client clock (ms). */
  clientMs(): number;
}

/**
 * Close codes a server of this protocol may send (errors.ts CloseCode), 1005/1006 (no code, dropped)
 * and 1007 (ws itself, for invalid UTF-8 in a text frame).
 */
const KNOWN_CLOSE_CODES = new Set<number>([...Object.values(CloseCode), 1005, 1006, 1007]);

export class FuzzConnection {
  readonly opened: Promise<boolean>;
  readonly closed: Promise<void>;
  ready = false;
  isClosed = false;
  /** Server pings not answered yet (when autoPong is off), newest last. */
  readonly serverPings: PingMessage[] = [];
  lastChunkStart: number | null = null;
  private expectedSample = 0;
  private readonly ws: WebSocket;
  private readyWaiters: (() => void)[] = [];
  /** This side started the close (the server then echoes our code). */
  private closing = false;

  constructor(
    baseUrl: string,
    readonly path: string,
    private readonly ctx: ConnectionContext,
    private readonly autoPong: boolean,
  ) {
    ctx.stats.connections++;
    ctx.history.open(ctx.runMs(), path, ctx.clientMs());
    this.ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${path}`, { handshakeTimeout: 5000, perMessageDeflate: false });
    this.ws.binaryType = 'nodebuffer';
    let openedYet = false;
    this.opened = new Promise((resolve) => {
      this.ws.once('open', () => {
        openedYet = true;
        resolve(true);
      });
      this.ws.on('error', (err: Error & { code?: string }) => {
        if (!openedYet) ctx.stats.countNotOpened(err.code ?? err.message.replace(/\d{4,}/g, 'N').slice(0, 60));
        resolve(false);
      });
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.isClosed = true;
        if (openedYet) {
          ctx.stats.countClose(code, reason.toString());
          if (!this.closing && !KNOWN_CLOSE_CODES.has(code)) ctx.stats.violation(`close code ${code} ("${reason.toString()}") is not one the protocol uses`);
        }
        for (const w of this.readyWaiters) w();
        resolve();
      });
    });
    this.ws.on('message', (data: Buffer, isBinary) => this.onMessage(data, isBinary));
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends one frame; false when the connection is no longer open. */
  send(kind: string, data: Buffer, binary: boolean): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.ctx.history.send(this.ctx.runMs(), binary ? 'binary' : 'text', kind, data);
    this.ctx.stats.countSent(kind, data.length);
    this.ws.send(data, { binary });
    return true;
  }

  /** Resolves once ready arrived, the connection closed, or `ms` passed. */
  waitReady(ms: number): Promise<void> {
    if (this.ready || this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.readyWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  close(code = 1000): void {
    this.ctx.history.end(this.ctx.runMs(), 'close', code);
    this.closing = true;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code);
  }

  terminate(): void {
    this.ctx.history.end(this.ctx.runMs(), 'terminate');
    this.closing = true;
    this.ws.terminate();
  }

  /** Waits for the close, terminating the connection after `ms`. */
  async finish(ms = 2000): Promise<void> {
    const t = setTimeout(() => {
      this.closing = true;
      this.ws.terminate();
    }, ms);
    await this.closed;
    clearTimeout(t);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const { stats } = this.ctx;
    if (isBinary) {
      stats.chunksIn++;
      try {
        const { header } = decodeAudioChunk(data);
        if (header.startSample !== this.expectedSample) {
          stats.violation(`audio chunk starts at sample ${header.startSample}; the previous one ended at ${this.expectedSample}`);
        }
        this.expectedSample = header.startSample + header.frames;
        this.lastChunkStart = header.startSample;
      } catch (err) {
        stats.violation(`invalid audio chunk from the server: ${(err as Error).message}`);
      }
      return;
    }
    stats.textIn++;
    let msg;
    try {
      msg = parseServerMessage(data.toString('utf8'));
    } catch (err) {
      stats.violation(`invalid message from the server: ${(err as Error).message} (${data.toString('utf8').slice(0, 120)})`);
      return;
    }
    if (msg.type === 'error') stats.countError(msg.code);
    else if (msg.type === 'ready') {
      this.ready = true;
      stats.ready++;
      for (const w of this.readyWaiters) w();
      this.readyWaiters = [];
    } else if (msg.type === 'ping') {
      if (this.autoPong) this.send('pong:reply', Buffer.from(encodeMessage(pongFor(msg, this.ctx.clientMs()) as never)), false);
      else {
        this.serverPings.push(msg);
        if (this.serverPings.length > 16) this.serverPings.shift();
      }
    }
  }
}
