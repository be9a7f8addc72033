/**
 * A listener thread (listenerThreads.ts): runs its sessions and stamps each chunk as it arrives.
 * A fixed run measures its sessions here and posts the measures; a soak posts each chunk's
 * figures in small batches, on the epoch clock so that every thread's stamps compare.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { measureSession, MEASURE_DEFAULTS, steadyFromMs } from './measures.js';
import type { FromListener, ListenerLag, ListenerSessionSpec, ListenerStart, ToListener } from './listenerThreads.js';
import { feedFor } from './performers/catalog.js';
import { runReconnecting } from './reconnectingSession.js';
import { SESSION_CLIENT_DEFAULTS, SessionClient, type SessionClientOptions } from './sessionClient.js';
import { tallied, type TalliedChunk } from './soakTally.js';
import type { FrameFeed } from './frameFeed.js';

/** Soak chunks go to the main thread this often (ms): rarely enough to cost nothing, often enough to keep batches small. */
const POST_INTERVAL_MS = 250;

const port = parentPort!;
const start = workerData as ListenerStart;
const post = (m: FromListener): void => port.postMessage(m);

const lag = monitorEventLoopDelay({ resolution: 5 });
lag.enable();
const lagSinceLast = (): ListenerLag => {
  const l = { p99Ms: lag.percentile(99) / 1e6, maxMs: lag.max / 1e6 };
  lag.reset();
  return l;
};

function clientOptions(s: ListenerSessionSpec, feed: FrameFeed): Partial<SessionClientOptions> & Pick<SessionClientOptions, 'url' | 'feed'> {
  return { url: s.url, feed, prompt: s.prompt, format: s.format, seed: s.seed, listener: s.listener, ...(s.pack ? { pack: s.pack } : {}) };
}

async function runFixed(start: Extract<ListenerStart, { mode: 'fixed' }>): Promise<void> {
  const abort = new AbortController();
  let measure: () => void = () => undefined;
  const measuring = new Promise<void>((resolve) => (measure = resolve));
  port.on('message', (m: ToListener) => {
    if (m.type === 'abort') abort.abort();
    else if (m.type === 'measure') measure();
  });
  const feeds = start.sessions.map((s) => feedFor(s.performer, s.fps));
  const durationMs = start.seconds * 1000;
  // A thread ready before its sessions start (joinBench): its own start-up is not theirs.
  if (start.delayMs) await new Promise((resolve) => setTimeout(resolve, start.delayMs));
  post({ type: 'streaming' });
  const results = await Promise.all(
    start.sessions.map((s, i) => {
      // The samples are measured as they arrive (the beat measure keeps only their onsets), not kept.
      const options = { ...clientOptions(s, feeds[i]!), keepAudio: false };
      return start.reconnect ? runReconnecting(options, durationMs, abort.signal) : new SessionClient(options).run(durationMs, abort.signal);
    }),
  );
  const l = lagSinceLast();
  // Every thread's sessions end before any thread measures, so the measuring does not load the
  // last moments of another's sessions (and the harness's CPU while streaming is read between).
  post({ type: 'streamed' });
  await measuring;
  const warm = start.measure.warmupMs ?? MEASURE_DEFAULTS.warmupMs;
  const latenciesFrom = (ms: number): number[] =>
    results.flatMap((r) => r.chunks.filter((c) => c.arrivalMs >= r.startedMs + ms && c.latencyMs !== null).map((c) => c.latencyMs!));
  post({
    type: 'measured',
    measures: results.map((r, i) => measureSession(r, feeds[i]!, start.sessions[i]!.prompt, start.measure)),
    latencies: latenciesFrom(warm),
    steadyLatencies: latenciesFrom(steadyFromMs(start.measure)),
    lag: l,
  });
  port.close();
}

function runSoak(start: Extract<ListenerStart, { mode: 'soak' }>): void {
  /** The clients' clock is performance.now() plus their offset; this thread's time origin is its own. */
  const clientToEpochMs = performance.timeOrigin - SESSION_CLIENT_DEFAULTS.clockOffsetMs;
  let batch: TalliedChunk[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    post({ type: 'chunks', chunks: batch });
    batch = [];
  };
  const clients = start.sessions.map(
    (s) =>
      new SessionClient({
        ...clientOptions(s, feedFor(s.performer, s.fps)),
        keepAudio: false,
        keepChunks: false,
        onChunk: (c) => batch.push(tallied(c, clientToEpochMs)),
      }),
  );
  const timer = setInterval(flush, POST_INTERVAL_MS);
  port.on('message', (m: ToListener) => {
    if (m.type === 'window') {
      flush();
      post({ type: 'window', lag: lagSinceLast() });
      return;
    }
    if (m.type !== 'stop') return;
    for (const c of clients) c.send({ type: 'stop' });
    void Promise.all(clients.map((c) => c.finish())).then((results) => {
      clearInterval(timer);
      flush();
      post({ type: 'done', errors: results.flatMap((r) => r.errors.map((e) => e.code)), closeCodes: results.map((r) => r.closeCode) });
      port.close();
    });
  });
}

if (start.mode === 'fixed') void runFixed(start);
else runSoak(start);
