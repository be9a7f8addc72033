/**
 * The harness's run modes against a server at `url`:
 * - fixed: N sessions for D seconds;
 * - ramp: fixed runs of growing size until p95 latency or underruns cross the limits; the
 *   largest size that held is the capacity;
 * - soak: N sessions for hours, measured in windows, with memory and latency drift;
 * - faults: N well-behaved sessions beside clients that misbehave, compared with a baseline.
 */
import type { AudioFormat } from '../protocol/audioChunk.js';
import { percentiles, type Percentiles } from '../protocol/statistics.js';
import { spawnFaultProcess, type FaultKind } from './faultClients.js';
import { MEASURE_DEFAULTS, steadyFromMs, type MeasureOptions, type SessionMeasures } from './measures.js';
import { abortableSleep } from './abortableSleep.js';
import { between, snapshot, type ServerStats } from './serverStats.js';
import { LATE_CAUSES, type LateCause } from './sessionClient.js';
import { runFixedSessions, SESSIONS_PER_LISTENER, SoakListeners, type ListenerSessionSpec } from './listenerThreads.js';
import { SoakTally, type WindowFigures } from './soakTally.js';
import type { VirtualListenerOptions } from './virtualListener.js';

export interface Thresholds {
  /** Fail when overall p95 control-to-audio latency exceeds this (ms). */
  maxP95Ms?: number;
  /** Fail when more underruns than this happen after warm-up (all sessions together). */
  maxUnderruns?: number;
  /** Fail when the p95 beat offset of any periodic performer exceeds this (ms). */
  maxBeatP95Ms?: number;
}

export interface RunOptions {
  /** http:// base URL of the server. */
  url: string;
  sessions: number;
  seconds: number;
  /** Performer specs (see performers/catalog.ts), given to sessions in turn. */
  performers: string[];
  prompts: string[];
  pack?: string;
  format: AudioFormat;
  fps: number;
  listener: Partial<VirtualListenerOptions>;
  measure: Partial<MeasureOptions>;
  thresholds: Thresholds;
  /** Aborted when the server dies or stops answering (liveness.ts): the run ends early. */
  signal?: AbortSignal;
  /** A session whose connection is lost opens a new one, like the browser (behind nginx, another process takes it). */
  reconnect?: boolean;
  /** Sessions per listener thread (listenerThreads.ts). */
  sessionsPerThread: number;
}

export const RUN_DEFAULTS: Omit<RunOptions, 'url'> = {
  sessions: 2,
  seconds: 10,
  performers: ['nodding:120', 'dancing:100', 'swinging:90', 'still'],
  prompts: ['funk', 'house', 'pop', 'rock', 'bossa nova', 'hip-hop'],
  format: 's16',
  fps: 30,
  listener: {},
  measure: {},
  thresholds: {},
  sessionsPerThread: SESSIONS_PER_LISTENER,
};

export interface Overall {
  sessions: number;
  latencyMs: Percentiles | null;
  /** Latency from `steadyFromMs` on (MeasureOptions): the running show, once sessions that started together have settled. */
  steadyLatencyMs: Percentiles | null;
  steadyFromMs: number;
  underruns: number;
  underrunMsTotal: number;
  rtfP50: number;
  timeToFirstAudioMsP50: number | null;
  errors: number;
  histogram: { binMs: number; counts: number[] };
}

export interface FixedReport {
  mode: 'fixed';
  sessions: SessionMeasures[];
  overall: Overall;
  server: ServerStats | null;
  /**
   * The listener threads' event-loop delay (p99, max; ms; the worst thread's). When it is high
   * the clients' timestamps are late and latency and underruns read worse than the server delivers.
   */
  harnessLagMs: { p99: number; max: number };
  /** The measuring process's own CPU while the sessions streamed, all its threads (% of one core; not its start-up, nor the measuring after): on a shared machine, what the server did not get. */
  harnessCpuPercent: number;
  /** Its threads' time waiting for a CPU meanwhile (% of one core; Linux, null elsewhere): beside the server's own, how contended the shared cores were. */
  harnessCpuWaitPercent: number | null;
}

/** Above this p99 event-loop delay (ms) the harness warns that it was overloaded itself. */
export const HARNESS_LAG_WARN_MS = 20;

