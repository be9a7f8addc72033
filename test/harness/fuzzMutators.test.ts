/** The fuzzer's parts without a server: seeded mutations, the history window, case files. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeLandmarkFrame } from '../../protocol/landmarkFrame.js';
import { FrameSource, validHello } from '../../harness/fuzz/baseMessages.js';
import { FRAME_MUTATION_NAMES, mutateFrame } from '../../harness/fuzz/binaryMutators.js';
import { loadCase, saveCase, toSaved } from '../../harness/fuzz/fuzzCase.js';
import { LaneHistory } from '../../harness/fuzz/history.js';
import { JSON_MUTATION_NAMES, jsonText, mutateJson, Raw } from '../../harness/fuzz/jsonMutators.js';
import { Rng } from '../../harness/fuzz/random.js';

function draw(seed: number, n: number): Buffer[] {
  const rng = new Rng(seed);
  const frames = new FrameSource(rng);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    out.push(i % 2 === 0 ? mutateFrame(rng, frames.next(rng, i, 1000 + i)).data : mutateJson(rng, validHello(rng)).data);
  }
  return out;
}

test('the same seed gives the same mutations; another seed other ones', { timeout: 30_000 }, () => {
  const a = draw(7, 600);
  const b = draw(7, 600);
  const c = draw(8, 600);
  assert.deepEqual(a, b);
  assert.ok(a.some((x, i) => !x.equals(c[i]!)));
});

test('every mutation is drawn, and the valid base frames decode', { timeout: 30_000 }, () => {
  const rng = new Rng(3);
  const frames = new FrameSource(rng);
  const frameKinds = new Set<string>();
  const jsonKinds = new Set<string>();
  for (let i = 0; i < 4000; i++) {
    const valid = frames.next(rng, i, 5000 + i);
    assert.equal(decodeLandmarkFrame(valid).seq, i);
    frameKinds.add(mutateFrame(rng, valid).kind);
    jsonKinds.add(mutateJson(rng, { type: 'prompt', text: 'x' }).kind);
  }
  assert.deepEqual([...frameKinds].sort(), FRAME_MUTATION_NAMES.map((n) => `frame:${n}`).sort());
  assert.deepEqual([...jsonKinds].sort(), JSON_MUTATION_NAMES.map((n) => `prompt:${n}`).sort());
});

test('a valid frame keeps any seq and capture time written into it (0xFFFFFFFF, 1e18)', () => {
  const rng = new Rng(1);
  const bytes = new FrameSource(rng).next(rng, 0xffffffff, 1e18);
  assert.equal(bytes.readUInt32LE(4), 0xffffffff);
  assert.equal(bytes.readDoubleLE(8), 1e18);
});

test('jsonText writes raw numbers and escapes lone surrogates', () => {
  assert.equal(jsonText({ type: 'ping', id: new Raw('1e999'), t: '\ud800' }), '{"type":"ping","id":1e999,"t":"\\ud800"}');
});

test('history: the latest messages, and the opening of a long connection', () => {
  const h = new LaneHistory(10, 1000);
  h.open(0, '/ws', 123);
  for (let i = 0; i < 100; i++) h.send(i * 100, 'text', i === 0 ? 'hello:valid' : 'frame:valid', Buffer.from([i]));
  const events = h.events();
  assert.equal(events[0]!.op, 'open');
  assert.equal(events[0]!.clock, 123);
  assert.equal(events[1]!.kind, 'hello:valid', 'the hello that opened the session is kept');
  assert.equal(events.at(-1)!.data![0], 99);
  const sends = events.filter((e) => e.op === 'send').length;
  assert.ok(sends >= 10 && sends <= 4 + 11, `${sends} sends kept`);
  // A new connection: the old one goes once enough newer messages are kept and it is old enough.
  h.end(10_000, 'close', 1000);
  h.open(20_000, '//');
  for (let i = 0; i < 20; i++) h.send(20_000 + i, 'binary', 'frame:valid', Buffer.alloc(1));
  assert.deepEqual(h.events().filter((e) => e.op === 'open').map((e) => e.path), ['//']);
});

test('case files round-trip, and a broken one is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'expotion-case-'));
  const h = new LaneHistory();
  h.open(1, '/ws');
  h.send(2, 'binary', 'frame:bitflip', Buffer.from([0, 255, 7]));
  const file = join(dir, 'case.json');
  saveCase(file, { format: 'expotion-fuzz-case', version: 1, seed: 5, createdAt: 'now', url: 'http://x', incident: null, lanes: [{ lane: 0, events: toSaved(h.events()) }] });
  const c = loadCase(file);
  assert.equal(c.seed, 5);
  assert.deepEqual(Buffer.from(c.lanes[0]!.events[1]!.data!, 'base64'), Buffer.from([0, 255, 7]));
  saveCase(file, { ...c, lanes: [{ lane: 0, events: [{ t: 1, op: 'send' }] }] });
  assert.throws(() => loadCase(file), /send without data/);
  rmSync(dir, { recursive: true, force: true });
});
