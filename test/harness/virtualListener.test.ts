import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AudioChunkHeader } from '../../protocol/audioChunk.js';
import type { PlaybackMessage } from '../../protocol/messages.js';
import { VirtualListener } from '../../harness/virtualListener.js';
import { chunkTiming, lateCause, lateCauseCounts } from '../../harness/sessionClient.js';

const header = (startSample: number, frames = 960): AudioChunkHeader => ({
  startSample, frames, sampleRate: 48000, channels: 2, format: 'f32', controlSeq: 1, genStartMs: 0, genEndMs: 1,
});

test('chunks play back to back on a cursor, heard one output latency after their start', () => {
  const l = new VirtualListener({ jitterBufferMs: 40, marginMs: 10, outputLatencyMs: 15 });
  const a = l.receive(header(0), 1000);
  const b = l.receive(header(960), 1005); // early: queued behind a
  assert.equal(a.heardMs, 1000 + 40 + 15);
  assert.equal(b.heardMs, a.heardMs + 20); // 960 frames at 48 kHz = 20 ms
  assert.equal(l.underruns, 0);
  assert.equal(l.bufferedMs(1005), 1040 + 40 - 1005);
  const r = l.report(1010);
  assert.equal(r.sample, 960);
  assert.equal(r.clientTimeMs, b.heardMs);
});

test('a late chunk is an underrun: playback restarts a margin after it arrives, and the gap is counted', () => {
  const l = new VirtualListener({ jitterBufferMs: 40, marginMs: 10, outputLatencyMs: 0 });
  l.receive(header(0), 1000); // plays 1040..1060
  const reports: PlaybackMessage[] = [];
  const late = l.receive(header(960), 1100, (r) => reports.push(r)); // cursor 1060 < 1100 + 10
  assert.equal(late.underrun, true);
  assert.equal(late.heardMs, 1110);
  assert.equal(l.underruns, 1);
  assert.equal(l.underrunMs, 1110 - 1060);
  // The mapping before the shift was reported first, so the server never applies the new one to old samples.
  assert.equal(reports.length, 1);
  assert.equal(reports[0]!.sample, 0);
  assert.equal(reports[0]!.clientTimeMs, 1040);
});

test('protocol 2: each report names the chunk that arrived with the least time to spare since the last, as the browser does', () => {
  const l = new VirtualListener({ jitterBufferMs: 40, marginMs: 10, outputLatencyMs: 0 });
  l.receive(header(0), 1000); // plays 1040..1060
  l.receive(header(960), 1020); // starts 1060: needed by 1050, 30 ms to spare
  l.receive(header(1920), 1065); // starts 1080: 5 ms to spare
  assert.equal(l.report(1066).leastSlack, undefined, 'a protocol-1 session sends none');
  l.reportsSlack = true;
  l.receive(header(2880), 1070); // starts 1100: 20 ms
  l.receive(header(3840), 1085); // starts 1120: 25 ms
  assert.deepEqual(l.report(1090).leastSlack, { sample: 2880, ms: 20 });
  assert.equal(l.report(1095).leastSlack, undefined, 'nothing arrived since the last report');
  const late: PlaybackMessage[] = [];
  l.receive(header(4800), 1150, (r) => late.push(r)); // starts 1140: 20 ms after it was needed
  assert.deepEqual(late[0]!.leastSlack, { sample: 4800, ms: -20 }, 'the underrun goes out with the report before the shift');
});

test('gaps and overlaps in the sample timeline are counted', () => {
  const l = new VirtualListener();
  l.receive(header(0), 0);
  l.receive(header(960), 10);
  l.receive(header(2000), 20);
  assert.equal(l.discontinuities, 1);
});

test("a late chunk's timing says where its time went: started late, rendered long, or delivered late", () => {
  const l = new VirtualListener({ jitterBufferMs: 40, marginMs: 10, outputLatencyMs: 0 });
  l.receive(header(0), 1000); // plays 1040..1060 on the client clock; needed by 1050
  // The server's clock is 4000 ms ahead of the client's: the render ran 5030..5055 and the chunk
  // arrived at client 1058 (server 5058), 8 ms after it was needed.
  const late = l.receive({ ...header(960), genStartMs: 5030, genEndMs: 5055 }, 1058);
  assert.equal(late.slackMs, -8);
  const t = chunkTiming(late, 4000)!;
  assert.deepEqual(t, { startAheadMs: 20, renderMs: 25, deliveryMs: 3 });
  assert.equal(t.startAheadMs - t.renderMs - t.deliveryMs, late.slackMs);
  assert.equal(chunkTiming(late, null), null, 'no timing before the first ping');
});

test("a late chunk's cause is the part furthest beyond its usual value", () => {
  const typical = { startAheadMs: 50, renderMs: 5, deliveryMs: 1 };
  assert.equal(lateCause({ startAheadMs: 50, renderMs: 70, deliveryMs: 1 }, typical), 'render');
  assert.equal(lateCause({ startAheadMs: 10, renderMs: 20, deliveryMs: 2 }, typical), 'start');
  assert.equal(lateCause({ startAheadMs: 45, renderMs: 8, deliveryMs: 60 }, typical), 'delivery');
  // Counted over a run's (or a soak window's) underruns; nothing is blamed without a typical timing.
  const late = [{ startAheadMs: 50, renderMs: 70, deliveryMs: 1 }, { startAheadMs: 48, renderMs: 66, deliveryMs: 2 }, { startAheadMs: 10, renderMs: 20, deliveryMs: 2 }];
  assert.deepEqual(lateCauseCounts(late, typical), { start: 1, render: 2, delivery: 0 });
  assert.deepEqual(lateCauseCounts(late, null), { start: 0, render: 0, delivery: 0 });
});
