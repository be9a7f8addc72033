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
 *   notes.mid      the generated notes (symbolic packs), written when the session ends (sessionNotes.ts)
 *
 * A recording can never hurt the music: quotas (bytes, minutes) and a free-space floor stop it,
 * and any write error stops it too; either way what is on disk stays a valid, finished
 * recording up to that point and `onStop` says why, once. Nothing here throws after start.
 */
import { mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import { open, statfs, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTROL_NAMES, type ControlVector } from '../../protocol/controlVector.js';
import type { Hz, Milliseconds, Samples } from '../../protocol/units.js';
import { floatToPcm16, wavHeader, WAV_HEADER_BYTES } from '../audio/wav.js';

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
  /** Largest recording (bytes over all its files); beyond it the recording stops. */
  maxBytes: number;
  /** Longest recording (ms). */
  maxMs: Milliseconds;
  /** The recording does not start, or stops, while its disk has less free space than this (bytes). */
  minFreeBytes: number;
  /** Called once if the recording stops before close(): a quota, the free-space floor or a write error. */
  onStop(reason: string): void;
}

/** Free space is checked every this many flushes (a statfs call; 4 x 250 ms = once a second). */
const FREE_SPACE_CHECK_FLUSHES = 4;

function freeBytes(stats: { bavail: number | bigint; bsize: number | bigint }): number {
  return Number(stats.bavail) * Number(stats.bsize);
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

  /** Drops what is pending (after a failure: nothing more is written). */
  discard(): void {
    this.pending = [];
  }

  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
    await (await this.handle).close();
  }
}

export class SessionRecorder {
  readonly dir: string;
  private readonly options: SessionRecorderOptions;
  private readonly frames: AppendFile;
  private readonly controls: AppendFile;
  private readonly events: AppendFile;
  private readonly audio: AppendFile;
  private readonly files: readonly AppendFile[];
  private readonly timer: NodeJS.Timeout;
  private readonly startedMs = performance.now();
  private audioDataBytes = 0;
  /** Bytes appended so far over all files (what the quota counts). */
  private bytes = 0;
  private flushes = 0;
  /** Why the recording stopped early; null while it runs. */
  private stopped: string | null = null;
  private closing: Promise<void> | null = null;

