/**
 * The adaptive lead: how long before a chunk's first sample is heard its generation starts.
 * Every millisecond of lead is a millisecond of control latency, so it is the smallest that
 * keeps playback fed: the listener's output latency (audio is handed to the device that much
 * before it is heard) + recent generation time (p95, from when the chunk was due, so worker
 * queueing and a late timer on a busy machine count) + a fixed margin for transport and the
 * client's scheduling, + a boost after underruns that decays. Underruns count twice over: the
 * client's reports, and at once when the server sees the listener's playhead pass the next
 * chunk (a stall it does not need a report to know about).
 */
import type { Milliseconds } from '../../protocol/units.js';
import { RecentValues } from '../../protocol/statistics.js';

export interface LeadOptions {
  /** Fixed margin on top of the measured parts (ms). */
  marginMs: Milliseconds;
  /** Never more than this (ms). */
  maxLeadMs: Milliseconds;
  /** Added per reported underrun (ms) ... */
  underrunBoostMs: Milliseconds;
  /** ... and decaying at this rate (ms per second). */
  boostDecayPerSecond: number;
}

export const LEAD_DEFAULTS: LeadOptions = { marginMs: 60, maxLeadMs: 400, underrunBoostMs: 30, boostDecayPerSecond: 5 };

export class LeadController {
  private readonly options: LeadOptions;
  private readonly generation = new RecentValues(64);
  private boostMs = 0;
  private boostAt: Milliseconds = 0;

  constructor(options: Partial<LeadOptions> = {}) {
    this.options = { ...LEAD_DEFAULTS, ...options };
  }

  /** Time from when a chunk was due to start generating to having it ready to send (ms). */
  recordGeneration(ms: Milliseconds): void {
    this.generation.push(ms);
  }

  recordUnderruns(count: number, now: Milliseconds): void {
    this.decay(now);
    this.boostMs += count * this.options.underrunBoostMs;
  }

  leadMs(outputLatencyMs: Milliseconds, now: Milliseconds): Milliseconds {
    this.decay(now);
    const gen = this.generation.count > 0 ? this.generation.percentile(95) : 0;
    return Math.min(this.options.maxLeadMs, this.options.marginMs + outputLatencyMs + gen + this.boostMs);
  }

  private decay(now: Milliseconds): void {
    this.boostMs = Math.max(0, this.boostMs - ((now - this.boostAt) / 1000) * this.options.boostDecayPerSecond);
    this.boostAt = now;
  }
}
