/**
 * Session recording to disk, written incrementally so that a crash or a kill loses at most the
 * last flush interval (250 ms by default, well under a second).
 *
 * A recording is a folder:
 *   session.json   what was played: session id, pack, prompt, seed, audio format, start/end times
 *   events.jsonl   one JSON object per line: prompt changes, playback reports, the end
 *   frames.bin     every landmark frame as received: [u32 byteLength][f64 arrivalServerMs][frame bytes (protocol/README.md)]
 *   controls.csv   one line per audio chunk: startSample, controlSeq, serverMs, then control vector v1 by name
 *   audio.wav      the generated audio, 16-bit PCM; its header is rewritten on every flush
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTROL_NAMES, type ControlVector } from '../protocol/controlVector.js';
import type { Hz, Milliseconds, Samples } from '../protocol/units.js';
import { floatToPcm16, wavHeader, WAV_HEADER_BYTES } from './audio/wav.js';

export interface RecordingMeta {
  sessionId: string;
  pack: string;
  prompt: string;
  seed: number;
  sampleRate: Hz;
  channels: number;
  startedAt: string;
}

export interface SessionRecorderOptions {
  /** How often buffered data is written out (ms): the most a kill can lose. */
  flushIntervalMs: Milliseconds;
}

/**
 * A file created with some initial content, then appended to: pending buffers are written in
 * order at explicit positions, one write in flight at a time.
 */
class AppendFile {
  private pending: Buffer[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly handle: Promise<FileHandle>;
  bytesWritten: number;

  constructor(path: string, initial: Buffer) {
    writeFileSync(path, initial);
    this.bytesWritten = initial.length;
    this.handle = open(path, 'r+');
    this.handle.catch(() => undefined); // reported by the first flush that awaits it
  }

  append(data: Buffer): void {
    this.pending.push(data);
  }

  /** Writes what is pending; `after` runs once it is on disk (used to patch the WAV header). */
  flush(after?: (fh: FileHandle, bytesWritten: number) => Promise<unknown>): Promise<void> {
    if (this.pending.length === 0 && !after) return this.chain;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.chain = this.chain.then(async () => {
      const fh = await this.handle;
      if (data.length > 0) {
        await fh.write(data, 0, data.length, this.bytesWritten);
        this.bytesWritten += data.length;
      }
      if (after) await after(fh, this.bytesWritten);
    });
    return this.chain;
  }

  async close(): Promise<void> {
    await this.chain;
    await (await this.handle).close();
  }
}

export class SessionRecorder {
  readonly dir: string;
  private readonly frames: AppendFile;
  private readonly controls: AppendFile;
  private readonly events: AppendFile;
  private readonly audio: AppendFile;
  private readonly timer: NodeJS.Timeout;
  private audioDataBytes = 0;
  private closing: Promise<void> | null = null;

  constructor(
    root: string,
    private readonly meta: RecordingMeta,
    options: Partial<SessionRecorderOptions> = {},
  ) {
    const { flushIntervalMs } = { flushIntervalMs: 250, ...options };
    this.dir = join(root, meta.sessionId);
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, 'session.json'), JSON.stringify(meta, null, 2));
    this.frames = new AppendFile(join(this.dir, 'frames.bin'), Buffer.alloc(0));
    this.controls = new AppendFile(join(this.dir, 'controls.csv'), Buffer.from(`startSample,controlSeq,serverMs,${CONTROL_NAMES.join(',')}\n`));
    this.events = new AppendFile(join(this.dir, 'events.jsonl'), Buffer.alloc(0));
    // The WAV header (sizes 0) goes in first, so the file is a valid WAV from the start.
    this.audio = new AppendFile(join(this.dir, 'audio.wav'), wavHeader(meta.sampleRate, meta.channels, 0));
    this.timer = setInterval(() => void this.flush(), flushIntervalMs);
    this.timer.unref();
  }

  frame(bytes: Uint8Array, arrivalServerMs: Milliseconds): void {
    const head = Buffer.alloc(12);
    head.writeUInt32LE(bytes.byteLength, 0);
    head.writeDoubleLE(arrivalServerMs, 4);
    this.frames.append(head);
    this.frames.append(Buffer.from(bytes));
  }

  chunk(startSample: Samples, controlSeq: number | null, serverMs: Milliseconds, controls: ControlVector, pcm: Float32Array): void {
    const values = Array.from(controls, (v) => +v.toFixed(4)).join(',');
    this.controls.append(Buffer.from(`${startSample},${controlSeq ?? ''},${serverMs.toFixed(1)},${values}\n`));
    const data = floatToPcm16(pcm);
    this.audioDataBytes += data.length;
    this.audio.append(data);
  }

  event(type: string, fields: Record<string, unknown> = {}): void {
    this.events.append(Buffer.from(JSON.stringify({ t: new Date().toISOString(), type, ...fields }) + '\n'));
  }

  /** Writes everything buffered; the WAV header is patched to cover exactly what is on disk. */
  flush(): Promise<void> {
    const { sampleRate, channels } = this.meta;
    return Promise.all([
      this.frames.flush(),
      this.controls.flush(),
      this.events.flush(),
      this.audio.flush((fh, bytes) => fh.write(wavHeader(sampleRate, channels, bytes - WAV_HEADER_BYTES), 0, WAV_HEADER_BYTES, 0)),
    ]).then(() => undefined);
  }

  /** Flushes and closes; safe to call more than once (every caller gets the same promise). */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<void> {
    clearInterval(this.timer);
    this.event('end', { audioSeconds: this.audioDataBytes / 2 / this.meta.channels / this.meta.sampleRate });
    await this.flush();
    await Promise.all([this.frames.close(), this.controls.close(), this.events.close(), this.audio.close()]);
    writeFileSync(join(this.dir, 'session.json'), JSON.stringify({ ...this.meta, endedAt: new Date().toISOString() }, null, 2));
  }
}
