/** `npm start`'s entry point: flags, a clear refusal of bad options, and SIGTERM handling. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CloseCode } from '../../protocol/errors.js';
import { RawClient } from './rawClient.js';

const MAIN = fileURLToPath(new URL('../../server/main.js', import.meta.url));

test('SIGTERM closes sessions with 1001 and exits cleanly', async () => {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--workers', '1', '--log-level', 'silent', '--record-dir', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /on (http:\/\/\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
  });
  const c = new RawClient(`${url.replace('http', 'ws')}/ws`);
  await c.hello();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal((await c.closed).code, CloseCode.goingAway);
  assert.equal(await exited, 0);
});

test('a bad option is refused with a message and exit code 2', async () => {
  const child = spawn(process.execPath, [MAIN, '--port', 'nine'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 2);
  assert.match(stderr, /--port \(PORT\) must be a number/);
});
