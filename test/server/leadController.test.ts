/**
 * The adaptive lead: what a listener would notice is an underrun (a click) when a chunk takes
 * longer than the lead allows, and latency when the lead stays longer than the machine needs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeadController } from '../../server/session/leadController.js';

const CHUNK_MS = 1024 / 48;

/** Chunks every CHUNK_MS from `from` for `seconds`, each taking `ms(i)` from due to ready. */
function feed(lead: LeadController, from: number, seconds: number, ms: (i: number) => number): number {
  let t = from;
  const n = Math.round((seconds * 1000) / CHUNK_MS);
  for (let i = 0; i < n; i++, t += CHUNK_MS) lead.recordGeneration(ms(i), t);
  return t;
}

test('a stall that comes back every 15 s is covered the next time it comes, not only right after it', { timeout: 5_000 }, () => {
  const lead = new LeadController({ marginMs: 60, maxLeadMs: 400, peakCapMs: 100 });
  let t = feed(lead, 0, 10, () => 8); // a quiet machine: 8 ms from due to ready
  const quiet = lead.leadMs(10, t);
  t = feed(lead, t, 0.02, () => 65); // one 65 ms render: another process's burst
  t = feed(lead, t, 14, () => 8);
  // When it comes back, the lead still holds most of what that stall needed beyond the quiet
  // lead (whose 60 ms margin absorbs about 40 ms of it), where the p95 of the last 64 chunks
  // alone forgot it after a second and a half and the next stall was a click.
  const before = lead.leadMs(10, t);
  assert.ok(before >= quiet + 25, `lead ${before.toFixed(1)} ms 14 s after a 65 ms stall, vs ${quiet.toFixed(1)} ms before it`);
});

test('one slow chunk (a session\'s first pass, a prompt change) does not hold the lead up', { timeout: 5_000 }, () => {
  const lead = new LeadController({ marginMs: 60, maxLeadMs: 400, peakCapMs: 100 });
  lead.recordGeneration(180, 0, true); // the first chunk encodes the prompt and primes the model
  let t = feed(lead, CHUNK_MS, 3, () => 8);
  lead.recordGeneration(40, t, true); // a new prompt: the model re-primes
  t = feed(lead, t + CHUNK_MS, 3, () => 8);
  assert.equal(lead.leadMs(10, t), 60 + 10 + 8);
});

test('on a quiet machine the lead settles back to margin + output latency + generation time', { timeout: 5_000 }, () => {
  const lead = new LeadController({ marginMs: 60, maxLeadMs: 400, peakCapMs: 100 });
  let t = feed(lead, 0, 2, () => 8);
  t = feed(lead, t, 0.02, () => 65);
  t = feed(lead, t, 240, () => 8); // four minutes without another stall: the held peak has sunk
  assert.equal(lead.leadMs(10, t), 60 + 10 + 8);
});

test('by default one huge stall holds the lead up by at most 40 ms, and for under three minutes', { timeout: 5_000 }, () => {
  const lead = new LeadController();
  let t = feed(lead, 0, 2, () => 8);
  t = feed(lead, t, 0.02, () => 300);
  t = feed(lead, t, 2, () => 8);
  assert.ok(lead.leadMs(10, t) <= 60 + 10 + 40, `lead ${lead.leadMs(10, t).toFixed(1)} ms after a 300 ms stall`);
  t = feed(lead, t, 160, () => 8);
  assert.equal(lead.leadMs(10, t), 60 + 10 + 8);
});

test('by default a 40 ms stall that comes back a minute later finds the lead still raised by half of what it needed', { timeout: 5_000 }, () => {
  // The 2 h soaks of 4 sessions on two shared cores: a stage of a chunk held up 20-50 ms about
  // once a minute, and a chunk late about once an hour when two met.
  const lead = new LeadController();
  let t = feed(lead, 0, 10, () => 8);
  const quiet = lead.leadMs(10, t);
  t = feed(lead, t, 0.02, () => 40);
  t = feed(lead, t, 59, () => 8);
  const before = lead.leadMs(10, t);
  assert.ok(before >= quiet + (40 - 8) / 2, `lead ${before.toFixed(1)} ms a minute after a 40 ms stall, vs ${quiet.toFixed(1)} ms before it`);
});

