/**
 * The browser client end to end: real Chromium, real MediaPipe on a fake camera (a clip of a
 * public-domain photo of a person: 2.5 s of the person, then 2 s of the empty scene, looping),
 * a real server, real audio scheduled with Tone.js. What a performer would notice: the page
 * tracks a face and a body, music comes back without dropouts, the meters move, a recording
 * downloads, the music resumes after a server restart, and in kiosk mode it starts when the
 * person appears and stops when they leave.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { readRecording } from '../../protocol/recording.js';
import { REPO_ROOT } from '../../server/paths.js';
import { fetchMetrics, startTestServer } from '../server/testServer.js';
import { browserUnavailable, launchChromium } from './browser.js';

/**
 * The server's lead margin in these tests (ms). EXPOTION_TEST_LEAD_MS=60 measures with the
 * default lead (the latency figures this test prints).
 */
const TEST_LEAD_MS = Number(process.env.EXPOTION_TEST_LEAD_MS ?? 150);
/** At most this fraction of the chunks may underrun, even on a starved machine. */
const MAX_UNDERRUN_FRACTION = 0.05;

type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/** The part of window.expotion.snapshot() these tests read (client/src/instrument.ts). */
interface Snapshot {
  capture: { framesDelivered: number; framesProcessed: number; framesWithFace: number; framesWithPose: number; processedFps: number; detectMsP50: number; faceMsP50: number; poseMsP50: number; captureToSendMsP50: number; lastFrameBytes: number };
  tracker: { mode: string; delegate: string | null };
  link: { state: string; sessions: number; sessionId: string | null; framesSent: number; bytesSent: number };
  playback: { chunks: number; recentUnderruns: { atMs: number; lateMs: number }[]; underruns: number; underrunsAfterWarmup: number; discontinuities: number; levelDb: number | null; bufferTargetMs: number; outputLatencyMs: number; audioState: string };
  clientLatency: { p50: number; p95: number; count: number } | null;
  serverStats: { latencyMs: { p50: number; p95: number } | null; rtf: number; tracking?: { fps: number; captureToArrivalMs: number | null } } | null;
  controls: { values: Record<string, number> } | null;
  scene: { caption: string; source: string } | null;
  kiosk: string | null;
}

const SCREENSHOTS = join(REPO_ROOT, 'out', 'screenshots');
const skip = browserUnavailable();

function snapshot(page: Page): Promise<Snapshot> {
  return page.evaluate(() => (globalThis as unknown as { expotion: { snapshot(): Snapshot } }).expotion.snapshot());
}