  /**
   * Creates the folder and its files. Throws (a clear Error) when the folder cannot be created
   * or written, or its disk is below the free-space floor: the caller tells the client and plays on.
   */
  constructor(
    root: string,
    private readonly meta: RecordingMeta,
    options: Partial<SessionRecorderOptions> = {},
  ) {
    this.options = { flushIntervalMs: 250, maxBytes: Infinity, maxMs: Infinity, minFreeBytes: 0, onStop: () => undefined, ...options };
    this.dir = join(root, meta.sessionId);
    mkdirSync(this.dir, { recursive: true });
    const free = freeBytes(statfsSync(this.dir));
    if (free < this.options.minFreeBytes) {
      throw new Error(`only ${Math.round(free / 1e6)} MB free where recordings go; the floor is ${Math.round(this.options.minFreeBytes / 1e6)} MB`);
    }
    writeFileSync(join(this.dir, 'session.json'), JSON.stringify(meta, null, 2));
    this.frames = new AppendFile(join(this.dir, 'frames.bin'), Buffer.alloc(0));
    this.controls = new AppendFile(join(this.dir, 'controls.csv'), Buffer.from(`startSample,controlSeq,serverMs,${CONTROL_NAMES.join(',')}\n`));
    this.events = new AppendFile(join(this.dir, 'events.jsonl'), Buffer.alloc(0));
    // The WAV header (sizes 0) goes in first, so the file is a valid WAV from the start.
    this.audio = new AppendFile(join(this.dir, 'audio.wav'), wavHeader(meta.sampleRate, meta.channels, 0));
    this.files = [this.frames, this.controls, this.events, this.audio];
    this.timer = setInterval(() => void this.tick(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Whether data is still being recorded (false after a stop or close). */
  get recording(): boolean {
    return this.stopped === null && this.closing === null;
  }

  frame(bytes: Uint8Array, arrivalServerMs: Milliseconds): void {
    if (!this.recording) return;
    const head = Buffer.alloc(12);
    head.writeUInt32LE(bytes.byteLength, 0);
    head.writeDoubleLE(arrivalServerMs, 4);
    this.append(this.frames, head);
    this.append(this.frames, Buffer.from(bytes));
  }

  chunk(startSample: Samples, controlSeq: number | null, serverMs: Milliseconds, controls: ControlVector, pcm: Float32Array): void {
    if (!this.recording) return;
    const values = Array.from(controls, (v) => +v.toFixed(4)).join(',');
    this.append(this.controls, Buffer.from(`${startSample},${controlSeq ?? ''},${serverMs.toFixed(1)},${values}\n`));
    const data = floatToPcm16(pcm);
    this.audioDataBytes += data.length;
    this.append(this.audio, data);
  }

  event(type: string, fields: Record<string, unknown> = {}): void {
    if (!this.recording) return;
    this.append(this.events, Buffer.from(JSON.stringify({ t: new Date().toISOString(), type, ...fields }) + '\n'));
  }

  private append(file: AppendFile, data: Buffer): void {
    file.append(data);
    this.bytes += data.length;
    if (this.bytes > this.options.maxBytes) this.stop(`the recording reached its size limit (${Math.round(this.options.maxBytes / 1e6)} MB)`);
  }

  /** The periodic flush, plus the time quota and the free-space floor. */
  private async tick(): Promise<void> {
    if (this.stopped !== null) return;
    if (performance.now() - this.startedMs > this.options.maxMs) {
      this.stop(`the recording reached its length limit (${(this.options.maxMs / 60_000).toFixed(1)} min)`);
      return;
    }
    try {
      if (++this.flushes % FREE_SPACE_CHECK_FLUSHES === 0) {
        const free = freeBytes(await statfs(this.dir));
        if (free < this.options.minFreeBytes) {
          this.stop(`the disk where recordings go is below its free-space floor (${Math.round(free / 1e6)} MB free)`);
          return;
        }
      }
      await this.flush();
    } catch (err) {
      this.fail(err);
    }
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

  /** A quota or the floor: finish what is buffered and close, as a normal end. */
  private stop(reason: string): void {
    if (this.stopped !== null || this.closing !== null) return;
    this.stopped = reason;
    this.options.onStop(reason);
    void this.close();
  }

  /** A write error: nothing more is written; what reached the disk stays. */
  private fail(err: unknown): void {
    if (this.stopped !== null) return;
    const code = (err as { code?: string }).code;
    for (const f of this.files) f.discard();
    this.stopped = `could not write the recording${code ? ` (${code})` : ''}`;
    this.options.onStop(this.stopped);
    void this.close();
  }

  /** Flushes and closes; safe to call more than once (every caller gets the same promise); never rejects. */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<void> {
    clearInterval(this.timer);
    const failed = this.stopped !== null && this.stopped.startsWith('could not write');
    try {
      if (!failed) {
        this.append(this.events, Buffer.from(JSON.stringify({ t: new Date().toISOString(), type: 'end', audioSeconds: this.audioDataBytes / 2 / this.meta.channels / this.meta.sampleRate, ...(this.stopped ? { stopped: this.stopped } : {}) }) + '\n'));
        await this.flush();
      }
    } catch (err) {
      if (this.stopped === null) {
        this.stopped = `could not write the recording${(err as { code?: string }).code ? ` (${(err as { code?: string }).code})` : ''}`;
        this.options.onStop(this.stopped);
      }
    }
    await Promise.all(this.files.map((f) => f.close().catch(() => undefined)));
    await writeFile(join(this.dir, 'session.json'), JSON.stringify({ ...this.meta, endedAt: new Date().toISOString(), ...(this.stopped ? { stopped: this.stopped } : {}) }, null, 2)).catch(() => undefined);
  }
}
