/**
 * Debian's Chromium driven by playwright-core, with a fake camera playing a committed clip of a
 * public-domain photo (fixtures/fake-camera.mjpeg, see fixtures/make-fake-camera.sh).
 *
 * When Chromium is not installed the browser tests skip, loudly; with EXPOTION_REQUIRE_BROWSER=1
 * (set by .ci/run) a missing Chromium fails them instead.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT } from '../../server/paths.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FAKE_CAMERA = join(REPO_ROOT, 'test', 'client', 'fixtures', 'fake-camera.mjpeg');

/** Why the browser tests cannot run here, or null when they can. Throws when they are required. */
export function browserUnavailable(): string | null {
  const missing = [CHROMIUM_PATH, FAKE_CAMERA].filter((p) => !existsSync(p));
  if (missing.length === 0) return null;
  const why = `browser tests need ${missing.join(' and ')} (install Debian's chromium: apt-get install -y chromium)`;
  if (process.env.EXPOTION_REQUIRE_BROWSER === '1') throw new Error(`EXPOTION_REQUIRE_BROWSER=1 but ${why}`);
  const line = '!'.repeat(100);
  console.warn(`\n${line}\n!! SKIPPING the browser end-to-end tests: ${why}\n${line}\n`);
  return why;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  `--use-file-for-fake-video-capture=${FAKE_CAMERA}`,
  '--autoplay-policy=no-user-gesture-required',
];

/** Headless Chromium with a fresh temporary profile (playwright makes one per launch). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