function summarise(measures: SessionMeasures[], latencies: number[], steady: { fromMs: number; latencies: number[] }): Overall {
  const binMs = 5;
  const counts: number[] = [];
  for (const l of latencies) {
    const b = Math.floor(l / binMs);
    while (counts.length <= b) counts.push(0);
    counts[b]!++;
  }
  const ttfa = measures.flatMap((m) => (m.timeToFirstAudioMs === null ? [] : [m.timeToFirstAudioMs]));
  return {
    sessions: measures.length,
    latencyMs: percentiles(latencies),
    steadyLatencyMs: percentiles(steady.latencies),
    steadyFromMs: steady.fromMs,
    underruns: measures.reduce((n, m) => n + m.underruns, 0),
    underrunMsTotal: measures.reduce((n, m) => n + m.underrunMsTotal, 0),
    rtfP50: percentiles(measures.map((m) => m.rtf.p50))?.p50 ?? 0,
    timeToFirstAudioMsP50: percentiles(ttfa)?.p50 ?? null,
    errors: measures.reduce((n, m) => n + m.errors.length, 0),
    histogram: { binMs, counts },
  };
}

function wsUrl(url: string): string {
  return `${url.replace(/^http/, 'ws')}/ws`;
}

async function trySnapshot(url: string) {
  try {
    return await snapshot(url);
  } catch {
    return null; // a server without /metrics (or behind a proxy) still gets measured
  }
}

/** The sessions of a run: performers and prompts in turn. */
function sessionSpecs(o: RunOptions): ListenerSessionSpec[] {
  return Array.from({ length: o.sessions }, (_, i) => ({
    url: wsUrl(o.url),
    performer: o.performers[i % o.performers.length]!,
    fps: o.fps,
    prompt: o.prompts[i % o.prompts.length]!,
    format: o.format,
    seed: i + 1,
    listener: o.listener,
    ...(o.pack ? { pack: o.pack } : {}),
  }));
}

/** N sessions for D seconds, in listener threads (listenerThreads.ts). */
export async function runFixed(options: RunOptions): Promise<FixedReport> {
  const o = options;
  const before = await trySnapshot(o.url);
  // The server's figures end with the sessions, not after the harness's measuring (an idle server then).
  let after: Awaited<ReturnType<typeof trySnapshot>> = null;
  const run = await runFixedSessions(sessionSpecs(o), o.sessionsPerThread, { seconds: o.seconds, reconnect: o.reconnect ?? false, measure: o.measure }, o.signal, async () => {
    after = await trySnapshot(o.url);
  });
  return {
    mode: 'fixed',
    sessions: run.measures,
    overall: summarise(run.measures, run.latencies, { fromMs: steadyFromMs(o.measure), latencies: run.steadyLatencies }),
    server: before && after ? between(before, after) : null,
    harnessLagMs: { p99: run.lag.p99Ms, max: run.lag.maxMs },
    harnessCpuPercent: run.streamingCpuPercent,
    harnessCpuWaitPercent: run.streamingCpuWaitPercent,
  };
}

/** Threshold failures of a fixed run, as sentences. */
export function failures(report: FixedReport, t: Thresholds): string[] {
  const out: string[] = [];
  const p95 = report.overall.latencyMs?.p95;
  if (t.maxP95Ms !== undefined && (p95 === undefined || p95 > t.maxP95Ms)) out.push(`p95 latency ${p95?.toFixed(1) ?? 'unmeasured'} ms > ${t.maxP95Ms} ms`);
  if (t.maxUnderruns !== undefined && report.overall.underruns > t.maxUnderruns) out.push(`${report.overall.underruns} underruns > ${t.maxUnderruns}`);
  if (t.maxBeatP95Ms !== undefined) {
    for (const s of report.sessions) {
      if (s.beat && !(s.beat.p95AbsOffsetMs <= t.maxBeatP95Ms)) out.push(`${s.name}: beat offset p95 ${s.beat.p95AbsOffsetMs.toFixed(1)} ms > ${t.maxBeatP95Ms} ms`);
    }
  }
  for (const s of report.sessions) {
    if (!s.ready) out.push(`${s.name}: the server never answered hello with ready (close code ${s.closeCode ?? 'none'}${s.closeReason ? ` "${s.closeReason}"` : ''})`);
    else if (s.closeCode !== 1000) out.push(`${s.name}: the connection ended with close code ${s.closeCode ?? 'none'}${s.closeReason ? ` "${s.closeReason}"` : ''}, not 1000`);
    if (s.errors.length > 0) out.push(`${s.name}: errors ${s.errors.join(', ')}`);
    if (s.discontinuities > 0) out.push(`${s.name}: ${s.discontinuities} gaps in the sample timeline`);
  }
  return out;
}

