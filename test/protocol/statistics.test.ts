/** The one percentile rule (nearest rank) and the recent-values window shared by server, client and harness. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentile, percentiles, RecentValues } from '../../protocol/statistics.js';

test('percentiles follow the nearest-rank rule: the smallest value with at least p% at or below it', () => {
  const ten = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
  assert.equal(percentile(ten, 50), 5);
  assert.equal(percentile(ten, 95), 10);
  assert.equal(percentile(ten, 10), 1);
  assert.equal(percentile(ten, 0), 1);
  assert.equal(percentile(ten, 100), 10);
  assert.equal(percentile([3, 1], 50), 1, 'an even count gives the lower middle value');
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.deepEqual(percentiles([5, 1, 3]), { p50: 3, p95: 5, p99: 5, max: 5, count: 3 });
  assert.equal(percentiles([]), null);
});

test('RecentValues keeps only the last `capacity` finite values and answers with the same rule', () => {
  const r = new RecentValues(4);
  assert.equal(r.count, 0);
  assert.ok(Number.isNaN(r.percentile(50)) && Number.isNaN(r.max()) && Number.isNaN(r.mean()));
  for (const v of [100, 1, NaN, 2, Infinity, 3, 4]) r.push(v);
  assert.equal(r.count, 4, 'non-finite values are ignored and the oldest value left the window');
  assert.equal(r.percentile(50), 2);
  assert.equal(r.percentile(50), percentile([1, 2, 3, 4], 50));
  assert.equal(r.max(), 4);
  assert.equal(r.mean(), 2.5);
  r.push(10); // the window is now 2, 3, 4, 10: percentiles asked before must not answer from the old order
  assert.equal(r.percentile(100), 10);
  assert.equal(r.percentile(50), 3);
  r.clear();
  assert.equal(r.count, 0);
  assert.ok(Number.isNaN(r.percentile(50)));
  r.push(7);
  assert.equal(r.percentile(50), 7);
  assert.throws(() => new RecentValues(0), RangeError);
});
