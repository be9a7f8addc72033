/**
 * A stand-in server that dies: `node dyingServer.js <lifeMs>` serves GET /healthz and accepts
 * WebSockets on /ws (it never answers hello), prints "listening on http://127.0.0.1:<port>", and
 * exits after lifeMs, mid-run for whoever is testing it. For test/harness/cli.test.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const lifeMs = Number(process.argv[2] ?? 1500);
const http = createServer((req, res) => {
  if (req.url === '/healthz') res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"sessions":0}');
  else res.writeHead(404).end();
});
const wss = new WebSocketServer({ server: http, path: '/ws' });
wss.on('connection', (ws) => ws.on('error', () => undefined));
http.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(http.address() as AddressInfo).port}`);
  setTimeout(() => process.exit(0), lifeMs);
});
