/**
 * End to end on loopback: a real server sends `scene` messages to a session's client, changes
 * them when the music changes character (the prompt changes mid-session), and with a failing
 * captioning hook falls back to the built-in imaginer, counting the failure in /metrics.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeLandmarkFrame } from '../../protocol/landmarkFrame.js';
import type { SceneMessage } from '../../protocol/messages.js';
import { dancing } from '../../harness/performers/synthetic.js';
import { fetchMetrics, metricValue, startTestServer } from '../server/testServer.js';
import { RawClient } from '../server/rawClient.js';
import { startMisbehavingServer, type MisbehavingServer } from './misbehavingServer.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;
let hookServer: MisbehavingServer;
let server: TestServer;

before(async () => {
  hookServer = await startMisbehavingServer();
});
after(async () => {
  await server?.close();
  await hookServer.close();
});

const scenes = (c: RawClient): SceneMessage[] => c.messages.filter((m): m is SceneMessage => m.type === 'scene');

/** Streams a dancing performer's landmark frames at 30 fps until stopped. */
function perform(client: RawClient): () => void {
  const performer = dancing({ bpm: 120 });
  const t0 = performance.now();
  let seq = 0;
  const timer = setInterval(() => {
    const atMs = performance.now() - t0;
    client.send(encodeLandmarkFrame({ ...performer.frameAt(atMs), seq: seq++, captureTimeMs: atMs }));
  }, 33);
  return () => clearInterval(timer);
}

test('a session sends scene messages, and a new one when the music changes character', async () => {
  server = await startTestServer({ sceneIntervalMs: 500, sceneHookUrl: hookServer.url('/500'), sceneHookTimeoutMs: 500 });
  const client = new RawClient(server.wsUrl);
  await client.hello({ prompt: 'calm ambient meditation', seed: 3 });
  const stop = perform(client);
  try {
    await client.until(() => scenes(client).length >= 1, 9000, 'the first scene');
    const first = scenes(client)[0]!;
    assert.equal(first.version, 1);
    assert.equal(first.source, 'builtin', 'the hook answers 500: the built-in imaginer stands in');
    assert.ok(first.caption.length > 0);
    client.send({ type: 'prompt', text: 'fast punk rock in a mosh pit' });
    await client.until(() => scenes(client).length >= 2, 12000, 'a second scene');
    assert.notEqual(scenes(client)[1]!.caption, first.caption);
    assert.deepEqual(client.errorCodes(), []);
  } finally {
    stop();
    client.send({ type: 'stop' });
    await client.closed;
  }
  const metrics = await fetchMetrics(server);
  assert.ok(metricValue(metrics, 'expotion_scene_hook_requests_total{result="http_status"}') >= 2, 'hook failures counted by reason');
  assert.ok(hookServer.received.some((r) => r.path === '/500' && r.body.includes(Buffer.from('fast punk rock'))), 'the hook got the new prompt');
});
