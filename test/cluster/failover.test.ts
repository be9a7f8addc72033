/**
 * Failover behind nginx (issue #15): nginx and 3 server processes on loopback, 6 sessions
 * streaming through nginx; one process is killed with SIGKILL. Its sessions must be playing again
 * within 2 s, on another process, with their own prompt; the sessions on the other processes
 * must not notice (no gap in their sample timeline, no reconnect). The killed process is started
 * again by the cluster and rejoins.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runReconnecting } from '../../harness/reconnectingSession.js';
import { feedFor } from '../../harness/performers/catalog.js';
import { Cluster, waitHealthy } from '../../scripts/cluster/cluster.js';
import { NGINX, nginxUnavailable } from './nginxAvailability.js';

const SESSIONS = 6;
const PROMPTS = ['funk', 'house', 'ambient', 'pop', 'rock', 'bossa nova'];

async function sessionsOn(url: string): Promise<number> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
  return ((await res.json()) as { sessions: number }).sessions;
}

describe('failover behind nginx', { skip: nginxUnavailable() ?? false, timeout: 120_000 }, () => {
  test('a killed process\'s sessions play again within 2 s with their prompt; the others lose no chunk', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'expotion-cluster-'));
    const cluster = new Cluster({
      processes: 3,
      port: 0,
      prefix,
      nginx: NGINX,
      output: 'ignore',
      serverArgs: ['--pack', 'teacher', '--workers', '1', '--log-level', 'warn', '--record-dir', 'off'],
      log: () => undefined,
    });
    try {
      await cluster.start();
      const ws = `${cluster.url.replace('http', 'ws')}/ws`;
      const runs = PROMPTS.slice(0, SESSIONS).map((prompt, i) =>
        runReconnecting({ url: ws, feed: feedFor(i % 2 ? 'dancing:110' : 'nodding:120'), prompt, seed: i + 1, keepAudio: false }, 9000),
      );
      // Let every session start, then kill a process that has some.
      await new Promise((r) => setTimeout(r, 3000));
      const counts = await Promise.all(cluster.servers.map((s) => sessionsOn(s.url)));
      assert.equal(counts.reduce((a, b) => a + b, 0), SESSIONS, `nginx spread the sessions: ${counts.join(', ')}`);
      const victim = counts.findIndex((n) => n > 0);
      assert.ok(cluster.servers[victim]!.process.kill('SIGKILL'));
      const results = await Promise.all(runs);

      const moved = results.filter((r) => r.failovers.length > 0);
      assert.equal(moved.length, counts[victim], 'exactly the killed process\'s sessions failed over');
      results.forEach((r, i) => {
        for (const f of r.failovers) {
          assert.ok(f.audioAgainAfterMs !== null && f.audioAgainAfterMs < 2000, `session ${i}: audio again after ${f.audioAgainAfterMs} ms`);
          assert.equal(f.prompt, PROMPTS[i]);
        }
        assert.equal(r.closeCode, 1000, `session ${i} ended normally`);
        assert.deepEqual(r.errors, [], `session ${i}`);
      });
      for (const r of results.filter((x) => x.failovers.length === 0)) {
        assert.equal(r.sessions, 1);
        assert.equal(r.discontinuities, 0, 'a session on a surviving process lost no chunk');
      }
      // The killed process comes back by itself and nginx sends to it again.
      await waitHealthy(`${cluster.servers[victim]!.url}/healthz`, 30_000);
      assert.equal(cluster.servers[victim]!.process.restarts, 1);
    } finally {
      await cluster.stop();
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});
