/**
 * The server's node flags (SERVER_NODE_FLAGS) are passed by every spawner, including the ones
 * that cannot import them: package.json's scripts and the systemd unit.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../harness/serverProcess.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const flags = SERVER_NODE_FLAGS.join(' ');

test('npm start, npm run harness and the systemd unit run node with the server flags (fewer full GCs in the render path)', { timeout: 10_000 }, () => {
  const scripts = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.match(scripts.start!, new RegExp(`node ${flags} dist/server/main\\.js`));
  assert.match(scripts.harness!, new RegExp(`node ${flags} dist/harness/cli\\.js`));
  const unit = readFileSync(`${ROOT}deploy/systemd/expotion@.service`, 'utf8');
  assert.match(unit, new RegExp(`^ExecStart=/usr/bin/node ${flags} dist/server/main\\.js$`, 'm'));
});
