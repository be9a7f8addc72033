/**
 * A worker starts its streams one at a time: a session's start (synthesiser, prompt, first pass)
 * is the costly part, and starts piled together held the chunks of every session already playing
 * on that worker (8 joining at once: 2-13 clicks for each of 12 playing).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { neutralControls } from '../../protocol/controlVector.js';
import { WorkerPool } from '../../server/generation/index.js';

const pool = new WorkerPool(1);
after(() => pool.close());

test('a second stream opened on a worker is answered only once the first has rendered its first chunk', { timeout: 30_000 }, async () => {
  await pool.ready();
  const events: string[] = [];
  const first = await pool.openStream('teacher', 'house', 1, 'synth');
  const second = pool.openStream('teacher', 'funk', 2, 'synth').then((s) => {
    events.push('second opened');
    return s;
  });
  await new Promise((resolve) => setTimeout(resolve, 100)); // the second waits its turn meanwhile
  await first.render({ startSample: 0, frames: 1024, controls: [neutralControls()], controlStepSamples: 1024, beat: null });
  events.push('first rendered');
  const s2 = await second;
  assert.deepEqual(events, ['first rendered', 'second opened']);
  // A stream that never renders gives way after its turn's time: a third still opens.
  const third = await pool.openStream('teacher', 'pop', 3, 'synth');
  [first, s2, third].forEach((s) => s.close());
});
