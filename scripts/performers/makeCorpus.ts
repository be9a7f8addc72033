/**
 * `npm run performers:corpus`: the real-performer corpus. Renders fake-camera clips of a
 * public-domain photo of a person (render_clips.py: nods, bobs, a sway, and the hard negatives
 * still, talker and walk-in-out), tracks every frame with the real client tracker in headless
 * Chromium (client/src/tools/performerCorpusPage.ts), and writes one `.exporec` per clip and
 * tracking rate, the ground truth in its meta (`performer`, harness/performers/recordedTruth.ts).
 * Lower rates drop frames from the 30 fps tracking (harness/performers/frameRates.ts).
 *
 *   node dist/scripts/performers/makeCorpus.js [--out out/performers] [--rates 6,12,20,30]
 *     [--fixtures test/fixtures/performers] [--fixture-rate 30] [--seconds 8] [--clips nod,bob,...]
 *     [--keep-clips DIR]   keep the rendered .y4m clips (a fake camera for bench:tracking --camera)
 *
 * Needs Debian's chromium and python3-skimage (the photo and the renderer's numpy/scipy).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { frameRecord, metaRecord, recordingMagic } from '../../protocol/recording.js';
import { startServerProcess } from '../../harness/serverProcess.js';
import { REPO_ROOT } from '../../server/paths.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test/client/browser.js';
import { keepAtRate } from '../../harness/performers/frameRates.js';
import type { RecordedTruth } from '../../harness/performers/recordedTruth.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const outDir = arg('out', join(REPO_ROOT, 'out', 'performers'));
const rates = arg('rates', '6,12,20,30').split(',').map(Number);
const fixturesDir = arg('fixtures', join(REPO_ROOT, 'test', 'fixtures', 'performers'));
const fixtureRate = Number(arg('fixture-rate', '30'));
const seconds = arg('seconds', '8');
const clips = arg('clips', 'nod,bob,swaybob,still,talker,walk');
const keepClips = arg('keep-clips', '');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
/** Where the corpus page is served from, beside the real server's client files (same origin). */
const PAGE_PREFIX = '/__performer-corpus';

interface TrackedClip {
  fps: number;
  delegate: string;
  frames: (string | null)[];
  captureTimesMs: number[];
}

function recordingOf(truth: RecordedTruth, frames: { timeMs: number; bytes: Uint8Array }[]): Buffer {
  const parts: Uint8Array[] = [recordingMagic(), metaRecord(truth.clockStartMs, { writer: 'expotion performer corpus', startedAt: new Date().toISOString(), prompt: '', performer: truth })];
  for (const f of frames) parts.push(frameRecord(f.timeMs, f.bytes));
  return Buffer.concat(parts);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'performer-corpus-'));
  try {
    const clipDir = keepClips || work;
    const render = spawnSync(PYTHON, [join(REPO_ROOT, 'scripts', 'performers', 'render_clips.py'), clipDir, '--seconds', seconds, '--clips', clips], { stdio: 'inherit' });
    if (render.status !== 0) throw new Error(`render_clips.py failed (${render.status ?? render.signal}); it needs python3-skimage`);
    const page = await build({ entryPoints: [join(REPO_ROOT, 'client', 'src', 'tools', 'performerCorpusPage.ts')], bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'warning' });
    const server = await startServerProcess(['--pack', 'teacher']);
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    mkdirSync(outDir, { recursive: true });
    mkdirSync(fixturesDir, { recursive: true });
    try {
      const tab = await browser.newPage();
      tab.on('pageerror', (err) => console.error(`page error: ${err.message}`));
      await tab.route(`${server.url}${PAGE_PREFIX}/**`, (route) => {
        const path = new URL(route.request().url()).pathname.slice(PAGE_PREFIX.length + 1);
        if (path === 'index.html') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><script src="page.js"></script>' });
        if (path === 'page.js') return route.fulfill({ contentType: 'text/javascript', body: page.outputFiles[0]!.text });
        if (/^[a-z]+\.y4m$/.test(path)) return route.fulfill({ contentType: 'application/octet-stream', body: readFileSync(join(clipDir, path)) });
        return route.fulfill({ status: 404 });
      });
      await tab.goto(`${server.url}${PAGE_PREFIX}/index.html`);
      for (const clip of clips.split(',')) {
        const t0 = performance.now();
        const tracked = (await tab.evaluate((url) => (globalThis as unknown as { trackClip(u: string): Promise<TrackedClip> }).trackClip(url), `${PAGE_PREFIX}/${clip}.y4m`)) as TrackedClip;
        const rendered = JSON.parse(readFileSync(join(clipDir, `${clip}.json`), 'utf8')) as Omit<RecordedTruth, 'fps' | 'clockStartMs' | 'delegate'>;
        const frames = tracked.frames.flatMap((b64, i) => (b64 === null ? [] : [{ timeMs: tracked.captureTimesMs[i]!, bytes: Buffer.from(b64, 'base64') }]));
        const failed = tracked.frames.length - frames.length;
        for (const fps of rates) {
          const truth: RecordedTruth = { ...rendered, fps, clockStartMs: tracked.captureTimesMs[0]!, delegate: tracked.delegate };
          const kept = keepAtRate(frames, tracked.fps, fps);
          const file = `${clip}-${fps}fps.exporec`;
          const bytes = recordingOf(truth, kept);
          writeFileSync(join(outDir, file), bytes);
          if (fps === fixtureRate) writeFileSync(join(fixturesDir, file), bytes);
        }
        console.log(`${clip}: tracked ${tracked.frames.length} frames (${failed} failed) with the ${tracked.delegate} delegate in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
    } finally {
      await browser.close();
      await server.stop();
    }
    console.log(`wrote ${outDir} (rates ${rates.join(', ')} fps) and the ${fixtureRate} fps set to ${fixturesDir}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
