/**
 * One hostile client must never stop the show. Each input here killed or hung the whole server
 * (every session with it) at 964619c. The server runs in its own process, as `npm start` does,
 * with a bystander session streaming throughout: after every input the process still answers
 * /healthz, the bystander's audio keeps coming gap-free, and nothing escaped to the process-level
 * handler (expotion_escaped_errors_total stays 0).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CloseCode } from '../../protocol/errors.js';
import { encodeLandmarkFrame } from '../../protocol/landmarkFrame.js';
import { FACE_LANDMARK_COUNT } from '../../protocol/landmarkTypes.js';
import { RawClient } from './rawClient.js';
import { metricValue } from './testServer.js';

const MAIN = fileURLToPath(new URL('../../server/main.js', import.meta.url));

interface ServerUnderTest {
  url: string;
  wsUrl: string;
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function startServer(args: string[]): Promise<ServerUnderTest> {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--workers', '1', '--pack', 'teacher', '--log-level', 'silent', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /on (http:\/\/\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`the server exited with ${code}: ${stderr}`)));
  });
  return { url, wsUrl: `${url.replace('http', 'ws')}/ws`, child, stderr: () => stderr, exited };
}

/** /healthz answers within 3 s (a hung event loop does not). */
async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3000) });
    return res.ok;
  } catch {
    return false;
  }
}

function faceFrame(seq: number, captureTimeMs: number): Uint8Array {
  return encodeLandmarkFrame({ seq, captureTimeMs, face: new Float32Array(FACE_LANDMARK_COUNT * 3).fill(0.5), blendshapes: null, pose: null });
}

/** The same frame with any seq and capture time written into its header (values the encoder refuses). */
function rawFrame(seq: number, captureTimeMs: number): Uint8Array {
  const bytes = faceFrame(1, 1000).slice();
  const view = new DataView(bytes.buffer);
  view.setUint32(4, seq, true);
  view.setFloat64(8, captureTimeMs, true);
  return bytes;
}

/** Consecutive chunks continue each other: no sample of the timeline is missing or repeated. */
function assertGapFree(c: RawClient, from: number): void {
  for (let i = Math.max(1, from); i < c.chunks.length; i++) {
    const prev = c.chunks[i - 1]!.header;
    assert.equal(c.chunks[i]!.header.startSample, prev.startSample + prev.frames, `chunk ${i} continues chunk ${i - 1}`);
  }
}

