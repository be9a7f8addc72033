import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepAtRate } from '../../harness/performers/frameRates.js';

test('frame rates: a slower tracker keeps evenly spread frames at its own rate', { timeout: 5000 }, () => {
  const frames = Array.from({ length: 240 }, (_, i) => i); // 8 s at 30 fps
  for (const fps of [6, 12, 20]) {
    const kept = keepAtRate(frames, 30, fps);
    assert.equal(kept.length, 8 * fps, `${fps} fps keeps ${8 * fps} frames`);
    const gaps = new Set(kept.slice(1).map((f, i) => f - kept[i]!));
    assert.ok([...gaps].every((g) => g >= 1 && g <= Math.ceil(30 / fps)), `${fps} fps: gaps ${[...gaps].join(', ')} source frames`);
  }
  assert.deepEqual(keepAtRate(frames, 30, 30), frames);
  assert.throws(() => keepAtRate(frames, 30, 0), RangeError);
});
