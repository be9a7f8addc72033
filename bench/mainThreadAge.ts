/**
 * Does the main thread's per-session work cost more as a session ages? Two modes, both in
 * compressed simulated time (an hour of 4 sessions in a few minutes):
 *
 * --mode pieces (default): drives the per-session pieces that run on the server's main thread
 * (server/session/session.ts) directly for `--minutes` of session life, and prints per `--window`
 * simulated minutes how much real time each piece took per simulated second (summed over the
 * sessions), next to the same for "young" sessions (the same performers, started at the window's
 * start, interleaved second by second with the aged ones, so machine load cancels in the ratio):
 *
 *   decode   decodeLandmarkFrame of each binary frame (onBinary)
 *   push     ControlTracker.push (onBinary)
 *   controls forChunk (renderNext, per chunk) and current + newestSeq
 *            (sendControls, every controlsIntervalMs)
 *   scene    SceneImaginer.observe (per chunk, with a real 1024-frame stereo PCM chunk)
 *   encode   encodeAudioChunk (per chunk) + encodeMessage of controls (every 100 ms) and
 *            stats (every 1 s) messages
 *   book     the session's per-chunk bookkeeping: LeadController.leadMs / recordGeneration,
 *            ListenerClock, RecentValues, ClockSync pings (every 2 s), pendingLatency
 *
 * plus the process CPU time per simulated second, heapUsed and RSS at the window's end, and the
 * tracker's internal sizes. Frames come from the harness performers (harness/performers) at
 * `--fps`, captured on a client clock (small numbers, as performance.now() in a browser) and
 * arriving 20-40 ms later on the server clock (performance.timeOrigin + now: ~1.7e12).
 *
 * --mode session: the real Session class (server/session/session.ts) with a simulated client (frames,
 * pongs, playback reports through harness/virtualListener) and a fake worker pool, on a virtual
 * clock (setTimeout/setInterval/performance.now replaced); prints the server's real time per
 * simulated session-second for the aged sessions and for young ones opened each window, the
 * session's internal sizes (pendingLatency, outstandingPings, timers, tracker history), heap, RSS.
 *
 *   node dist/bench/mainThreadAge.js [--mode pieces|session] [--minutes 40] [--window 2]
 *     [--fps 30] [--chunk 1024] [--performers nodding:120,dancing:100,swinging:90,still]
 *
 * The performer frames themselves (the client's work) are drawn and encoded outside the timed
 * parts. Wall time per piece (performance.now around each call); the machine may be shared, so
 * compare windows of one run.
 */
import { encodeAudioChunk } from '../protocol/audioChunk.js';
import { controlsToRecord } from '../protocol/controlVector.js';
import { decodeLandmarkFrame, encodeLandmarkFrame } from '../protocol/landmarkFrame.js';
import { encodeMessage, type MusicState } from '../protocol/messages.js';
import { RecentValues } from '../protocol/statistics.js';
import type { Milliseconds } from '../protocol/units.js';
import { feedFor } from '../harness/performers/catalog.js';
import type { FrameFeed } from '../harness/frameFeed.js';
import { ClockSync } from '../server/controls/clockSync.js';
import { ControlTracker } from '../server/controls/controlTracker.js';
import { LeadController } from '../server/session/leadController.js';
import { ListenerClock } from '../server/session/listenerClock.js';
import { createSessionScene } from '../server/scene/sessionScene.js';
import type { SceneImaginer } from '../server/scene/sceneImaginer.js';
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import type { PackInfo, WorkerPool } from '../server/generation/index.js';
import { resolveConfig } from '../server/config.js';
import { ServerMetrics } from '../server/metrics.js';
import { Session, type SessionSocket } from '../server/session/session.js';
import { VirtualListener } from '../harness/virtualListener.js';
import type { AudioChunkHeader } from '../protocol/audioChunk.js';

const PIECES = ['decode', 'push', 'controls', 'scene', 'encode', 'book'] as const;
type Piece = (typeof PIECES)[number];

