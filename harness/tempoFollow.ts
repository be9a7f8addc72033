/**
 * Does the music follow the performer's tempo? For a performer whose beat is known (synthetic, or
 * a corpus recording's ground truth): the tempo the server heard (`tempo` control), the tempo the
 * music plays (`music.tempoBpm`), both against the truth, and how long until the music locked on:
 * the first controls message from which the music's tempo stays within the tolerance (half and
 * double time count), in ms and beats after streaming started. Times are on the server clock,
 * from the `ready` message.
 */
import type { Bpm, Milliseconds } from '../protocol/units.js';
import type { FrameFeed } from './frameFeed.js';
import type { SessionResult } from './sessionClient.js';

/** The music follows when its tempo is within this of the performer's (or of half or double it). */
export const TEMPO_FOLLOW_TOLERANCE_BPM = 2;

export interface TempoFollow {
  truthBpm: Bpm;
  /** The newest `tempo` control minus the truth (BPM). */
  heardErrorBpm: number | null;
  /** The newest music tempo minus the nearest of truth, half and double (BPM). */
  musicErrorBpm: number | null;
  /** Since streaming started until the music locked for good; null when it did not. */
  timeToLockMs: Milliseconds | null;
  timeToLockBeats: number | null;
}

/** Music tempo minus the nearest of the truth, its half and its double. */
export function foldedTempoError(musicBpm: Bpm, truthBpm: Bpm): number {
  const errors = [truthBpm, truthBpm / 2, truthBpm * 2].map((t) => musicBpm - t);
  return errors.reduce((best, e) => (Math.abs(e) < Math.abs(best) ? e : best));
}

export function tempoFollow(result: SessionResult, feed: FrameFeed): TempoFollow | null {
  const beat = feed.beatAt?.(0);
  if (!beat || !result.ready || result.controls.length === 0) return null;
  const t0 = result.ready.serverTimeMs;
  let lockedAt: Milliseconds | null = null;
  for (const c of result.controls) {
    const music = c.music.tempoBpm;
    const ok = music !== null && Math.abs(foldedTempoError(music, beat.bpm)) <= TEMPO_FOLLOW_TOLERANCE_BPM;
    if (!ok) lockedAt = null;
    else lockedAt ??= Math.max(0, c.serverTimeMs - t0);
  }
  const last = result.controls.at(-1)!;
  const heard = last.values.tempo;
  const music = last.music.tempoBpm;
  return {
    truthBpm: beat.bpm,
    heardErrorBpm: typeof heard === 'number' ? heard - beat.bpm : null,
    musicErrorBpm: music === null ? null : foldedTempoError(music, beat.bpm),
    timeToLockMs: lockedAt,
    timeToLockBeats: lockedAt === null ? null : lockedAt / beat.periodMs,
  };
}
