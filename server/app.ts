/**
 * The server: express for HTTP (the client app, /healthz, /metrics, /packs) and ws on /ws for
 * sessions. `createServer(config)` is what `npm start` and the tests use.
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { pino, type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { CloseCode } from '../protocol/errors.js';
import { encodeMessage } from '../protocol/messages.js';
import { resolveConfig, type ServerConfig, type ServerConfigInput } from './config.js';
import { listPacks, packProblems } from './generation/packs.js';
import { WorkerPool } from './generation/workerPool.js';
import { serverNow } from './clock.js';
import { ServerMetrics } from './metrics.js';
import { RateLimiter } from './rateLimiter.js';
import { CLIENT_DIR, MODELS_DIR, REPO_ROOT } from './paths.js';
import { Session } from './session.js';

/**
 * The client may talk to this server only ('self' covers its own ws:// origin): no CDN, and no
 * usage logging from tasks-vision. WebAssembly (MediaPipe) and blob workers are allowed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
].join('; ');

/** tasks-vision's wasm files (the loader script and the SIMD and no-SIMD binaries). */
const MEDIAPIPE_WASM_DIR = join(REPO_ROOT, 'node_modules', '@mediapipe', 'tasks-vision', 'wasm');

export interface RunningServer {
  readonly config: ServerConfig;
  readonly metrics: ServerMetrics;
  /** Bound port (useful with port 0). */
  readonly port: number;
  readonly url: string;
  readonly sessionCount: number;
  /** Graceful stop: refuse new connections, close sessions with 1001, finish recordings, stop workers. */
  close(): Promise<void>;
}

/** Same-origin (the Origin's host is the Host the client connected to) or on the allowlist. */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true; // not a browser: no ambient credentials to abuse
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

export async function createServer(input: ServerConfigInput = {}, log?: Logger): Promise<RunningServer> {
  const config = resolveConfig(input);
  const logger = log ?? pino({ level: config.logLevel });
  const metrics = new ServerMetrics();
  const packs = listPacks();
  if (!packs.some((p) => p.name === config.pack)) {
    throw new Error(`default pack ${JSON.stringify(config.pack)} is not installed; installed: ${packs.map((p) => p.name).join(', ')}`);
  }
  for (const problem of packProblems()) logger.warn({ problem }, 'a pack in models/ was left out');
  const pool = new WorkerPool(config.workers, config.pack);
  // Listen only once the workers are warm: the first performer must not hear a cold start.
  await pool.ready();
  const sessions = new Set<Session>();
  /** Recordings still being written by sessions that have ended. */
  const finishing = new Set<Promise<void>>();
  const onClosed = (session: Session): void => {
    sessions.delete(session);
    const done = session.finished().catch(() => undefined);
    finishing.add(done);
    void done.then(() => finishing.delete(done));
  };

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, sessions: sessions.size, maxSessions: config.maxSessions });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/packs', (_req, res) => {
    res.json({ default: config.pack, packs });
  });
  const withCsp = { setHeaders: (res: { setHeader(name: string, value: string): unknown }) => res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY) };
  // The client's MediaPipe runtime (tasks-vision wasm) and model bundles, from this server: no CDN.
  app.use('/mediapipe/wasm', express.static(MEDIAPIPE_WASM_DIR, { ...withCsp, fallthrough: false }));
  app.use('/models/mediapipe', express.static(join(MODELS_DIR, 'mediapipe'), { ...withCsp, fallthrough: false, dotfiles: 'deny' }));
  app.use(express.static(CLIENT_DIR, { index: 'index.html', ...withCsp }));

  // Reconnect storms: a token bucket per remote address, forgotten once idle.
  const connectionLimits = new Map<string, RateLimiter>();
  const forgetIdle = setInterval(() => {
    const now = serverNow();
    for (const [address, limiter] of connectionLimits) if (limiter.idleFor(now) > 60_000) connectionLimits.delete(address);
  }, 30_000);
  forgetIdle.unref();

  const http = createHttpServer(app);
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxPayloadBytes });

  http.on('upgrade', (req: IncomingMessage, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const address = req.socket.remoteAddress ?? '?';
    let limiter = connectionLimits.get(address);
    if (!limiter) connectionLimits.set(address, (limiter = new RateLimiter(config.maxConnectionsPerSecond, config.connectionBurst, serverNow())));
    if (!limiter.take(serverNow())) {
      metrics.sessionsRefused.inc({ reason: 'RATE_LIMITED' });
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: 1\r\n\r\n');
      return;
    }
    if (!originAllowed(req.headers.origin, req.headers.host, config.allowedOrigins)) {
      metrics.rejected.inc({ reason: 'ORIGIN_FORBIDDEN' });
      metrics.sessionsRefused.inc({ reason: 'ORIGIN_FORBIDDEN' });
      logger.warn({ origin: req.headers.origin }, 'WebSocket from a foreign origin refused');
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\norigin not allowed\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (closing) {
        ws.close(CloseCode.goingAway, 'server shutting down');
        return;
      }
      if (sessions.size >= config.maxSessions) {
        // Accept, then close with a reason a browser can read (a refused upgrade shows it nothing).
        metrics.sessionsRefused.inc({ reason: 'SERVER_FULL' });
        ws.send(encodeMessage({ type: 'error', code: 'SERVER_FULL', message: `the server is full (${config.maxSessions} sessions); try again later` }));
        ws.close(CloseCode.tryAgainLater, 'server full');
        return;
      }
      const session = new Session(ws, { config, metrics, pool, log: logger, packs, onClosed }, address);
      sessions.add(session);
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, packs: packs.map((p) => p.name), workers: config.workers, maxSessions: config.maxSessions }, 'listening');

  let closing = false;
  let closed: Promise<void> | null = null;
  async function shutdown(): Promise<void> {
    closing = true;
    clearInterval(forgetIdle);
    const open = [...sessions];
    for (const s of open) s.close(CloseCode.goingAway, 'server shutting down');
    await Promise.all([...finishing]);
    wss.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await pool.close();
    logger.info('stopped');
  }

  return {
    config,
    metrics,
    port,
    url,
    get sessionCount() {
      return sessions.size;
    },
    close() {
      closed ??= shutdown();
      return closed;
    },
  };
}
