/**
 * `npm test`: runs every compiled `*.test.js` under dist/test with node's test runner (Node 20's
 * runner cannot take a glob, and helpers and fixtures beside the tests must not run as tests).
 * Arguments filter by path: `npm test -- server harness`. A test that sets no timeout of its own
 * fails after TEST_TIMEOUT_MS rather than hang the run.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../test/', import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return testFiles(path);
    return e.name.endsWith('.test.js') ? [path] : [];
  });
}

const TEST_TIMEOUT_MS = 300_000;
const filters = process.argv.slice(2);
const files = testFiles(root)
  .filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const child = spawn(process.execPath, ['--test', '--test-reporter=spec', `--test-timeout=${TEST_TIMEOUT_MS}`, ...files], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
