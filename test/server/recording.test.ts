/** Recordings are written incrementally: killing the writer loses at most the last second. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodding } from '../../harness/performers/synthetic.js';
import { performerFeed } from '../../harness/frameFeed.js';
import { SessionClient } from '../../harness/sessionClient.js';
import { decodeWav, WAV_HEADER_BYTES } from '../../server/audio/wav.js';
import { resolveConfig } from '../../server/config.js';
import { SessionRecorder, type SessionRecorderOptions } from '../../server/session/recorder.js';
import { RawClient } from './rawClient.js';
import { startTestServer } from './testServer.js';

test('a recorder killed with SIGKILL mid-session leaves a valid WAV missing at most the last second', async () => {
  const root = mkdtempSync(join(tmpdir(), 'expotion-kill-'));
  const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/recordUntilKilled.js', import.meta.url)), root], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const started = performance.now();
  await new Promise((r) => setTimeout(r, 2500));
  child.kill('SIGKILL');
  const elapsedS = (performance.now() - started) / 1000;
  await new Promise((r) => child.once('exit', r));

  const dir = join(root, 'killed');
  const file = readFileSync(join(dir, 'audio.wav'));
  const declaredBytes = file.readUInt32LE(40);
  assert.ok(declaredBytes <= file.length - WAV_HEADER_BYTES, 'the header never claims more data than is on disk');
  const wav = decodeWav(file);
  assert.equal(wav.sampleRate, 48000);
  assert.equal(wav.channels, 2);
  const recordedS = declaredBytes / 4 / 48000;
  assert.ok(recordedS >= elapsedS - 1, `recorded ${recordedS.toFixed(2)} s of ${elapsedS.toFixed(2)} s`);
  // The audio itself is intact: a 440 Hz sine at amplitude 0.5.
  const peak = wav.samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
  assert.ok(peak > 0.49 && peak < 0.51, `peak ${peak}`);

  // Frames and controls were written too, record by record.
  const frames = readFileSync(join(dir, 'frames.bin'));
  let records = 0;
  for (let o = 0; o + 12 <= frames.length; records++) o += 12 + frames.readUInt32LE(o);
  assert.ok(records >= (recordedS * 48000) / 1024 - 1, `${records} frame records`);
  const csv = readFileSync(join(dir, 'controls.csv'), 'utf8').trim().split('\n');
  assert.match(csv[0]!, /^startSample,controlSeq,serverMs,valence,/);
  assert.ok(csv.length - 1 >= (recordedS * 48000) / 1024 - 1, `${csv.length - 1} control rows`);
  assert.ok(statSync(join(dir, 'session.json')).size > 0);
});

test('a session that asks to be recorded leaves its frames, controls and audio on disk', async () => {
  const server = await startTestServer();
  const result = await new SessionClient({ url: server.wsUrl, feed: performerFeed(nodding({ bpm: 100 })), prompt: 'pop', record: true }).run(2000);
  await server.close(); // waits for recordings to be finished
  assert.deepEqual(result.errors, []);
  const root = server.config.recordDir!;
  const [id] = readdirSync(root);
  assert.equal(id, result.ready!.sessionId);
  const wav = decodeWav(readFileSync(join(root, id!, 'audio.wav')));
  const sent = result.chunks.reduce((n, c) => n + c.header.frames, 0);
  assert.equal(wav.samples.length / 2, sent, 'every sample sent is in the recording');
  const meta = JSON.parse(readFileSync(join(root, id!, 'session.json'), 'utf8')) as { prompt: string; endedAt?: string };
  assert.equal(meta.prompt, 'pop');
  assert.ok(meta.endedAt, 'the recording was finished on close');
  const csvRows = readFileSync(join(root, id!, 'controls.csv'), 'utf8').trim().split('\n').length - 1;
  assert.equal(csvRows, result.chunks.length);
});

/** A recorder on a folder whose frames file is /dev/full: every write of it fails with ENOSPC. */
function recorderOnFullDisk(onStop: (reason: string) => void, options: Partial<SessionRecorderOptions> = {}): { recorder: SessionRecorder; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'expotion-full-'));
  mkdirSync(join(root, 'full'));
  symlinkSync('/dev/full', join(root, 'full', 'frames.bin'));
  const recorder = new SessionRecorder(root, { sessionId: 'full', pack: 'teacher', prompt: '', seed: 1, sampleRate: 48000, channels: 2, startedAt: new Date().toISOString() }, { flushIntervalMs: 20, onStop, ...options });
  return { recorder, dir: join(root, 'full') };
}