function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    out.set(a.slice(2), argv[++i] ?? '');
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const MINUTES = Number(args.get('minutes') ?? 40);
const WINDOW_MIN = Number(args.get('window') ?? 2);
const FPS = Number(args.get('fps') ?? 30);
const CHUNK = Number(args.get('chunk') ?? 1024);
const PERFORMERS = (args.get('performers') ?? 'nodding:120,dancing:100,swinging:90,still').split(',');
const MODE = args.get('mode') ?? 'pieces';
if (MODE !== 'pieces' && MODE !== 'session') throw new Error('--mode must be pieces or session');
const SAMPLE_RATE = 48000;
const CHANNELS = 2;
const CONTROL_STEP_MS = 20;
const CONTROLS_INTERVAL_MS = 100;
const STATS_INTERVAL_MS = 1000;
const PING_INTERVAL_MS = 2000;
const CHUNK_MS = (CHUNK / SAMPLE_RATE) * 1000;
const SERVER_BASE: Milliseconds = performance.timeOrigin + 5_000;

const silentLog = { warn: () => {}, error: () => {}, debug: () => {} };
const noMetrics = { sceneHook: { inc: () => {} } } as never;

/** A few seconds of music-like stereo PCM (a chord, a bass line, noise-burst drums), reused chunk by chunk. */
function makeMusic(seconds: number): Float32Array {
  const frames = Math.round(seconds * SAMPLE_RATE);
  const out = new Float32Array(frames * CHANNELS);
  let seed = 12345;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const beat = SAMPLE_RATE / 2; // 120 BPM
  for (let i = 0; i < frames; i++) {
    const t = i / SAMPLE_RATE;
    const bar = Math.floor(i / (4 * beat)) % 4;
    const root = [110, 87.3, 98, 82.4][bar]!;
    const pad = 0.08 * (Math.sin(2 * Math.PI * root * 2 * t) + Math.sin(2 * Math.PI * root * 2.5 * t) + Math.sin(2 * Math.PI * root * 3 * t));
    const bass = 0.2 * Math.sin(2 * Math.PI * root * t) * (1 - ((i % beat) / beat) * 0.7);
    const k = i % (beat / 2);
    const hat = k < 2000 ? 0.15 * rnd() * Math.exp(-k / 300) : 0;
    const kick = i % beat < 4000 ? 0.5 * Math.sin(2 * Math.PI * (60 + 80 * Math.exp(-(i % beat) / 600)) * t) * Math.exp(-(i % beat) / 2500) : 0;
    const m = pad + bass + hat + kick;
    out[i * 2] = m + 0.02 * rnd();
    out[i * 2 + 1] = m + 0.02 * rnd();
  }
  return out;
}

interface Sim {
  name: string;
  feed: FrameFeed;
  clock: ClockSync;
  tracker: ControlTracker;
  scene: SceneImaginer | null;
  lead: LeadController;
  latencies: RecentValues;
  rtfs: RecentValues;
  listener: ListenerClock;
  pendingLatency: { startSample: number; captureMs: number }[];
  /** Client clock = performer time + this (a browser's performance.now()). */
  clientOffset: Milliseconds;
  seq: number;
  nextFrame: { atMs: Milliseconds; bytes: Uint8Array; arrival: Milliseconds } | null;
  nextChunkMs: Milliseconds;
  nextControlsMs: Milliseconds;
  nextStatsMs: Milliseconds;
  nextPingMs: Milliseconds;
  nextSample: number;
  chunks: number;
  music: MusicState;
  pcmOffset: number;
  /** Server time the session started. */
  base: Milliseconds;
  /** Time spent per piece, this window. */
  spent: Record<Piece, number>;
}

const music = makeMusic(8);
const musicFrames = music.length / CHANNELS;

function drawFrame(sim: Sim): void {
  const item = sim.feed.next();
  if (item === null) {
    sim.nextFrame = null;
    return;
  }
  const captureTimeMs = sim.clientOffset + item.atMs;
  const bytes = encodeLandmarkFrame({ ...item.frame, seq: sim.seq++, captureTimeMs });
  // network + tracking delay 20-40 ms (deterministic wobble)
  const delay = 20 + 10 * (1 + Math.sin(sim.seq * 0.37));
  sim.nextFrame = { atMs: item.atMs, bytes, arrival: sim.base + item.atMs + delay };
}

