import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ControlsMessage, ReadyMessage } from '../../protocol/messages.js';
import type { FrameFeed } from '../../harness/frameFeed.js';
import type { SessionResult } from '../../harness/sessionClient.js';
import { foldedTempoError, tempoFollow } from '../../harness/tempoFollow.js';

const feed: FrameFeed = { name: 'nod 100', next: () => null, beatAt: () => ({ bpm: 100, periodMs: 600, anchorMs: 0 }) };

function result(music: number[], heard: number): SessionResult {
  const controls = music.map(
    (tempoBpm, i): ControlsMessage => ({ type: 'controls', seq: i, serverTimeMs: 10_000 + 500 * i, values: { tempo: heard }, music: { style: 'house', tempoBpm, key: 'C', mode: 'major' } }),
  );
  return { ready: { serverTimeMs: 10_000 } as ReadyMessage, controls } as unknown as SessionResult;
}

test('tempo follow: half and double time count as following', { timeout: 5000 }, () => {
  assert.equal(foldedTempoError(101, 100), 1);
  assert.equal(foldedTempoError(51, 100), 1);
  assert.equal(foldedTempoError(198, 100), -2);
});

test('tempo follow: time to lock is when the music tempo reaches the beat for good', { timeout: 5000 }, () => {
  // Style tempo 125 for 2 s, a brief pass through 100, away again, then locked from 3 s on (at 200: double time).
  const r = tempoFollow(result([125, 125, 125, 125, 100, 112, 200, 200.5, 199], 99), feed)!;
  assert.equal(r.timeToLockMs, 3000);
  assert.equal(r.timeToLockBeats, 5);
  assert.equal(r.heardErrorBpm, -1);
  assert.equal(r.musicErrorBpm, -1);
  const never = tempoFollow(result([125, 125, 125], 100), feed)!;
  assert.equal(never.timeToLockMs, null, 'music that stays at the style tempo never locks');
  assert.equal(tempoFollow(result([125], 100), { name: 'still', next: () => null }), null, 'no beat known: nothing to measure');
});
