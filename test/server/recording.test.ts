/** Recordings are written incrementally: killing the writer loses at most the last second. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodding } from '../../harness/performers/synthetic.js';
import { performerFeed } from '../../harness/frameFeed.js';
import { SessionClient } from '../../harness/sessionClient.js';
import { decodeWav, WAV_HEADER_BYTES } from '../../server/audio/wav.js';
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
