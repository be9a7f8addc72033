/**
 * The limits a real venue needs: a per-address session cap, idle and session-length limits,
 * a Host allowlist against DNS rebinding, the real client address behind a trusted proxy,
 * security headers, no stack traces, /metrics for this machine only, and a SIGTERM that always
 * ends cleanly.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CloseCode } from '../../protocol/errors.js';
import { clientAddress, hostAllowed, hostName } from '../../server/httpGuards.js';
import { RawClient } from './rawClient.js';
import { fetchMetrics, metricValue, startTestServer } from './testServer.js';

/** A GET with any Host header and extra headers (fetch does not let a test set Host). */
function get(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('venue limits', { timeout: 60_000 }, () => {
  test('one address gets at most --max-sessions-per-address sessions (1013 TOO_MANY_SESSIONS); others still get in', async () => {
    const server = await startTestServer({ maxSessionsPerAddress: 2, trustProxy: true });
    try {
      const a = new RawClient(server.wsUrl);
      const b = new RawClient(server.wsUrl);
      await Promise.all([a.hello(), b.hello()]);
      const c = new RawClient(server.wsUrl);
      assert.equal((await c.closed).code, CloseCode.tryAgainLater);
      assert.deepEqual(c.errorCodes(), ['TOO_MANY_SESSIONS']);
      // Behind the trusted proxy, another performer's address is its own bucket.
      const other = new RawClient(server.wsUrl, { 'X-Forwarded-For': '203.0.113.7' });
      await other.hello();
      a.ws.close();
      await a.closed;
      await new Promise((r) => setTimeout(r, 50));
      const again = new RawClient(server.wsUrl);
      await again.hello(); // a slot freed by a closed session is usable again
      for (const x of [b, other, again]) x.ws.close();
    } finally {
      await server.close();
    }
  });

  test('a client that sends nothing is closed with 4003 IDLE_TIMEOUT; one that only sends hello too', async () => {
    const server = await startTestServer({ idleTimeoutMs: 1000, helloTimeoutMs: 5000 });
    try {
      const silent = new RawClient(server.wsUrl);
      await silent.hello();
      assert.equal((await silent.closed).code, CloseCode.idleTimeout);
      assert.ok(silent.errorCodes().includes('IDLE_TIMEOUT'));
    } finally {
      await server.close();
    }
  });

  test('--max-session-ms ends a session with 4004 SESSION_TOO_LONG', async () => {
    const server = await startTestServer({ maxSessionMs: 1500 });
    try {
      const c = new RawClient(server.wsUrl);
      await c.hello();
      const keepAlive = setInterval(() => c.send({ type: 'prompt', text: 'funk' }), 200);
      const closed = await c.closed;
      clearInterval(keepAlive);
      assert.equal(closed.code, CloseCode.sessionLimit);
      assert.ok(c.errorCodes().includes('SESSION_TOO_LONG'));
    } finally {
      await server.close();
    }
  });

  test('a foreign Host (DNS rebinding) gets 403 for pages, /metrics and the WebSocket; the loopback names pass', async () => {
    const server = await startTestServer();
    try {
      for (const path of ['/', '/healthz', '/packs', '/metrics']) {
        const r = await get(server.url, path, { Host: `rebind.attacker.test:${server.port}` });
        assert.equal(r.status, 403, path);
      }
      const ws = new RawClient(server.wsUrl, { Host: 'rebind.attacker.test', Origin: 'http://rebind.attacker.test' });
      await assert.rejects(ws.opened, /HTTP 403/);
      for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`]) {
        assert.equal((await get(server.url, '/healthz', { Host: host })).status, 200, host);
      }
      assert.ok(metricValue(await fetchMetrics(server), 'expotion_rejected_messages_total{reason="HOST_FORBIDDEN"}') >= 5);
    } finally {
      await server.close();
    }
    const open = await startTestServer({ allowedHosts: ['kiosk.venue.test'] });
    try {
      assert.equal((await get(open.url, '/healthz', { Host: 'kiosk.venue.test' })).status, 200);
      assert.equal((await get(open.url, '/healthz', { Host: 'localhost' })).status, 403, 'an explicit list replaces the default');
    } finally {
      await open.close();
    }
  });

  test('every response has security headers; errors show no stack trace and no path', async () => {
    const server = await startTestServer();
    try {
      const page = await get(server.url, '/');
      assert.equal(page.headers['x-content-type-options'], 'nosniff');
      assert.equal(page.headers['x-frame-options'], 'DENY');
      assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
      for (const path of ['/mediapipe/wasm/nope.wasm', '/models/mediapipe/%2e%2e/x', '/models/mediapipe/.hidden', '/mediapipe/wasm/%E0%A4%A', '/%']) {
        const r = await get(server.url, path);
        assert.ok(r.status >= 400 && r.status < 500, `${path}: ${r.status}`);
        assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
        assert.doesNotMatch(r.body, /at |node_modules|\/work\/|Error:|\.js:\d+/, `${path}: ${r.body.slice(0, 200)}`);
      }
    } finally {
      await server.close();
    }
  });

  test('/metrics answers this machine only: a client behind the trusted proxy gets 404; --metrics-port serves it alone', async () => {
    const server = await startTestServer({ trustProxy: true, metricsPort: 0 });
    try {
      assert.equal((await get(server.url, '/metrics')).status, 200);
      assert.equal((await get(server.url, '/metrics', { 'X-Forwarded-For': '198.51.100.4' })).status, 404);
      const alone = await fetch(server.metricsUrl!);
      assert.match(await alone.text(), /expotion_sessions /);
    } finally {
      await server.close();
    }
  });

  test('client addresses and hosts are read strictly', () => {
    const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as never;
    assert.equal(clientAddress(req('127.0.0.1', '1.2.3.4, 10.0.0.9'), true), '10.0.0.9', 'the entry the proxy added');
    assert.equal(clientAddress(req('192.0.2.1', '1.2.3.4'), true), '192.0.2.1', 'only a loopback proxy is trusted');
    assert.equal(clientAddress(req('127.0.0.1', '1.2.3.4'), false), '127.0.0.1', 'off unless --trust-proxy');
    assert.equal(clientAddress(req('127.0.0.1', 'not an address'), true), '127.0.0.1');
    assert.equal(hostName('LocalHost:8080'), 'localhost');
    assert.equal(hostName('[::1]:80'), '::1');
    assert.equal(hostName('a b'), null);
    assert.equal(hostName(undefined), null);
    assert.equal(hostAllowed('evil.test', ['localhost']), false);
    assert.equal(hostAllowed('evil.test', ['*']), true);
  });

  test('SIGTERM with a client that never answers the close frame exits 0 with the workers closed', async () => {
    const main = fileURLToPath(new URL('../../server/main.js', import.meta.url));
    const child = spawn(process.execPath, [main, '--port', '0', '--workers', '1', '--pack', 'teacher', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const m = /on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      };
      child.stdout.on('data', check);
      void exited.then((code) => reject(new Error(`exited early with ${code}`)));
    });
    // A raw WebSocket that completes the handshake, then never reads or answers anything.
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.pause();
    socket.on('error', () => undefined);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(out, /"msg":"stopped"/, 'the shutdown ran to its end (workers closed)');
    socket.destroy();
  });
});
