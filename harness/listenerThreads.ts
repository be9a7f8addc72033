/**
 * The harness's sessions run in listener threads of their own (listenerThread.ts), eight to a
 * thread; the main thread only starts them, scrapes /metrics and writes the report.
 *
 * The thread that receives a chunk stamps its arrival. In the harness's main thread that stamp
 * waited on everything else the process did (bookkeeping, /metrics scrapes, a full GC): a 2 h
 * soak saw its only two underruns in a window where the harness itself stalled 73 ms while every
 * server stage was on time, and a ramp at 24 sessions ran the harness's one thread at a p99 delay
 * of 30 ms. A listener thread does nothing but its sessions, with a small young generation, so
 * what it measures is the server and the network.
 */
import { Worker } from 'node:worker_threads';
import type { AudioFormat } from '../protocol/audioChunk.js';
import type { Milliseconds } from '../protocol/units.js';
import { processCpuWaitMs } from './processCpuWait.js';
import type { MeasureOptions, SessionMeasures } from './measures.js';
import type { TalliedChunk } from './soakTally.js';
import type { VirtualListenerOptions } from './virtualListener.js';

/** One session as a listener thread starts it: plain data, since it crosses threads. */
export interface ListenerSessionSpec {
  url: string;
  performer: string;
  fps: number;
  prompt: string;
  format: AudioFormat;
  seed: number;
  listener: Partial<VirtualListenerOptions>;
  pack?: string;
}

/** What a thread is started with: a fixed run (sessions for `seconds`, measured in the thread) or a soak (chunks posted as they come). */
export type ListenerStart =
  | { mode: 'fixed'; sessions: ListenerSessionSpec[]; seconds: number; reconnect: boolean; measure: Partial<MeasureOptions>; delayMs?: number }
  | { mode: 'soak'; sessions: ListenerSessionSpec[] };

export type ToListener = { type: 'window' } | { type: 'stop' } | { type: 'abort' } | { type: 'measure' };

/** A thread's own event-loop delay (ms): a chunk can look that much later than it came. */
export interface ListenerLag {
  p99Ms: Milliseconds;
  maxMs: Milliseconds;
}

export type FromListener =
  | { type: 'chunks'; chunks: TalliedChunk[] }
  | { type: 'window'; lag: ListenerLag }
  | { type: 'done'; errors: string[]; closeCodes: (number | null)[] }
  /** A fixed run's thread starts its sessions now; then they have ended and it waits for `measure` (the harness's CPU while streaming is read between the two). */
  | { type: 'streaming' }
  | { type: 'streamed' }
  /** A fixed run's sessions, measured; `latencies`: every counted chunk's, for the overall figures; `steadyLatencies`: those from MeasureOptions.steadyFromMs on. */
  | { type: 'measured'; measures: SessionMeasures[]; latencies: number[]; steadyLatencies: number[]; lag: ListenerLag };

/**
 * Sessions per listener thread. Each thread costs CPU of its own (an isolate that compiles the
 * client code again): 16 sessions for 15 s took 35-37 % of a core in one thread, 43-45 % in two,
 * 57-63 % in four, and one thread's delay reached p99 16-20 ms. Eight is the middle.
 */
export const SESSIONS_PER_LISTENER = 8;

/** Small scavenges, as in the server's generation workers (workerPool.ts). */
const LISTENER_YOUNG_GENERATION_MB = 12;

function worst(lags: ListenerLag[]): ListenerLag {
  return { p99Ms: Math.max(0, ...lags.map((l) => l.p99Ms)), maxMs: Math.max(0, ...lags.map((l) => l.maxMs)) };
}

/** Listener threads for `specs`, `perThread` sessions in each, started with `start(group)`; messages go to `onMessage` with the thread's index; a thread that fails rejects `failed`. */
class ListenerThreads {
  readonly threads: Worker[];
  readonly failed: Promise<never>;
  private stopping = false;

  constructor(
    specs: ListenerSessionSpec[],
    perThread: number,
    start: (sessions: ListenerSessionSpec[]) => ListenerStart,
    onMessage: (m: FromListener, thread: number) => void,
  ) {
    let fail: (err: Error) => void = () => undefined;
    this.failed = new Promise<never>((_, reject) => (fail = reject));
    this.failed.catch(() => undefined); // raced by the callers
    const groups: ListenerSessionSpec[][] = [];
    for (let i = 0; i < specs.length; i += perThread) groups.push(specs.slice(i, i + perThread));
    this.threads = groups.map((sessions, i) => {
      const w = new Worker(new URL('./listenerThread.js', import.meta.url), {
        workerData: start(sessions),
        resourceLimits: { maxYoungGenerationSizeMb: LISTENER_YOUNG_GENERATION_MB },
      });
      w.on('message', (m: FromListener) => onMessage(m, i));
      w.on('error', (err) => fail(new Error(`a listener thread failed: ${err.message}`)));
      w.on('exit', (code) => {
        if (code !== 0 && !this.stopping) fail(new Error(`a listener thread exited with code ${code}`));
      });
      return w;
    });
  }

  post(m: ToListener): void {
    for (const w of this.threads) w.postMessage(m);
  }

  async end(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.threads.map((w) => w.terminate()));
  }
}

