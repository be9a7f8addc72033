import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RawClient } from './rawClient.js';
import { startTestServer } from './testServer.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;
let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test('/healthz reports liveness and capacity', async () => {
  const res = await fetch(`${server.url}/healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true, sessions: 0, maxSessions: server.config.maxSessions });
});

test('/packs lists the installed packs and the default', async () => {
  const body = (await (await fetch(`${server.url}/packs`)).json()) as { default: string; packs: { name: string; sampleRate: number }[] };
  assert.equal(body.default, 'teacher');
  const teacher = body.packs.find((p) => p.name === 'teacher');
  assert.equal(teacher?.sampleRate, 48000);
});

test('/metrics exposes the product metrics in Prometheus text format', async () => {
  const res = await fetch(`${server.url}/metrics`);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  for (const name of [
    'expotion_sessions',
    'expotion_audio_chunks_total',
    'expotion_underruns_reported_total',
    'expotion_control_to_audio_latency_seconds_bucket',
    'expotion_generation_rtf_bucket',
    'expotion_rejected_messages_total',
    'nodejs_eventloop_lag_p99_seconds',
    'process_cpu_user_seconds_total',
    'process_resident_memory_bytes',
  ]) {
    assert.match(text, new RegExp(`^# (HELP|TYPE) ${name.replace(/_bucket$/, '')} `, 'm'), name);
  }
});

test('the client page is served with a Content Security Policy limiting connections to the server', async () => {
  const res = await fetch(`${server.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-security-policy') ?? '', /connect-src 'self'/);
  assert.match(await res.text(), /Expotion Live/);
});

test('WebSocket upgrades anywhere but /ws are refused', async () => {
  const c = new RawClient(server.wsUrl.replace('/ws', '/other'));
  await assert.rejects(c.opened);
});