describe('hostile clients against a server process', { timeout: 120_000 }, () => {
  let server: ServerUnderTest;
  let bystander: RawClient;
  let bystanderSeq = 0;
  let feed: NodeJS.Timeout;

  before(async () => {
    server = await startServer(['--record-dir', join(mkdtempSync(join(tmpdir(), 'expotion-hostile-')), 'rec')]);
    bystander = new RawClient(server.wsUrl);
    await bystander.hello();
    const t0 = performance.now();
    feed = setInterval(() => bystander.send(faceFrame(++bystanderSeq, performance.now() - t0 + 1000)), 50);
  });

  after(async () => {
    clearInterval(feed);
    server.child.kill('SIGKILL');
    await server.exited;
  });

  /** After a hostile input: the process answers, nothing escaped, and the bystander streams on without a gap. */
  async function showGoesOn(): Promise<void> {
    assert.ok(await healthy(server.url), `the server answers /healthz; stderr: ${server.stderr().slice(-2000)}`);
    const n = bystander.chunks.length;
    await bystander.until(() => bystander.chunks.length > n + 5, 10_000, 'more audio for the bystander');
    assertGapFree(bystander, 1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'expotion_escaped_errors_total{kind="uncaughtException"}'), 0, 'no uncaught exception');
    assert.equal(metricValue(metrics, 'expotion_escaped_errors_total{kind="unhandledRejection"}'), 0, 'no unhandled rejection');
    assert.doesNotMatch(server.stderr(), /uncaughtException|unhandledRejection|TimeoutOverflowWarning/);
  }

  test('a 1,100-character unknown key before hello gets a short JSON_SCHEMA error, and the server plays on', async () => {
    const c = new RawClient(server.wsUrl);
    await c.opened;
    c.send(`{"type":"hello","versions":[1],"prompt":"","${'k'.repeat(1100)}":1}`);
    c.send(`{"type":"hello","versions":[1],"prompt":"","audio":{"format":"f32","${'q'.repeat(1100)}":1}}`);
    c.send(`{"type":"hello","versions":[1],"prompt":"","audio":{"format":"${'x'.repeat(1100)}"}}`);
    await c.until(() => c.errorCodes().length >= 3, 5000, 'three errors');
    assert.deepEqual(c.errorCodes(), ['JSON_SCHEMA', 'JSON_SCHEMA', 'JSON_SCHEMA']);
    for (const m of c.messages) assert.ok(m.type === 'error' && m.message.length < 600, 'the reply quotes the key clipped');
    c.ws.close();
    await showGoesOn();
  });

  test('an upgrade request for path // is answered 404, and the server plays on', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => {
        socket.write('GET // HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
      });
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 404/);
    await showGoesOn();
  });

  test('a landmark frame with seq 0xFFFFFFFF is refused (FRAME_RANGE); that session and the others play on', async () => {
    const c = new RawClient(server.wsUrl);
    await c.hello();
    c.send(rawFrame(0xffffffff, 1000));
    await c.until(() => c.errorCodes().includes('FRAME_RANGE'), 5000, 'FRAME_RANGE');
    const n = c.chunks.length;
    await c.until(() => c.chunks.length > n + 3, 5000, 'more audio for the sender');
    c.send({ type: 'stop' });
    assert.equal((await c.closed).code, CloseCode.normal);
    await showGoesOn();
  });

  test('capture times of 1e18, 2^60 and a jump of hours are refused (FRAME_TIME), never hang the server', async () => {
    const c = new RawClient(server.wsUrl);
    await c.hello();
    c.send(rawFrame(1, 1e18));
    c.send(rawFrame(2, 2 ** 60));
    c.send(rawFrame(3, 2 ** 60 + 256));
    await c.until(() => c.errorCodes().filter((e) => e === 'FRAME_TIME').length >= 3, 5000, 'three FRAME_TIME');
    // In range, but hours apart: the second contradicts the session's own clock.
    c.send(rawFrame(4, 5000));
    c.send(rawFrame(5, 5000 + 3 * 3600 * 1000));
    await c.until(() => c.errorCodes().filter((e) => e === 'FRAME_TIME').length >= 4, 5000, 'a fourth FRAME_TIME');
    const n = c.chunks.length;
    await c.until(() => c.chunks.length > n + 3, 5000, 'more audio for the sender');
    c.ws.close();
    await showGoesOn();
  });

  test('a playback report from 10^13 ms in the future or with 10^16 underruns is refused; the sender keeps getting audio', async () => {
    const c = new RawClient(server.wsUrl);
    await c.hello();
    await c.until(() => c.chunks.length > 2 && c.messages.some((m) => m.type === 'ping'), 5000, 'audio and a ping');
    // Answer pings honestly so the server has this client's clock.
    c.ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const m = JSON.parse(data.toString()) as { type: string; id: number; t: number };
      if (m.type === 'ping') c.send({ type: 'pong', id: m.id, t: m.t, recvMs: performance.now(), sendMs: performance.now() });
    });
    await new Promise((r) => setTimeout(r, 400));
    const report = { type: 'playback', sample: 0, outputLatencyMs: 10, bufferedMs: 0, underrunMs: 0 };
    c.send({ ...report, clientTimeMs: performance.now() + 1e13, underruns: 0 });
    c.send({ ...report, clientTimeMs: performance.now(), underruns: 9e15 });
    c.send({ ...report, clientTimeMs: performance.now(), underruns: 1.8e16 });
    await c.until(() => c.errorCodes().length >= 3, 5000, 'three errors');
    // Beyond 2^53 the schema refuses it already; below, the session's own history does.
    assert.deepEqual(c.errorCodes(), ['REPORT_RANGE', 'REPORT_RANGE', 'JSON_SCHEMA']);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.ok(metricValue(metrics, 'expotion_underruns_reported_total') < 1000, 'the underrun counter was not inflated');
    const n = c.chunks.length;
    await c.until(() => c.chunks.length > n + 5, 5000, 'more audio for the sender');
    c.ws.close();
    await showGoesOn();
  });

  test('a session on a MusicGen-contract pack streams and sends controls (tempo null, no prompt echo)', async () => {
    for (const pack of ['tiny-musicgen', 'tiny-expotion']) {
      const c = new RawClient(server.wsUrl);
      await c.hello({ pack, prompt: 'a very long prompt '.repeat(20) });
      c.send(faceFrame(1, 1000));
      await c.until(() => c.messages.some((m) => m.type === 'controls') && c.chunks.length > 3, 20_000, `controls and audio on ${pack}`);
      const controls = c.messages.find((m) => m.type === 'controls');
      assert.ok(controls && controls.type === 'controls' && controls.music.tempoBpm === null, `${pack}: no tempo of its own`);
      c.send({ type: 'stop' });
      assert.equal((await c.closed).code, CloseCode.normal);
    }
    await showGoesOn();
  });

  test('a recording into a folder that cannot be created gets RECORDING_FAILED and the music goes on', async () => {
    const other = await startServer(['--record-dir', '/dev/null/rec']);
    try {
      const c = new RawClient(other.wsUrl);
      await c.hello({ record: true });
      await c.until(() => c.errorCodes().includes('RECORDING_FAILED'), 5000, 'RECORDING_FAILED');
      const n = c.chunks.length;
      await c.until(() => c.chunks.length > n + 5, 5000, 'audio after the failed recording');
      assert.ok(await healthy(other.url));
      c.send({ type: 'stop' });
      await c.closed;
    } finally {
      other.child.kill('SIGKILL');
      await other.exited;
    }
    await showGoesOn();
  });
});
