/**
 * A session that survives losing its server, like the browser client (client/src/link/
 * sessionLink.ts): when the connection ends before the run does (a process killed behind nginx,
 * a restart), it reconnects at once, then with capped exponential backoff, and opens a new
 * session with the same prompt, pack, format and seed, the performer streaming on. It records
 * each failover: when the connection was lost and how long until audio arrived again.
 */
import type { Milliseconds } from '../protocol/units.js';
import type { FrameFeed } from './frameFeed.js';
import { abortableSleep } from './abortableSleep.js';
import { SessionClient, type ReceivedChunk, type SessionClientOptions, type SessionResult } from './sessionClient.js';

export interface ReconnectOptions {
  /** The second attempt waits this long (the first is immediate), doubling up to `maxBackoffMs`. */
  initialBackoffMs: Milliseconds;
  maxBackoffMs: Milliseconds;
}

export const RECONNECT_DEFAULTS: ReconnectOptions = { initialBackoffMs: 250, maxBackoffMs: 5000 };

export interface Failover {
  /** performance.now() when the connection closed. */
  lostAtMs: Milliseconds;
  closeCode: number | null;
  /** From the close until the first chunk of the new session arrived (ms); null if none did before the run ended. */
  audioAgainAfterMs: Milliseconds | null;
  /** Connection attempts it took (1: the immediate retry got in). */
  attempts: number;
  /** The prompt the new session's hello carried. */
  prompt: string;
}

export interface ReconnectingResult extends SessionResult {
  failovers: Failover[];
  /** Sessions opened (1 + successful reconnects). */
  sessions: number;
}

/** The rest of a feed, its times counted from its next frame (a new session starts its own clock). */
function resumed(feed: FrameFeed): FrameFeed {
  let base: Milliseconds | null = null;
  return {
    name: feed.name,
    next() {
      const item = feed.next();
      if (!item) return null;
      base ??= item.atMs;
      return { atMs: item.atMs - base, frame: item.frame };
    },
  };
}

function merge(into: ReconnectingResult | null, r: SessionResult): ReconnectingResult {
  if (!into) return { ...r, failovers: [], sessions: r.ready ? 1 : 0 };
  into.ready ??= r.ready;
  into.chunks.push(...r.chunks);
  into.errors.push(...r.errors);
  into.stats.push(...r.stats);
  into.controls.push(...r.controls);
  into.framesSent += r.framesSent;
  into.closeCode = r.closeCode;
  into.closeReason = r.closeReason;
  into.underruns += r.underruns;
  into.underrunMs += r.underrunMs;
  into.discontinuities += r.discontinuities;
  into.heardLowOnsets.push(...r.heardLowOnsets);
  into.firstAudioHeardMs ??= r.firstAudioHeardMs;
  if (r.ready) into.sessions++;
  return into;
}

/** Streams for `durationMs` across as many sessions as it takes; resolves with all of them merged. */
export async function runReconnecting(
  options: Partial<SessionClientOptions> & Pick<SessionClientOptions, 'url' | 'feed'>,
  durationMs: Milliseconds,
  signal?: AbortSignal,
  reconnect: ReconnectOptions = RECONNECT_DEFAULTS,
  onFailover?: (f: Failover) => void,
): Promise<ReconnectingResult> {
  const deadline = performance.now() + durationMs;
  let result: ReconnectingResult | null = null;
  let pending: Failover | null = null;
  let feed = options.feed;
  let attempt = 0;
  for (;;) {
    const lost = pending;
    const client = new SessionClient({
      ...options,
      feed,
      onChunk: (chunk: ReceivedChunk) => {
        if (lost && lost.audioAgainAfterMs === null) {
          lost.audioAgainAfterMs = performance.now() - lost.lostAtMs;
          onFailover?.(lost);
        }
        options.onChunk?.(chunk);
      },
    });
    const r = await client.run(Math.max(0, deadline - performance.now()), signal);
    result = merge(result, r);
    const now = performance.now();
    if (signal?.aborted || now >= deadline - 1) return result;
    // The server (or the path to it) ended the session early: open a new one.
    if (r.ready) {
      attempt = 0;
      pending = { lostAtMs: now, closeCode: r.closeCode, audioAgainAfterMs: null, attempts: 0, prompt: options.prompt ?? '' };
      result.failovers.push(pending);
    }
    if (pending) pending.attempts++;
    const delay = attempt === 0 ? 0 : Math.min(reconnect.maxBackoffMs, reconnect.initialBackoffMs * 2 ** (attempt - 1));
    attempt++;
    feed = resumed(options.feed);
    await abortableSleep(Math.min(delay, Math.max(0, deadline - now)), signal);
  }
}
