/**
 * The soak mode end to end, its sessions in listener threads (harness/soakListeners.ts): windows
 * that count every chunk once, on one clock, and a soak that cannot start says why.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RUN_DEFAULTS, runSoak, type RunOptions } from '../../harness/runner.js';
import { startTestServer } from '../server/testServer.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

let server: TestServer;
before(async () => {
  server = await startTestServer({ workers: 2, maxSessionsPerAddress: 8 });
});
after(() => server.close());

function options(overrides: Partial<RunOptions> = {}): RunOptions {
  return { ...RUN_DEFAULTS, url: server.url, sessions: 5, seconds: 4, performers: ['nodding:120', 'still'], prompts: ['house'], measure: { warmupMs: 1000 }, ...overrides };
}

test('a soak over two listener threads measures every session in each window and ends them cleanly', { timeout: 30_000 }, async () => {
  const report = await runSoak(options(), 1);
  assert.ok(report.windows.length >= 3 && report.windows.length <= 5, `${report.windows.length} windows`);
  // 5 sessions of ~47 chunks a second (1024 samples at 48 kHz): a window that lost a thread's
  // batches, or counted them twice, would be far off.
  const steady = report.windows.slice(1, -1);
  for (const w of steady) {
    assert.ok(w.chunks > 5 * 47 * 0.7 && w.chunks < 5 * 47 * 1.3, `window at ${w.t} s: ${w.chunks} chunks`);
    assert.ok(w.latencyMs && w.latencyMs.p50 > 0 && w.latencyMs.p50 < 1000, `window at ${w.t} s: latency on one clock`);
    assert.ok(w.leastSlack && w.leastSlack.atS > 0 && w.leastSlack.atS <= w.t + 0.5, `least slack at ${w.leastSlack?.atS} s in the window ending ${w.t} s`);
    assert.ok(Number.isFinite(w.harnessLagMaxMs) && w.harnessLagMaxMs > 0, 'the listener threads report their delay');
  }
  assert.equal(report.chunks, report.windows.reduce((n, w) => n + w.chunks, 0));
  assert.deepEqual(report.errors, []);
  assert.deepEqual(report.closeCodes, [1000, 1000, 1000, 1000, 1000]);
});

test('a soak whose performer cannot be made fails with the reason instead of hanging', { timeout: 15_000 }, async () => {
  await assert.rejects(runSoak(options({ sessions: 1, performers: ['moonwalking:120'] }), 1), /listener thread failed: .*moonwalking/);
});