function zero(): Record<Piece, number> {
  return { decode: 0, push: 0, controls: 0, scene: 0, encode: 0, book: 0 };
}

function makeSim(spec: string, i: number, base: Milliseconds = SERVER_BASE): Sim {
  const clock = new ClockSync();
  const sim: Sim = {
    name: spec,
    feed: feedFor(spec, FPS),
    clock,
    tracker: new ControlTracker({ clock }),
    scene: createSessionScene({
      config: { sceneIntervalMs: 4000, sceneHookUrl: null, sceneHookTimeoutMs: 3000, sceneHookSeconds: 5 },
      metrics: noMetrics,
      log: silentLog,
      sampleRate: SAMPLE_RATE,
      channels: CHANNELS,
      prompt: 'funk',
      send: () => {},
    }),
    lead: new LeadController({ marginMs: 60, maxLeadMs: 400 }),
    latencies: new RecentValues(512),
    rtfs: new RecentValues(64),
    listener: new ListenerClock(SAMPLE_RATE, base + 100),
    pendingLatency: [],
    clientOffset: 1000 + 777 * i,
    seq: 0,
    nextFrame: null,
    nextChunkMs: base,
    nextControlsMs: base + CONTROLS_INTERVAL_MS,
    nextStatsMs: base + STATS_INTERVAL_MS,
    nextPingMs: base,
    nextSample: 0,
    chunks: 0,
    music: { style: 'funk', tempoBpm: 120, key: 'A', mode: 'minor', bar: 0, step: 0, section: 'verse', chord: 'Am', level: 2, locked: 1, phaseErrorMs: 0 },
    pcmOffset: (i * 9973) % musicFrames,
    base,
    spent: zero(),
  };
  drawFrame(sim);
  return sim;
}

let spent = zero();
let sink = 0;

function timed<T>(piece: Piece, fn: () => T): T {
  const t0 = performance.now();
  const r = fn();
  spent[piece] += performance.now() - t0;
  return r;
}

/** Runs every event of one session with server time < untilMs, in time order. */
function advance(sim: Sim, untilMs: Milliseconds): void {
  spent = sim.spent;
  for (;;) {
    const frameAt = sim.nextFrame?.arrival ?? Infinity;
    const t = Math.min(frameAt, sim.nextChunkMs, sim.nextControlsMs, sim.nextStatsMs, sim.nextPingMs);
    if (t >= untilMs) return;
    if (t === frameAt) {
      const f = sim.nextFrame!;
      const frame = timed('decode', () => decodeLandmarkFrame(f.bytes));
      sink += timed('push', () => (sim.tracker.push(frame, f.arrival) === 'accepted' ? 1 : 0));
      drawFrame(sim);
    } else if (t === sim.nextChunkMs) {
      chunk(sim, t);
      sim.nextChunkMs += CHUNK_MS;
    } else if (t === sim.nextControlsMs) {
      const text = timed('controls', () => {
        const values = controlsToRecord(sim.tracker.current(t));
        return { seq: sim.tracker.newestSeq, values };
      });
      sink += timed('encode', () => encodeMessage({ type: 'controls', seq: text.seq, serverTimeMs: t, values: text.values, music: sim.music }).length);
      sim.nextControlsMs += CONTROLS_INTERVAL_MS;
    } else if (t === sim.nextStatsMs) {
      const msg = timed('book', () => {
        const lat = sim.latencies;
        return {
          type: 'stats' as const,
          latencyMs: lat.count > 0 ? { p50: lat.percentile(50), p95: lat.percentile(95), max: lat.max(), count: lat.count } : null,
          rtf: sim.rtfs.count > 0 ? sim.rtfs.mean() : 0,
          underruns: 0,
          leadMs: sim.lead.leadMs(sim.listener.outputLatencyMs, t),
          chunks: sim.chunks,
        };
      });
      sink += timed('encode', () => encodeMessage(msg).length);
      sim.nextStatsMs += STATS_INTERVAL_MS;
    } else {
      // a ping answered 30 ms later; the client's clock is the performer clock + clientOffset
      const t0 = t;
      const t1 = t0 - sim.base + sim.clientOffset + 12;
      timed('book', () => sim.clock.addSample(t0, t1, t1 + 1, t0 + 30));
      sink += encodeMessage({ type: 'ping', id: sim.chunks, t: t0 }).length;
      sim.nextPingMs += PING_INTERVAL_MS;
    }
  }
}

