/**
 * Bad input of every kind gets a clear error or close code and a metric; the server and the
 * other sessions carry on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CloseCode } from '../../protocol/errors.js';
import { encodeLandmarkFrame } from '../../protocol/landmarkFrame.js';
import { FACE_LANDMARK_COUNT } from '../../protocol/landmarkTypes.js';
import { RawClient } from './rawClient.js';
import { fetchMetrics, metricValue, startTestServer } from './testServer.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

function faceFrame(seq: number, captureTimeMs: number): Uint8Array {
  const face = new Float32Array(FACE_LANDMARK_COUNT * 3).fill(0.5);
  return encodeLandmarkFrame({ seq, captureTimeMs, face, blendshapes: null, pose: null });
}

describe('bad input', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ helloTimeoutMs: 300, maxMessagesPerSecond: 50, messageBurst: 60, maxPayloadBytes: 16 * 1024 });
  });
  after(() => server.close());

  test('malformed binary frames get an error each and the session keeps streaming', async () => {
    const c = new RawClient(server.wsUrl);
    await c.hello();
    const good = faceFrame(1, 1000);
    const wrongKind = good.slice();
    wrongKind[0] = 0x00;
    const wrongVersion = good.slice();
    wrongVersion[1] = 9;
    const notANumber = good.slice();
    notANumber[16] = 0x00;
    notANumber[17] = 0x80; // int16 -32768 (the reserved not-a-number value) in the first x
    const badTime = good.slice();
    new DataView(badTime.buffer).setFloat64(8, NaN, true);
    const cases: [Uint8Array, string][] = [
      [new Uint8Array([0x4c, 1]), 'FRAME_TRUNCATED'],
      [wrongKind, 'FRAME_KIND'],
      [wrongVersion, 'FRAME_VERSION'],
      [good.subarray(0, good.length - 2), 'FRAME_LENGTH'],
      [notANumber, 'FRAME_NONFINITE'],
      [badTime, 'FRAME_TIME'],
    ];
    const before = await fetchMetrics(server);
    for (const [bytes] of cases) c.send(bytes);
    await c.until(() => c.errorCodes().length >= 5, 3000, 'error replies');
    // Error replies are rate-limited to 5 per second; every rejection is counted.
    assert.deepEqual(c.errorCodes().slice(0, 5), cases.slice(0, 5).map(([, code]) => code));
    const afterText = await fetchMetrics(server);
    for (const [, code] of cases) {
      const key = `expotion_rejected_messages_total{reason="${code}"}`;
      assert.equal(metricValue(afterText, key) - metricValue(before, key), 1, code);
    }
    const chunksBefore = c.chunks.length;
    c.send(faceFrame(2, 1033));
    await c.until(() => c.chunks.length > chunksBefore + 3, 3000, 'more audio');
    c.send({ type: 'stop' });
    assert.equal((await c.closed).code, CloseCode.normal);
  });

  test('bad JSON gets JSON_SYNTAX, UNKNOWN_TYPE or JSON_SCHEMA and is dropped', async () => {
    const c = new RawClient(server.wsUrl);
    await c.hello();
    c.send('{"type": "prompt", ');
    c.send({ type: 'dance' });
    c.send({ type: 'prompt', text: 42 });
    c.send({ type: 'playback', sample: -1, clientTimeMs: 0, outputLatencyMs: 0, bufferedMs: 0, underruns: 0, underrunMs: 0 });
    await c.until(() => c.errorCodes().length >= 4, 3000, 'four errors');
    assert.deepEqual(c.errorCodes(), ['JSON_SYNTAX', 'UNKNOWN_TYPE', 'JSON_SCHEMA', 'JSON_SCHEMA']);
    c.send({ type: 'hello', versions: [1], prompt: '' });
    await c.until(() => c.errorCodes().length >= 5);
    assert.equal(c.errorCodes()[4], 'HELLO_REPEATED');
    c.send({ type: 'stop' });
    assert.equal((await c.closed).code, CloseCode.normal);
  });

  test('frames before hello are refused; hello in time is required', async () => {
    const c = new RawClient(server.wsUrl);
    await c.opened;
    c.send(faceFrame(1, 1000));
    await c.until(() => c.errorCodes().includes('HELLO_REQUIRED'));
    const closed = await c.closed; // no hello within 300 ms
    assert.equal(closed.code, CloseCode.helloTimeout);
    assert.ok(c.errorCodes().includes('HELLO_TIMEOUT'));
  });

  test('an unsupported protocol version closes with 4001', async () => {
    const c = new RawClient(server.wsUrl);
    await c.opened;
    c.send({ type: 'hello', versions: [7, 8], prompt: '' });
    const closed = await c.closed;
    assert.equal(closed.code, CloseCode.versionMismatch);
    assert.deepEqual(c.errorCodes(), ['VERSION_UNSUPPORTED']);
  });

  test('an unknown pack is refused with a message listing the installed packs', async () => {
    const c = new RawClient(server.wsUrl);
    await c.opened;
    c.send({ type: 'hello', versions: [1], prompt: '', pack: 'no-such-pack' });
    const closed = await c.closed;
    assert.equal(closed.code, CloseCode.policyViolation);
    const err = c.messages.find((m) => m.type === 'error');
    assert.ok(err && err.type === 'error' && err.code === 'UNKNOWN_PACK' && /teacher/.test(err.message));
  });

  test('an oversized message closes that connection with 1009; others carry on', async () => {
    const good = new RawClient(server.wsUrl);
    await good.hello();
    const big = new RawClient(server.wsUrl);
    await big.hello();
    const before = await fetchMetrics(server);
    big.send(new Uint8Array(64 * 1024));
    assert.equal((await big.closed).code, CloseCode.messageTooBig);
    const n = good.chunks.length;
    await good.until(() => good.chunks.length > n + 5, 3000, 'audio on the good session');
    const afterText = await fetchMetrics(server);
    const key = 'expotion_rejected_messages_total{reason="MESSAGE_TOO_BIG"}';
    assert.equal(metricValue(afterText, key) - metricValue(before, key), 1);
    good.send({ type: 'stop' });
    await good.closed;
  });

  test('a flood closes that connection with 4008; others carry on', async () => {
    const good = new RawClient(server.wsUrl);
    await good.hello();
    const flood = new RawClient(server.wsUrl);
    await flood.hello();
    for (let i = 0; i < 500; i++) flood.send(faceFrame(i, 1000 + i));
    assert.equal((await flood.closed).code, CloseCode.rateLimited);
    const n = good.chunks.length;
    await good.until(() => good.chunks.length > n + 5, 3000, 'audio on the good session');
    good.send({ type: 'stop' });
    await good.closed;
  });

  test('a foreign Origin is refused at the upgrade with 403; same-origin and allowlisted pass', async () => {
    const foreign = new RawClient(server.wsUrl, { Origin: 'http://evil.example' });
    await assert.rejects(foreign.opened, /HTTP 403/);
    const same = new RawClient(server.wsUrl, { Origin: server.url });
    await same.opened;
    same.ws.close();
    const allowlisted = await startTestServer({ allowedOrigins: ['http://kiosk.local:3000'] });
    try {
      const ok = new RawClient(allowlisted.wsUrl, { Origin: 'http://kiosk.local:3000' });
      await ok.opened;
      ok.ws.close();
      const metrics = await fetchMetrics(allowlisted);
      assert.equal(metricValue(metrics, 'expotion_rejected_messages_total{reason="ORIGIN_FORBIDDEN"}'), 0);
    } finally {
      await allowlisted.close();
    }
    const metrics = await fetchMetrics(server);
    assert.ok(metricValue(metrics, 'expotion_rejected_messages_total{reason="ORIGIN_FORBIDDEN"}') >= 1);
  });
});

describe('admission control', () => {
  test('when full, new sessions are refused with 1013 and the running one is untouched', async () => {
    const server = await startTestServer({ maxSessions: 1 });
    try {
      const first = new RawClient(server.wsUrl);
      await first.hello();
      const second = new RawClient(server.wsUrl);
      const closed = await second.closed;
      assert.equal(closed.code, CloseCode.tryAgainLater);
      assert.deepEqual(second.errorCodes(), ['SERVER_FULL']);
      const n = first.chunks.length;
      await first.until(() => first.chunks.length > n + 5, 3000, 'audio on the first session');
      const metrics = await fetchMetrics(server);
      assert.equal(metricValue(metrics, 'expotion_sessions_refused_total{reason="SERVER_FULL"}'), 1);
      assert.equal(metricValue(metrics, 'expotion_sessions'), 1);
      first.send({ type: 'stop' });
      await first.closed;
    } finally {
      await server.close();
    }
  });

  test('a reconnect storm from one address gets HTTP 429 beyond the burst', async () => {
    const server = await startTestServer({ connectionBurst: 3, maxConnectionsPerSecond: 0.5 });
    try {
      const clients = Array.from({ length: 6 }, () => new RawClient(server.wsUrl));
      const outcomes = await Promise.all(clients.map((c) => c.opened.then(() => 'open', (e: Error) => e.message)));
      assert.deepEqual(outcomes.filter((o) => o === 'open').length, 3);
      assert.deepEqual(outcomes.filter((o) => o === 'HTTP 429').length, 3);
      for (const c of clients) c.ws.terminate();
      const metrics = await fetchMetrics(server);
      assert.equal(metricValue(metrics, 'expotion_sessions_refused_total{reason="RATE_LIMITED"}'), 3);
    } finally {
      await server.close();
    }
  });

  test('graceful shutdown closes sessions with 1001', async () => {
    const server = await startTestServer();
    const c = new RawClient(server.wsUrl);
    await c.hello();
    await server.close();
    assert.equal((await c.closed).code, CloseCode.goingAway);
  });
});
