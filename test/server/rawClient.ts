/** A bare WebSocket client for protocol tests: send anything, wait for specific replies. */
import WebSocket from 'ws';
import { decodeAudioChunk, type AudioChunk } from '../../protocol/audioChunk.js';
import { parseServerMessage, type ServerMessage } from '../../protocol/messages.js';

export class RawClient {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[] = [];
  readonly chunks: AudioChunk[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) this.chunks.push(decodeAudioChunk(data as Buffer));
      else this.messages.push(parseServerMessage((data as Buffer).toString('utf8')));
      for (const w of this.waiters) w();
    });
  }

  send(data: string | Uint8Array | object): void {
    this.ws.send(typeof data === 'string' || data instanceof Uint8Array ? data : JSON.stringify(data));
  }

  /** Resolves when `predicate` holds (checked on every message), rejects after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.map((m) => m.type))}`));
      }, timeoutMs);
      this.waiters.push(check);
    });
  }

  errorCodes(): string[] {
    return this.messages.flatMap((m) => (m.type === 'error' ? [m.code] : []));
  }

  async hello(extra: object = {}): Promise<void> {
    await this.opened;
    this.send({ type: 'hello', versions: [1], prompt: 'funk', ...extra });
    await this.until(() => this.messages.some((m) => m.type === 'ready'), 5000, 'ready');
  }
}
