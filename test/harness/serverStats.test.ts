import assert from 'node:assert/strict';
import { test } from 'node:test';
import { between, parseMetrics, slowStagesText, threadsText } from '../../harness/serverStats.js';

const metrics = (main: number, worker0: number, worker1?: number): string =>
  [
    '# HELP expotion_thread_busy_seconds_total Time each thread was busy',
    '# TYPE expotion_thread_busy_seconds_total counter',
    `expotion_thread_busy_seconds_total{thread="main"} ${main}`,
    `expotion_thread_busy_seconds_total{thread="worker0"} ${worker0}`,
    ...(worker1 === undefined ? [] : [`expotion_thread_busy_seconds_total{thread="worker1"} ${worker1}`]),
    'process_cpu_seconds_total 12.5',
    'expotion_sessions 4',
  ].join('\n');

test('the harness tells which server thread is busiest: busy share per thread between two /metrics reads', { timeout: 5_000 }, () => {
  const a = parseMetrics(metrics(10, 4), 1_000);
  assert.deepEqual(a.threadBusySeconds, { main: 10, worker0: 4 });
  assert.equal(a.sessions, 4);
  // Two seconds later: main busy 1.5 s of 2, worker0 0.5 s, and worker1 started (its 0.2 s all count).
  const b = parseMetrics(metrics(11.5, 4.5, 0.2), 3_000);
  const s = between(a, b);
  assert.deepEqual(Object.keys(s.threadBusyPercent), ['main', 'worker0', 'worker1']);
  assert.ok(Math.abs(s.threadBusyPercent.main! - 75) < 1e-9);
  assert.ok(Math.abs(s.threadBusyPercent.worker0! - 25) < 1e-9);
  assert.ok(Math.abs(s.threadBusyPercent.worker1! - 10) < 1e-9);
  assert.equal(threadsText(s), 'main 75%, worker0 25%, worker1 10%');
});

test('the harness says how long each server thread waited for a CPU beside how busy it was', { timeout: 5_000 }, () => {
  const withWait = (main: number, wait: number): string =>
    [metrics(main, 1), `expotion_thread_cpu_wait_seconds_total{thread="main"} ${wait}`, 'expotion_thread_cpu_wait_seconds_total{thread="worker0"} 0.5'].join('\n');
  // Over 2 s the main thread was busy 0.6 s and waited 0.5 s for a core: a machine held it up as much as its own work.
  const s = between(parseMetrics(withWait(10, 3), 0), parseMetrics(withWait(10.6, 3.5), 2_000));
  assert.ok(Math.abs(s.threadCpuWaitPercent.main! - 25) < 1e-9);
  assert.equal(s.threadCpuWaitPercent.worker0, 0);
  assert.equal(threadsText(s), 'main 30% (waited 25%), worker0 0% (waited 0%)');
  // A server that does not report waits (not Linux, or older) shows busy shares alone.
  assert.deepEqual(between(parseMetrics(metrics(1, 1), 0), parseMetrics(metrics(2, 1), 1_000)).threadCpuWaitPercent, {});
});

test('a server without busy-thread figures reads as none, not as idle', { timeout: 5_000 }, () => {
  const s = between(parseMetrics('process_cpu_seconds_total 1', 0), parseMetrics('process_cpu_seconds_total 2', 1_000));
  assert.deepEqual(s.threadBusyPercent, {});
  assert.equal(threadsText(s), '-');
});

const stages = (replyWithin20ms: number, replies: number): string =>
  [
    '# TYPE expotion_chunk_stage_seconds histogram',
    `expotion_chunk_stage_seconds_bucket{le="0.01",stage="reply"} ${replyWithin20ms - 1}`,
    `expotion_chunk_stage_seconds_bucket{le="0.02",stage="reply"} ${replyWithin20ms}`,
    `expotion_chunk_stage_seconds_bucket{le="+Inf",stage="reply"} ${replies}`,
    `expotion_chunk_stage_seconds_count{stage="reply"} ${replies}`,
    'expotion_chunk_stage_seconds_bucket{le="0.02",stage="render"} 50',
    'expotion_chunk_stage_seconds_count{stage="render"} 50',
  ].join('\n');

test('the harness counts the chunks the server itself held up, by stage, between two /metrics reads', { timeout: 5_000 }, () => {
  // 100 replies, 2 over 20 ms; then 200, 5 over 20 ms: 3 slow replies in the interval, no slow render.
  const s = between(parseMetrics(stages(98, 100), 0), parseMetrics(stages(195, 200), 1_000));
  assert.deepEqual(s.slowStages, { reply: 3, render: 0 });
  assert.equal(slowStagesText(s), 'reply 3, render 0');
});
