/**
 * A generation worker thread: hosts engines (one per pack, loaded on first use) and the
 * streams of the sessions assigned to it. Each stream's requests arrive in order; the
 * session never sends a stream's next render before the previous one has come back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { neutralControls, C } from '../../protocol/controlVector.js';
import { serverNow } from '../clock.js';
import { currentThreadId } from '../threadCpuTimes.js';
import type { InstrumentKind } from '../../protocol/messages.js';
import type { Engine, GenerationStream } from './engine.js';
import { createEngine, type EngineOptions } from './packs.js';
import { loadSoundfontBank } from './symbolic/synth/soundfontBank.js';
import type { FromWorker, ToWorker } from './workerProtocol.js';

if (!parentPort) throw new Error('generationWorker must run in a worker thread');
const port = parentPort;
const engines = new Map<string, Engine>();
const engineOptions: EngineOptions = { decoderBatching: ((workerData ?? {}) as { decoderBatching?: boolean }).decoderBatching !== false };
const streams = new Map<number, GenerationStream>();

function reply(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

/**
 * Streams start one at a time: an open waits until the stream opened before it has rendered its
 * first chunk (or START_TURN_MS passed). A start is the costly part of a session (the sampled
 * instruments' synthesiser, the prompt's encoding, the first pass, caches and the collection they
 * set off), and starts that pile up hold the thread's other streams. `node dist/bench/joinBench.js`
 * (12 playing, 8 joining at once): 59 and 98 underruns among the 12 without turns, 30-75 with
 * them; the joiners' first audio 388-717 ms without, 128-518 ms with.
 */
const START_TURN_MS = 250;
let startTurn: Promise<void> = Promise.resolve();
const startEnds = new Map<number, () => void>();

function endStart(streamId: number): void {
  const end = startEnds.get(streamId);
  if (!end) return;
  startEnds.delete(streamId);
  end();
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.op) {
    case 'open': {
      const previous = startTurn;
      let endTurn!: () => void;
      startTurn = new Promise<void>((resolve) => (endTurn = resolve));
      const timer = setTimeout(() => endStart(msg.streamId), START_TURN_MS);
      startEnds.set(msg.streamId, () => {
        clearTimeout(timer);
        endTurn();
      });
      await previous;
      try {
        await open(msg);
      } catch (err) {
        endStart(msg.streamId);
        throw err;
      }
      return;
    }
    case 'prompt':
      streams.get(msg.streamId)?.setPrompt(msg.prompt);
      return;
    case 'render':
      try {
        await render(msg);
      } finally {
        endStart(msg.streamId);
      }
      return;
    case 'close':
      endStart(msg.streamId);
      streams.get(msg.streamId)?.dispose();
      streams.delete(msg.streamId);
      return;
  }
}

async function open(msg: Extract<ToWorker, { op: 'open' }>): Promise<void> {
  let engine = engines.get(msg.pack);
  if (!engine) {
    engine = createEngine(msg.pack, engineOptions);
    engines.set(msg.pack, engine);
  }
  const stream = engine.openStream({ prompt: msg.prompt, seed: msg.seed, instruments: msg.instruments });
  streams.set(msg.streamId, stream);
  // The sampled instruments load the worker's bank once (preloaded at start where configured):
  // wait here, not in the first render, so no chunk counts the load against its timeout.
  await stream.whenReady?.();
  const instruments = stream.instruments ?? undefined;
  reply({ op: 'opened', streamId: msg.streamId, info: engine.info, ...(instruments ? { instruments } : {}) });
}

async function render(msg: Extract<ToWorker, { op: 'render' }>): Promise<void> {
  const stream = streams.get(msg.streamId);
  if (!stream) throw new Error(`stream ${msg.streamId} is not open`);
  const genStartMs = serverNow();
  const { pcm: rendered, state, notes } = await stream.render(msg.request);
  const genEndMs = serverNow();
  // Transfer, don't copy; a view into a larger buffer is copied first so nothing else is detached.
  const whole = rendered.byteOffset === 0 && rendered.byteLength === rendered.buffer.byteLength;
  const pcm = whole ? rendered : rendered.slice();
  reply({ op: 'rendered', streamId: msg.streamId, pcm, state, notes, genStartMs, genEndMs }, [pcm.buffer as ArrayBuffer]);
}

/**
 * Renders a second of throwaway audio on the default pack before taking requests, so the first
 * performer after a (re)start does not hear the JIT warming up (cold renders are several times
 * slower and cause underruns). Requests that arrive meanwhile wait in the port's queue.
 */
async function warmUp(pack: string, instruments: InstrumentKind | undefined): Promise<void> {
  const engine = createEngine(pack, engineOptions);
  engines.set(pack, engine);
  const stream = engine.openStream({ prompt: 'warm up', seed: 1, instruments });
  await stream.whenReady?.();
  const controls = neutralControls();
  controls[C.presence] = 1;
  controls[C.energy] = 0.8;
  const frames = 1024;
  for (let s = 0; s < engine.info.sampleRate; s += frames) {
    await stream.render({ startSample: s, frames, controls: [controls], controlStepSamples: frames, beat: null });
  }
  stream.dispose();
}

/**
 * Ending a thread while onnxruntime runs in it aborts the whole process (a native exception in a
 * destructor), so shutdown waits for the renders in flight and releases the engines first.
 */
const inFlight = new Set<Promise<void>>();
let shuttingDown = false;
async function shutdown(): Promise<void> {
  shuttingDown = true;
  await Promise.allSettled([...inFlight]);
  for (const s of streams.values()) s.dispose();
  streams.clear();
  await Promise.allSettled([...engines.values()].map((e) => e.dispose()));
  engines.clear();
  reply({ op: 'closed' });
}

const { warmPack, warmInstruments, preloadSoundfont } = (workerData ?? {}) as { warmPack?: string; warmInstruments?: InstrumentKind; preloadSoundfont?: boolean };
// The bank loads, and decodes the samples the styles use, before the warm-up: sessions asking for
// sampled instruments never wait for it, and the first sessions' renders do not queue behind the
// decoding (~1.1 s of this thread; left to the background, it held chunks of 12 sessions starting
// together up to 300 ms).
(preloadSoundfont ? loadSoundfontBank().then((bank) => bank.decoded.then(() => undefined)) : Promise.resolve())
  .catch(() => undefined) // streams asking for it fall back to the built-in synthesiser
  .then(() => (warmPack ? warmUp(warmPack, warmInstruments) : undefined))
  .catch(() => undefined) // a pack that cannot load reports it on the first real request
  .finally(() => {
    reply({ op: 'ready', tid: currentThreadId() });
    port.on('message', (msg: ToWorker) => {
      if (msg.op === 'shutdown') {
        if (!shuttingDown) void shutdown();
        return;
      }
      if (shuttingDown) return;
      const done = handle(msg).catch((err: unknown) => {
        reply({ op: 'failed', streamId: msg.streamId, message: err instanceof Error ? err.message : String(err) });
      });
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
    });
  });