test('never more than maxLeadMs, whatever the stalls and underruns', { timeout: 5_000 }, () => {
  const lead = new LeadController({ marginMs: 60, maxLeadMs: 200, peakCapMs: 100 });
  const t = feed(lead, 0, 1, () => 500);
  lead.recordUnderruns(20, t);
  assert.equal(lead.leadMs(10, t), 200);
});

test('with --lead-hold-ms 0 a stall is forgotten as soon as it leaves the p95 of the last 64 chunks', { timeout: 5_000 }, () => {
  const lead = new LeadController({ marginMs: 60, maxLeadMs: 400, peakCapMs: 0 });
  let t = feed(lead, 0, 10, () => 8);
  t = feed(lead, t, 0.02, () => 65);
  t = feed(lead, t, 2, () => 8);
  assert.equal(lead.leadMs(10, t), 60 + 10 + 8);
});

test('one stall, seen by the server and reported late chunk by chunk by the client, raises the lead once', { timeout: 5_000 }, () => {
  // 12 sessions starting together: one stall, and each of a few sessions heard 2-5 late chunks
  // (and the server saw its playhead passed) within half a second. Counted per underrun, their
  // leads went to the 400 ms ceiling and their latency stayed 100-200 ms up for half a minute.
  const lead = new LeadController();
  let t = feed(lead, 0, 2, () => 8);
  const quiet = lead.leadMs(10, t);
  lead.recordUnderruns(1, t); // the server sees the playhead pass
  for (let i = 1; i <= 5; i++) lead.recordUnderruns(1, t + 100 * i); // the client's reports
  t = feed(lead, t + 600, 0.02, () => 8);
  const after = lead.leadMs(10, t);
  assert.ok(after <= quiet + 30, `lead ${after.toFixed(1)} ms after one stall, vs ${quiet.toFixed(1)} ms before it`);
  assert.ok(after >= quiet + 25, `the stall still raises the lead: ${after.toFixed(1)} vs ${quiet.toFixed(1)} ms`);
  t = feed(lead, t, 10, () => 8);
  assert.equal(lead.leadMs(10, t), quiet, 'ten quiet seconds later the boost is gone');
});

test('underruns that keep coming keep raising the lead, a boost per second', { timeout: 5_000 }, () => {
  const lead = new LeadController();
  let t = feed(lead, 0, 2, () => 8);
  const quiet = lead.leadMs(10, t);
  for (let i = 0; i < 10; i++) {
    lead.recordUnderruns(1, t);
    t = feed(lead, t, 0.5, () => 8);
  }
  const after = lead.leadMs(10, t);
  assert.ok(after >= quiet + 75, `five seconds of underruns every half second: lead ${after.toFixed(1)} ms vs ${quiet.toFixed(1)} ms`);
});

/**
 * Chunks every CHUNK_MS as `feed`, and a playback report every 500 ms naming the least slack of
 * its chunks: `slack(margin)`, given the margin that chunk was sent with.
 */
function feedReporting(lead: LeadController, from: number, seconds: number, genMs: number, slack: (marginMs: number) => number): number {
  let t = from;
  for (let s = 0; s < seconds * 2; s++) {
    t = feed(lead, t, 0.5, () => genMs);
    const margin = lead.marginMs(t);
    lead.recordSlack(margin, slack(margin));
  }
  return t;
}

/** A link on which every chunk takes `ms` of its margin. */
const takes = (ms: number) => (margin: number): number => margin - ms;

