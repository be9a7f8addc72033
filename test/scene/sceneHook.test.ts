import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeWav } from '../../server/audio/wav.js';
import { SceneHook, cleanCaption, type SceneHookResult } from '../../server/scene/sceneHook.js';
import { SceneImaginer, type SceneCaption } from '../../server/scene/sceneImaginer.js';
import { sharedSceneRanker } from '../../server/scene/sessionScene.js';
import { RATE, TeacherFeed } from './helpers.js';
import { startMisbehavingServer, type MisbehavingServer } from './misbehavingServer.js';

let server: MisbehavingServer;
before(async () => {
  server = await startMisbehavingServer();
});
after(() => server.close());

const wav = encodeWav(new Float32Array(4800).map((_, i) => Math.sin(i / 10) * 0.5), RATE, 1);
const music = { style: 'funk', tempoBpm: 104, key: 'E', mode: 'minor' as const };
const TIMEOUT = 300;

async function ask(path: string, timeoutMs = TIMEOUT): Promise<SceneHookResult> {
  return new SceneHook({ url: server.url(path), timeoutMs }).request({ wav, prompt: 'funk groove', music });
}

test('a good answer gives its caption, cleaned; the request carries the WAV, the prompt and the music', async () => {
  const r = await ask('/ok');
  assert.deepEqual({ ok: r.ok, caption: r.ok ? r.caption : '' }, { ok: true, caption: 'A violinist plays on a rainy rooftop' });
  const req = server.received.find((x) => x.path === '/ok')!;
  assert.match(req.contentType, /^multipart\/form-data; boundary=/);
  const body = req.body.toString('latin1');
  assert.match(body, /name="audio"; filename="scene\.wav"\r\nContent-Type: audio\/wav\r\n\r\nRIFF/);
  assert.ok(body.includes(wav.subarray(0, 64).toString('latin1')), 'the WAV bytes as sent');
  assert.match(body, /name="prompt"\r\n\r\nfunk groove\r\n/);
  assert.match(body, /name="music"\r\n\r\n\{"style":"funk","tempoBpm":104,"key":"E","mode":"minor"\}\r\n/);
});

const failures: [string, string][] = [
  ['/slow', 'timeout'],
  ['/slow-body', 'timeout'],
  ['/500', 'http_status'],
  ['/garbage', 'bad_json'],
  ['/no-caption', 'bad_caption'],
  ['/huge', 'too_big'],
  ['/huge-declared', 'too_big'],
  ['/reset', 'network'],
  ['/missing', 'http_status'],
];
for (const [path, reason] of failures) {
  // The hook's own timeout ends a hung request; the test's timeout only catches a hook that does not.
  test(`${path}: fails with reason ${reason}, not hanging`, { timeout: 10_000 }, async () => {
    const r = await ask(path);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, reason, !r.ok ? r.detail : '');
  });
}

test('a redirect is refused: the audio and prompt never reach the place it points to', { timeout: 10_000 }, async () => {
  const before = server.received.filter((x) => x.path === '/ok').length;
  const r = await ask('/redirect');
  assert.equal(!r.ok && r.reason, 'http_status');
  assert.match(!r.ok ? r.detail : '', /redirect/);
  assert.equal(server.received.filter((x) => x.path === '/ok').length, before, 'nothing was sent to the redirect target');
});

test('credentials in the hook URL travel as Basic auth and never appear in what is reported', { timeout: 10_000 }, async () => {
  const url = server.url('/auth').replace('http://', 'http://user:s3cret@');
  const r = await new SceneHook({ url, timeoutMs: TIMEOUT }).request({ wav, prompt: '', music: null });
  assert.equal(r.ok && r.caption, `auth Basic ${Buffer.from('user:s3cret').toString('base64')}`);
  const down = await new SceneHook({ url: 'http://user:s3cret@127.0.0.1:1/caption', timeoutMs: TIMEOUT }).request({ wav, prompt: '', music: null });
  assert.equal(!down.ok && down.reason, 'network');
  assert.doesNotMatch(JSON.stringify(down), /s3cret/);
  assert.throws(() => new SceneHook({ url: 'ftp://user:s3cret@example.test/', timeoutMs: 100 }), (e: Error) => !e.message.includes('s3cret'));
});

test('nobody listening: network failure', async () => {
  const r = await new SceneHook({ url: 'http://127.0.0.1:1/caption', timeoutMs: TIMEOUT }).request({ wav, prompt: '', music: null });
  assert.equal(!r.ok && r.reason, 'network');
});

test('cancelling (the session ended) ends a request at once', { timeout: 10_000 }, async () => {
  const cancel = new AbortController();
  const pending = new SceneHook({ url: server.url('/slow'), timeoutMs: 5000 }).request({ wav, prompt: '', music: null }, cancel.signal);
  setTimeout(() => cancel.abort(), 20);
  const r = await pending;
  assert.equal(!r.ok && r.reason, 'cancelled', 'ended by the cancel, not by its 5 s timeout');
});

test('options and captions are validated', () => {
  assert.throws(() => new SceneHook({ url: 'ftp://x.test/', timeoutMs: 100 }), /http or https/);
  assert.throws(() => new SceneHook({ url: 'http://x.test/', timeoutMs: 0 }), /timeoutMs/);
  assert.equal(cleanCaption('', 200), null);
  assert.equal(cleanCaption('x'.repeat(201), 200), null);
  assert.equal(cleanCaption('\u0007 bell\t\tand  tab ', 200), 'bell and tab');
});

/** An imaginer with a hook, fed until its first decision has been answered. */
async function captionWith(path: string): Promise<{ shown: SceneCaption[]; results: SceneHookResult[] }> {
  const shown: SceneCaption[] = [];
  const results: SceneHookResult[] = [];
  const hook = new SceneHook({ url: server.url(path), timeoutMs: TIMEOUT });
  const im = new SceneImaginer(
    { ranker: sharedSceneRanker(), sampleRate: RATE, channels: 2, hook, prompt: 'night drive', send: (c) => shown.push(c), onHookResult: (r) => results.push(r) },
    { intervalMs: 1000, minSeconds: 2, hookSeconds: 2 },
  );
  new TeacherFeed('house', 4).play(im, 2.5, { energy: 0.6 });
  for (let i = 0; i < 100 && results.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  im.dispose();
  return { shown, results };
}

test('the imaginer shows the hook caption as external', async () => {
  const { shown, results } = await captionWith('/ok');
  assert.equal(results.length, 1);
  assert.deepEqual(shown.map((s) => [s.source, s.caption]), [['external', 'A violinist plays on a rainy rooftop']]);
  const wavSent = server.received.filter((x) => x.path === '/ok').pop()!.body;
  assert.ok(wavSent.includes(Buffer.from('night drive')), 'the current prompt goes with the audio');
});

for (const path of ['/slow', '/500', '/garbage', '/reset']) {
  test(`the imaginer falls back to its own caption when the hook fails (${path})`, async () => {
    const { shown, results } = await captionWith(path);
    assert.equal(results.length, 1);
    assert.equal(results[0]!.ok, false);
    assert.equal(shown.length, 1);
    assert.equal(shown[0]!.source, 'builtin');
    assert.ok(sharedSceneRanker().sentences.includes(shown[0]!.caption));
  });
}
