/**
 * The fuzzer against a real server in a child process: 20,000 mutated and out-of-order messages
 * must leave it up (no incident), within the protocol, and able to serve a clean session with
 * gap-free audio; a saved case replays; and a server that stops answering is an incident.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FrameSource, validHello } from '../../harness/fuzz/baseMessages.js';
import { loadCase, saveCase, type SavedEvent } from '../../harness/fuzz/fuzzCase.js';
import { fuzzText } from '../../harness/fuzz/fuzzReport.js';
import { runFuzz, type FuzzOptions } from '../../harness/fuzz/fuzzRun.js';
import { jsonText } from '../../harness/fuzz/jsonMutators.js';
import { Rng } from '../../harness/fuzz/random.js';
import { replayCase } from '../../harness/fuzz/replay.js';
import { LIVENESS_DEFAULTS } from '../../harness/liveness.js';
import { startServerProcess } from '../../harness/serverProcess.js';

const SERVER_ARGS = ['--pack', 'teacher', '--workers', '1'];

const dirs: string[] = [];
function tempDir(): string {
  dirs.push(mkdtempSync(join(tmpdir(), 'expotion-fuzz-')));
  return dirs[dirs.length - 1]!;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function options(url: string, server: FuzzOptions['server'], overrides: Partial<FuzzOptions> = {}): FuzzOptions {
  return {
    url,
    server,
    messages: 20_000,
    connections: 8,
    seed: 1,
    rate: 110,
    pack: 'teacher',
    outDir: tempDir(),
    cleanSeconds: 3,
    goodSessions: 1,
    liveness: LIVENESS_DEFAULTS,
    ...overrides,
  };
}

test('20,000 fuzzed messages: no incident, no protocol violation, then a clean session with gap-free audio; a case replays', { timeout: 150_000 }, async (t) => {
  const server = await startServerProcess(SERVER_ARGS);
  try {
    const report = await runFuzz(options(server.url, server));
    const text = fuzzText(report);
    t.diagnostic(`${report.sent.total} messages in ${report.durationS} s (${report.messagesPerSecond}/s), ${report.connections.attempted} connections, ${report.connections.ready} sessions; server RSS ${report.rssMB?.before?.toFixed(0)} -> ${report.rssMB?.after?.toFixed(0)} MB`);
    assert.deepEqual(report.failures, [], text);
    assert.deepEqual(report.incidents, [], text);
    assert.equal(report.violations.count, 0, text);
    assert.ok(report.clean?.ok && report.clean.gaps === 0 && report.clean.chunks > 0, text);
    assert.ok(report.sent.total >= 20_000, text);
    assert.ok(Object.keys(report.sent.byKind).length >= 60, `only ${Object.keys(report.sent.byKind).length} kinds of message`);
    assert.ok(report.connections.ready >= 20 && report.chunksReceived > 100, 'the fuzz ran real sessions');
    for (const code of ['HELLO_REQUIRED', 'JSON_SCHEMA', 'JSON_SYNTAX', 'FRAME_LENGTH']) assert.ok(report.errorCodes[code]! > 0, `${code} seen: ${text}`);
    assert.ok(report.rssMB && report.rssMB.before !== null && report.rssMB.after !== null, 'RSS read from /proc');

    // A case (as saved at an incident) is resent message for message.
    const rng = new Rng(9);
    const frames = new FrameSource(rng);
    const events: SavedEvent[] = [{ t: 0, op: 'open', path: '/ws', clock: 5000 }];
    events.push({ t: 1, op: 'send', type: 'text', kind: 'hello:valid', data: Buffer.from(jsonText(validHello(rng, 'teacher'))).toString('base64') });
    for (let i = 0; i < 20; i++) events.push({ t: 300 + i * 33, op: 'send', type: 'binary', kind: 'frame:valid', data: frames.next(rng, i, 5300 + i * 33).toString('base64') });
    events.push({ t: 1000, op: 'send', type: 'text', kind: 'stop:valid', data: Buffer.from('{"type":"stop"}').toString('base64') });
    const file = join(tempDir(), 'case.json');
    saveCase(file, { format: 'expotion-fuzz-case', version: 1, seed: 9, createdAt: new Date().toISOString(), url: server.url, incident: null, lanes: [{ lane: 0, events }] });
    const replay = await replayCase(loadCase(file), server.url, new AbortController().signal);
    assert.equal(replay.sent, 22);
    assert.deepEqual(replay.errorCodes, {});
    assert.deepEqual(replay.closeCodes, { '1000': 1 });
  } finally {
    await server.stop();
  }
});

test('a server that stops answering (SIGSTOP) is an incident: the run stops and saves a case', { timeout: 60_000 }, async () => {
  const server = await startServerProcess(SERVER_ARGS);
  try {
    const o = options(server.url, server, { messages: 1_000_000, connections: 2, cleanSeconds: 0, goodSessions: 0, liveness: { intervalMs: 100, timeoutMs: 1000 } });
    const stopper = setTimeout(() => server.child.kill('SIGSTOP'), 1000);
    const report = await runFuzz(o);
    clearTimeout(stopper);
    assert.equal(report.incidents[0]?.kind, 'healthz-timeout', fuzzText(report));
    assert.ok(report.failures.some((f) => /server incident: healthz-timeout/.test(f)));
    assert.ok(report.sent.total < 1_000_000, 'the run stopped early');
    const c = loadCase(report.caseFile!);
    assert.equal(c.incident?.kind, 'healthz-timeout');
    assert.ok(c.lanes.some((l) => l.events.some((e) => e.op === 'send')), 'the case holds what was sent');
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
  }
});
