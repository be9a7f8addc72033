import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CliOptions } from '../../scripts/cliOptions.js';

const script = fileURLToPath(new URL('../../scripts/dataSymbolic.js', import.meta.url));

test('a mistyped option stops a script with its usage before it runs; --help prints the usage', { timeout: 30_000 }, () => {
  const typo = spawnSync(process.execPath, [script, '--hours', '1', '--seed', '1', '--out', '/nonexistent/never-written', '--stepz', '320'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(typo.status, 2, typo.stderr);
  assert.match(typo.stderr, /unknown option --stepz\nusage: npm run data:symbolic/);
  const missing = spawnSync(process.execPath, [script, '--hours', '1', '--seed', '--out', '/nonexistent/never-written'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(missing.status, 2, missing.stderr);
  assert.match(missing.stderr, /--seed needs a value/);
  const help = spawnSync(process.execPath, [script, '--help'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^usage: npm run data:symbolic -- --hours H/);
});

test('counts and offsets may be 0, never negative: --steady-from-s 0 is read, -1 is refused before anything starts', { timeout: 30_000 }, () => {
  const options = new CliOptions('t', 'usage', ['node', 't', '--steady-from-s', '0', '--join', '3']);
  assert.equal(options.nonNegative('steady-from-s', 10), 0);
  assert.equal(options.nonNegative('join', 8), 3);
  assert.equal(options.nonNegative('absent', 8), 8);
  const profile = fileURLToPath(new URL('../../bench/serverProfile.js', import.meta.url));
  const negative = spawnSync(process.execPath, [profile, '--steady-from-s', '-1'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(negative.status, 2, negative.stderr);
  assert.match(negative.stderr, /--steady-from-s must be 0 or a positive number, but is -1/);
});