export interface RampReport {
  mode: 'ramp';
  steps: FixedReport[];
  /** Largest session count whose run met the limits (0 if none). */
  capacity: number;
  limits: { maxP95Ms: number; maxUnderruns: number };
  /**
   * The session ages the limits were checked over (s): from the warm-up's end to the step's end.
   * Every step starts its sessions together, so a pack whose sessions cost more as they age (the
   * default pack from 16 s on) needs steps that reach that age for the capacity of a running show.
   */
  measuredAgeS: { from: number; to: number };
}

/**
 * Fixed runs of start, start+step, ... sessions until one misses the limits twice in a row (a
 * machine's hiccup should not end the ramp; a real limit fails again). Every run is kept.
 */
export async function runRamp(options: RunOptions, start: number, step: number, max: number, onStep?: (r: FixedReport) => void): Promise<RampReport> {
  const limits = { maxP95Ms: options.thresholds.maxP95Ms ?? 150, maxUnderruns: options.thresholds.maxUnderruns ?? 0 };
  const steps: FixedReport[] = [];
  let capacity = 0;
  const held = (r: FixedReport): boolean => failures(r, limits).length === 0;
  for (let n = start; n <= max && !options.signal?.aborted; n += step) {
    let r = await runFixed({ ...options, sessions: n });
    steps.push(r);
    onStep?.(r);
    if (options.signal?.aborted) break;
    if (!held(r)) {
      r = await runFixed({ ...options, sessions: n });
      steps.push(r);
      onStep?.(r);
      if (!held(r)) break;
    }
    capacity = n;
  }
  return { mode: 'ramp', steps, capacity, limits, measuredAgeS: { from: (options.measure.warmupMs ?? MEASURE_DEFAULTS.warmupMs) / 1000, to: options.seconds } };
}

/** A soak window: its chunks' figures (soakTally.ts), the harness's own delay, and the server's figures. */
export interface SoakWindow extends WindowFigures {
  /** Seconds since the soak started (window end). */
  t: number;
  /** The listener threads' event-loop delay in the window (ms, the worst thread's): high values mean they measured late, not the server. */
  harnessLagP99Ms: number;
  /** Their longest event-loop delay in the window (ms): a chunk can look that much later than it came. */
  harnessLagMaxMs: number;
  server: ServerStats | null;
}

export interface SoakReport {
  mode: 'soak';
  windows: SoakWindow[];
  underruns: number;
  /** Underruns by cause over all windows (SoakWindow.underrunCauses). */
  underrunCauses: Record<LateCause, number>;
  chunks: number;
  /** The worst chunk RTF of the whole run. */
  rtfMax: number | null;
  /**
   * Growth per hour from a least-squares line through the windows, leaving out the first, which
   * holds start-up (workers warming, heaps settling): server RSS (MB/h), p95 latency (ms/h),
   * server CPU (% of a core per hour) and event-loop lag p99 (ms/h).
   */
  memoryDriftMBPerHour: number | null;
  latencyDriftMsPerHour: number | null;
  cpuDriftPercentPerHour: number | null;
  lagDriftMsPerHour: number | null;
  /** p95 latency of the last window minus the second's (ms). */
  latencyDriftMs: number | null;
  errors: string[];
  closeCodes: (number | null)[];
}

function slopePerHour(points: [number, number][]): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const num = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return den === 0 ? null : (num / den) * 3600;
}

