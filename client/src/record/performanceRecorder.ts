/**
 * Records a performance in the browser, in the format the harness replays
 * (protocol/recording.ts): the landmark frames as sent and the audio chunks as received, with
 * the client time of each, plus prompt changes and session starts. Download as one file.
 */
import { audioRecord, eventRecord, frameRecord, metaRecord, recordingMagic, type RecordingMeta } from '../../../protocol/recording.js';
import type { Milliseconds } from '../../../protocol/units.js';

export interface PerformanceRecorderOptions {
  /** Recording stops by itself beyond this size (bytes), so a forgotten recording cannot exhaust memory. */
  maxBytes: number;
}

export const PERFORMANCE_RECORDER_DEFAULTS: PerformanceRecorderOptions = { maxBytes: 256 * 1024 * 1024 };

export class PerformanceRecorder {
  readonly options: PerformanceRecorderOptions;
  private parts: Uint8Array<ArrayBuffer>[] = [];
  private bytes = 0;
  private active = false;
  private startedMs: Milliseconds = 0;
  frames = 0;
  chunks = 0;
  /** Why recording stopped by itself, if it did. */
  stoppedBecause: string | null = null;

  constructor(options: Partial<PerformanceRecorderOptions> = {}) {
    this.options = { ...PERFORMANCE_RECORDER_DEFAULTS, ...options };
  }

  get recording(): boolean {
    return this.active;
  }

  get byteLength(): number {
    return this.bytes;
  }

  get durationMs(): Milliseconds {
    return this.active ? performance.now() - this.startedMs : 0;
  }

  start(meta: Omit<RecordingMeta, 'writer' | 'startedAt'> & { prompt: string }): void {
    this.parts = [];
    this.bytes = 0;
    this.frames = 0;
    this.chunks = 0;
    this.stoppedBecause = null;
    this.active = true;
    this.startedMs = performance.now();
    this.push(recordingMagic());
    this.push(metaRecord(this.startedMs, { ...meta, writer: 'expotion-client 0.1.0', startedAt: new Date().toISOString() }));
  }

  frame(bytes: Uint8Array): void {
    if (this.active && this.push(frameRecord(performance.now(), bytes))) this.frames++;
  }

  chunk(bytes: Uint8Array, arrivalMs: Milliseconds): void {
    if (this.active && this.push(audioRecord(arrivalMs, bytes))) this.chunks++;
  }

  event(type: string, fields: Record<string, unknown> = {}): void {
    if (this.active) this.push(eventRecord(performance.now(), { ...fields, type }));
  }

  /** Stops and returns the recording as a file. */
  stop(): Blob {
    this.active = false;
    const blob = new Blob(this.parts, { type: 'application/octet-stream' });
    this.parts = [];
    this.bytes = 0;
    return blob;
  }

  private push(part: Uint8Array<ArrayBuffer>): boolean {
    if (this.bytes + part.byteLength > this.options.maxBytes) {
      this.stoppedBecause = `the recording reached ${Math.round(this.options.maxBytes / 1e6)} MB`;
      this.active = false;
      return false;
    }
    this.parts.push(part);
    this.bytes += part.byteLength;
    return true;
  }

  dispose(): void {
    this.active = false;
    this.parts = [];
    this.bytes = 0;
  }
}

/** Offers a file for download (a blob: link, clicked, then revoked). */
export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
