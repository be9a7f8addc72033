/**
 * The harness's reconnecting session (what `--reconnect on` and the failover bench use): when
 * its server goes away it retries at once, then with backoff, and streams again from the new
 * server with the same prompt; a run that nothing interrupts is one session.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { feedFor } from '../../harness/performers/catalog.js';
import { runReconnecting } from '../../harness/reconnectingSession.js';
import { startTestServer } from '../server/testServer.js';

describe('reconnecting session', { timeout: 60_000 }, () => {
  test('a server restart costs one failover: the session streams again from the new server with its prompt', async () => {
    const first = await startTestServer();
    const port = first.port;
    const run = runReconnecting({ url: first.wsUrl, feed: feedFor('nodding:120'), prompt: 'slow ambient pads', keepAudio: false }, 6000, undefined, { initialBackoffMs: 100, maxBackoffMs: 400 });
    await new Promise((r) => setTimeout(r, 1500));
    await first.close();
    const second = await startTestServer({ port });
    try {
      const result = await run;
      assert.equal(result.failovers.length, 1);
      const [f] = result.failovers;
      assert.equal(f!.closeCode, 1001, 'the first server said it was going away');
      assert.equal(f!.prompt, 'slow ambient pads');
      assert.ok(f!.attempts >= 1);
      assert.ok(f!.audioAgainAfterMs !== null, 'audio came again');
      assert.equal(result.sessions, 2);
      assert.equal(result.closeCode, 1000, 'the run ended normally');
    } finally {
      await second.close();
    }
  });

  test('an uninterrupted run is one session with no failover', async () => {
    const server = await startTestServer();
    try {
      const result = await runReconnecting({ url: server.wsUrl, feed: feedFor('still'), prompt: 'house', keepAudio: false }, 1500);
      assert.equal(result.failovers.length, 0);
      assert.equal(result.sessions, 1);
      assert.equal(result.discontinuities, 0);
      assert.ok(result.chunks.length > 0);
    } finally {
      await server.close();
    }
  });
});
