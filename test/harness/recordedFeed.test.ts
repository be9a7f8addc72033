import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeLandmarkFrame } from '../../protocol/landmarkFrame.js';
import { frameRecord, metaRecord, recordingMagic } from '../../protocol/recording.js';
import { loadRecordedFeed } from '../../harness/performers/recorded.js';
import { nodding } from '../../harness/performers/synthetic.js';

function frames(): Uint8Array[] {
  const p = nodding({ bpm: 100 });
  return [1000, 1033, 1070, 1100].map((t, i) => encodeLandmarkFrame({ ...p.frameAt(t), seq: 10 + i, captureTimeMs: t }));
}

test('a browser recording replays its frames at their original spacing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'exporec-'));
  const file = join(dir, 'perf.exporec');
  writeFileSync(file, Buffer.concat([recordingMagic(), metaRecord(0, { writer: 'test', startedAt: '', prompt: '' }), ...frames().map((f, i) => frameRecord(i, f))]));
  const feed = loadRecordedFeed(file);
  const items = [];
  for (let item = feed.next(); item; item = feed.next()) items.push(item);
  assert.deepEqual(items.map((i) => i.atMs), [0, 33, 70, 100]);
  assert.ok(items.every((i) => i.frame.face !== null && i.frame.pose !== null));
});

test('a server recording folder (frames.bin) replays too, keeping what a crash left complete', () => {
  const dir = mkdtempSync(join(tmpdir(), 'server-rec-'));
  mkdirSync(dir, { recursive: true });
  const records = frames().map((f) => {
    const head = Buffer.alloc(12);
    head.writeUInt32LE(f.byteLength, 0);
    head.writeDoubleLE(5000, 4);
    return Buffer.concat([head, f]);
  });
  const all = Buffer.concat(records);
  writeFileSync(join(dir, 'frames.bin'), all.subarray(0, all.length - 7)); // cut mid-record
  const feed = loadRecordedFeed(dir);
  let n = 0;
  while (feed.next()) n++;
  assert.equal(n, 3);
});
