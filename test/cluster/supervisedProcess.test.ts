/**
 * The cluster's process supervisor: a child that dies is started again, with a growing pause
 * while it keeps dying right after its start; stop() ends it for good, even one that ignores
 * SIGTERM.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SupervisedProcess } from '../../scripts/cluster/supervisedProcess.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('supervised process', { timeout: 30_000 }, () => {
  test('a child that keeps dying is restarted with growing pauses, and stop() ends the restarts', async () => {
    const lines: string[] = [];
    const p = new SupervisedProcess({
      name: 'crasher',
      command: process.execPath,
      args: ['-e', 'process.exit(3)'],
      restartDelayMs: 50,
      output: 'ignore',
      log: (l) => lines.push(l),
    });
    p.start();
    const deadline = performance.now() + 10_000;
    while (p.restarts < 3 && performance.now() < deadline) await sleep(20);
    await p.stop();
    const restartsAtStop = p.restarts;
    assert.ok(restartsAtStop >= 3, `restarted ${restartsAtStop} times`);
    const pauses = lines.map((l) => Number(/restarting in (\d+) ms/.exec(l)?.[1]));
    assert.deepEqual(pauses.slice(0, 3), [50, 100, 200], 'the pause doubles while it dies right after its start');
    assert.match(lines[0]!, /crasher \(pid \d+\) exited \(code 3\)/);
    await sleep(500);
    assert.equal(p.restarts, restartsAtStop, 'no restart after stop()');
  });

  test('SIGKILL is followed by a restart; stop() kills a child that ignores SIGTERM after the grace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'expotion-supervised-'));
    const ready = join(dir, 'ready');
    // The child says (with a file) when its SIGTERM handler is in place: a busy machine starts node slowly.
    const waitReady = async (): Promise<void> => {
      const deadline = performance.now() + 10_000;
      while (!existsSync(ready) && performance.now() < deadline) await sleep(20);
      rmSync(ready, { force: true });
    };
    const p = new SupervisedProcess({
      name: 'stubborn',
      command: process.execPath,
      args: ['-e', `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000)`],
      restartDelayMs: 10,
      stopGraceMs: 300,
      output: 'ignore',
      log: () => undefined,
    });
    p.start();
    await waitReady();
    const first = p.pid;
    assert.ok(p.kill('SIGKILL'));
    const deadline = performance.now() + 5000;
    while ((p.pid === null || p.pid === first) && performance.now() < deadline) await sleep(20);
    assert.notEqual(p.pid, first);
    assert.equal(p.restarts, 1);
    await waitReady();
    const started = performance.now();
    await p.stop();
    assert.ok(performance.now() - started >= 250, 'it waited for the grace before SIGKILL');
    assert.equal(p.pid, null);
    rmSync(dir, { recursive: true, force: true });
  });
});
