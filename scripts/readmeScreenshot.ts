/**
 * The README's picture of the performer UI, taken as a user would see it: `npm start`'s own
 * configuration (the default pack), Debian's Chromium with the committed fake camera, a running
 * session, and the shot taken while the person is in the picture, so the tracking rate, the
 * controls and the piano roll are live figures of this machine.
 *
 *   npm run docs:screenshot [-- --seconds 20 --out client/docs/performer-ui.png]
 */
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createServer } from '../server/app.js';
import { REPO_ROOT } from '../server/paths.js';
import { CliOptions } from './cliOptions.js';

const cli = new CliOptions('docs:screenshot', 'npm run docs:screenshot -- [--seconds 20] [--out client/docs/performer-ui.png]');
const seconds = cli.number('seconds', 20);
const out = cli.text('out') ?? join(REPO_ROOT, 'client', 'docs', 'performer-ui.png');
cli.done();
const camera = join(REPO_ROOT, 'test', 'client', 'fixtures', 'fake-camera.mjpeg');
/** Bytes of a landmark frame with a face and a body (the person is in the picture). */
const FRAME_WITH_PERSON = 3148;

interface PageState {
  link: { state: string };
  capture: { lastFrameBytes: number; processedFps: number };
  playback: { chunks: number };
}

const server = await createServer({ port: 0, logLevel: 'warn' });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${camera}`, '--autoplay-policy=no-user-gesture-required'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const state = (): Promise<PageState> => page.evaluate(() => (globalThis as unknown as { expotion: { snapshot(): PageState } }).expotion.snapshot());
  const until = async (what: string, ok: (s: PageState) => boolean, timeoutMs: number): Promise<PageState> => {
    const deadline = Date.now() + timeoutMs;
    for (let s = await state(); ; s = await state()) {
      if (ok(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await page.goto(`${server.url}/`);
  await page.locator('#start').click({ timeout: 60_000 });
  await until('audio', (s) => s.link.state === 'streaming' && s.playback.chunks > 0, 60_000);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const s = await until('a frame with the person', (x) => x.capture.lastFrameBytes === FRAME_WITH_PERSON, 30_000);
  await page.screenshot({ path: out });
  console.log(`wrote ${out} after ${seconds} s of music (${s.capture.processedFps} fps tracked, ${s.playback.chunks} chunks played)`);
} finally {
  await browser.close();
  await server.close();
}
