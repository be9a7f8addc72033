/**
 * The harness against a real in-process server: a smoke run, and its measurements checked
 * against a server whose delay is known (a larger lead must show up as that much more latency).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { steadyFromMs } from '../../harness/measures.js';
import { htmlReport, terminalReport } from '../../harness/report.js';
import { failures, RUN_DEFAULTS, runFixed, type FixedReport, type RunOptions } from '../../harness/runner.js';
import { startTestServer } from '../server/testServer.js';

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

function options(url: string, overrides: Partial<RunOptions> = {}): RunOptions {
  return { ...RUN_DEFAULTS, url, sessions: 2, seconds: 4, performers: ['nodding:120', 'dancing:100'], measure: { warmupMs: 1000, beatFromMs: 1500, steadyFromMs: 2500 }, ...overrides };
}

let server: TestServer;
let smoke: FixedReport;
before(async () => {
  server = await startTestServer({ workers: 2 });
  smoke = await runFixed(options(server.url));
});
after(() => server.close());

test('smoke: two sessions measured end to end with no errors', () => {
  assert.equal(smoke.sessions.length, 2);
  for (const s of smoke.sessions) {
    assert.deepEqual(s.errors, []);
    assert.equal(s.discontinuities, 0);
    assert.ok(s.latencyMs && s.latencyMs.count > 50, `${s.name}: ${s.latencyMs?.count} latency samples`);
    assert.ok(s.latencyMs.p50 > 0 && s.latencyMs.p50 < 1000);
    assert.ok(s.latencyMs.p50 <= s.latencyMs.p95 && s.latencyMs.p95 <= s.latencyMs.p99 && s.latencyMs.p99 <= s.latencyMs.max);
    assert.ok(s.rtf.p50 > 0 && s.rtf.p50 < 1);
    assert.ok(s.timeToFirstAudioMs !== null && s.timeToFirstAudioMs > 0);
    assert.ok(s.beat && s.beat.beats >= 4, 'periodic performers get a beat alignment figure');
  }
  assert.ok(smoke.server && smoke.server.cpuPercent > 0 && smoke.server.rssMB > 10, 'server figures read from /metrics');
  assert.equal(smoke.overall.histogram.counts.reduce((a, b) => a + b, 0), smoke.overall.latencyMs!.count);
  // From 2.5 s on of 4 s, against from 1 s on: about half the chunks, none of them new.
  const all = smoke.overall.latencyMs!;
  const steady = smoke.overall.steadyLatencyMs!;
  assert.ok(steady.count > 0.35 * all.count && steady.count < 0.65 * all.count, `${steady.count} chunks from 2.5 s on, ${all.count} from 1 s on`);
  assert.ok(steady.max <= all.max, 'a subset of the counted chunks');
  assert.equal(smoke.overall.steadyFromMs, 2500);
  assert.equal(steadyFromMs({ warmupMs: 3000, steadyFromMs: 1000 }), 3000, 'never before the warm-up ends');
});

test("each chunk's time adds up on the server's clock: started ahead, rendered, delivered", () => {
  for (const s of smoke.sessions) {
    const t = s.timingMs;
    assert.ok(t, `${s.name}: chunk timings once the server has pinged`);
    // Started about the lead ahead of when it was needed (the listener's margin and output latency
    // come off it): a clock read on the wrong side of the 123 s offset would be off by minutes.
    const lead = s.serverLeadMs!;
    assert.ok(t.startAheadMs > 0 && t.startAheadMs < lead, `${s.name}: started ${t.startAheadMs.toFixed(1)} ms ahead with a lead of ${lead.toFixed(1)} ms`);
    assert.ok(t.renderMs > 0 && t.renderMs < t.startAheadMs, `${s.name}: render ${t.renderMs.toFixed(1)} ms`);
    assert.ok(t.deliveryMs > -5 && t.deliveryMs < t.startAheadMs, `${s.name}: delivery ${t.deliveryMs.toFixed(1)} ms`);
  }
});

test('reports: terminal table, JSON and an HTML page with plots', () => {
  const text = terminalReport(smoke);
  assert.match(text, /nodding 120 BPM/);
  assert.match(text, /latency p50 [\d.]+ \/ p95/);
  const html = htmlReport(smoke, { test: true }, 150);
  assert.match(html, /<svg[^>]*>.*<circle/s);
  assert.equal((html.match(/<tr>/g) ?? []).length, 3, 'a header row and one row per session');
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(smoke)));
});

test('thresholds: a missed limit is reported, a met one is not', () => {
  const p95 = smoke.overall.latencyMs!.p95;
  assert.deepEqual(failures(smoke, { maxP95Ms: p95 + 1 }), []);
  assert.match(failures(smoke, { maxP95Ms: p95 - 1 })[0]!, /p95 latency/);
});

test('a server that leads by more (80 ms more margin) shows up as that much more measured latency', async () => {
  const extra = 80;
  // The default lead as the base: a smaller one invites underruns, after which the server adds
  // lead of its own and blurs the comparison.
  // Margins fixed: fitted to the listener, both would settle on what the chunks need.
  const base = await startTestServer({ workers: 2, leadMs: 60, leadFit: false });
  const slow = await startTestServer({ workers: 2, leadMs: 60 + extra, leadFit: false });
  try {
    const one = { sessions: 1, seconds: 5, performers: ['dancing:100'], measure: { warmupMs: 2000 } };
    const a = await runFixed(options(base.url, one));
    const b = await runFixed(options(slow.url, one));
    const delta = b.overall.latencyMs!.p50 - a.overall.latencyMs!.p50;
    const underruns = a.overall.underruns + b.overall.underruns;
    // The lead adapts to the machine (a stall holds it up for a while), and a render that starts
    // late uses a newer frame, so on a busy machine neither run leads by exactly its margin. What
    // the harness must measure is the difference in lead the chunks actually had: how long before
    // they were needed their renders started (the same chunks' medians, on the server's clock;
    // the lead in the stats messages is sampled once a second and misses a short rise).
    const aheadDelta = b.sessions[0]!.timingMs!.startAheadMs - a.sessions[0]!.timingMs!.startAheadMs;
    const leadDelta = b.sessions[0]!.serverLeadMs! - a.sessions[0]!.serverLeadMs!;
    assert.ok(aheadDelta > extra / 2, `the slower server's chunks started only ${aheadDelta.toFixed(1)} ms further ahead`);
    assert.ok(
      Math.abs(delta - aheadDelta) < 20,
      `p50 moved by ${delta.toFixed(1)} ms for chunks started ${aheadDelta.toFixed(1)} ms further ahead (reported lead ${leadDelta.toFixed(1)} ms more; ${underruns} underruns)`,
    );
  } finally {
    await Promise.all([base.close(), slow.close()]);
  }
});