test('a listener whose chunks arrive with time to spare is served with the margin they use, not the configured one', { timeout: 5_000 }, () => {
  const lead = new LeadController({ marginMs: 60, maxLeadMs: 400, peakCapMs: 40 });
  let t = feed(lead, 0, 2, () => 8);
  assert.equal(lead.leadMs(10, t), 60 + 10 + 8, 'before any report: the configured margin');
  // Loopback: every chunk takes 12 ms of its margin (the way here, the client's own margin).
  t = feedReporting(lead, t, 9, 8, takes(12));
  assert.equal(lead.leadMs(10, t), 60 + 10 + 8, '18 reports are not enough to trust');
  t = feedReporting(lead, t, 21, 8, takes(12));
  const coming = lead.marginMs(t);
  // 20 s after the fit began, a time constant's way from 60 to 27 ms.
  assert.ok(Math.abs(coming - (32 + 28 * Math.exp(-1))) < 1.5, `the margin glides down: ${coming.toFixed(1)} ms 20 s after the fit began`);
  t = feedReporting(lead, t, 120, 8, takes(12));
  assert.ok(Math.abs(lead.leadMs(10, t) - (12 + 20 + 10 + 8)) < 0.1, 'the 12 ms used + the 20 ms reserve + output latency + generation');
});

test('a chunk that arrives late raises the fitted margin at once, and the margin holds it for two minutes', { timeout: 5_000 }, () => {
  const lead = new LeadController({ marginMs: 60, maxLeadMs: 400, peakCapMs: 40 });
  let t = feedReporting(lead, feed(lead, 0, 2, () => 8), 200, 8, takes(15));
  const quiet = lead.marginMs(t);
  assert.ok(Math.abs(quiet - (15 + 20)) < 0.1);
  // A Wi-Fi hiccup: one chunk arrives just as it is needed.
  lead.recordSlack(quiet, 0);
  const raised = quiet + 20;
  assert.ok(Math.abs(lead.marginMs(t) - raised) < 0.1, `the margin covers what that chunk took, and the reserve: ${lead.marginMs(t).toFixed(1)} ms`);
  t = feedReporting(lead, t, 110, 8, takes(15));
  assert.ok(Math.abs(lead.marginMs(t) - raised) < 0.1, 'nearly two minutes later it still does');
  t = feedReporting(lead, t, 20, 8, takes(15));
  assert.ok(lead.marginMs(t) < raised - 5 && lead.marginMs(t) > quiet + 1, `the hiccup has left the window: the margin comes down (${lead.marginMs(t).toFixed(1)} ms)`);
  t = feedReporting(lead, t, 200, 8, takes(15));
  assert.ok(Math.abs(lead.marginMs(t) - quiet) < 0.1, 'to what the link uses');
});

test('the fitted margin stays between its floor and the configured margin', { timeout: 5_000 }, () => {
  const lead = new LeadController({ marginMs: 60, maxLeadMs: 400, peakCapMs: 40 });
  const t = feedReporting(lead, feed(lead, 0, 2, () => 8), 200, 8, () => 500);
  assert.ok(Math.abs(lead.marginMs(t) - 15) < 0.1, 'ample slack: the 15 ms floor');
  feedReporting(lead, t, 0.5, 8, takes(90));
  assert.equal(lead.marginMs(t + 500), 60, 'a link whose chunks take 90 ms: the configured margin at once (underruns boost the lead, as without the fit)');
});

test('with fitting off, or a client that never reports, the margin is the configured one', { timeout: 5_000 }, () => {
  const off = new LeadController({ marginMs: 60, fitMargin: false });
  const t = feedReporting(off, feed(off, 0, 2, () => 8), 60, 8, () => 50);
  assert.equal(off.leadMs(10, t), 60 + 10 + 8);
  const silent = new LeadController({ marginMs: 60 });
  assert.equal(silent.leadMs(10, feed(silent, 0, 62, () => 8)), 60 + 10 + 8);
});
