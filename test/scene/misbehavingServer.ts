/** A local captioning service that misbehaves on purpose, one behaviour per path. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  authorization: string | undefined;
  contentType: string;
  body: Buffer;
}

export interface MisbehavingServer {
  url(path: string): string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

const behaviours: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/ok': (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ caption: '  A violinist plays on a\nrainy rooftop  ', model: 'fake' }));
  },
  '/slow': () => {
    // Never answers.
  },
  '/slow-body': (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.write('{"caption": "a slow');
    // ...and never finishes.
  },
  '/500': (_req, res) => {
    res.statusCode = 500;
    res.end('internal error');
  },
  '/garbage': (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"caption": "unterminated');
  },
  '/no-caption': (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ caption: 42 }));
  },
  '/huge': (_req, res) => {
    res.setHeader('content-type', 'application/json');
    // Chunked (no content-length): the limit must hold while streaming.
    const piece = Buffer.alloc(64 * 1024, 0x20);
    res.write('{"caption": "x", "pad": "');
    let sent = 0;
    const more = (): void => {
      while (sent < 64 && res.write(piece)) sent++;
      if (sent < 64) res.once('drain', more);
      else res.end('"}');
    };
    more();
  },
  '/huge-declared': (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('content-length', String(50 * 1024 * 1024));
    res.write('{"caption": "');
  },
  '/reset': (req) => {
    req.socket.destroy();
  },
  '/redirect': (_req, res) => {
    // Bounces the session's audio and prompt to another place: must be refused.
    res.statusCode = 307;
    res.setHeader('location', '/ok');
    res.end();
  },
  '/auth': (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ caption: `auth ${req.headers.authorization ?? 'none'}` }));
  },
};

export async function startMisbehavingServer(): Promise<MisbehavingServer> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      received.push({ path, authorization: req.headers.authorization, contentType: req.headers['content-type'] ?? '', body: Buffer.concat(parts) });
      const behave = behaviours[path];
      if (behave) behave(req, res);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
