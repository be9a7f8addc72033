/**
 * The server: express for HTTP (the client app, /healthz, /metrics, /packs) and ws on /ws for
 * sessions. `createServer(config)` is what `npm start` and the tests use.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { pino, type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { CloseCode } from '../protocol/errors.js';
import { encodeMessage } from '../protocol/messages.js';
import { resolveConfig, type ServerConfig, type ServerConfigInput } from './config.js';
import { listPacks, packProblems, userPacks, WorkerPool } from './generation/index.js';
import { serverNow } from './clock.js';
import { sharedSceneRanker } from './scene/sessionScene.js';
import { ServerMetrics } from './metrics.js';
import { RateLimiter } from './rateLimiter.js';
import { clientAddress, CONTENT_SECURITY_POLICY, defaultAllowedHosts, hostAllowed, isLoopback, originAllowed, requestPath, SECURITY_HEADERS } from './httpGuards.js';
import { CLIENT_DIR, MODELS_DIR, REPO_ROOT } from './paths.js';
import { OscOut, parseOscTarget } from './osc/oscOut.js';
import { Session } from './session/session.js';

/** tasks-vision's wasm files (the loader script and the SIMD and no-SIMD binaries). */
const MEDIAPIPE_WASM_DIR = join(REPO_ROOT, 'node_modules', '@mediapipe', 'tasks-vision', 'wasm');

/** How long shutdown waits for clients to answer the close frame before dropping them (ms). */
const CLOSE_HANDSHAKE_GRACE_MS = 1000;

export interface RunningServer {
  readonly config: ServerConfig;
  readonly metrics: ServerMetrics;
  /** Bound port (useful with port 0). */
  readonly port: number;
  readonly url: string;
  readonly sessionCount: number;
  /** The separate metrics listener (http://127.0.0.1:port/metrics), or null. */
  readonly metricsUrl: string | null;
  /** Graceful stop: refuse new connections, close sessions with 1001, finish recordings, stop workers. */
  close(): Promise<void>;
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
  const pool = new WorkerPool(config.workers, config.pack, {
    log: logger,
    onRestart: () => metrics.workerRestarts.inc(),
    warmInstruments: config.instruments,
    // Where the default pack or the server plays sampled instruments; a session asking for them
    // elsewhere waits for the bank while it opens (and the worker keeps rendering meanwhile).
    preloadSoundfont: (config.instruments ?? packs.find((p) => p.name === config.pack)?.instruments) === 'soundfont',
    decoderBatching: config.decoderBatching,
  });
  metrics.watchThreads(() => pool.threadBusy());
  // Listen only once the workers are warm: the first performer must not hear a cold start.
  await pool.ready();
  // The scene imaginer's model and bank load here rather than on the first session (~100 ms of
  // the main thread, when every session's timers wait); a broken one is logged per session.
  if (config.sceneIntervalMs > 0) {
    try {
      sharedSceneRanker();
    } catch {
      // createSessionScene reports it
    }
  }
  const osc = config.oscTarget === null ? null : new OscOut(parseOscTarget(config.oscTarget), { onFirstError: (err) => logger.warn({ err: err.message, target: config.oscTarget }, 'OSC out failed; messages are dropped') });
  const sessions = new Set<Session>();
  /** Sessions per client address (the per-address cap). */
  const perAddress = new Map<string, number>();
  /** Recordings still being written by sessions that have ended. */
  const finishing = new Set<Promise<void>>();
  const onClosed = (session: Session): void => {
    sessions.delete(session);
    const left = (perAddress.get(session.remote) ?? 1) - 1;
    if (left > 0) perAddress.set(session.remote, left);
    else perAddress.delete(session.remote);
    const done = session.finished().catch(() => undefined);
    finishing.add(done);
    void done.then(() => finishing.delete(done));
  };
  const allowedHosts = config.allowedHosts ?? defaultAllowedHosts(config.host);

