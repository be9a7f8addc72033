import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClockSync } from '../../server/controls/clockSync.js';
import { FrameArrivals } from '../../server/session/frameArrivals.js';

test('frame arrivals: the rate counts the last second of frames', { timeout: 5000 }, () => {
  const arrivals = new FrameArrivals(new ClockSync());
  for (let i = 0; i < 40; i++) arrivals.push(i * 50, 1000 + i * 50); // 20 fps for 2 s
  assert.equal(arrivals.stats(1000 + 39 * 50).fps, 20);
  assert.equal(arrivals.stats(10_000).fps, 0, 'no frames for a while: rate 0');
});

test('frame arrivals: capture-to-arrival is unknown before clock sync, then measured on the server clock', { timeout: 5000 }, () => {
  const clock = new ClockSync();
  const arrivals = new FrameArrivals(clock);
  arrivals.push(0, 5000);
  assert.equal(arrivals.stats(5000).captureToArrivalMs, null);
  // The client clock runs 4000 ms behind the server's (server = client + 4000), round trip 10 ms.
  clock.addSample(5000, 1005, 1005, 5010);
  for (let i = 0; i < 20; i++) arrivals.push(1100 + i * 50, 5100 + i * 50 + 70);
  const s = arrivals.stats(5100 + 19 * 50 + 70);
  assert.ok(s.captureToArrivalMs !== null && Math.abs(s.captureToArrivalMs - 70) < 1, `capture to arrival ${s.captureToArrivalMs} ms, expected 70`);
});
