/**
 * Sampled instruments over a real server: a session whose hello asks for them gets them (and
 * hears them, gap-free: the bank loads while the session opens, never inside a chunk's render
 * timeout), one that asks for nothing keeps the
 * built-in synthesiser, and the server's `instruments` setting applies when the hello is silent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseCode } from '../../protocol/errors.js';
import type { InstrumentKind } from '../../protocol/messages.js';
import { performerFeed } from '../../harness/frameFeed.js';
import { dancing } from '../../harness/performers/synthetic.js';
import { SessionClient, type SessionResult } from '../../harness/sessionClient.js';
import { concatPcm, rms, startTestServer } from './testServer.js';

const TIMEOUT = { timeout: 120_000 };

/** Runs long enough for a worker that did not preload the bank to load it while the session opens (seconds). */
function play(wsUrl: string, instruments?: InstrumentKind): Promise<SessionResult> {
  return new SessionClient({ url: wsUrl, prompt: 'funk groove', seed: 4, feed: performerFeed(dancing({ bpm: 110 })), ...(instruments ? { instruments } : {}) }).run(6000);
}

function assertPlayed(r: SessionResult, label: string): void {
  assert.deepEqual(r.errors, [], label);
  assert.equal(r.closeCode, CloseCode.normal, label);
  assert.equal(r.discontinuities, 0, `${label}: gap-free`);
  const audio = concatPcm(r.chunks.slice(Math.floor(r.chunks.length / 2)).map((c) => c.pcm));
  assert.ok(audio.length > 48000, `${label}: ${audio.length / 96000} s of audio`);
  assert.ok(rms(audio) > 0.01, `${label}: RMS ${rms(audio).toFixed(4)}`);
}

test('a hello asking for soundfont gets sampled instruments; one asking for nothing keeps the synthesiser', TIMEOUT, async () => {
  const server = await startTestServer();
  try {
    const sampled = await play(server.wsUrl, 'soundfont');
    assert.equal(sampled.ready?.instruments, 'soundfont');
    assertPlayed(sampled, 'soundfont');
    const synth = await play(server.wsUrl);
    assert.equal(synth.ready?.instruments, 'synth');
    assertPlayed(synth, 'synth');
  } finally {
    await server.close();
  }
});

test("the server's instruments setting applies when the hello says nothing, and a hello overrides it", TIMEOUT, async () => {
  const server = await startTestServer({ instruments: 'soundfont' });
  try {
    const [byServer, byHello] = await Promise.all([play(server.wsUrl), play(server.wsUrl, 'synth')]);
    assert.equal(byServer.ready?.instruments, 'soundfont');
    assertPlayed(byServer, 'server setting');
    assert.equal(byHello.ready?.instruments, 'synth');
    assertPlayed(byHello, 'hello override');
  } finally {
    await server.close();
  }
});
