/**
 * The adaptive lead: how long before a chunk's first sample is heard its generation starts.
 * Every millisecond of lead is a millisecond of control latency, so it is the smallest that
 * keeps playback fed: the listener's output latency (audio is handed to the device that much
 * before it is heard) + recent generation time (p95, from when the chunk was due, so worker
 * queueing and a late timer on a busy machine count; or the slowest one lately, whichever is
 * more) + a margin for transport and the client's scheduling, + a boost after underruns that
 * decays.
 *
 * The margin is fitted to the listener. A protocol-2 client says in each playback report which
 * chunk arrived with the least time to spare and how much (`leastSlack`); what that chunk took
 * of its margin (the margin it was sent with, less that slack) is the margin's `need`: the way
 * to the listener and the client's own scheduling margin, plus any generation beyond what the
 * lead's generation term allowed. The margin is the largest need of the last `fitWindowReports`
 * reports (two minutes) plus `slackReserveMs`, at least `minMarginMs` and at most the configured
 * `marginMs`, which it is before `fitAfterReports` reports (10 s; a client that sends none: an old
 * one). So the fit only takes away margin the listener has not needed in two minutes: on
 * loopback or a LAN a chunk needs a few ms of the 60 configured, and a performer's latency drops
 * by what was never used; under load, where chunks need 30-60 ms of it, little changes, and a
 * link that needs more is left to the underrun boost, as before. It rises at once and glides
 * down (time constant `marginGlideSeconds`, 20 s), so by the time it is low the window has seen
 * most of a minute of the link (fitted at once after 10 s and without the cap, 8 sessions sharing
 * two cores with the harness had 3-16 underruns in 40-60 s where the configured margin had none).
 * A window maximum rather than a sinking peak: a sinking margin creeps back to where the last
 * stall was late, an underrun every few minutes; the window forgets a stall only after two
 * minutes without one like it.
 *
 * The slowest generation lately (up to `peakCapMs`) is held and sinks slowly (`peakDecayPerSecond`,
 * a quarter of a millisecond per second): the p95 of the last 64 chunks is a second and a half of
 * memory, and on two shared cores one of a chunk's stages is held up by 20-50 ms about once a minute
 * (another thread's burst, a GC). Forgotten at once, about once an hour two of those met, or one
 * was long enough, and a chunk was late (2 h soaks of 4 sessions: 1 underrun in 58 min without the
 * hold). Holding the peak covers the next stall before the listener hears it, at a cost in latency
 * mostly while stalls keep coming (1 session for 20 s on a quiet machine: p95 +8 ms). Chunks
 * known to be slow for their own reasons (a session's first seconds: its first pass, and chunks
 * queued behind other sessions' first passes; a prompt change re-priming the model) are left out
 * of the held peak.
 *
 * Underruns are heard from two sides: the client's reports, and at once when the server sees the
 * listener's playhead pass the next chunk (a stall it does not need a report to know about). One
 * stall makes several: the server sees it, and the client reports each chunk that arrived late
 * while the server caught up (5-10 when a burst of sessions starts together). The boost counts
 * them per episode, once per `underrunEpisodeMs` at most: counted per underrun, one start-up
 * stall took the lead of a few of 12 sessions to the 400 ms ceiling, and the boost's slow decay
 * kept their latency 100-200 ms up for half a minute. Underruns that keep coming still raise the
 * lead by a boost per episode.
 */
import type { Milliseconds } from '../../protocol/units.js';
import { RecentValues } from '../../protocol/statistics.js';

export interface LeadOptions {
  /** Margin on top of the measured parts (ms) until the listener's reports fit it (always, when `fitMargin` is off). */
  marginMs: Milliseconds;
  /** Fit the margin to the listener's reported arrival slack. */
  fitMargin: boolean;
  /** The fitted margin: the largest need in the window plus this (ms) ... */
  slackReserveMs: Milliseconds;
  /** ... never less than this (ms) nor more than `marginMs` ... */
  minMarginMs: Milliseconds;
  /** ... the need being the largest of the last this many reports ... */
  fitWindowReports: number;
  /** ... once this many have been heard (before: `marginMs`); it glides down with this time constant (s). */
  fitAfterReports: number;
  marginGlideSeconds: number;
  /** Never more than this (ms). */
  maxLeadMs: Milliseconds;
  /** Added per episode of underruns (ms) ... */
  underrunBoostMs: Milliseconds;
  /** ... an episode being the underruns within this long of its first (ms) ... */
  underrunEpisodeMs: Milliseconds;
  /** ... and decaying at this rate (ms per second). */
  boostDecayPerSecond: number;
  /** The held slowest generation time sinks at this rate (ms per second) ... */
  peakDecayPerSecond: number;
  /** ... and counts for at most this much (ms; 0: not at all; `--lead-hold-ms`): beyond it a stall is an accident, left to the underrun boost. */
  peakCapMs: number;
}

