import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFromArgs, resolveConfig } from '../../server/config.js';

test('scene options: defaults, flags, environment and validation', () => {
  const d = resolveConfig();
  assert.equal(d.sceneIntervalMs, 4000);
  assert.equal(d.sceneHookUrl, null);
  assert.equal(d.sceneHookTimeoutMs, 3000);
  assert.equal(d.sceneHookSeconds, 5);
  const c = configFromArgs(['--scene-hook-url', 'http://gpu.local:9000/caption', '--scene-hook-timeout-ms=800'], {
    EXPOTION_SCENE_INTERVAL_MS: '0',
    EXPOTION_SCENE_HOOK_SECONDS: '8',
  });
  assert.equal(c.sceneHookUrl, 'http://gpu.local:9000/caption');
  assert.equal(c.sceneHookTimeoutMs, 800);
  assert.equal(c.sceneIntervalMs, 0);
  assert.equal(c.sceneHookSeconds, 8);
  assert.equal(configFromArgs([], { EXPOTION_SCENE_HOOK_URL: 'off' }).sceneHookUrl, null);
  assert.throws(() => resolveConfig({ sceneHookUrl: 'ftp://x.test/' }), /sceneHookUrl/);
  assert.throws(() => resolveConfig({ sceneHookUrl: 'not a url' }), /sceneHookUrl/);
  assert.throws(() => resolveConfig({ sceneIntervalMs: 100 }), /sceneIntervalMs/);
  assert.throws(() => resolveConfig({ sceneHookTimeoutMs: 0 }), /sceneHookTimeoutMs/);
});
