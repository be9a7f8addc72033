/**
 * End to end on loopback: Node clients built on protocol/ stream synthetic performers to a real
 * server (HTTP + WebSocket + worker threads) and play the audio on a virtual listener.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CloseCode } from '../../protocol/errors.js';
import { detectOnsets } from '../../harness/analysis/onsets.js';
import { dancing, still } from '../../harness/performers/synthetic.js';
import { performerFeed } from '../../harness/frameFeed.js';
import { SessionClient, type SessionResult } from '../../harness/sessionClient.js';
import { concatPcm, fetchMetrics, metricValue, rms, startTestServer } from './testServer.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;
let server: TestServer;
let calm: SessionResult;
let energetic: SessionResult;

const SECONDS = 5;

before(async () => {
  server = await startTestServer({ workers: 2 });
  // Two performers at once, same prompt and seed: only their movement differs.
  const common = { url: server.wsUrl, prompt: 'funk groove', seed: 7 };
  [calm, energetic] = await Promise.all([
    new SessionClient({ ...common, feed: performerFeed(still()) }).run(SECONDS * 1000),
    new SessionClient({ ...common, feed: performerFeed(dancing({ bpm: 110 })), format: 's16' }).run(SECONDS * 1000),
  ]);
});
after(() => server.close());

/** The second half of a session's audio (after the controls have settled). */
function settledAudio(r: SessionResult): Float32Array {
  return concatPcm(r.chunks.slice(Math.floor(r.chunks.length / 2)).map((c) => c.pcm));
}

test('sessions stream gap-free audio and end cleanly', () => {
  for (const r of [calm, energetic]) {
    assert.ok(r.ready, 'ready received');
    assert.deepEqual(r.errors, []);
    assert.equal(r.closeCode, CloseCode.normal);
    assert.equal(r.chunks[0]!.header.startSample, 0);
    assert.equal(r.discontinuities, 0, 'sample indices are contiguous');
    const audioS = r.chunks.reduce((s, c) => s + c.header.frames, 0) / r.ready!.sampleRate;
    // Streaming kept going (underruns on a starved machine restart playback later, so allow slack).
    assert.ok(audioS > SECONDS / 2, `${audioS.toFixed(2)} s of audio in ${SECONDS} s`);
    assert.ok(r.chunks.every((c) => c.header.channels === 2 && c.header.sampleRate === 48000));
    assert.ok(r.framesSent > SECONDS * 25);
  }
  assert.equal(energetic.chunks[0]!.header.format, 's16');
});

test('the audio is not silent and follows the performer', () => {
  const a = settledAudio(calm);
  const b = settledAudio(energetic);
  const rmsCalm = rms(a);
  const rmsEnergetic = rms(b);
  assert.ok(rmsCalm > 0.01, `calm RMS ${rmsCalm}`);
  const onsetsCalm = detectOnsets(a, 48000, 2).length;
  const onsetsEnergetic = detectOnsets(b, 48000, 2).length;
  // Energy raises density and level: more onsets, or clearly louder.
  assert.ok(onsetsEnergetic > onsetsCalm * 1.2 || rmsEnergetic > rmsCalm * 1.3,
    `onsets ${onsetsCalm} -> ${onsetsEnergetic}, RMS ${rmsCalm.toFixed(3)} -> ${rmsEnergetic.toFixed(3)}`);
});

test('chunks carry the newest control frame used, and latency is measured on both sides', async () => {
  for (const r of [calm, energetic]) {
    const seqs = r.chunks.flatMap((c) => (c.header.controlSeq === null ? [] : [c.header.controlSeq]));
    assert.ok(seqs.length > r.chunks.length / 2, 'most chunks were generated with a control frame');
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! >= seqs[i - 1]!, 'control sequence never goes back');
    const clientLatencies = r.chunks.flatMap((c) => (c.latencyMs === null ? [] : [c.latencyMs]));
    assert.ok(clientLatencies.every((l) => l > 0 && l < 2000), 'client-side latencies are plausible');
    const last = r.stats.at(-1);
    assert.ok(last?.latencyMs && last.latencyMs.count > 0, 'server reported latency in stats');
    assert.ok(last.rtf > 0 && last.rtf < 1, `RTF ${last.rtf}`);
    assert.ok(r.controls.length > 0 && r.controls.at(-1)!.music.style.length > 0);
  }
  const metrics = await fetchMetrics(server);
  assert.ok(metricValue(metrics, 'expotion_control_to_audio_latency_seconds_count') > 0);
  assert.ok(metricValue(metrics, 'expotion_audio_chunks_total') >= calm.chunks.length + energetic.chunks.length);
  assert.equal(metricValue(metrics, 'expotion_sessions'), 0);
  assert.equal(metricValue(metrics, 'expotion_sessions_opened_total'), 2);
  // Busy time per thread, for finding the one that limits capacity: the main thread, and every
  // generation worker (each rendered its warm-up, and the two sessions).
  const busy = (thread: string): number => metricValue(metrics, `expotion_thread_busy_seconds_total{thread="${thread}"}`);
  assert.ok(busy('main') > 0, 'the main thread was busy');
  for (let i = 0; i < server.config.workers; i++) assert.ok(busy(`worker${i}`) > 0, `worker${i} was busy`);
  // And how long each waited for a CPU (Linux): every thread is reported, a worker by the id it sent.
  if (process.platform === 'linux') {
    for (const thread of ['main', ...Array.from({ length: server.config.workers }, (_, i) => `worker${i}`)]) {
      assert.match(metrics, new RegExp(`^expotion_thread_cpu_wait_seconds_total\\{thread="${thread}"\\} \\d`, 'm'), `${thread}'s wait for a CPU is reported`);
    }
  }
});

test('the server and client agree on latency to within a few milliseconds', () => {
  // Server-side figures come from playback reports; client-side from the listener itself.
  const r = energetic;
  const server = r.stats.at(-1)!.latencyMs!;
  const serverP50 = server.p50;
  // Like with like: the server's last stats cover the first `count` chunks heard (its window
  // holds 512, more than this session has); on a busy machine latency drifts up over a session.
  const client = r.chunks
    .flatMap((c) => (c.latencyMs === null ? [] : [c.latencyMs]))
    .slice(0, server.count)
    .sort((x, y) => x - y);
  const clientP50 = client[Math.floor(client.length / 2)]!;
  assert.ok(Math.abs(serverP50 - clientP50) < 15, `server p50 ${serverP50.toFixed(1)} ms vs client p50 ${clientP50.toFixed(1)} ms`);
});