function chunk(sim: Sim, now: Milliseconds): void {
  const steps = Math.ceil(CHUNK / Math.round((CONTROL_STEP_MS * SAMPLE_RATE) / 1000));
  const { controls, beat, newestSeq: seq, newestCaptureMs: captureMs } = timed('controls', () =>
    sim.tracker.forChunk(now, { stepMs: CONTROL_STEP_MS, count: steps, timeline: sim.listener }),
  );
  const lead = timed('book', () => sim.lead.leadMs(sim.listener.outputLatencyMs, now));
  sink += lead + (beat?.anchorSample ?? 0);
  // "generation": a fresh PCM array, as a worker would transfer one
  const pcm = new Float32Array(CHUNK * CHANNELS);
  for (let i = 0; i < CHUNK; i++) {
    const j = ((sim.pcmOffset + i) % musicFrames) * CHANNELS;
    pcm[2 * i] = music[j]!;
    pcm[2 * i + 1] = music[j + 1]!;
  }
  sim.pcmOffset = (sim.pcmOffset + CHUNK) % musicFrames;
  const startSample = sim.nextSample;
  sink += timed('encode', () =>
    encodeAudioChunk(
      { startSample, frames: CHUNK, sampleRate: SAMPLE_RATE, channels: CHANNELS, format: 'f32', controlSeq: seq, genStartMs: now + 1, genEndMs: now + 6 },
      pcm,
    ).length,
  );
  sim.nextSample += CHUNK;
  sim.chunks++;
  sim.music = { ...sim.music, bar: Math.floor(sim.chunks / 94), step: sim.chunks % 16, section: Math.floor(sim.chunks / 1500) % 2 ? 'chorus' : 'verse' };
  const state = sim.music;
  timed('scene', () => sim.scene?.observe(state, pcm, controls[controls.length - 1]!, now + 6));
  timed('book', () => {
    sim.rtfs.push(5 / CHUNK_MS);
    sim.lead.recordGeneration(6, now + 6);
    if (seq !== null && captureMs !== null) sim.pendingLatency.push({ startSample, captureMs });
    if (sim.pendingLatency.length > 4096) sim.pendingLatency.shift();
    // a playback report every 4 chunks: the listener hears what was sent ~leadMs ago
    if (sim.chunks % 4 === 0) {
      const heard = Math.max(0, startSample - 4 * CHUNK);
      let resolved = 0;
      for (const p of sim.pendingLatency) {
        if (p.startSample > heard) break;
        sim.latencies.push(90 + (p.startSample % 7));
        resolved++;
      }
      sim.pendingLatency.splice(0, resolved);
      sim.listener.update(heard, now + 100, 20);
    }
  });
}

function trackerSizes(tracker: ControlTracker): string {
  const t = tracker as unknown as Record<string, unknown>;
  const history = t['history'] as { size: number; capacity: number } | undefined;
  const order = t['order'] as unknown[] | undefined;
  return `hist ${history?.size ?? '?'}/${history?.capacity ?? '?'} order ${order?.length ?? '?'}`;
}

