/**
 * One soak window's chunks, tallied as they arrive: numbers and each chunk's small timing, never
 * the chunk objects. Chunks kept for a whole window (11,000 a minute at 4 sessions, each with its
 * header and schedule) would reach the old generation and set off the full GCs that stall this
 * process, and a stalled listener makes chunks look late that were not.
 */
import { percentile, percentiles, type Percentiles } from '../protocol/statistics.js';
import type { Milliseconds } from '../protocol/units.js';
import { chunkRtf, lateCauseCounts, medianTiming, type ChunkTiming, type LateCause, type ReceivedChunk } from './sessionClient.js';

/** What the tally needs of a chunk: a few numbers, small enough to post between threads in batches. */
export interface TalliedChunk {
  /** Arrival time (ms) on the clock the tally's `startedMs` is on. */
  arrivalMs: Milliseconds;
  rtf: number;
  latencyMs: Milliseconds | null;
  underrun: boolean;
  slackMs: Milliseconds | null;
  timing: ChunkTiming | null;
}

/** A received chunk as the tally sees it; `clockToTallyMs` moves the client's clock onto the tally's. */
export function tallied(chunk: ReceivedChunk, clockToTallyMs: Milliseconds): TalliedChunk {
  return {
    arrivalMs: chunk.arrivalMs + clockToTallyMs,
    rtf: chunkRtf(chunk.header),
    latencyMs: chunk.latencyMs,
    underrun: chunk.underrun,
    slackMs: chunk.slackMs,
    timing: chunk.timing,
  };
}

export interface WindowFigures {
  /** Chunks received in the window, the warm-up included. */
  chunks: number;
  latencyMs: Percentiles | null;
  underruns: number;
  /** Chunk real-time factor (generation time over audio time, from the chunk headers): mean and worst. */
  rtf: { mean: number; max: number } | null;
  /** Arrival slack (ms before a chunk was needed): the least, and the 0.1st percentile. */
  slackMs: { min: number; p01: number } | null;
  /** The least-slack chunk: its slack, when it arrived (s from `startedMs`), and its timing. */
  leastSlack: ({ slackMs: number; atS: number } & ChunkTiming) | null;
  /** Underruns by what made each chunk late, against the window's median timing. */
  underrunCauses: Record<LateCause, number>;
}

export class SoakTally {
  private chunks = 0;
  private rtfSum = 0;
  private rtfMax = -Infinity;
  private readonly latencies: number[] = [];
  private readonly slacks: number[] = [];
  private slackMin = Infinity;
  private underruns = 0;
  /** The timed chunks' timings (small objects: the chunks themselves are not kept). */
  private readonly timings: ChunkTiming[] = [];
  private readonly lateTimings: ChunkTiming[] = [];
  private least: { slackMs: Milliseconds; arrivalMs: Milliseconds; timing: ChunkTiming } | null = null;

  /** `counted`: past the warm-up; only then do its latency, slack and underrun count. */
  add(chunk: TalliedChunk, counted: boolean): void {
    this.chunks++;
    const rtf = chunk.rtf;
    this.rtfSum += rtf;
    this.rtfMax = Math.max(this.rtfMax, rtf);
    if (!counted) return;
    if (chunk.latencyMs !== null) this.latencies.push(chunk.latencyMs);
    if (chunk.underrun) this.underruns++;
    if (chunk.slackMs === null) return;
    this.slacks.push(chunk.slackMs);
    this.slackMin = Math.min(this.slackMin, chunk.slackMs);
    const t = chunk.timing;
    if (t === null) return;
    this.timings.push(t);
    if (chunk.underrun) this.lateTimings.push(t);
    if (this.least === null || chunk.slackMs < this.least.slackMs) this.least = { slackMs: chunk.slackMs, arrivalMs: chunk.arrivalMs, timing: t };
  }

  /** The window's figures; `startedMs`: the soak's start on the chunks' arrival clock. */
  figures(startedMs: Milliseconds): WindowFigures {
    const underrunCauses = lateCauseCounts(this.lateTimings, medianTiming(this.timings));
    const least = this.least;
    return {
      chunks: this.chunks,
      latencyMs: percentiles(this.latencies),
      underruns: this.underruns,
      rtf: this.chunks > 0 ? { mean: this.rtfSum / this.chunks, max: this.rtfMax } : null,
      slackMs: this.slacks.length > 0 ? { min: this.slackMin, p01: percentile(this.slacks, 0.1) } : null,
      leastSlack: least ? { slackMs: least.slackMs, atS: +((least.arrivalMs - startedMs) / 1000).toFixed(2), ...least.timing } : null,
      underrunCauses,
    };
  }
}
