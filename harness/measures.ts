/**
 * What a session measured, from the client's side: control-to-audio latency to the moment a
 * sample is heard, underruns, chunk arrival jitter, generation RTF (from chunk headers), time to
 * first audio, and beat alignment of the heard audio with the performer's motion beats.
 */
import { percentiles, type Percentiles } from '../protocol/statistics.js';
import type { Onset } from './analysis/onsets.js';
import type { Milliseconds } from '../protocol/units.js';
import type { FrameFeed } from './frameFeed.js';
import { chunkRtf, lateCauseCounts, medianTiming, type ChunkTiming, type LateCause, type SessionResult } from './sessionClient.js';
import { tempoFollow, type TempoFollow } from './tempoFollow.js';

export interface BeatAlignment {
  /** Performer beats in the measured window. */
  beats: number;
  /** Share of beats with a low-band onset within a quarter period. */
  hitRate: number;
  /** |onset - beat| over the beats that had one, the nearest strong onset within a quarter period (ms): mean, median, p95. */
  meanAbsOffsetMs: number;
  medianAbsOffsetMs: number;
  p95AbsOffsetMs: number;
  /** Signed mean (positive: the music is late). */
  meanOffsetMs: number;
  /** The generator's reported tempo minus the performer's (BPM), at the end. */
  tempoErrorBpm: number | null;
}

export interface SessionMeasures {
  name: string;
  prompt: string;
  /** Control-to-audio latency after warm-up (ms). */
  latencyMs: Percentiles | null;
  /** Underruns after warm-up, and over the whole session. */
  underruns: number;
  underrunsTotal: number;
  underrunMsTotal: number;
  /** The session's age (s since it started) when each underrun after warm-up arrived: whether they line up with something every session does at the same age. */
  underrunAgesS: number[];
  /**
   * Which part of those underruns' time ran over (sessionClient.ts lateCause, against this
   * session's medians): the render starting late, the render itself, or the way back. Underruns
   * whose timing is unknown (before the server's first ping) are not counted.
   */
  underrunCauses: Record<LateCause, number>;
  /** Standard deviation of chunk inter-arrival times minus chunk durations (ms). */
  arrivalJitterMs: number;
  /** Generation real-time factor per chunk (chunk headers). */
  rtf: { p50: number; max: number };
  timeToFirstAudioMs: number | null;
  /** The lead the server reported in its stats messages (median, ms): how far ahead of the playhead it generated. */
  serverLeadMs: number | null;
  /** Medians over the counted chunks of where a chunk's time went (sessionClient.ts ChunkTiming, server clock, ms). */
  timingMs: ChunkTiming | null;
  beat: BeatAlignment | null;
  /** Heard and music tempo against the performer's known beat, and the time to lock (tempoFollow.ts). */
  tempo: TempoFollow | null;
  chunks: number;
  audioSeconds: number;
  discontinuities: number;
  errors: string[];
  /** The server answered hello with ready. */
  ready: boolean;
  closeCode: number | null;
  closeReason: string;
  /** Per-chunk latency samples for plots: [seconds since start, latency ms]. */
  timeline: [number, number][];
}

export interface MeasureOptions {
  /** Chunks that arrive before this (ms after streaming started) are not counted for latency and underruns. */
  warmupMs: Milliseconds;
  /** Beats count for alignment from this time on (ms after streaming started): the tracker needs a few beats to lock. */
  beatFromMs: Milliseconds;
  /** Keep at most this many timeline points (evenly thinned). */
  timelinePoints: number;
  /**
   * Overall latency is also summarised from this time on (ms after streaming started): the
   * running show, once sessions that started together have settled (their start is costly and
   * the lead covers it for a few seconds), beside the figure from `warmupMs` on.
   */
  steadyFromMs: Milliseconds;
}

export const MEASURE_DEFAULTS: MeasureOptions = { warmupMs: 2000, beatFromMs: 4000, timelinePoints: 400, steadyFromMs: 5000 };

/** When the steady latency figure starts counting (ms after streaming started): never before the warm-up ends. */
export function steadyFromMs(o: Partial<MeasureOptions>): number {
  return Math.max(o.warmupMs ?? MEASURE_DEFAULTS.warmupMs, o.steadyFromMs ?? MEASURE_DEFAULTS.steadyFromMs);
}

function std(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
}

/** An onset near a beat is strong when it rises at least this share of the strongest one there. */
const STRONG_SHARE = 0.5;

