import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROTOCOL_VERSION, SUPPORTED_VERSIONS, negotiateVersion } from '../../protocol/version.js';

describe('version negotiation', () => {
  it('speaks version 2, and still version 1 (clients from before playback reports carried leastSlack)', () => {
    assert.equal(PROTOCOL_VERSION, 2);
    assert.deepEqual(SUPPORTED_VERSIONS, [1, 2]);
  });
  it('picks the highest common version', () => {
    assert.equal(negotiateVersion([1]), 1);
    assert.equal(negotiateVersion([3, 1, 2]), 2);
    assert.equal(negotiateVersion([2, 3]), 2);
  });
  it('returns null when there is none', () => {
    assert.equal(negotiateVersion([]), null);
    assert.equal(negotiateVersion([3, 4]), null);
    assert.equal(negotiateVersion([0]), null);
  });
});
