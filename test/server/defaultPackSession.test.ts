/**
 * `npm start` with no options plays the shipped neural pack (models/expotion-small): a session
 * whose hello names no pack gets it, end to end over a real server and WebSocket.
 * (The other server tests pin the teacher: they measure the server, not a model.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CloseCode } from '../../protocol/errors.js';
import { performerFeed } from '../../harness/frameFeed.js';
import { dancing } from '../../harness/performers/synthetic.js';
import { SessionClient } from '../../harness/sessionClient.js';
import { createServer } from '../../server/app.js';
import { concatPcm, rms } from './testServer.js';

test('a session that names no pack plays expotion-small: gap-free, audible, following the prompt', async () => {
  const server = await createServer({ port: 0, workers: 1, logLevel: 'silent', recordDir: mkdtempSync(join(tmpdir(), 'expotion-rec-')) });
  try {
    const packs = (await (await fetch(`${server.url}/packs`)).json()) as { default: string };
    assert.equal(packs.default, 'expotion-small');
    const r = await new SessionClient({ url: `${server.url.replace('http', 'ws')}/ws`, prompt: 'deep house groove', seed: 3, feed: performerFeed(dancing({ bpm: 122 })) }).run(5000);
    assert.equal(r.ready?.pack, 'expotion-small');
    assert.equal(r.ready?.instruments, 'soundfont', 'its manifest asks for the sampled General MIDI instruments');
    assert.deepEqual(r.errors, []);
    assert.equal(r.closeCode, CloseCode.normal);
    assert.equal(r.discontinuities, 0);
    const audio = concatPcm(r.chunks.slice(Math.floor(r.chunks.length / 2)).map((c) => c.pcm));
    assert.ok(audio.length > 48000 * 2, `${audio.length / 96000} s of audio`);
    assert.ok(rms(audio) > 0.01, `RMS ${rms(audio)}`);
    const music = r.controls.at(-1)!.music;
    assert.equal(music.style, 'house', 'the synthesiser preset follows the prompt');
    assert.ok(music.tempoBpm !== null && music.tempoBpm >= 110 && music.tempoBpm <= 135, `tempo ${music.tempoBpm}`);
  } finally {
    await server.close();
  }
});
