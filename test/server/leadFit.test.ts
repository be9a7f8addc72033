/**
 * The lead's margin fitted to the listener (leadController.ts, protocol 2's `leastSlack`): a
 * listener whose chunks arrive with plenty to spare is served with a much smaller lead than the
 * configured margin, which is less latency for the performer; a listener that speaks protocol 1
 * (it cannot say) keeps the configured margin.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { performerFeed } from '../../harness/frameFeed.js';
import { dancing } from '../../harness/performers/synthetic.js';
import { SessionClient } from '../../harness/sessionClient.js';
import { RawClient } from './rawClient.js';
import { startTestServer } from './testServer.js';

/** A margin no link on this machine needs: what the listener does not use shows plainly. */
const MARGIN_MS = 500;

async function leadsOf(seconds: number, leadFit: boolean, versions?: number[]): Promise<{ version: number; leads: number[] }> {
  const server = await startTestServer({ workers: 1, leadMs: MARGIN_MS, maxLeadMs: 1000, leadFit });
  try {
    const client = new SessionClient({ url: server.wsUrl, prompt: 'funk', seed: 2, feed: performerFeed(dancing({ bpm: 110 })), ...(versions ? { versions } : {}) });
    const r = await client.run(seconds * 1000);
    assert.deepEqual(r.errors, []);
    return { version: r.ready!.version, leads: r.stats.map((s) => s.leadMs) };
  } finally {
    await server.close();
  }
}

test('a listener whose chunks arrive with time to spare gets the margin it uses, not the configured one', { timeout: 60_000 }, async () => {
  const fitted = await leadsOf(28, true);
  assert.equal(fitted.version, 2);
  const last = fitted.leads.at(-1)!;
  assert.ok(fitted.leads[0]! >= MARGIN_MS, `the first second's lead ${fitted.leads[0]} ms is the configured margin and more`);
  // On loopback a chunk takes a few ms of its margin (even on a loaded machine tens, not hundreds); the fit starts after 20 reports (10 s), and the margin glides down from there (20 s time constant:
  // more than half the way in the 18 s left; 16 s was not enough on a machine shared with a test run: 454 ms).
  assert.ok(last < MARGIN_MS - 50, `after 28 s the lead is ${last.toFixed(1)} ms: leads ${fitted.leads.map((l) => l.toFixed(0)).join(', ')}`);
});

test('with fitting off, or a listener that speaks protocol 1, the margin stays as configured', { timeout: 60_000 }, async () => {
  for (const [what, run] of [['fitting off', () => leadsOf(13, false)], ['protocol 1', () => leadsOf(13, true, [1])]] as const) {
    const { version, leads } = await run();
    if (what === 'protocol 1') assert.equal(version, 1);
    assert.ok(Math.min(...leads) >= MARGIN_MS, `${what}: leads ${leads.map((l) => l.toFixed(0)).join(', ')}`);
  }
});

test('a report that names a chunk never sent as its least-slack one is refused; the sender keeps getting audio', { timeout: 30_000 }, async () => {
  const server = await startTestServer({ workers: 1 });
  const c = new RawClient(server.wsUrl);
  try {
    await c.hello({ versions: [2] });
    await c.until(() => c.chunks.length > 2, 5000, 'audio');
    const sent = c.chunks.at(-1)!.header;
    c.send({ type: 'playback', sample: 0, clientTimeMs: performance.now(), outputLatencyMs: 10, bufferedMs: 0, underruns: 0, underrunMs: 0, leastSlack: { sample: sent.startSample + 2 ** 40, ms: 5 } });
    await c.until(() => c.errorCodes().length > 0, 5000, 'an error');
    assert.deepEqual(c.errorCodes(), ['REPORT_RANGE']);
    const n = c.chunks.length;
    await c.until(() => c.chunks.length > n + 3, 5000, 'more audio for the sender');
  } finally {
    c.ws.close();
    await server.close();
  }
});