function main(): void {
  const sims = PERFORMERS.map((p, i) => makeSim(p, i));
  const windowMs = WINDOW_MIN * 60_000;
  const end = SERVER_BASE + MINUTES * 60_000;
  const simSecondsPerWindow = (windowMs / 1000) * sims.length;
  console.log(`main-thread pieces: ${sims.length} sessions (${PERFORMERS.join(', ')}), ${FPS} fps, ${CHUNK}-frame chunks (${CHUNK_MS.toFixed(1)} ms), ${MINUTES} simulated minutes`);
  console.log('real ms per simulated session-second (wall around each call), aged sessions; cpu: process CPU ms per simulated session-second (aged + young + drawing frames)');
  console.log(`young: the same performers in sessions started at the window's start, run interleaved second by second with the aged ones (same machine load); old/young: ratio of their totals`);
  const head = ['window', ...PIECES, 'total', 'young', 'old/young', 'cpu', 'heapMB', 'rssMB', 'realS', 'tracker (first session)'];
  console.log(head.join('\t'));
  let cpu0 = process.cpuUsage();
  let real0 = performance.now();
  for (let w0 = SERVER_BASE; w0 < end; w0 += windowMs) {
    for (const sim of sims) sim.spent = zero();
    const young = PERFORMERS.map((p, i) => makeSim(p, i, w0));
    const w1 = Math.min(end, w0 + windowMs);
    for (let t = w0 + 1000; t <= w1; t += 1000) {
      for (let k = 0; k < sims.length; k++) {
        // alternate the order so neither set always runs with warmer caches
        const pair = (t / 1000) % 2 < 1 ? [sims[k]!, young[k]!] : [young[k]!, sims[k]!];
        for (const sim of pair) advance(sim, t);
      }
    }
    const cpu = process.cpuUsage(cpu0);
    cpu0 = process.cpuUsage();
    const realS = (performance.now() - real0) / 1000;
    real0 = performance.now();
    const mem = process.memoryUsage();
    const per = (ms: number): string => (ms / simSecondsPerWindow).toFixed(3);
    const sumOf = (set: Sim[], p: Piece): number => set.reduce((a, s) => a + s.spent[p], 0);
    const total = PIECES.reduce((a, p) => a + sumOf(sims, p), 0);
    const youngTotal = PIECES.reduce((a, p) => a + sumOf(young, p), 0);
    const from = (w0 - SERVER_BASE) / 60_000;
    console.log(
      [
        `${from}-${from + WINDOW_MIN} min`,
        ...PIECES.map((p) => per(sumOf(sims, p))),
        per(total),
        per(youngTotal),
        (total / youngTotal).toFixed(2),
        per((cpu.user + cpu.system) / 1000),
        (mem.heapUsed / 2 ** 20).toFixed(1),
        (mem.rss / 2 ** 20).toFixed(0),
        realS.toFixed(1),
        trackerSizes(sims[0]!.tracker),
      ].join('\t'),
    );
  }
  const counts = sims.map((s) => `${s.name}: ${JSON.stringify(s.tracker.counts)}`).join('; ');
  console.log(`push results (aged): ${counts}`);
  if (sink === 42) console.log('');
}

// -- --mode session: the real Session class, in virtual time -------------------------------------
//
// server/session/session.ts driven end to end with a fake socket (a simulated client: frames, pongs,
// playback reports from harness/virtualListener) and a fake generation pool (a fresh PCM chunk
// 5 ms after each request, as a worker would transfer one). The timers (setTimeout/setInterval)
// and performance.now() are replaced by a virtual clock, so a session hour runs in a minute or
// two. Timed: everything the server runs (socket message handlers, its timers, the promise
// continuations of renders); not timed: the simulated client and the fake worker.

interface VTimer {
  at: number;
  order: number;
  fn: () => void;
  interval: number | null;
  cancelled: boolean;
  /** server: a server callback (timed); client: the simulated client (not timed); worker: the fake worker (its promise continuations are timed). */
  kind: 'server' | 'client' | 'worker';
  /** The simulated client whose session this event belongs to (time is charged to it). */
  owner: SimClient | null;
}

