import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeLandmarkFrame } from '../../protocol/landmarkFrame.js';
import { frameRecord, metaRecord, recordingMagic } from '../../protocol/recording.js';
import { loadRecordedFeed } from '../../harness/performers/recorded.js';
import { nodding } from '../../harness/performers/synthetic.js';
import { REPO_ROOT } from '../../server/paths.js';

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

test('a corpus recording replays endlessly, looped on whole beats, with its beats known', { timeout: 10_000 }, () => {
  const feed = loadRecordedFeed(join(REPO_ROOT, 'test', 'fixtures', 'performers', 'nod-30fps.exporec'));
  const beat = feed.beatAt?.(0);
  assert.ok(beat && beat.bpm === 108 && Math.abs(beat.periodMs - 60_000 / 108) < 1e-9, `the nod's beat: ${JSON.stringify(beat)}`);
  const times: number[] = [];
  for (let i = 0; i < 800; i++) times.push(feed.next()!.atMs); // past two loops of about 240 frames
  for (let i = 1; i < times.length; i++) {
    const dt = times[i]! - times[i - 1]!;
    assert.ok(dt > 0 && dt <= 1000 / 30 + 1e-6, `frame ${i} comes ${dt} ms after the one before (no seam at the loop)`);
  }
  const slow = loadRecordedFeed(join(REPO_ROOT, 'test', 'fixtures', 'performers', 'nod-30fps.exporec'), 6);
  const first = [slow.next()!.atMs, slow.next()!.atMs, slow.next()!.atMs];
  assert.ok(first[1]! - first[0]! >= 150 && first[2]! - first[1]! >= 150, `at 6 fps frames are about 167 ms apart: ${first.join(', ')}`);
  const still = loadRecordedFeed(join(REPO_ROOT, 'test', 'fixtures', 'performers', 'still-30fps.exporec'));
  assert.equal(still.beatAt?.(0) ?? null, null, 'a hard negative has no beat');
});