export interface FixedSessions {
  /** In the order of the specs. */
  measures: SessionMeasures[];
  latencies: number[];
  steadyLatencies: number[];
  /** The worst listener thread's delay over the run. */
  lag: ListenerLag;
  /**
   * This process's CPU (share of one core, %) from when every thread started its sessions to when
   * they had all ended: what the harness took from the machine while it measured, without the
   * threads' start-up or the measuring afterwards (onset detection over every session's audio).
   */
  streamingCpuPercent: number;
  /** Its threads' time waiting for a CPU meanwhile, share of one core (Linux; null elsewhere). */
  streamingCpuWaitPercent: number | null;
}

/** Runs `specs` for `seconds` (less if `signal` aborts) in listener threads of `perThread` sessions, and measures them there. */
export async function runFixedSessions(
  specs: ListenerSessionSpec[],
  perThread: number,
  run: { seconds: number; reconnect: boolean; measure: Partial<MeasureOptions>; /** The threads start now, their sessions this much later. */ delayMs?: number },
  signal?: AbortSignal,
  /** Called once every session has ended, before the threads measure (the server's figures are read here). */
  onStreamed?: () => Promise<void>,
): Promise<FixedSessions> {
  const parts: Extract<FromListener, { type: 'measured' }>[] = [];
  let count = 0;
  let allMeasured: () => void = () => undefined;
  const measured = new Promise<void>((resolve) => (allMeasured = resolve));
  let streaming = 0;
  let streamed = 0;
  let cpuFrom = process.cpuUsage();
  let waitFrom = processCpuWaitMs();
  let wallFrom = performance.now();
  let streamingCpuPercent = 0;
  let streamingCpuWaitPercent: number | null = null;
  const threads: ListenerThreads = new ListenerThreads(
    specs,
    perThread,
    (sessions) => ({ mode: 'fixed', sessions, ...run }),
    (m, i) => {
      if (m.type === 'streaming' && ++streaming === threads.threads.length) {
        cpuFrom = process.cpuUsage();
        waitFrom = processCpuWaitMs();
        wallFrom = performance.now();
      } else if (m.type === 'streamed' && ++streamed === threads.threads.length) {
        const cpu = process.cpuUsage(cpuFrom);
        const wallMs = Math.max(1, performance.now() - wallFrom);
        const waitTo = processCpuWaitMs();
        streamingCpuPercent = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
        streamingCpuWaitPercent = waitFrom === null || waitTo === null ? null : ((waitTo - waitFrom) / wallMs) * 100;
        // The threads measure whatever becomes of the callback (the runner's never throws: a server without /metrics is still measured).
        void (onStreamed?.() ?? Promise.resolve()).catch(() => undefined).then(() => threads.post({ type: 'measure' }));
      } else if (m.type === 'measured') {
        parts[i] = m;
        if (++count === threads.threads.length) allMeasured();
      }
    },
  );
  const abort = (): void => threads.post({ type: 'abort' });
  signal?.addEventListener('abort', abort, { once: true });
  try {
    await Promise.race([measured, threads.failed]);
  } finally {
    signal?.removeEventListener('abort', abort);
    await threads.end();
  }
  return {
    measures: parts.flatMap((p) => p.measures),
    latencies: parts.flatMap((p) => p.latencies),
    steadyLatencies: parts.flatMap((p) => p.steadyLatencies),
    lag: worst(parts.map((p) => p.lag)),
    streamingCpuPercent,
    streamingCpuWaitPercent,
  };
}

/** A soak's listener threads; chunks go to `onChunks` as they come, stamped on the epoch clock (ms). */
export class SoakListeners {
  private readonly threads: ListenerThreads;
  private pendingWindow: ((lag: ListenerLag) => void)[] = [];
  private windowLags: ListenerLag[] = [];
  /** Each thread's sessions' outcome, by thread. */
  private readonly done: { errors: string[]; closeCodes: (number | null)[] }[] = [];
  private doneCount = 0;
  private onDone: (() => void) | null = null;

  constructor(specs: ListenerSessionSpec[], perThread: number, onChunks: (chunks: TalliedChunk[]) => void) {
    this.threads = new ListenerThreads(specs, perThread, (sessions) => ({ mode: 'soak', sessions }), (m, i) => {
      if (m.type === 'chunks') onChunks(m.chunks);
      else if (m.type === 'window') this.windowReply(m.lag);
      else if (m.type === 'done') {
        this.done[i] = m;
        if (++this.doneCount === this.threads.threads.length) this.onDone?.();
      }
    });
  }

  private windowReply(lag: ListenerLag): void {
    this.windowLags.push(lag);
    if (this.windowLags.length < this.threads.threads.length) return;
    const lags = worst(this.windowLags);
    this.windowLags = [];
    for (const resolve of this.pendingWindow.splice(0)) resolve(lags);
  }

  /**
   * Ends a window: every thread hands over the chunks it holds (they arrive before this resolves)
   * and its event-loop delay since the last window; resolves with the worst thread's.
   */
  window(): Promise<ListenerLag> {
    const lag = new Promise<ListenerLag>((resolve) => this.pendingWindow.push(resolve));
    this.threads.post({ type: 'window' });
    return Promise.race([lag, this.threads.failed]);
  }

  /** Sends stop on every session, waits for them to close and the threads to end. */
  async stop(): Promise<{ errors: string[]; closeCodes: (number | null)[] }> {
    const allDone = new Promise<void>((resolve) => {
      this.onDone = resolve;
      if (this.doneCount === this.threads.threads.length) resolve();
    });
    this.threads.post({ type: 'stop' });
    try {
      await Promise.race([allDone, this.threads.failed]);
    } finally {
      await this.threads.end();
    }
    return { errors: this.done.flatMap((d) => d.errors), closeCodes: this.done.flatMap((d) => d.closeCodes) };
  }
}
