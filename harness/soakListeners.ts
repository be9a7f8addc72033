/**
 * A soak's sessions, run in worker threads of their own (soakWorker.ts), four to a thread.
 *
 * The thread that receives a chunk stamps its arrival. In the harness's main thread that stamp
 * waited on everything else the process did (window bookkeeping, /metrics scrapes, a full GC):
 * a 2 h soak saw its only two underruns in a window where the harness itself stalled 73 ms while
 * the server's stages were all on time. A listener thread does nothing but its sessions, with a
 * small young generation, so what it measures is the server and the network.
 */
import { Worker } from 'node:worker_threads';
import type { AudioFormat } from '../protocol/audioChunk.js';
import type { Milliseconds } from '../protocol/units.js';
import type { TalliedChunk } from './soakTally.js';
import type { VirtualListenerOptions } from './virtualListener.js';

/** One session as a listener thread starts it: plain data, since it crosses threads. */
export interface SoakSessionSpec {
  url: string;
  performer: string;
  fps: number;
  prompt: string;
  format: AudioFormat;
  seed: number;
  listener: Partial<VirtualListenerOptions>;
  pack?: string;
}

export type ToListener = { type: 'window' } | { type: 'stop' };
export type FromListener =
  | { type: 'chunks'; chunks: TalliedChunk[] }
  /** The thread's own event-loop delay since the last window (ms): a chunk can look that much later than it came. */
  | { type: 'window'; lagP99Ms: number; lagMaxMs: number }
  | { type: 'done'; errors: string[]; closeCodes: (number | null)[] };

/** Sessions per listener thread: at 4, a thread is busy about 6 % of the time (one core's share). */
export const SESSIONS_PER_LISTENER = 4;

/** Small scavenges, as in the server's generation workers (workerPool.ts). */
const LISTENER_YOUNG_GENERATION_MB = 12;

export interface ListenerLag {
  p99Ms: Milliseconds;
  maxMs: Milliseconds;
}

/** The listener threads of one soak; chunks go to `onChunks` as they come, stamped on the epoch clock (ms). */
export class SoakListeners {
  private readonly threads: Worker[];
  private readonly failed: Promise<never>;
  private pendingWindow: ((lag: ListenerLag) => void)[] = [];
  private windowLags: ListenerLag[] = [];
  private done: { errors: string[]; closeCodes: (number | null)[] }[] = [];
  private onDone: (() => void) | null = null;
  private stopping = false;

  constructor(specs: SoakSessionSpec[], onChunks: (chunks: TalliedChunk[]) => void) {
    const groups: SoakSessionSpec[][] = [];
    for (let i = 0; i < specs.length; i += SESSIONS_PER_LISTENER) groups.push(specs.slice(i, i + SESSIONS_PER_LISTENER));
    let fail: (err: Error) => void = () => undefined;
    this.failed = new Promise<never>((_, reject) => (fail = reject));
    this.failed.catch(() => undefined); // observed by window() and stop()
    this.threads = groups.map((sessions) => {
      const w = new Worker(new URL('./soakWorker.js', import.meta.url), {
        workerData: { sessions },
        resourceLimits: { maxYoungGenerationSizeMb: LISTENER_YOUNG_GENERATION_MB },
      });
      w.on('message', (m: FromListener) => {
        if (m.type === 'chunks') onChunks(m.chunks);
        else if (m.type === 'window') this.windowReply({ p99Ms: m.lagP99Ms, maxMs: m.lagMaxMs });
        else {
          this.done.push(m);
          if (this.done.length === this.threads.length) this.onDone?.();
        }
      });
      w.on('error', (err) => fail(new Error(`a soak listener thread failed: ${err.message}`)));
      w.on('exit', (code) => {
        if (code !== 0 && !this.stopping) fail(new Error(`a soak listener thread exited with code ${code}`));
      });
      return w;
    });
  }

  private windowReply(lag: ListenerLag): void {
    this.windowLags.push(lag);
    if (this.windowLags.length < this.threads.length) return;
    const worst = { p99Ms: Math.max(...this.windowLags.map((l) => l.p99Ms)), maxMs: Math.max(...this.windowLags.map((l) => l.maxMs)) };
    this.windowLags = [];
    for (const resolve of this.pendingWindow.splice(0)) resolve(worst);
  }

  /**
   * Ends a window: every thread hands over the chunks it holds (they arrive before this resolves)
   * and its event-loop delay since the last window; resolves with the worst thread's.
   */
  window(): Promise<ListenerLag> {
    const lag = new Promise<ListenerLag>((resolve) => this.pendingWindow.push(resolve));
    for (const w of this.threads) w.postMessage({ type: 'window' } satisfies ToListener);
    return Promise.race([lag, this.failed]);
  }

  /** Sends stop on every session, waits for them to close and the threads to end. */
  async stop(): Promise<{ errors: string[]; closeCodes: (number | null)[] }> {
    const allDone = new Promise<void>((resolve) => {
      this.onDone = resolve;
      if (this.done.length === this.threads.length) resolve();
    });
    for (const w of this.threads) w.postMessage({ type: 'stop' } satisfies ToListener);
    await Promise.race([allDone, this.failed]);
    this.stopping = true;
    await Promise.all(this.threads.map((w) => w.terminate()));
    return { errors: this.done.flatMap((d) => d.errors), closeCodes: this.done.flatMap((d) => d.closeCodes) };
  }
}