test('a full disk stops the recording with a reason, once; nothing throws and the audio written so far stays valid', { timeout: 10_000 }, async () => {
  const reasons: string[] = [];
  const { recorder, dir } = recorderOnFullDisk((r) => reasons.push(r));
  const tone = new Float32Array(2048).map((_, i) => 0.5 * Math.sin(i / 10));
  for (let i = 0; i < 5; i++) {
    recorder.frame(new Uint8Array(100), i * 33);
    recorder.chunk(i * 1024, i, i * 21, new Float32Array(16), tone);
  }
  while (reasons.length === 0) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(reasons.length, 1);
  assert.match(reasons[0]!, /could not write the recording \(ENOSPC\)/);
  assert.equal(recorder.recording, false);
  recorder.chunk(99 * 1024, 99, 0, new Float32Array(16), tone); // ignored, not thrown
  await recorder.close();
  const wav = decodeWav(readFileSync(join(dir, 'audio.wav')));
  assert.ok(wav.samples.length <= 5 * 2048, 'the WAV header covers at most what was written');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(reasons.length, 1, 'told once');
});

test('size and length quotas stop a recording cleanly: a finished, valid recording up to the limit', { timeout: 10_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'expotion-quota-'));
  const reasons: string[] = [];
  const meta = { sessionId: 'q', pack: 'teacher', prompt: '', seed: 1, sampleRate: 48000, channels: 2, startedAt: new Date().toISOString() };
  const recorder = new SessionRecorder(root, meta, { flushIntervalMs: 20, maxBytes: 1024 * 1024, onStop: (r) => reasons.push(r) });
  const chunk = new Float32Array(2048).fill(0.25);
  for (let i = 0; i < 400 && recorder.recording; i++) recorder.chunk(i * 1024, i, i, new Float32Array(16), chunk);
  assert.equal(recorder.recording, false);
  assert.match(reasons[0]!, /size limit/);
  await recorder.close();
  const wav = decodeWav(readFileSync(join(root, 'q', 'audio.wav')));
  assert.ok(wav.samples.length > 0 && wav.samples.length * 2 <= 1.1 * 1024 * 1024, `${wav.samples.length} samples`);
  const session = JSON.parse(readFileSync(join(root, 'q', 'session.json'), 'utf8')) as { endedAt?: string; stopped?: string };
  assert.ok(session.endedAt);
  assert.match(session.stopped ?? '', /size limit/);

  const timed: string[] = [];
  const short = new SessionRecorder(root, { ...meta, sessionId: 't' }, { flushIntervalMs: 20, maxMs: 100, onStop: (r) => timed.push(r) });
  while (timed.length === 0) await new Promise((r) => setTimeout(r, 20));
  assert.match(timed[0]!, /length limit/);
  await short.close();
});

test('a recorder refuses to start below the free-space floor', () => {
  const root = mkdtempSync(join(tmpdir(), 'expotion-floor-'));
  const meta = { sessionId: 'f', pack: 'teacher', prompt: '', seed: 1, sampleRate: 48000, channels: 2, startedAt: new Date().toISOString() };
  assert.throws(() => new SessionRecorder(root, meta, { minFreeBytes: 2 ** 60 }), /free/);
});

test('recording is off unless the operator sets a folder: record: true gets RECORDING_DISABLED and the music plays', { timeout: 20_000 }, async () => {
  const server = await startTestServer({ recordDir: null });
  try {
    const c = new RawClient(server.wsUrl);
    await c.hello({ record: true });
    await c.until(() => c.errorCodes().includes('RECORDING_DISABLED') && c.chunks.length > 3, 5000, 'RECORDING_DISABLED and audio');
    c.send({ type: 'stop' });
    await c.closed;
  } finally {
    await server.close();
  }
  assert.equal(resolveConfig({}).recordDir, null);
});

test('a session whose recording reaches its size quota mid-way is told RECORDING_FAILED and keeps its music', { timeout: 20_000 }, async () => {
  const server = await startTestServer({ recordMaxBytes: 1024 * 1024 });
  try {
    const c = new RawClient(server.wsUrl);
    await c.hello({ record: true });
    await c.until(() => c.errorCodes().includes('RECORDING_FAILED'), 15_000, 'RECORDING_FAILED after 1 MB');
    const n = c.chunks.length;
    await c.until(() => c.chunks.length > n + 5, 5000, 'audio after the recording stopped');
    c.send({ type: 'stop' });
    await c.closed;
  } finally {
    await server.close();
  }
});
