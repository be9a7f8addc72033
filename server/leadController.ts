/**
 * The adaptive lead: how long before a chunk's first sample is heard its generation starts.
 * Every millisecond of lead is a millisecond of control latency, so it is the smallest that
 * keeps playback fed: the listener's output latency (audio is handed to the device that much
 * before it is heard) + recent generation time (p95, worker queueing included) + a fixed margin
 * for transport and the client's scheduling, + a boost after reported underruns that decays.
 */
import type { Milliseconds } from '../protocol/units.js';
import { RecentValues } from './latencyStats.js';

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

export const LEAD_DEFAULTS: LeadOptions = { marginMs: 60, maxLeadMs: 400, underrunBoostMs: 15, boostDecayPerSecond: 5 };

export class LeadController {
  private readonly options: LeadOptions;
  private readonly generation = new RecentValues(64);
  private boostMs = 0;
  private boostAt: Milliseconds = 0;

  constructor(options: Partial<LeadOptions> = {}) {
    this.options = { ...LEAD_DEFAULTS, ...options };
  }

  /** Time from deciding to generate a chunk to having it ready to send (ms). */
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
