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

test('the tiny test packs are hidden from users: /packs lists them only with ?all=1, ready.packs never, yet a hello may still pick one', { timeout: 20_000 }, async () => {
  const names = async (query: string) => ((await (await fetch(`${server.url}/packs${query}`)).json()) as { packs: { name: string }[] }).packs.map((p) => p.name);
  const shown = await names('');
  const all = await names('?all=1');
  assert.ok(shown.includes('teacher'));
  assert.deepEqual(shown.filter((n) => n.startsWith('tiny-')), [], 'no test pack in the plain list');
  assert.ok(all.includes('tiny-musicgen') && all.includes('tiny-expotion'), `?all=1 lists the test packs: ${all.join(', ')}`);
  assert.deepEqual(all.filter((n) => !n.startsWith('tiny-')), shown, 'the real packs are the same, in the same order');
  assert.deepEqual(await names('?all=yes'), shown, 'only all=1 asks for them');

  const c = new RawClient(server.wsUrl);
  try {
    await c.hello({ pack: 'tiny-musicgen' });
    const ready = c.messages.find((m) => m.type === 'ready');
    assert.ok(ready?.type === 'ready' && ready.pack === 'tiny-musicgen', 'a test pack is still selectable by name');
    assert.deepEqual(ready.packs, shown, 'ready.packs is the list users see');
  } finally {
    c.ws.close();
  }
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
    'expotion_thread_busy_seconds_total',
    'expotion_thread_cpu_wait_seconds_total',
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
