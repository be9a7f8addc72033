import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, configFromArgs, resolveConfig } from '../../server/config.js';

test('defaults are complete and valid', () => {
  const c = resolveConfig();
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.pack, 'expotion-small', 'the shipped neural pack (models/expotion-small)');
  assert.ok(c.workers >= 1);
  assert.deepEqual(c.allowedOrigins, []);
});

test('flags override environment, environment overrides defaults', () => {
  const c = configFromArgs(['--port', '9001', '--max-sessions=3', '--allowed-origins', 'http://a.test, http://b.test'], {
    PORT: '7000',
    EXPOTION_LEAD_MS: '45',
    EXPOTION_RECORD_DIR: 'off',
  });
  assert.equal(c.port, 9001);
  assert.equal(c.maxSessions, 3);
  assert.equal(c.leadMs, 45);
  assert.equal(c.recordDir, null);
  assert.deepEqual(c.allowedOrigins, ['http://a.test', 'http://b.test']);
});

test('bad options are refused with a message naming the option', () => {
  assert.throws(() => configFromArgs(['--port', 'eighty'], {}), (e: Error) => e instanceof ConfigError && /--port/.test(e.message));
  assert.throws(() => configFromArgs(['--colour', 'red'], {}), (e: Error) => e instanceof ConfigError && /unknown option --colour/.test(e.message));
  assert.throws(() => configFromArgs(['--port'], {}), /needs a value/);
  assert.throws(() => configFromArgs(['--beat-prediction', 'maybe'], {}), /must be on or off/);
  assert.equal(configFromArgs(['--beat-prediction', 'off'], {}).beatPrediction, false);
  assert.equal(configFromArgs([], {}).decoderBatching, true);
  assert.equal(configFromArgs(['--decoder-batching', 'off'], {}).decoderBatching, false);
  assert.equal(configFromArgs([], { EXPOTION_DECODER_BATCHING: 'off' }).decoderBatching, false);
  assert.throws(() => configFromArgs([], { EXPOTION_MAX_SESSIONS: '0' }), /maxSessions/);
  assert.throws(() => resolveConfig({ leadMs: 500, maxLeadMs: 100 }), /leadMs \(500\) exceeds maxLeadMs/);
  assert.throws(() => resolveConfig({ pack: 'Bad Pack!' }), /pack/);
  assert.throws(() => resolveConfig({ nonsense: 1 } as never), /nonsense/);
  assert.throws(() => configFromArgs(['--osc-target', 'localhost'], {}), /oscTarget: must be host:port/);
  assert.throws(() => configFromArgs([], { EXPOTION_OSC_TARGET: 'localhost:70000' }), /oscTarget: port must be 1..65535/);
  assert.equal(configFromArgs(['--osc-target', '[::1]:9000'], {}).oscTarget, '[::1]:9000');
  assert.equal(configFromArgs(['--osc-target', 'off'], {}).oscTarget, null);
});
