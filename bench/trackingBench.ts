/**
 * `npm run bench:tracking`: the client's tracking rate in headless Chromium with the server
 * running and a session streaming, face and pose in two parallel workers against the old serial
 * path (`?tracking=serial`). Real MediaPipe on a fake camera (a committed clip of a public-domain
 * photo, half of it an empty scene, or any .y4m/.mjpeg given with --camera: `npm run
 * performers:corpus -- --keep-clips out/performers/clips` renders clips with the person always in view). Prints, per mode: frames tracked per second,
 * face and pose ms, capture-to-send ms (client) and the rate and capture-to-arrival the server sees.
 *
 *   node dist/bench/trackingBench.js [--seconds 12] [--camera file.y4m] [--modes parallel,serial] [--delegate auto|cpu|gpu]
 */
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, FAKE_CAMERA } from '../test/client/browser.js';
import { startServerProcess } from '../harness/serverProcess.js';
import { CliOptions } from '../scripts/cliOptions.js';

const cli = new CliOptions('bench:tracking', 'npm run bench:tracking -- [--seconds 12] [--camera file.y4m] [--modes parallel,serial] [--delegate auto|cpu|gpu]');
const seconds = cli.number('seconds', 12);
const camera = cli.text('camera') ?? FAKE_CAMERA;
const modes = (cli.text('modes') ?? 'parallel,serial').split(',');
const delegate = cli.text('delegate') ?? 'auto';
cli.done();
/** Tracking settles (models warm, the session's first chunks) before measuring. */
const WARMUP_MS = 4000;

/** The part of window.expotion.snapshot() read here (client/src/instrument.ts). */
interface Snapshot {
  capture: { framesProcessed: number; framesWithFace: number; framesWithPose: number; faceMsP50: number; poseMsP50: number; captureToSendMsP50: number };
  tracker: { mode: string; delegate: string | null };
  link: { state: string };
  serverStats: { tracking?: { fps: number; captureToArrivalMs: number | null } } | null;
}

function snapshot(page: Page): Promise<Snapshot> {
  return page.evaluate(() => (globalThis as unknown as { expotion: { snapshot(): Snapshot } }).expotion.snapshot());
}

async function waitFor(page: Page, what: string, ok: (s: Snapshot) => boolean, timeoutMs = 60_000): Promise<Snapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await page.evaluate(() => (globalThis as unknown as { expotion?: unknown }).expotion !== undefined).then((has) => (has ? snapshot(page) : null));
    if (s && ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const server = await startServerProcess(['--pack', 'teacher']);
  const args = CHROMIUM_ARGS.map((a) => (a.startsWith('--use-file-for-fake-video-capture=') ? `--use-file-for-fake-video-capture=${camera}` : a));
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
  const rows: string[] = [];
  try {
    for (const mode of modes) {
      const page = await browser.newPage();
      page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
      await page.goto(`${server.url}/?tracking=${mode}&delegate=${delegate}`);
      await waitFor(page, 'tracking', (s) => s.capture.framesProcessed > 0);
      await page.locator('#start').click();
      await waitFor(page, 'a session', (s) => s.link.state === 'streaming');
      await new Promise((r) => setTimeout(r, WARMUP_MS));
      const a = await snapshot(page);
      const t0 = performance.now();
      // The server's figures are over its last second: sample them once a second and average.
      const serverFps: number[] = [];
      const arrivalMs: number[] = [];
      for (let i = 0; i < seconds; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const tr = (await snapshot(page)).serverStats?.tracking;
        if (tr) serverFps.push(tr.fps);
        if (tr?.captureToArrivalMs != null) arrivalMs.push(tr.captureToArrivalMs);
      }
      const b = await snapshot(page);
      const fps = ((b.capture.framesProcessed - a.capture.framesProcessed) * 1000) / (performance.now() - t0);
      const mean = (v: number[]): number | null => (v.length > 0 ? v.reduce((x, y) => x + y, 0) / v.length : null);
      const t = serverFps.length > 0 ? { fps: mean(serverFps)!, captureToArrivalMs: mean(arrivalMs) } : null;
      rows.push(
        `${mode.padEnd(9)} ${b.tracker.delegate ?? '?'}  ${fps.toFixed(1).padStart(5)} fps  face ${b.capture.faceMsP50.toFixed(0)} ms + pose ${b.capture.poseMsP50.toFixed(0)} ms  ` +
          `capture→send ${b.capture.captureToSendMsP50.toFixed(0)} ms  server: ${t ? `${t.fps.toFixed(0)} fps, capture→arrival ${t.captureToArrivalMs?.toFixed(0) ?? '–'} ms` : '–'}  ` +
          `(${b.capture.framesWithFace}/${b.capture.framesProcessed} frames with a face, ${b.capture.framesWithPose} with a body)`,
      );
      console.log(rows[rows.length - 1]);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  console.log(`\ntracking in headless Chromium, server streaming one session (teacher), ${seconds} s each after ${WARMUP_MS / 1000} s warm-up, camera ${camera}:`);
  for (const r of rows) console.log(`  ${r}`);
}

await main();
