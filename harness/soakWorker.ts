/**
 * A soak listener thread (soakListeners.ts): runs its sessions, stamps each chunk as it arrives
 * and posts the chunks in small batches, on the epoch clock so that every thread's stamps compare.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { feedFor } from './performers/catalog.js';
import { SESSION_CLIENT_DEFAULTS, SessionClient } from './sessionClient.js';
import type { FromListener, SoakSessionSpec, ToListener } from './soakListeners.js';
import { tallied, type TalliedChunk } from './soakTally.js';

/** Chunks go to the main thread this often (ms): rarely enough to cost nothing, often enough to keep batches small. */
const POST_INTERVAL_MS = 250;

const port = parentPort!;
const { sessions } = workerData as { sessions: SoakSessionSpec[] };
const post = (m: FromListener): void => port.postMessage(m);

let batch: TalliedChunk[] = [];
const flush = (): void => {
  if (batch.length === 0) return;
  post({ type: 'chunks', chunks: batch });
  batch = [];
};

/** The clients' clock is performance.now() plus their offset; this thread's time origin is its own. */
const clientToEpochMs = performance.timeOrigin - SESSION_CLIENT_DEFAULTS.clockOffsetMs;

const clients = sessions.map(
  (s) =>
    new SessionClient({
      url: s.url,
      feed: feedFor(s.performer, s.fps),
      prompt: s.prompt,
      format: s.format,
      seed: s.seed,
      listener: s.listener,
      keepAudio: false,
      keepChunks: false,
      onChunk: (c) => batch.push(tallied(c, clientToEpochMs)),
      ...(s.pack ? { pack: s.pack } : {}),
    }),
);
const timer = setInterval(flush, POST_INTERVAL_MS);
const lag = monitorEventLoopDelay({ resolution: 5 });
lag.enable();

port.on('message', (m: ToListener) => {
  if (m.type === 'window') {
    flush();
    post({ type: 'window', lagP99Ms: lag.percentile(99) / 1e6, lagMaxMs: lag.max / 1e6 });
    lag.reset();
    return;
  }
  for (const c of clients) c.send({ type: 'stop' });
  void Promise.all(clients.map((c) => c.finish())).then((results) => {
    clearInterval(timer);
    lag.disable();
    flush();
    post({ type: 'done', errors: results.flatMap((r) => r.errors.map((e) => e.code)), closeCodes: results.map((r) => r.closeCode) });
    port.close();
  });
});
