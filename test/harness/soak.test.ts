/**
 * The soak mode end to end, its sessions in listener threads (harness/listenerThreads.ts): windows
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
  return { ...RUN_DEFAULTS, url: server.url, sessions: 5, seconds: 5, performers: ['nodding:120', 'still'], prompts: ['house'], measure: { warmupMs: 1000 }, sessionsPerThread: 3, ...overrides };
}

test('a soak over two listener threads measures every session in each window and ends them cleanly', { timeout: 30_000 }, async () => {
  const report = await runSoak(options(), 1);
  // A window ends once every thread has handed its chunks over, so on a starved machine windows
  // run long and fewer fit: count chunks against the time the windows covered.
  assert.ok(report.windows.length >= 2, `${report.windows.length} windows`);
  const [first, ...rest] = report.windows;
  const chunksPerSecond = (5 * 48000) / 1024; // 5 sessions of 1024-sample chunks at 48 kHz
  const expected = chunksPerSecond * (rest.at(-1)!.t - first!.t);
  const counted = rest.reduce((n, w) => n + w.chunks, 0);
  // A window that lost a thread's batches, or counted them twice, would be far off.
  assert.ok(counted > expected * 0.7 && counted < expected * 1.3, `${counted} chunks in windows that should hold about ${expected.toFixed(0)}`);
  for (const w of rest) {
    assert.ok(w.latencyMs && w.latencyMs.p50 > 0 && w.latencyMs.p50 < 1000, `window at ${w.t} s: latency on one clock`);
    assert.ok(w.leastSlack && w.leastSlack.atS > first!.t - 1 && w.leastSlack.atS <= w.t + 0.5, `least slack at ${w.leastSlack?.atS} s in the window ending ${w.t} s`);
    assert.ok(Number.isFinite(w.harnessLagMaxMs) && w.harnessLagMaxMs > 0, 'the listener threads report their delay');
  }
  assert.equal(report.chunks, report.windows.reduce((n, w) => n + w.chunks, 0));
  assert.deepEqual(report.errors, []);
  assert.deepEqual(report.closeCodes, [1000, 1000, 1000, 1000, 1000]);
});

test('a soak whose performer cannot be made fails with the reason instead of hanging', { timeout: 15_000 }, async () => {
  await assert.rejects(runSoak(options({ sessions: 1, performers: ['moonwalking:120'] }), 1), /listener thread failed: .*moonwalking/);
});