  const app = express();
  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (!hostAllowed(req.headers.host, allowedHosts)) {
      metrics.rejected.inc({ reason: 'HOST_FORBIDDEN' });
      res.status(403).type('text/plain').send('host not allowed\n');
      return;
    }
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, sessions: sessions.size, maxSessions: config.maxSessions });
  });
  // Metrics tell an attacker how busy the show is: loopback only here (or the metrics port).
  const serveMetrics = async (_req: Request, res: Response): Promise<void> => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
  app.get('/metrics', (req, res, next) => {
    if (!isLoopback(clientAddress(req, config.trustProxy, config.trustedProxies))) {
      res.status(404).type('text/plain').send('not found\n');
      return;
    }
    serveMetrics(req, res).catch(next);
  });
  // Test packs (tiny-*) only with ?all=1: users pick from real packs.
  app.get('/packs', (req, res) => {
    res.json({ default: config.pack, packs: req.query.all === '1' ? packs : userPacks(packs) });
  });
  const withCsp = { setHeaders: (res: { setHeader(name: string, value: string): unknown }) => res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY) };
  // The client's MediaPipe runtime (tasks-vision wasm) and model bundles, from this server: no CDN.
  app.use('/mediapipe/wasm', express.static(MEDIAPIPE_WASM_DIR, { ...withCsp, fallthrough: false }));
  app.use('/models/mediapipe', express.static(join(MODELS_DIR, 'mediapipe'), { ...withCsp, fallthrough: false, dotfiles: 'deny' }));
  app.use(express.static(CLIENT_DIR, { index: 'index.html', ...withCsp }));
  // Errors (a missing file, a bad path) get their status and a plain line: never a stack trace or a path.
  app.use((err: Error & { status?: number; statusCode?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status ?? err.statusCode ?? 500;
    if (status >= 500) logger.error({ err }, 'HTTP request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).type('text/plain').send(status === 404 ? 'not found\n' : status < 500 ? 'bad request\n' : 'server error\n');
  });

  // Reconnect storms: a token bucket per remote address, forgotten once idle.
  const connectionLimits = new Map<string, RateLimiter>();
  const forgetIdle = setInterval(() => {
    const now = serverNow();
    for (const [address, limiter] of connectionLimits) if (limiter.idleFor(now) > 60_000) connectionLimits.delete(address);
  }, 30_000);
  forgetIdle.unref();

  const http = createHttpServer(app);
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxPayloadBytes });

  const refuse = (socket: Duplex, status: string, reason: string, extra = ''): void => {
    metrics.sessionsRefused.inc({ reason });
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\n${extra}\r\n${reason}\n`);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => undefined); // a client that vanishes mid-handshake is not our error
    if (requestPath(req.url) !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!hostAllowed(req.headers.host, allowedHosts)) {
      metrics.rejected.inc({ reason: 'HOST_FORBIDDEN' });
      logger.warn({ host: String(req.headers.host).slice(0, 100) }, 'WebSocket for a foreign Host refused');
      refuse(socket, '403 Forbidden', 'HOST_FORBIDDEN');
      return;
    }
    const address = clientAddress(req, config.trustProxy, config.trustedProxies);
    let limiter = connectionLimits.get(address);
    if (!limiter) connectionLimits.set(address, (limiter = new RateLimiter(config.maxConnectionsPerSecond, config.connectionBurst, serverNow())));
    if (!limiter.take(serverNow())) {
      refuse(socket, '429 Too Many Requests', 'RATE_LIMITED', 'Retry-After: 1\r\n');
      return;
    }
    if (!originAllowed(req.headers.origin, req.headers.host, config.allowedOrigins)) {
      metrics.rejected.inc({ reason: 'ORIGIN_FORBIDDEN' });
      logger.warn({ origin: String(req.headers.origin).slice(0, 100) }, 'WebSocket from a foreign origin refused');
      refuse(socket, '403 Forbidden', 'ORIGIN_FORBIDDEN');
      return;
    }
    if (config.whenFull === '503' && sessions.size >= config.maxSessions) {
      refuse(socket, '503 Service Unavailable', 'SERVER_FULL', 'Retry-After: 1\r\n');
      return;
    }
    if (config.whenFull === '503' && (perAddress.get(address) ?? 0) >= config.maxSessionsPerAddress) {
      refuse(socket, '503 Service Unavailable', 'TOO_MANY_SESSIONS', 'Retry-After: 1\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (closing) {
        ws.close(CloseCode.goingAway, 'server shutting down');
        return;
      }
      // Accept, then close with a reason a browser can read (a refused upgrade shows it nothing).
      const refuseSession = (code: 'SERVER_FULL' | 'TOO_MANY_SESSIONS', message: string): void => {
        metrics.sessionsRefused.inc({ reason: code });
        ws.send(encodeMessage({ type: 'error', code, message }));
        ws.close(CloseCode.tryAgainLater, code === 'SERVER_FULL' ? 'server full' : 'too many sessions');
      };
      if (sessions.size >= config.maxSessions) {
        refuseSession('SERVER_FULL', `the server is full (${config.maxSessions} sessions); try again later`);
        return;
      }
      if ((perAddress.get(address) ?? 0) >= config.maxSessionsPerAddress) {
        refuseSession('TOO_MANY_SESSIONS', `this address already has ${config.maxSessionsPerAddress} sessions; close one and try again`);
        return;
      }
      perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
      const session = new Session(ws, { config, metrics, pool, log: logger, packs, osc, onClosed }, address);
      sessions.add(session);
    });
  };
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      onUpgrade(req, socket, head);
    } catch (err) {
      logger.error({ err }, 'WebSocket upgrade failed');
      socket.destroy();
    }
  });
  http.on('clientError', (_err, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
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

  const metricsServer = config.metricsPort === null ? null : await listenMetrics(config.metricsPort, serveMetrics);

  let closing = false;
  let closed: Promise<void> | null = null;
  async function shutdown(): Promise<void> {
    closing = true;
    clearInterval(forgetIdle);
    const open = [...sessions];
    for (const s of open) s.close(CloseCode.goingAway, 'server shutting down');
    await Promise.all([...finishing]);
    // Clients get a moment to answer the close frame; then they are dropped, so a client that
    // never answers cannot hold the shutdown.
    const grace = setTimeout(() => {
      for (const ws of wss.clients) ws.terminate();
    }, CLOSE_HANDSHAKE_GRACE_MS);
    wss.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    clearTimeout(grace);
    if (metricsServer) {
      metricsServer.closeAllConnections();
      await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    }
    await pool.close();
    osc?.close();
    logger.info('stopped');
  }

  return {
    config,
    metrics,
    port,
    url,
    metricsUrl: metricsServer ? `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics` : null,
    get sessionCount() {
      return sessions.size;
    },
    close() {
      closed ??= shutdown();
      return closed;
    },
  };
}

/** /metrics alone on 127.0.0.1:port, for a scraper on this machine. */
async function listenMetrics(port: number, serve: (req: Request, res: Response) => Promise<void>): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', (req, res, next) => void serve(req, res).catch(next));
  const server = createHttpServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}