export function beatAlignment(result: SessionResult, feed: FrameFeed, options: MeasureOptions): BeatAlignment | null {
  if (!feed.beatAt || result.firstAudioHeardMs === null) return null;
  const lastHeard = result.chunks.at(-1)!.heardMs;
  const onsets = result.heardLowOnsets;
  const offsets: number[] = [];
  let beats = 0;
  let bpm: number | null = null;
  // Walk feed time; the performer's beat at feed time t happens at client time startedMs + t.
  const endFeedMs = lastHeard - result.startedMs;
  for (let t = options.beatFromMs; t < endFeedMs; ) {
    const beat = feed.beatAt(t);
    if (!beat) {
      t += 50;
      continue;
    }
    bpm = beat.bpm;
    const k = Math.ceil((t - beat.anchorMs) / beat.periodMs);
    const beatFeedMs = beat.anchorMs + k * beat.periodMs;
    t = beatFeedMs + beat.periodMs / 2;
    const beatClientMs = result.startedMs + beatFeedMs;
    if (beatClientMs < result.firstAudioHeardMs || beatClientMs > lastHeard) continue;
    beats++;
    // The beat heard is the nearest strong low-band attack within a quarter period, strong meaning
    // at least half the strongest there: a kick on the beat, not a soft bass note a 16th away, nor
    // a pickup kick a 16th before it (which may rise as much: the beat's kick lands in its decay).
    const near = onsets.filter((o) => Math.abs(o.ms - beatClientMs) <= beat.periodMs / 4);
    const strongest = Math.max(0, ...near.map((o) => o.strength));
    let best: Onset | null = null;
    for (const onset of near) {
      if (onset.strength < STRONG_SHARE * strongest) continue;
      if (!best || Math.abs(onset.ms - beatClientMs) < Math.abs(best.ms - beatClientMs)) best = onset;
    }
    if (best) offsets.push(best.ms - beatClientMs);
  }
  if (beats === 0) return null;
  const abs = offsets.map(Math.abs);
  const reported = result.controls.at(-1)?.music.tempoBpm;
  return {
    beats,
    hitRate: offsets.length / beats,
    meanAbsOffsetMs: abs.length ? abs.reduce((a, b) => a + b, 0) / abs.length : NaN,
    medianAbsOffsetMs: percentiles(abs)?.p50 ?? NaN,
    p95AbsOffsetMs: percentiles(abs)?.p95 ?? NaN,
    meanOffsetMs: offsets.length ? offsets.reduce((a, b) => a + b, 0) / offsets.length : NaN,
    tempoErrorBpm: typeof reported === 'number' && bpm !== null ? reported - bpm : null,
  };
}

export function measureSession(result: SessionResult, feed: FrameFeed, prompt: string, options: Partial<MeasureOptions> = {}): SessionMeasures {
  const o = { ...MEASURE_DEFAULTS, ...options };
  const warm = result.startedMs + o.warmupMs;
  const counted = result.chunks.filter((c) => c.arrivalMs >= warm);
  const latencies = counted.flatMap((c) => (c.latencyMs === null ? [] : [c.latencyMs]));
  const intervals: number[] = [];
  for (let i = 1; i < result.chunks.length; i++) {
    const prev = result.chunks[i - 1]!;
    intervals.push(result.chunks[i]!.arrivalMs - prev.arrivalMs - (prev.header.frames / prev.header.sampleRate) * 1000);
  }
  const rtfs = result.chunks.map((c) => chunkRtf(c.header));
  const withLatency = result.chunks.filter((c) => c.latencyMs !== null);
  const underrunAgesS = counted.flatMap((c) => (c.underrun ? [(c.arrivalMs - result.startedMs) / 1000] : []));
  const step = Math.max(1, Math.ceil(withLatency.length / o.timelinePoints));
  const timingMs = medianTiming(counted.flatMap((c) => (c.timing ? [c.timing] : [])));
  const underrunCauses = lateCauseCounts(counted.flatMap((c) => (c.underrun && c.timing ? [c.timing] : [])), timingMs);
  return {
    name: feed.name,
    prompt,
    latencyMs: percentiles(latencies),
    underruns: underrunAgesS.length,
    underrunAgesS,
    underrunCauses,
    underrunsTotal: result.underruns,
    underrunMsTotal: result.underrunMs,
    arrivalJitterMs: std(intervals),
    rtf: { p50: percentiles(rtfs)?.p50 ?? 0, max: percentiles(rtfs)?.max ?? 0 },
    timeToFirstAudioMs: result.firstAudioHeardMs === null ? null : result.firstAudioHeardMs - result.startedMs,
    serverLeadMs: percentiles(result.stats.map((s) => s.leadMs))?.p50 ?? null,
    timingMs,
    beat: beatAlignment(result, feed, o),
    tempo: tempoFollow(result, feed),
    chunks: result.chunks.length,
    audioSeconds: result.chunks.reduce((s, c) => s + c.header.frames / c.header.sampleRate, 0),
    discontinuities: result.discontinuities,
    errors: result.errors.map((e) => e.code),
    ready: result.ready !== null,
    closeCode: result.closeCode,
    closeReason: result.closeReason,
    timeline: withLatency
      .filter((_, i) => i % step === 0)
      .map((c) => [+((c.arrivalMs - result.startedMs) / 1000).toFixed(3), +c.latencyMs!.toFixed(2)]),
  };
}
