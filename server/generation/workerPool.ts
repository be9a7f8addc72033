/**
 * A pool of generation worker threads, sized to the cores. Each session's stream lives in one
 * worker (its state stays there); new streams go to the worker with the fewest. The event loop
 * only posts requests and receives PCM.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { InstrumentKind } from '../../protocol/messages.js';
import type { ChunkNotes, ChunkRequest, MusicState, PackInfo } from './engine.js';
import type { FromWorker, ToWorker } from './workerProtocol.js';
import type { ThreadBusy } from '../metrics.js';

export interface RenderedChunk {
  pcm: Float32Array;
  state: MusicState;
  /** The chunk's notes (symbolic packs only). */
  notes?: ChunkNotes;
  /** Server clock when the worker started and finished this chunk. */
  genStartMs: number;
  genEndMs: number;
}

type StreamMessage = Exclude<ToWorker, { op: 'shutdown' }>;

/** What each worker does before taking requests (generationWorker.ts). */
interface WorkerStart {
  warmPack?: string;
  warmInstruments?: InstrumentKind;
  preloadSoundfont?: boolean;
  /** Batch the decoder steps of the worker's sessions (false: each runs alone). */
  decoderBatching?: boolean;
}

interface Pending {
  resolve(value: FromWorker): void;
  reject(err: Error): void;
}

/**
 * A small young generation for generation workers (V8 gives it 3 semi-spaces: 4 MB each). With
 * Node's default the semi-space grows to 16 MB, and V8 then finishes most collections as
 * mark-compacts of the whole heap every 2-3 s, 20-40 ms that land inside a render (a 66 ms render
 * of a 21 ms chunk). With 4 MB, 1-2 ms scavenges instead (4 sessions, 90 s on 2 cores: worst chunk
 * RTF 1.3-1.9 -> 0.6-1.1 after warm-up, server CPU 36-42 % -> 33-34 % of a core).
 */
const WORKER_YOUNG_GENERATION_MB = 12;

class PoolWorker {
  readonly worker: Worker;
  /** Streams hosted here, and the one outstanding request of each. */
  readonly streams = new Map<number, Pending | null>();
  alive = true;
  /** The worker's kernel thread id once it is ready (Linux), for its CPU wait. */
  tid: number | null = null;
  /** Resolves once the worker has warmed up and takes requests. */
  readonly ready: Promise<void>;
  /** Resolves when the worker has answered a shutdown (its engines are released). */
  readonly closed: Promise<void>;
  private markClosed = (): void => undefined;

