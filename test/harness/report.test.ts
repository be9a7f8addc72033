import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionMeasures } from '../../harness/measures.js';
import { underrunAgesText } from '../../harness/report.js';

const session = (underrunAgesS: number[]): SessionMeasures => ({ underrunAgesS }) as unknown as SessionMeasures;

test('the harness says at what session age the underruns came, counted per second over all sessions', { timeout: 5_000 }, () => {
  // Three sessions that started together, two of them late at 32 s (a window slide, say), one at 23 s.
  assert.equal(underrunAgesText([session([23.4, 32.1]), session([32.9]), session([])]), ' (at session ages 23 s, 32 s x2)');
  assert.equal(underrunAgesText([session([]), session([])]), '');
});