export const LEAD_DEFAULTS: LeadOptions = { marginMs: 60, fitMargin: true, slackReserveMs: 20, minMarginMs: 15, fitWindowReports: 240, fitAfterReports: 20, marginGlideSeconds: 20, maxLeadMs: 400, underrunBoostMs: 30, underrunEpisodeMs: 1000, boostDecayPerSecond: 5, peakDecayPerSecond: 0.25, peakCapMs: 40 };

export class LeadController {
  private readonly options: LeadOptions;
  private readonly generation = new RecentValues(64);
  private boostMs = 0;
  private boostAt: Milliseconds = 0;
  /** When the current episode of underruns began (null: none yet). */
  private episodeAt: Milliseconds | null = null;
  /** The slowest generation time lately (ms), held and sinking with `boostAt` like the boost. */
  private slowestMs = 0;
  /** The margin's needs in the listener's recent reports (ms), and the margin they make. */
  private readonly needs: RecentValues;
  private fittedMarginMs = 0;
  /** The margin in force, gliding down towards the fitted one, and when it was last moved (null: not yet). */
  private marginNowMs: Milliseconds;
  private marginAt: Milliseconds | null = null;

  constructor(options: Partial<LeadOptions> = {}) {
    this.options = { ...LEAD_DEFAULTS, ...options };
    this.needs = new RecentValues(this.options.fitWindowReports);
    this.marginNowMs = this.options.marginMs;
  }

  /**
   * Time from when a chunk was due to start generating to having it ready to send (ms).
   * `expectedSlow`: the chunk did one-off work (first pass, new prompt), so it says nothing about the machine.
   */
  recordGeneration(ms: Milliseconds, now: Milliseconds, expectedSlow = false): void {
    this.generation.push(ms);
    this.decay(now);
    if (!expectedSlow) this.slowestMs = Math.max(this.slowestMs, Math.min(ms, this.options.peakCapMs));
  }

  recordUnderruns(count: number, now: Milliseconds): void {
    this.decay(now);
    if (count <= 0) return;
    if (this.episodeAt !== null && now - this.episodeAt < this.options.underrunEpisodeMs) return;
    this.episodeAt = now;
    this.boostMs += this.options.underrunBoostMs;
  }

  /**
   * A listener's report of the chunk that arrived with the least time to spare since its last:
   * `sentMarginMs`, the margin that chunk was sent with; `slackMs`, how long before it was needed
   * it arrived (below 0: late).
   */
  recordSlack(sentMarginMs: Milliseconds, slackMs: Milliseconds): void {
    const o = this.options;
    this.needs.push(sentMarginMs - slackMs);
    this.fittedMarginMs = Math.min(o.marginMs, Math.max(o.minMarginMs, this.needs.max() + o.slackReserveMs));
  }

  /** The margin now (ms): fitted to the listener's reports, or the configured one. */
  marginMs(now: Milliseconds): Milliseconds {
    const o = this.options;
    // The window never holds fewer reports than have been heard until it is full (fitAfterReports < fitWindowReports).
    const target = o.fitMargin && this.needs.count >= o.fitAfterReports ? this.fittedMarginMs : o.marginMs;
    const elapsedS = Math.max(0, now - (this.marginAt ?? now)) / 1000;
    this.marginNowMs = target >= this.marginNowMs ? target : target + (this.marginNowMs - target) * Math.exp(-elapsedS / o.marginGlideSeconds);
    this.marginAt = now;
    return this.marginNowMs;
  }

  leadMs(outputLatencyMs: Milliseconds, now: Milliseconds): Milliseconds {
    this.decay(now);
    const margin = this.marginMs(now);
    const gen = Math.max(this.generation.count > 0 ? this.generation.percentile(95) : 0, this.slowestMs);
    return Math.min(this.options.maxLeadMs, margin + outputLatencyMs + gen + this.boostMs);
  }

  private decay(now: Milliseconds): void {
    const seconds = Math.max(0, now - this.boostAt) / 1000;
    this.boostMs = Math.max(0, this.boostMs - seconds * this.options.boostDecayPerSecond);
    const sink = seconds * this.options.peakDecayPerSecond;
    this.slowestMs = Math.max(0, this.slowestMs - sink);
    this.boostAt = now;
  }
}