/** N sessions kept open for `options.seconds`, measured every `windowSeconds` (the sessions run in listener threads: listenerThreads.ts). */
export async function runSoak(options: RunOptions, windowSeconds: number, onWindow?: (w: SoakWindow) => void): Promise<SoakReport> {
  const o = options;
  const warmupMs = o.measure.warmupMs ?? MEASURE_DEFAULTS.warmupMs;
  let tally = new SoakTally();
  let firstArrival: number | null = null;
  const listeners = new SoakListeners(sessionSpecs(o), o.sessionsPerThread, (chunks) => {
    for (const c of chunks) {
      firstArrival ??= c.arrivalMs;
      tally.add(c, c.arrivalMs - firstArrival >= warmupMs);
    }
  });
  const started = performance.now();
  /** The same moment on the epoch clock, which the listeners stamp arrivals on. */
  const startedEpochMs = performance.timeOrigin + performance.now();
  const windows: SoakWindow[] = [];
  let last = await trySnapshot(o.url);
  try {
    while ((performance.now() - started) / 1000 < o.seconds && !o.signal?.aborted) {
      await abortableSleep(Math.min(windowSeconds * 1000, o.seconds * 1000 - (performance.now() - started)), o.signal);
      const lag = await listeners.window();
      const now = await trySnapshot(o.url);
      const figures = tally.figures(startedEpochMs);
      tally = new SoakTally();
      const w: SoakWindow = {
        t: +((performance.now() - started) / 1000).toFixed(1),
        ...figures,
        harnessLagP99Ms: lag.p99Ms,
        harnessLagMaxMs: lag.maxMs,
        server: last && now ? between(last, now) : null,
      };
      last = now;
      windows.push(w);
      onWindow?.(w);
    }
  } catch (err) {
    await listeners.stop().catch(() => undefined);
    throw err;
  }
  const results = await listeners.stop();
  const settled = windows.slice(1);
  const series = (value: (w: SoakWindow) => number | null | undefined): [number, number][] =>
    settled.flatMap((w) => {
      const v = value(w);
      return v === null || v === undefined ? [] : [[w.t, v] as [number, number]];
    });
  const lat = settled.filter((w) => w.latencyMs);
  const rtfMaxes = windows.flatMap((w) => (w.rtf ? [w.rtf.max] : []));
  return {
    mode: 'soak',
    windows,
    underruns: windows.reduce((a, w) => a + w.underruns, 0),
    underrunCauses: Object.fromEntries(LATE_CAUSES.map((k) => [k, windows.reduce((a, w) => a + w.underrunCauses[k], 0)])) as Record<LateCause, number>,
    chunks: windows.reduce((a, w) => a + w.chunks, 0),
    rtfMax: rtfMaxes.length > 0 ? Math.max(...rtfMaxes) : null,
    memoryDriftMBPerHour: slopePerHour(series((w) => w.server?.rssMB)),
    latencyDriftMsPerHour: slopePerHour(series((w) => w.latencyMs?.p95)),
    cpuDriftPercentPerHour: slopePerHour(series((w) => w.server?.cpuPercent)),
    lagDriftMsPerHour: slopePerHour(series((w) => w.server?.eventLoopLagP99Ms)),
    latencyDriftMs: lat.length >= 2 ? lat.at(-1)!.latencyMs!.p95 - lat[0]!.latencyMs!.p95 : null,
    errors: results.errors,
    closeCodes: results.closeCodes,
  };
}

export interface FaultsReport {
  mode: 'faults';
  faults: FaultKind[];
  baseline: FixedReport;
  underFaults: FixedReport;
  /** What each kind of misbehaving client saw (close codes, errors). */
  faultOutcomes: Record<string, string[]>;
  /** p95 latency of the well-behaved sessions under faults minus baseline (ms). */
  p95DeltaMs: number | null;
}

/** Well-behaved sessions alone, then again beside misbehaving clients (in a process of their own). */
export async function runFaults(options: RunOptions, faults: FaultKind[]): Promise<FaultsReport> {
  const baseline = await runFixed(options);
  if (options.signal?.aborted) return { mode: 'faults', faults, baseline, underFaults: baseline, faultOutcomes: {}, p95DeltaMs: null };
  const faulty = spawnFaultProcess(wsUrl(options.url), faults);
  const underFaults = await runFixed(options);
  const faultOutcomes = await faulty.stop();
  const a = baseline.overall.latencyMs?.p95;
  const b = underFaults.overall.latencyMs?.p95;
  return { mode: 'faults', faults, baseline, underFaults, faultOutcomes, p95DeltaMs: a !== undefined && b !== undefined ? b - a : null };
}

export type Report = FixedReport | RampReport | SoakReport | FaultsReport;
