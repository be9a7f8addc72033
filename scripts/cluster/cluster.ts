/**
 * nginx plus N server processes on one machine (`npm run cluster`, the failover test and bench):
 * each process on its own loopback port with --when-full 503 and --trust-proxy on, nginx in
 * front on `port` with the rendered deploy/nginx template, all of them restarted when they die,
 * all stopped by `stop()`. nginx runs from a prefix folder under run/ (git-ignored).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../../server/paths.js';
import { SERVER_NODE_FLAGS } from '../../harness/serverProcess.js';
import { renderMain, renderSite } from './nginxConfig.js';
import { SupervisedProcess } from './supervisedProcess.js';

export interface ClusterOptions {
  /** Server processes behind nginx. */
  processes: number;
  /** nginx's port on `host`; 0 picks a free one. */
  port: number;
  /** Interface nginx listens on (the processes always listen on 127.0.0.1). */
  host: string;
  /** Extra flags for every server process (`--pack teacher --max-sessions 16`). */
  serverArgs: readonly string[];
  /** The nginx binary. */
  nginx: string;
  /** nginx's prefix folder (config, pid, logs, temp files). */
  prefix: string;
  /** Server output: shown (the `npm run cluster` console) or dropped (tests, bench). */
  output: 'inherit' | 'ignore';
  /** How long start() waits for every process and nginx to answer /healthz (ms). */
  startTimeoutMs: number;
  log: (line: string) => void;
}

export const CLUSTER_DEFAULTS: Omit<ClusterOptions, 'prefix'> = {
  processes: 2,
  port: 8080,
  host: '127.0.0.1',
  serverArgs: [],
  nginx: '/usr/sbin/nginx',
  output: 'inherit',
  startTimeoutMs: 60_000,
  log: (line) => console.log(line),
};

/** Flags every process behind nginx needs (a later flag in serverArgs wins). */
const PROXIED_FLAGS = ['--when-full', '503', '--trust-proxy', 'on'];

/** Whether an nginx binary is there and runs. */
export function nginxAvailable(nginx = CLUSTER_DEFAULTS.nginx): boolean {
  return spawnSync(nginx, ['-v'], { stdio: 'ignore' }).status === 0;
}

/** A free TCP port on loopback (taken by nobody at the moment of asking). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once GET url answers 200, or rejects after `timeoutMs`. */
export async function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ServerSlot {
  port: number;
  url: string;
  process: SupervisedProcess;
}

export class Cluster {
  readonly options: ClusterOptions;
  readonly servers: ServerSlot[] = [];
  private nginx: SupervisedProcess | null = null;
  private nginxPort = 0;

  constructor(options: Partial<ClusterOptions> = {}) {
    const port = options.port ?? CLUSTER_DEFAULTS.port;
    this.options = { ...CLUSTER_DEFAULTS, prefix: join(REPO_ROOT, 'run', `nginx-${port || process.pid}`), ...options };
    if (!Number.isInteger(this.options.processes) || this.options.processes < 1 || this.options.processes > 64) {
      throw new Error(`processes must be 1-64, got ${this.options.processes}`);
    }
  }

  /** The public URL (nginx). */
  get url(): string {
    return `http://${this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host}:${this.nginxPort}`;
  }

  /** Starts the processes, waits until each is healthy, then nginx in front of them. */
  async start(): Promise<void> {
    const o = this.options;
    const main = fileURLToPath(new URL('../../server/main.js', import.meta.url));
    for (let i = 0; i < o.processes; i++) {
      const port = await freePort();
      const process_ = new SupervisedProcess({
        name: `server ${i + 1} (:${port})`,
        command: process.execPath,
        args: [...SERVER_NODE_FLAGS, main, '--host', '127.0.0.1', '--port', String(port), ...PROXIED_FLAGS, ...o.serverArgs],
        output: o.output,
        log: o.log,
      });
      process_.start();
      this.servers.push({ port, url: `http://127.0.0.1:${port}`, process: process_ });
    }
    await Promise.all(this.servers.map((s) => waitHealthy(`${s.url}/healthz`, o.startTimeoutMs)));

    this.nginxPort = o.port || (await freePort());
    mkdirSync(join(o.prefix, 'tmp'), { recursive: true });
    const sitePath = join(o.prefix, 'expotion.conf');
    const mainPath = join(o.prefix, 'nginx.conf');
    const listen = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${this.nginxPort}`;
    writeFileSync(sitePath, renderSite({ listen, upstreams: this.servers.map((s) => ({ host: '127.0.0.1', port: s.port })) }));
    writeFileSync(mainPath, renderMain(o.prefix, sitePath));
    this.nginx = new SupervisedProcess({
      name: 'nginx',
      command: o.nginx,
      args: ['-p', o.prefix, '-e', join(o.prefix, 'error.log'), '-c', mainPath],
      output: o.output,
      log: o.log,
    });
    this.nginx.start();
    await waitHealthy(`${this.url}/healthz`, o.startTimeoutMs);
  }

  /** Stops nginx first (no new sessions), then every process (they close their sessions with 1001). */
  async stop(): Promise<void> {
    await this.nginx?.stop();
    await Promise.all(this.servers.map((s) => s.process.stop()));
  }
}
