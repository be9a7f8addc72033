import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameFeed } from '../../harness/frameFeed.js';
import { HeardLowOnsets } from '../../harness/heardOnsets.js';
import { MEASURE_DEFAULTS, beatAlignment } from '../../harness/measures.js';
import type { ReceivedChunk, SessionResult } from '../../harness/sessionClient.js';

const SR = 48000;
const CHUNK = 1024;
const PERIOD_MS = 500; // 120 BPM

/** A heard session of `seconds`: a quiet held bass, and decaying low hits at the given times (ms); its chunks heard as they arrive, as the session client does. */
function session(seconds: number, hits: { ms: number; level: number; hz: number }[]): SessionResult {
  const frames = seconds * SR;
  const mono = new Float32Array(frames);
  for (let i = 0; i < frames; i++) mono[i] = 0.02 * Math.sin((2 * Math.PI * 82 * i) / SR);
  for (const { ms, level, hz } of hits) {
    const start = Math.round((ms / 1000) * SR);
    for (let i = 0; i < 0.25 * SR && start + i < frames; i++) mono[start + i] += level * Math.exp(-i / (0.07 * SR)) * Math.sin((2 * Math.PI * hz * i) / SR);
  }
  const chunks: ReceivedChunk[] = [];
  const heard = new HeardLowOnsets();
  for (let f = 0; f + CHUNK <= frames; f += CHUNK) {
    const pcm = new Float32Array(2 * CHUNK);
    for (let i = 0; i < CHUNK; i++) pcm[2 * i] = pcm[2 * i + 1] = mono[f + i]!;
    const header = { sampleRate: SR, channels: 2 };
    heard.add(header, pcm, (f / SR) * 1000);
    chunks.push({ header, heardMs: (f / SR) * 1000, pcm: null } as unknown as ReceivedChunk);
  }
  return { chunks, heardLowOnsets: heard.onsets(), startedMs: 0, firstAudioHeardMs: 0, controls: [] } as unknown as SessionResult;
}

const feed: FrameFeed = { name: 'nodding 120', next: () => null, beatAt: () => ({ bpm: 120, periodMs: PERIOD_MS, anchorMs: 0 }) };

test('beat offsets: a kick on every beat is heard on it, through pickup kicks and soft bass notes nearer the beat', { timeout: 10_000 }, () => {
  const hits: { ms: number; level: number; hz: number }[] = [];
  for (let beat = 1; beat < 40; beat++) {
    const ms = beat * PERIOD_MS;
    hits.push({ ms, level: 0.8, hz: 55 });
    // Every fourth beat has a pickup kick a 16th before it (its own kick then rises less, in the
    // pickup's decay); every fourth another a soft bass note 40 ms before it.
    if (beat % 4 === 1) hits.push({ ms: ms - PERIOD_MS / 4, level: 0.8, hz: 55 });
    if (beat % 4 === 3) hits.push({ ms: ms - 40, level: 0.08, hz: 70 });
  }
  const beat = beatAlignment(session(20, hits), feed, MEASURE_DEFAULTS)!;
  assert.ok(beat.beats >= 28, `${beat.beats} beats`);
  assert.equal(beat.hitRate, 1, JSON.stringify(beat));
  assert.ok(beat.p95AbsOffsetMs <= 10, `p95 ${beat.p95AbsOffsetMs} ms`);
});

test('beat offsets: kicks 90 ms late are heard late, and a beat without a low attack is a miss', { timeout: 10_000 }, () => {
  const hits: { ms: number; level: number; hz: number }[] = [];
  for (let beat = 1; beat < 40; beat++) if (beat % 2 === 0) hits.push({ ms: beat * PERIOD_MS + 90, level: 0.8, hz: 55 });
  const beat = beatAlignment(session(20, hits), feed, MEASURE_DEFAULTS)!;
  assert.ok(beat.hitRate > 0.4 && beat.hitRate < 0.6, `hit rate ${beat.hitRate}`);
  assert.ok(Math.abs(beat.medianAbsOffsetMs - 90) <= 10, `median ${beat.medianAbsOffsetMs} ms`);
});
