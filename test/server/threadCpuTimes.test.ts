import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const moduleUrl = new URL('../../server/threadCpuTimes.js', import.meta.url).href;
const harnessModuleUrl = new URL('../../harness/processCpuWait.js', import.meta.url).href;
const linux = existsSync('/proc/thread-self') && existsSync('/usr/bin/taskset');

// A child pinned to one core: its main thread spins for 400 ms while a worker either spins too
// (they share the core, so each waits for it) or sleeps (idle, not waiting). It prints what
// threadCpuTimes read for both threads over those 400 ms, and the harness's whole-process figure.
const child = (workerSpins: boolean): string => `
import { Worker } from 'node:worker_threads';
import { currentThreadId, threadCpuTimes } from ${JSON.stringify(moduleUrl)};
import { processCpuWaitMs } from ${JSON.stringify(harnessModuleUrl)};
const spin = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
const w = new Worker(\`
  import { parentPort } from 'node:worker_threads';
  import { readlinkSync } from 'node:fs';
  parentPort.postMessage(Number(readlinkSync('/proc/thread-self').split('/').pop()));
  parentPort.once('message', (spins) => {
    if (spins) { const end = performance.now() + 400; while (performance.now() < end); }
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
    parentPort.postMessage('done');
  });\`, { eval: true });
const tid = await new Promise((r) => w.once('message', r));
const main = currentThreadId();
const mainFrom = threadCpuTimes(main);
const workerFrom = threadCpuTimes(tid);
w.postMessage(${workerSpins});
spin(400);
await new Promise((r) => w.once('message', r));
const workerTo = threadCpuTimes(tid);
console.log(JSON.stringify({
  mainWaitMs: threadCpuTimes(main).waitMs - mainFrom.waitMs,
  worker: { runMs: workerTo.runMs - workerFrom.runMs, waitMs: workerTo.waitMs - workerFrom.waitMs },
  process: processCpuWaitMs(),
}));
await w.terminate();
`;

async function pinned(workerSpins: boolean): Promise<{ mainWaitMs: number; worker: { runMs: number; waitMs: number }; process: number }> {
  const { stdout } = await run('/usr/bin/taskset', ['-c', '0', process.execPath, '--input-type=module', '-e', child(workerSpins)], { timeout: 20_000 });
  return JSON.parse(stdout) as never;
}

test('two threads spinning on one core each report waiting for it; a sleeping thread does not', { timeout: 30_000, skip: !linux && 'needs Linux /proc and taskset' }, async () => {
  const busy = await pinned(true);
  // Each spins 400 ms on a core it shares (with anything else running there too): together they
  // wait at least about as long as one ran.
  assert.ok(busy.mainWaitMs + busy.worker.waitMs > 200, `waited ${busy.mainWaitMs.toFixed(0)} + ${busy.worker.waitMs.toFixed(0)} ms`);
  assert.ok(busy.worker.runMs > 100, `the worker ran ${busy.worker.runMs.toFixed(0)} ms`);
  assert.ok(busy.process >= busy.worker.waitMs, `the process's total (the harness's figure) includes the worker: ${busy.process.toFixed(0)} ms`);
  const idle = await pinned(false);
  // A thread asleep is not waiting for a CPU: it waits only to wake up, far less than one that
  // competes for the core all along.
  assert.ok(idle.worker.waitMs < busy.worker.waitMs / 2, `the sleeping worker waited ${idle.worker.waitMs.toFixed(0)} ms, the spinning one ${busy.worker.waitMs.toFixed(0)} ms`);
});

test('a thread that is not there reads as unknown, not as zeros', { timeout: 5_000 }, async () => {
  const { threadCpuTimes } = await import(fileURLToPath(moduleUrl));
  assert.equal(threadCpuTimes(2 ** 31 - 1), null);
});
