import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionMeasures } from '../../harness/measures.js';
import { underrunsText } from '../../harness/report.js';

const session = (underrunAgesS: number[], causes: Partial<SessionMeasures['underrunCauses']> = {}): SessionMeasures =>
  ({ underrunAgesS, underrunCauses: { start: 0, render: 0, delivery: 0, ...causes } }) as unknown as SessionMeasures;

test('the harness says at what session age the underruns came, counted per second over all sessions, and what made them late', { timeout: 5_000 }, () => {
  // Three sessions that started together, two of them late at 32 s (a window slide, say), one at 23 s.
  assert.equal(underrunsText([session([23.4, 32.1]), session([32.9]), session([])]), ' (at session ages 23 s, 32 s x2)');
  assert.equal(underrunsText([session([]), session([])]), '');
  // One worker's long render held three sessions at 36-37 s; a fourth's render started late behind it.
  assert.equal(
    underrunsText([session([36.2, 37.0], { render: 2 }), session([36.5], { render: 1 }), session([36.9], { start: 1 })]),
    ' (at session ages 36 s x3, 37 s; late from render 3, start 1)',
  );
});