/** Polls the page's state until `ok` holds (no fixed sleeps). */
async function waitFor(page: Page, what: string, ok: (s: Snapshot) => boolean, timeoutMs = 30_000): Promise<Snapshot> {
  const deadline = Date.now() + timeoutMs;
  let s = await snapshot(page);
  while (!ok(s)) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last state: ${JSON.stringify(s).slice(0, 1500)}`);
    await new Promise((r) => setTimeout(r, 100));
    s = await snapshot(page);
  }
  return s;
}

/** A screenshot while the person is in the picture (the last frame had a face and a body: 3148 bytes). */
async function screenshotWithPerson(page: Page, name: string): Promise<void> {
  await waitFor(page, 'a frame with the person', (x) => x.capture.lastFrameBytes === 3148, 15_000);
  await page.screenshot({ path: join(SCREENSHOTS, name) });
}

function report(line: string): void {
  console.log(`  [client] ${line}`);
}

describe('browser client', { skip: skip ?? false }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // A generous lead: Chromium's tracking takes most of a core here, and this test is about
    // scheduling correctness (latency is measured by the harness and benchmarks, not here).
    [server, browser] = await Promise.all([startTestServer({ workers: 1, leadMs: TEST_LEAD_MS }), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    await page.goto(`${server.url}/`);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('tracks a face and a body from the camera with MediaPipe, offline', async () => {
    const s = await waitFor(page, 'face and pose detections', (x) => x.capture.framesWithFace >= 10 && x.capture.framesWithPose >= 10, 45_000);
    const c = s.capture;
    report(`detected face in ${c.framesWithFace}/${c.framesProcessed} and pose in ${c.framesWithPose}/${c.framesProcessed} processed frames (the clip is 56% person); ` +
      `${c.processedFps} frames/s processed of ${c.framesDelivered} delivered; face ${c.faceMsP50.toFixed(1)} ms + pose ${c.poseMsP50.toFixed(1)} ms per frame (median)`);
    assert.equal(await page.locator('#start').isEnabled(), true, 'Start is enabled once the models are loaded');
    // Face and pose run in two workers; headless Chromium has no GPU (software WebGL at best), so MediaPipe runs on the CPU.
    assert.deepEqual(s.tracker, { mode: 'parallel', delegate: 'CPU' });
    assert.ok(c.captureToSendMsP50 > 0, 'the capture-to-send time is measured');
  });

  test('frames reach the server and audio comes back gap-free, with few underruns even on a busy machine', async () => {
    await page.locator('#start').click();
    const first = await waitFor(page, 'a session', (x) => x.link.state === 'streaming' && x.playback.chunks > 0);
    assert.equal(first.playback.audioState, 'running');
    // Nine seconds of audio (48 kHz, 1024-frame chunks: about 47 chunks per second).
    const s = await waitFor(page, 'nine seconds of audio', (x) => x.playback.chunks >= first.playback.chunks + 420, 40_000);
    const metrics = await fetchMetrics(server);
    const frames = metrics
      .split('\n')
      .filter((l) => l.startsWith('expotion_landmark_frames_total{'))
      .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    const slackReports = Number(/^expotion_slack_reports_total (\S+)$/m.exec(metrics)?.[1] ?? 0);
    report(`${s.link.framesSent} landmark frames sent (${s.capture.lastFrameBytes} bytes the last one), server accepted ${frames}`);
    report(`${s.playback.chunks} chunks, underruns ${s.playback.underruns} (${s.playback.underrunsAfterWarmup} after warm-up: ${JSON.stringify(s.playback.recentUnderruns)}), jitter buffer ${s.playback.bufferTargetMs.toFixed(0)} ms, output latency ${s.playback.outputLatencyMs.toFixed(1)} ms`);
    report(`control-to-audio latency, client clock: p50 ${s.clientLatency?.p50.toFixed(0)} ms, p95 ${s.clientLatency?.p95.toFixed(0)} ms; server: p50 ${s.serverStats?.latencyMs?.p50.toFixed(0)} ms, p95 ${s.serverStats?.latencyMs?.p95.toFixed(0)} ms; RTF ${s.serverStats?.rtf.toFixed(3)}`);
    await screenshotWithPerson(page, 'performer-1280x720.png');
    assert.ok(s.link.framesSent > 20, 'landmark frames were sent');
    assert.ok(frames > 20, `the server received the frames (${frames})`);
    // Protocol 2: the page's playback reports name their least-slack chunk, and the server matches
    // it to a chunk it sent (about 14 reports in the 7 s after the first 2 s).
    assert.ok(slackReports >= 5, `the server fitted the lead to ${slackReports} of the page's reports`);
    assert.equal(s.playback.discontinuities, 0, 'chunks join sample to sample');
    // Underruns are a timing figure: none after warm-up on a quiet machine (the report line above
    // shows them), a few when the page itself is starved (npm run test:contention: Chromium's
    // CPU tracking, two busy loops and the server on 2 cores). A scheduling bug underruns on
    // most chunks; this bound catches that, and bench:contention measures the rest.
    const allowed = Math.max(8, Math.ceil(MAX_UNDERRUN_FRACTION * s.playback.chunks));
    assert.ok(s.playback.underruns <= allowed, `${s.playback.underruns} underruns in ${s.playback.chunks} chunks (at most ${allowed}): ${JSON.stringify(s.playback.recentUnderruns)}`);
    // The meter reads the output at one instant, which can fall in a rest of the music or, on a
    // starved machine, in a gap (it read -Infinity once beside two CPU hogs): audible within 10 s.
    await waitFor(page, 'music audible at the output (level above -70 dB)', (x) => x.playback.levelDb !== null && x.playback.levelDb > -70, 10_000);
    assert.ok(s.clientLatency && s.clientLatency.count > 10, 'the client measures control-to-audio latency');
    const tracking = s.serverStats?.tracking;
    assert.ok(tracking && tracking.fps > 0 && tracking.captureToArrivalMs !== null, `the server reports the tracking rate it receives (${JSON.stringify(tracking)})`);
  });

  test('the control meters move with the performer', async () => {
    const presence = page.locator('.meter-value[data-control="presence"]');
    const seen = new Set<string>();
    const deadline = Date.now() + 15_000;
    // The clip alternates person and empty scene: presence must rise and fall.
    let high = false;
    let low = false;
    while (!(high && low) && Date.now() < deadline) {
      const text = (await presence.textContent()) ?? '';
      seen.add(text);
      const v = Number(text);
      if (v > 0.6) high = true;
      if (high && v < 0.4) low = true;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(high && low, `presence rose and fell (values seen: ${[...seen].join(', ')})`);
    const s = await snapshot(page);
    assert.ok(s.controls && Object.values(s.controls.values).some((v) => v !== 0), 'controls carry values');
  });

  test('the scene the music evokes is shown over the preview', async () => {
    const s = await waitFor(page, 'a scene caption', (x) => x.scene !== null, 20_000);
    const shown = await page.locator('#scene .scene-line.visible').textContent();
    assert.equal(shown, s.scene!.caption);
    report(`scene caption (${s.scene!.source}): "${s.scene!.caption}"`);
  });

  test('a recording of landmarks and audio downloads in the harness format', async () => {
    await page.locator('#record').click();
    const start = await snapshot(page);
    await waitFor(page, 'recorded audio and frames', (x) => x.playback.chunks > start.playback.chunks + 150 && x.link.framesSent > start.link.framesSent + 5);
    // The .exporec (a .mid of the notes downloads beside it: test/client/browserNotes.test.ts).
    const [download] = await Promise.all([page.waitForEvent('download', { predicate: (d) => d.suggestedFilename().endsWith('.exporec') }), page.locator('#record').click()]);
    const path = await download.path();
    const { records, truncated } = readRecording(new Uint8Array(readFileSync(path)));
    assert.equal(truncated, false);
    assert.equal(records[0]?.kind, 'meta');
    const frames = records.filter((r) => r.kind === 'frame').length;
    const chunks = records.filter((r) => r.kind === 'audio').length;
    report(`recording: ${download.suggestedFilename()}, ${frames} frames, ${chunks} audio chunks`);
    assert.ok(frames > 3 && chunks > 100, `frames ${frames}, chunks ${chunks}`);
  });

  test('after a server restart the client reconnects and the music resumes', async () => {
    const before = await snapshot(page);
    const port = server.port;
    await server.close();
    await waitFor(page, 'the link to notice', (x) => x.link.state === 'reconnecting');
    server = await startTestServer({ workers: 1, port, leadMs: TEST_LEAD_MS });
    const s = await waitFor(page, 'a new session with audio', (x) => x.link.state === 'streaming' && x.link.sessions === before.link.sessions + 1 && x.playback.chunks > 50);
    assert.notEqual(s.link.sessionId, before.link.sessionId);
    assert.equal(await page.locator('#link-state').textContent(), 'live');
  });

  test('screenshots at 1280x720 and on a small laptop screen', async () => {
    await page.setViewportSize({ width: 1024, height: 600 });
    await screenshotWithPerson(page, 'performer-1024x600.png');
    const box = await page.locator('#start').boundingBox();
    assert.ok(box && box.x + box.width <= 1024 && box.y + box.height <= 600, 'Start stays on screen');
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.locator('#start').click(); // stop before the kiosk test
    await waitFor(page, 'the session to stop', (x) => x.link.state === 'idle');
    await page.close();
  });

  test('kiosk mode: music starts when the person appears and stops when the scene is empty', async () => {
    const kiosk = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await kiosk.goto(`${server.url}/?kiosk=1&arriveMs=200&leaveMs=500&fadeMs=300`);
    assert.equal(await kiosk.locator('#start').isVisible(), false, 'no controls in kiosk mode');
    const playing = await waitFor(kiosk, 'music when the person appears', (x) => x.kiosk === 'playing' && x.link.state === 'streaming' && x.playback.chunks > 20, 45_000);
    assert.equal(playing.link.state, 'streaming');
    await waitFor(kiosk, 'the music to stop on the empty scene', (x) => x.kiosk === 'attract' && x.link.state === 'idle', 20_000);
    // The clip brings the person back soon: check the attract screen in the same moment as the state.
    const attractShown = await kiosk.evaluate(() => {
      const page = globalThis as unknown as { expotion: { snapshot(): Snapshot }; document: { getElementById(id: string): { hidden: boolean } } };
      return page.expotion.snapshot().kiosk !== 'attract' || !page.document.getElementById('attract').hidden;
    });
    assert.equal(attractShown, true, 'the attract screen shows while nobody is there');
    await kiosk.screenshot({ path: join(SCREENSHOTS, 'kiosk-attract-1280x720.png') });
    await waitFor(kiosk, 'the music to start again when the person returns', (x) => x.kiosk === 'playing' && x.link.sessions >= 2, 20_000);
    await kiosk.close();
  });
});