  constructor(workerData: WorkerStart, onExit: (w: PoolWorker, err: Error) => void) {
    this.worker = new Worker(new URL('./generationWorker.js', import.meta.url), { workerData, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    let markReady = (): void => undefined;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    this.worker.on('message', (msg: FromWorker) => {
      if (msg.op === 'ready') {
        this.tid = msg.tid;
        markReady();
        return;
      }
      if (msg.op === 'closed') {
        this.markClosed();
        return;
      }
      const pending = this.streams.get(msg.streamId);
      if (!pending) return;
      this.streams.set(msg.streamId, null);
      if (msg.op === 'failed') pending.reject(new Error(msg.message));
      else pending.resolve(msg);
    });
    this.worker.on('error', (err) => onExit(this, err));
    this.worker.on('exit', (code) => onExit(this, new Error(`generation worker exited with code ${code}`)));
  }

  request(msg: StreamMessage): Promise<FromWorker> {
    if (!this.alive) return Promise.reject(new Error('generation worker is gone'));
    if (this.streams.get(msg.streamId)) return Promise.reject(new Error(`stream ${msg.streamId} already has a request in flight`));
    return new Promise((resolve, reject) => {
      this.streams.set(msg.streamId, { resolve, reject });
      this.worker.postMessage(msg);
    });
  }

  post(msg: StreamMessage): void {
    if (this.alive) this.worker.postMessage(msg);
  }
}

/** A session's handle on its stream inside a worker. */
export class RemoteStream {
  private closed = false;

  constructor(
    private readonly host: PoolWorker,
    private readonly id: number,
    readonly info: PackInfo,
    /** Who plays the notes (symbolic packs). */
    readonly instruments?: InstrumentKind,
  ) {}

  setPrompt(prompt: string): void {
    if (!this.closed) this.host.post({ op: 'prompt', streamId: this.id, prompt });
  }

  async render(request: ChunkRequest): Promise<RenderedChunk> {
    if (this.closed) throw new Error('stream is closed');
    const msg = await this.host.request({ op: 'render', streamId: this.id, request });
    if (msg.op !== 'rendered') throw new Error(`unexpected worker reply ${msg.op}`);
    return { pcm: msg.pcm, state: msg.state, notes: msg.notes, genStartMs: msg.genStartMs, genEndMs: msg.genEndMs };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.post({ op: 'close', streamId: this.id });
    this.host.streams.delete(this.id);
  }
}

/** How long close() waits for a worker to release its engines before ending it anyway (ms). */
const SHUTDOWN_TIMEOUT_MS = 3000;

/** A server starts serving after this long even if a worker is still warming up (ms). */
const WARM_UP_TIMEOUT_MS = 10_000;

export interface WorkerPoolOptions {
  log?: Logger;
  /** Called each time a dead worker is replaced (a metric). */
  onRestart?: () => void;
  /** Replacement delay after the first death; doubles with each death in a row ... (ms) */
  restartDelayMs?: number;
  /** ... up to this (ms). */
  maxRestartDelayMs?: number;
  /** A slot whose worker died this many times in a row, each within a minute of starting, is given up. */
  maxRestartsInARow?: number;
  /** The instruments the warm-up renders with (the server's setting; the pack's when unset). */
  warmInstruments?: InstrumentKind;
  /** Load the SoundFont bank in each worker before it takes requests (the default pack or the server uses it). */
  preloadSoundfont?: boolean;
  /** Batch the decoder steps of each worker's sessions where the pack allows (default true). */
  decoderBatching?: boolean;
}

/** A worker that lived this long before dying resets its slot's count of deaths in a row (ms). */
const STABLE_AFTER_MS = 60_000;

export class WorkerPool {
  /** One slot per thread; null while a dead worker waits for its replacement (or was given up). */
  private readonly workers: (PoolWorker | null)[] = [];
  private readonly deathsInARow: number[] = [];
  private readonly startedAt: number[] = [];
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private readonly options: Required<Omit<WorkerPoolOptions, 'log' | 'warmInstruments' | 'preloadSoundfont' | 'decoderBatching'>> & { log: Logger | null };
  private readonly start: WorkerStart;
  private nextStreamId = 1;
  private closing = false;

  /** `warmPack`: each worker renders throwaway audio on this pack before its first request. */
  constructor(
    readonly size: number,
    warmPack?: string,
    options: WorkerPoolOptions = {},
  ) {
    const { warmInstruments, preloadSoundfont, decoderBatching, ...rest } = options;
    this.options = { onRestart: () => undefined, restartDelayMs: 250, maxRestartDelayMs: 30_000, maxRestartsInARow: 8, ...rest, log: options.log ?? null };
    this.start = { warmPack, warmInstruments, preloadSoundfont, ...(decoderBatching === false ? { decoderBatching } : {}) };
    for (let i = 0; i < size; i++) {
      this.deathsInARow.push(0);
      this.startedAt.push(0);
      this.workers.push(this.spawn(i));
    }
  }

  async openStream(pack: string, prompt: string, seed: number, instruments?: InstrumentKind): Promise<RemoteStream> {
    const alive = this.workers.filter((w): w is PoolWorker => w !== null && w.alive);
    if (alive.length === 0) throw new Error('no generation worker is running');
    const host = alive.reduce((a, b) => (b.streams.size < a.streams.size ? b : a));
    const streamId = this.nextStreamId++;
    try {
      const msg = await host.request({ op: 'open', streamId, pack, prompt, seed, instruments });
      if (msg.op !== 'opened') throw new Error(`unexpected worker reply ${msg.op}`);
      return new RemoteStream(host, streamId, msg.info, msg.instruments);
    } catch (err) {
      host.streams.delete(streamId);
      throw err;
    }
  }

  /** Resolves when every worker has warmed up (or died trying: a dead worker is replaced). */
  ready(): Promise<void> {
    const warming = this.workers.flatMap((w) => (w ? [w.ready] : []));
    return Promise.race([Promise.all(warming).then(() => undefined), new Promise<void>((r) => setTimeout(r, WARM_UP_TIMEOUT_MS).unref())]);
  }

  /** Streams per worker (for tests and metrics); 0 for a slot waiting for its replacement. */
  loads(): number[] {
    return this.workers.map((w) => w?.streams.size ?? 0);
  }

  /** Each live worker's busy time so far (its event loop's active time) and thread id, for the thread metrics. */
  threadBusy(): ThreadBusy[] {
    return this.workers.flatMap((w, slot) => (w && w.alive ? [{ thread: `worker${slot}`, key: w.worker, activeMs: w.worker.performance.eventLoopUtilization().active, tid: w.tid }] : []));
  }

  /** Lets each worker finish its renders in flight and release its engines, then ends it (at most SHUTDOWN_TIMEOUT_MS). */
  async close(): Promise<void> {
    this.closing = true;
    for (const t of this.restartTimers) clearTimeout(t);
    await Promise.all(
      this.workers.map(async (w) => {
        if (!w) return;
        if (w.alive) {
          w.worker.postMessage({ op: 'shutdown' } satisfies ToWorker);
          await Promise.race([w.closed, new Promise<void>((r) => setTimeout(r, SHUTDOWN_TIMEOUT_MS).unref())]);
        }
        await w.worker.terminate();
      }),
    );
  }

  private spawn(slot: number): PoolWorker {
    this.startedAt[slot] = performance.now();
    return new PoolWorker(this.start, (dead, err) => {
      if (!dead.alive) return;
      dead.alive = false;
      for (const pending of dead.streams.values()) pending?.reject(err);
      dead.streams.clear();
      if (this.closing || this.workers[slot] !== dead) return;
      this.workers[slot] = null;
      void dead.worker.terminate();
      // Replace a crashed worker so new sessions have somewhere to go (its sessions see the
      // error), but back off: a worker that dies at start must not spin the machine.
      const lived = performance.now() - this.startedAt[slot]!;
      this.deathsInARow[slot] = lived > STABLE_AFTER_MS ? 1 : this.deathsInARow[slot]! + 1;
      const deaths = this.deathsInARow[slot]!;
      const { restartDelayMs, maxRestartDelayMs, maxRestartsInARow, log } = this.options;
      if (deaths > maxRestartsInARow) {
        log?.error({ err: err.message, slot, deaths }, 'generation worker keeps dying; not restarting it');
        return;
      }
      const delay = Math.min(maxRestartDelayMs, restartDelayMs * 2 ** (deaths - 1));
      log?.warn({ err: err.message, slot, restartInMs: delay }, 'generation worker died; replacing it');
      const timer = setTimeout(() => {
        this.restartTimers.delete(timer);
        if (this.closing) return;
        this.workers[slot] = this.spawn(slot);
        this.options.onRestart();
      }, delay);
      this.restartTimers.add(timer);
    });
  }
}
