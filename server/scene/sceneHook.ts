/**
 * The external captioning hook: POSTs the last seconds of a session's audio (WAV) and the
 * current prompt to a captioning service (e.g. a MusiScene / MU-LLaMA deployment on a GPU
 * machine) and reads back one scene caption. Every way it can fail ends in a result with a
 * reason, never an exception, within `timeoutMs` (connect, response and body together).
 *
 * Request: `POST <url>`, `multipart/form-data` with
 *   audio   file  `scene.wav`, `audio/wav`: 16-bit PCM, mono, the session's sample rate
 *   prompt  text  the session's current text prompt ("" if none)
 *   music   text  JSON of the generator's MusicState ({ style, tempoBpm, key, mode, ... }) or "null"
 * Response: `200`, `application/json`, `{ "caption": "<1..200 characters>" }` (other fields
 * ignored), at most `maxResponseBytes`. Format documented in server/scene/README.md.
 */
import type { MusicState } from '../generation/index.js';

export type SceneHookFailure = 'timeout' | 'http_status' | 'bad_json' | 'bad_caption' | 'too_big' | 'network';

export type SceneHookResult =
  | { ok: true; caption: string; ms: number }
  | { ok: false; reason: SceneHookFailure | 'cancelled'; detail: string; ms: number };

export interface SceneHookOptions {
  url: string;
  /** Whole request, body included (ms). */
  timeoutMs: number;
  /** Largest response body read (bytes). Default 16 KiB. */
  maxResponseBytes: number;
  /** Longest caption accepted (characters, after trimming). Default 200. */
  maxCaptionChars: number;
}

export interface SceneHookRequest {
  wav: Uint8Array;
  prompt: string;
  music: MusicState | null;
}

const DEFAULTS = { maxResponseBytes: 16 * 1024, maxCaptionChars: 200 };

class HookError extends Error {
  constructor(
    readonly reason: SceneHookFailure,
    message: string,
  ) {
    super(message);
  }
}

/** A caption as displayed: control characters removed, whitespace collapsed, trimmed; null if unusable. */
export function cleanCaption(value: unknown, maxChars: number): string | null {
  if (typeof value !== 'string') return null;
  const text = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim();
  return text.length > 0 && text.length <= maxChars ? text : null;
}

/** A URL as it may appear in logs and messages: user name and password replaced. */
export function redactUrl(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = 'redacted';
  copy.password = '';
  return copy.href;
}

export class SceneHook {
  readonly options: SceneHookOptions;
  /** The URL without credentials (fetch refuses them in the URL); they travel as Basic auth. */
  private readonly target: string;
  private readonly headers: Record<string, string> = { accept: 'application/json' };

  constructor(options: Pick<SceneHookOptions, 'url' | 'timeoutMs'> & Partial<SceneHookOptions>) {
    this.options = { ...DEFAULTS, ...options };
    const url = new URL(this.options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`the scene hook URL must be http or https, but is ${redactUrl(url)}`);
    if (!(this.options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, but is ${this.options.timeoutMs}`);
    if (url.username !== '' || url.password !== '') {
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      this.headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    this.target = url.href;
  }

  /** Asks the service for a caption; `cancel` aborts it (result reason 'cancelled'). */
  async request(req: SceneHookRequest, cancel?: AbortSignal): Promise<SceneHookResult> {
    const started = performance.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const onCancel = (): void => controller.abort();
    cancel?.addEventListener('abort', onCancel, { once: true });
    const ms = (): number => Math.round(performance.now() - started);
    try {
      const form = new FormData();
      form.append('audio', new Blob([req.wav], { type: 'audio/wav' }), 'scene.wav');
      form.append('prompt', req.prompt);
      form.append('music', JSON.stringify(req.music));
      // Redirects are refused: the session's audio and prompt go to the configured service only.
      const res = await fetch(this.target, { method: 'POST', body: form, signal: controller.signal, headers: this.headers, redirect: 'manual' });
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel().catch(() => undefined);
        throw new HookError('http_status', `HTTP ${res.status}: redirects are refused`);
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new HookError('http_status', `HTTP ${res.status}`);
      }
      const body = await this.readLimited(res);
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        throw new HookError('bad_json', `the response is not JSON: ${JSON.stringify(body.slice(0, 60))}`);
      }
      const caption = cleanCaption((json as { caption?: unknown } | null)?.caption, this.options.maxCaptionChars);
      if (caption === null) throw new HookError('bad_caption', `the response has no caption of 1..${this.options.maxCaptionChars} characters`);
      return { ok: true, caption, ms: ms() };
    } catch (err) {
      if (err instanceof HookError) return { ok: false, reason: err.reason, detail: err.message, ms: ms() };
      if (timedOut) return { ok: false, reason: 'timeout', detail: `no complete answer within ${this.options.timeoutMs} ms`, ms: ms() };
      if (cancel?.aborted) return { ok: false, reason: 'cancelled', detail: 'the session ended', ms: ms() };
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return { ok: false, reason: 'network', detail: `${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`, ms: ms() };
    } finally {
      clearTimeout(timer);
      cancel?.removeEventListener('abort', onCancel);
    }
  }

  /** The body as text, refusing more than maxResponseBytes (checked while streaming). */
  private async readLimited(res: Response): Promise<string> {
    const max = this.options.maxResponseBytes;
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > max) {
      await res.body?.cancel().catch(() => undefined);
      throw new HookError('too_big', `the response declares ${declared} bytes; the limit is ${max}`);
    }
    if (res.body === null) return '';
    const reader = res.body.getReader();
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => undefined);
        throw new HookError('too_big', `the response exceeds ${max} bytes`);
      }
      parts.push(value);
    }
    return Buffer.concat(parts).toString('utf8');
  }
}
