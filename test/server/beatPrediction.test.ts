/**
 * Beat prediction end to end: a performer nodding at a steady tempo hears the music's low-band
 * onsets (kick, bass) on their own beats, although every control reaches the music a latency
 * late. The grid is locked to the performer's beat extrapolated by the pipeline latency.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RUN_DEFAULTS, runFixed, type RunOptions } from '../../harness/runner.js';
import { startTestServer } from './testServer.js';

async function nodAt(bpm: number, beatPrediction: boolean) {
  const server = await startTestServer({ workers: 1, beatPrediction });
  try {
    const options: RunOptions = {
      ...RUN_DEFAULTS,
      url: server.url,
      sessions: 1,
      // 15 s of beats (about 30): enough that a few odd ones cannot move the median. Over 12 s the
      // old onset detector, which lost kicks behind softer attacks, once read a median of 26 ms.
      seconds: 20,
      performers: [`nodding:${bpm}`],
      prompts: ['house'],
      measure: { warmupMs: 1000, beatFromMs: 5000 },
    };
    const report = await runFixed(options);
    return { beat: report.sessions[0]!.beat!, latency: report.overall.latencyMs! };
  } finally {
    await server.close();
  }
}

test('with beat prediction, onsets are heard on a 120 BPM nodder\'s beats', { timeout: 180_000 }, async () => {
  const on = await nodAt(120, true);
  const off = await nodAt(120, false);
  const line = (r: typeof on) => `|offset| median ${r.beat.medianAbsOffsetMs.toFixed(1)} ms, mean ${r.beat.meanAbsOffsetMs.toFixed(1)} ms, p95 ${r.beat.p95AbsOffsetMs.toFixed(1)} ms, hits ${(r.beat.hitRate * 100).toFixed(0)}%, tempo error ${r.beat.tempoErrorBpm?.toFixed(1)} BPM, latency p50 ${r.latency.p50.toFixed(0)} ms`;
  console.log(`  prediction on:  ${line(on)}\n  prediction off: ${line(off)}`);
  assert.ok(on.beat.beats >= 10);
  // The teacher puts its style's accent (house: the kick) on every quarter of a strong beat.
  const hits = Math.round(on.beat.hitRate * on.beat.beats);
  assert.ok(hits >= 0.75 * on.beat.beats, `${hits} of ${on.beat.beats} beats had a kick: ${line(on)}`);
  // Well inside one control-to-audio latency: the grid anticipates the performer.
  assert.ok(on.beat.medianAbsOffsetMs < 25, line(on));
  assert.ok(on.beat.medianAbsOffsetMs < on.latency.p50 / 3, line(on));
  assert.ok(Math.abs(on.beat.tempoErrorBpm ?? 99) < 3, line(on));
});
