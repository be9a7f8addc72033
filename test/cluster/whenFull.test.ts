/**
 * `--when-full 503`: a full process refuses the WebSocket upgrade with HTTP 503 (so nginx's
 * proxy_next_upstream http_503 tries the next process) instead of accepting it and closing with
 * 1013; the default still closes with 1013 and a reason the browser can read.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CloseCode } from '../../protocol/errors.js';
import { RawClient } from '../server/rawClient.js';
import { fetchMetrics, metricValue, startTestServer } from '../server/testServer.js';

describe('when full', { timeout: 30_000 }, () => {
  test('--when-full 503 refuses the upgrade with HTTP 503; a freed slot is usable again', async () => {
    const server = await startTestServer({ maxSessions: 1, whenFull: '503' });
    try {
      const first = new RawClient(server.wsUrl);
      await first.hello();
      const refused = new RawClient(server.wsUrl);
      await assert.rejects(refused.opened, /HTTP 503/);
      assert.equal(metricValue(await fetchMetrics(server), 'expotion_sessions_refused_total{reason="SERVER_FULL"}'), 1);
      first.ws.close();
      await first.closed;
      await new Promise((r) => setTimeout(r, 50));
      const next = new RawClient(server.wsUrl);
      await next.hello();
      next.ws.close();
    } finally {
      await server.close();
    }
  });

  test('--when-full 503 also refuses an address over its own cap, so nginx can try a process where it has room', async () => {
    const server = await startTestServer({ maxSessionsPerAddress: 1, whenFull: '503', trustProxy: true });
    try {
      const first = new RawClient(server.wsUrl);
      await first.hello();
      await assert.rejects(new RawClient(server.wsUrl).opened, /HTTP 503/);
      assert.equal(metricValue(await fetchMetrics(server), 'expotion_sessions_refused_total{reason="TOO_MANY_SESSIONS"}'), 1);
      const other = new RawClient(server.wsUrl, { 'X-Forwarded-For': '203.0.113.7' });
      await other.hello(); // another address has room
      for (const c of [first, other]) c.ws.close();
    } finally {
      await server.close();
    }
  });

  test('by default a full server accepts and closes with 1013 SERVER_FULL', async () => {
    const server = await startTestServer({ maxSessions: 1 });
    try {
      const first = new RawClient(server.wsUrl);
      await first.hello();
      const refused = new RawClient(server.wsUrl);
      assert.equal((await refused.closed).code, CloseCode.tryAgainLater);
      assert.deepEqual(refused.errorCodes(), ['SERVER_FULL']);
      first.ws.close();
    } finally {
      await server.close();
    }
  });
});