class VirtualClock {
  now: number;
  private heap: VTimer[] = [];
  private order = 0;
  /** Who runs now: timers created now are theirs. */
  context: VTimer['kind'] = 'server';
  owner: SimClient | null = null;
  constructor(start: number) {
    this.now = start;
  }
  add(fn: () => void, ms: number, interval: boolean, kind: VTimer['kind'] = this.context, owner: SimClient | null = this.owner): VTimer {
    const delay = Math.max(1, Number.isFinite(ms) ? ms : 1);
    const t: VTimer = { at: this.now + delay, order: this.order++, fn, interval: interval ? delay : null, cancelled: false, kind, owner };
    this.pushHeap(t);
    return t;
  }
  get size(): number {
    return this.heap.length;
  }
  private less(a: VTimer, b: VTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }
  private pushHeap(t: VTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): VTimer | null {
    const h = this.heap;
    if (h.length === 0) return null;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
  reschedule(t: VTimer): void {
    t.at += t.interval!;
    t.order = this.order++;
    this.pushHeap(t);
  }
}

function installVirtualTime(vc: VirtualClock): () => void {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = { setTimeout: g['setTimeout'], setInterval: g['setInterval'], clearTimeout: g['clearTimeout'], clearInterval: g['clearInterval'] };
  const handle = (t: VTimer): NodeJS.Timeout =>
    Object.assign(t, { ref: () => t, unref: () => t, hasRef: () => true, refresh: () => t, [Symbol.toPrimitive]: () => t.order }) as unknown as NodeJS.Timeout;
  g['setTimeout'] = (fn: () => void, ms?: number) => handle(vc.add(fn, ms ?? 0, false));
  g['setInterval'] = (fn: () => void, ms?: number) => handle(vc.add(fn, ms ?? 0, true));
  const clear = (t: unknown): void => {
    if (t && typeof t === 'object' && 'cancelled' in t) (t as VTimer).cancelled = true;
  };
  g['clearTimeout'] = clear;
  g['clearInterval'] = clear;
  const origin = performance.timeOrigin;
  Object.defineProperty(performance, 'now', { value: () => vc.now - origin, configurable: true, writable: true });
  return () => {
    Object.assign(g, saved);
    delete (performance as unknown as Record<string, unknown>)['now'];
  };
}

const NET_MS = 2;
const TRACKING_MS = 30;

class SimClient extends EventEmitter implements SessionSocket {
  bufferedAmount = 0;
  readyState = 1;
  readonly listener = new VirtualListener();
  private seq = 0;
  chunks = 0;
  errors: string[] = [];
  closedWith: number | null = null;
  /** Real ms the server spent on this client's session, this window. */
  spent = 0;
  constructor(
    private readonly vc: VirtualClock,
    private readonly feed: FrameFeed,
    private readonly clientOffset: number,
  ) {
    super();
  }
  clientNow(): number {
    return this.vc.now + this.clientOffset;
  }
  /** Client -> server, NET_MS later, as a server event. */
  private deliver(data: Buffer, binary: boolean): void {
    this.vc.add(() => this.emit('message', data, binary), NET_MS, false, 'server', this);
  }
  sendJson(msg: object): void {
    this.deliver(Buffer.from(JSON.stringify(msg)), false);
  }
  send(data: string | Uint8Array): void {
    // server -> client, NET_MS later, as a client event
    const now = this.vc.now;
    if (typeof data === 'string') {
      if (this.readyState !== 1) return;
      this.vc.add(() => this.onJson(JSON.parse(data) as Record<string, unknown>), NET_MS, false, 'client', this);
      return;
    }
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const header: AudioChunkHeader = {
      startSample: v.getFloat64(16, true),
      frames: v.getUint32(8, true),
      sampleRate: v.getUint32(4, true),
      channels: v.getUint8(3),
      format: 'f32',
      controlSeq: null,
      genStartMs: v.getFloat64(24, true),
      genEndMs: v.getFloat64(32, true),
    };
    void now;
    this.vc.add(() => {
      this.chunks++;
      this.listener.receive(header, this.clientNow(), (report) => this.sendJson(report));
    }, NET_MS, false, 'client', this);
  }
  close(code: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  private onJson(msg: Record<string, unknown>): void {
    switch (msg['type']) {
      case 'ready':
        this.startStreaming();
        return;
      case 'ping':
        this.sendJson({ type: 'pong', id: msg['id'], t: msg['t'], recvMs: this.clientNow(), sendMs: this.clientNow() });
        return;
      case 'error':
        this.errors.push(`${String(msg['code'])}: ${String(msg['message'])}`);
        return;
    }
  }
  private startStreaming(): void {
    const start = this.vc.now;
    const next = (): void => {
      const item = this.feed.next();
      if (!item) return;
      const captureAt = start + item.atMs;
      // captured at captureAt, sent TRACKING_MS later, arrives NET_MS after that
      this.vc.add(() => {
        if (this.readyState !== 1) return;
        const bytes = encodeLandmarkFrame({ ...item.frame, seq: this.seq++, captureTimeMs: captureAt + this.clientOffset });
        this.deliver(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), true);
        next();
      }, captureAt + TRACKING_MS - this.vc.now, false, 'client', this);
    };
    next();
    const reports = this.vc.add(() => {
      if (this.readyState !== 1) reports.cancelled = true;
      else if (this.listener.started) this.sendJson(this.listener.report(this.clientNow()));
    }, 500, true, 'client', this);
  }
}

function fakePool(vc: VirtualClock): WorkerPool {
  let state = 0;
  const info: PackInfo = { name: 'bench', kind: 'symbolic', description: 'bench', sampleRate: SAMPLE_RATE, channels: CHANNELS, controlVersion: 1 };
  let offset = 0;
  return {
    openStream: async () => ({
      info,
      setPrompt: () => undefined,
      close: () => undefined,
      render: (request: { frames: number }) =>
        new Promise((resolve) => {
          const genStartMs = vc.now;
          vc.add(() => {
            const pcm = new Float32Array(request.frames * CHANNELS);
            for (let i = 0; i < request.frames; i++) {
              const j = ((offset + i) % musicFrames) * CHANNELS;
              pcm[2 * i] = music[j]!;
              pcm[2 * i + 1] = music[j + 1]!;
            }
            offset = (offset + request.frames) % musicFrames;
            state++;
            resolve({
              pcm,
              state: { style: 'funk', tempoBpm: 120, key: 'A', mode: 'minor', bar: Math.floor(state / 94), step: state % 16, section: Math.floor(state / 1500) % 2 ? 'chorus' : 'verse', chord: 'Am', level: 2, locked: 1, phaseErrorMs: 0 },
              genStartMs,
              genEndMs: vc.now,
            });
          }, 5, false, 'worker');
        }),
    }),
  } as unknown as WorkerPool;
}

async function sessionMain(): Promise<void> {
  const vc = new VirtualClock(performance.timeOrigin + performance.now());
  const restore = installVirtualTime(vc);
  const realNow = (): number => Number(process.hrtime.bigint()) / 1e6;
  const drain = (): Promise<void> => new Promise((r) => setImmediate(r));
  const config = resolveConfig({ pack: 'bench', logLevel: 'silent' });
  const metrics = new ServerMetrics();
  const log = pino({ level: 'silent' });
  const packs: PackInfo[] = [{ name: 'bench', kind: 'symbolic', description: 'bench', sampleRate: SAMPLE_RATE, channels: CHANNELS, controlVersion: 1 }];
  let nextSeed = 1;
  const open = (spec: string, i: number): { client: SimClient; session: Session } => {
    const client = new SimClient(vc, feedFor(spec, FPS), -vc.now + 1000 + 777 * i);
    const session = new Session(client, { config, metrics, pool: fakePool(vc), log, packs, onClosed: () => undefined }, 'bench');
    client.sendJson({ type: 'hello', versions: [1], prompt: 'funk', pack: 'bench', seed: nextSeed++ });
    return { client, session };
  };
  const aged = PERFORMERS.map((p, i) => open(p, i));
  let young: { client: SimClient; session: Session }[] = [];
  const start = vc.now;
  const windowMs = WINDOW_MIN * 60_000;
  const end = start + MINUTES * 60_000;
  const simSecondsPerWindow = (windowMs / 1000) * aged.length;
  const print = (line: string): void => void process.stdout.write(line + '\n');
  print(`Session (server/session/session.ts) in virtual time: ${aged.length} sessions (${PERFORMERS.join(', ')}), ${FPS} fps, ${config.chunkFrames}-frame chunks, ${MINUTES} simulated minutes`);
  print('server: real ms per simulated session-second of every server callback of the aged sessions and its promise continuations');
  print("young: the same for sessions opened at the window's start, run in the same event queue (same machine load); old/young: their ratio");
  print(['window', 'server', 'young', 'old/young', 'events', 'chunks', 'heapMB', 'rssMB', 'realS', 'internals (first aged session)'].join('\t'));
  let events = 0;
  let chunks0 = 0;
  let real0 = realNow();
  let windowStart = start;
  const startWindow = (): void => {
    for (const y of young) y.session.close(1000, 'window over');
    young = PERFORMERS.map((p, i) => open(p, i));
    for (const a of aged) a.client.spent = 0;
  };
  startWindow();
  for (;;) {
    const t = vc.pop();
    if (t === null) break;
    if (t.cancelled) continue;
    if (t.at >= windowStart + windowMs || t.at >= end) {
      const mem = process.memoryUsage();
      const chunks = aged.reduce((s, c) => s + c.client.chunks, 0);
      const from = (windowStart - start) / 60_000;
      const s0 = aged[0]!.session as unknown as Record<string, unknown>;
      const tr = s0['tracker'] as Record<string, unknown>;
      const scheduler = s0['scheduler'] as Record<string, unknown> | null;
      const internals = `pending ${((scheduler?.['pendingLatency'] as unknown[] | undefined) ?? []).length} pings ${(s0['outstandingPings'] as Map<unknown, unknown>).size} timers ${((s0['timers'] as Record<string, unknown>)['timers'] as Set<unknown>).size} hist ${(tr['history'] as { size: number }).size} vtimers ${vc.size}`;
      const old = aged.reduce((a, c) => a + c.client.spent, 0);
      const yng = young.reduce((a, c) => a + c.client.spent, 0);
      print(
        [
          `${from}-${from + WINDOW_MIN} min`,
          (old / simSecondsPerWindow).toFixed(3),
          (yng / simSecondsPerWindow).toFixed(3),
          (old / yng).toFixed(2),
          String(events),
          String(chunks - chunks0),
          (mem.heapUsed / 2 ** 20).toFixed(1),
          (mem.rss / 2 ** 20).toFixed(0),
          ((realNow() - real0) / 1000).toFixed(1),
          internals,
        ].join('\t'),
      );
      chunks0 = chunks;
      events = 0;
      real0 = realNow();
      windowStart += windowMs;
      if (t.at >= end) break;
      vc.now = windowStart;
      startWindow();
    }
    vc.now = t.at;
    if (t.interval !== null) vc.reschedule(t);
    vc.owner = t.owner;
    if (t.kind === 'server') {
      vc.context = 'server';
      const r0 = realNow();
      t.fn();
      await drain();
      if (t.owner) t.owner.spent += realNow() - r0;
      events++;
    } else if (t.kind === 'worker') {
      vc.context = 'worker';
      t.fn(); // fills the PCM and resolves the render (the worker's part, not timed)
      vc.context = 'server';
      const r0 = realNow();
      await drain(); // the session's continuation: send, scene, bookkeeping, next pump
      if (t.owner) t.owner.spent += realNow() - r0;
      events++;
    } else {
      vc.context = 'client';
      t.fn();
      await drain();
    }
    vc.context = 'server';
    vc.owner = null;
  }
  for (const s of [...aged, ...young]) s.session.close(1000, 'bench over');
  restore();
  const clients = aged.map((a) => a.client);
  const errs = clients.flatMap((c) => c.errors);
  print(`aged sessions: listener underruns ${clients.map((c) => c.listener.underruns).join(', ')}; errors: ${errs.length ? errs.slice(0, 5).join(' | ') : 'none'}; closed: ${clients.map((c) => c.closedWith).join(', ')}`);
}

if (MODE === 'pieces') main();
else void sessionMain();
