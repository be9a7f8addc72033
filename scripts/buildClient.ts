/**
 * Bundles the browser client with esbuild: client/src/main.ts (with Tone.js and the shared
 * protocol/) into client/dist/app.js, and the tracking worker (tasks-vision) into
 * client/dist/tracker-worker.js, a classic worker script (tasks-vision loads its wasm loader
 * with importScripts). Part of `npm run build`; type-checking is
 * `tsc -p client/tsconfig.json`, run just before it.
 *
 * Run: `node dist/scripts/buildClient.js [--watch]`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, context, type BuildOptions } from 'esbuild';
import { REPO_ROOT } from '../server/paths.js';


const ROOT = REPO_ROOT;

const COMMON: BuildOptions = {
  bundle: true,
  platform: 'browser',
  target: ['chrome110', 'firefox115', 'safari16'],
  sourcemap: true,
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
};

export const CLIENT_BUILDS: BuildOptions[] = [
  { ...COMMON, entryPoints: [join(ROOT, 'client', 'src', 'main.ts')], outfile: join(ROOT, 'client', 'dist', 'app.js'), format: 'esm' },
  { ...COMMON, entryPoints: [join(ROOT, 'client', 'src', 'capture', 'trackerWorker.ts')], outfile: join(ROOT, 'client', 'dist', 'tracker-worker.js'), format: 'iife' },
];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--watch')) {
    for (const options of CLIENT_BUILDS) await (await context(options)).watch();
    console.log('watching client/src for changes');
  } else {
    const t0 = performance.now();
    await Promise.all(CLIENT_BUILDS.map((options) => build(options)));
    console.log(`client: bundled client/dist/app.js and tracker-worker.js in ${Math.round(performance.now() - t0)} ms`);
  }
}
