/**
 * nginx configuration for the cluster: the site (deploy/nginx/expotion.conf.template with its
 * fields filled) and, for `npm run cluster`, a main config that runs nginx as an ordinary
 * process under a prefix folder of its own (pid, logs and temp paths there, nothing in /etc or
 * /var), so it needs no root and leaves the system's nginx alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../server/paths.js';

export const SITE_TEMPLATE = join(REPO_ROOT, 'deploy', 'nginx', 'expotion.conf.template');

export interface Upstream {
  host: string;
  port: number;
}

export interface SiteOptions {
  /** nginx `listen` value: `127.0.0.1:8080`, `80`, ... */
  listen: string;
  upstreams: readonly Upstream[];
  /** nginx `server_name` ('_' answers any name). */
  serverName: string;
}

export const SITE_DEFAULTS: Omit<SiteOptions, 'listen' | 'upstreams'> = { serverName: '_' };

/** Values go into a config file verbatim: only plain host names, addresses and ports. */
const SAFE_VALUE = /^[A-Za-z0-9_.:[\]-]{1,253}$/;

function checked(name: string, value: string): string {
  if (!SAFE_VALUE.test(value)) throw new Error(`${name} must be a host, address or port (letters, digits, . : _ - [ ]), got ${JSON.stringify(value)}`);
  return value;
}

/** One `server` line of the upstream block (max_fails=0: see the template). */
function upstreamLine(u: Upstream): string {
  if (!Number.isInteger(u.port) || u.port < 1 || u.port > 65535) throw new Error(`upstream port must be 1-65535, got ${u.port}`);
  const host = checked('upstream host', u.host);
  return `    server ${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${u.port} max_fails=0;`;
}

/** The site config (upstream + server blocks, for inside `http {}`). */
export function renderSite(options: Pick<SiteOptions, 'listen' | 'upstreams'> & Partial<SiteOptions>, template = readFileSync(SITE_TEMPLATE, 'utf8')): string {
  const o: SiteOptions = { ...SITE_DEFAULTS, ...options };
  if (o.upstreams.length === 0) throw new Error('at least one upstream server is needed');
  const fields: Record<string, string> = {
    LISTEN: checked('listen', o.listen),
    SERVER_NAME: checked('serverName', o.serverName),
    UPSTREAM_SERVERS: o.upstreams.map(upstreamLine).join('\n'),
  };
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_m, name: string) => {
    const value = fields[name];
    if (value === undefined) throw new Error(`unknown field {{${name}}} in the nginx template`);
    return value;
  });
}

/**
 * A complete nginx.conf that keeps everything under `prefix` and includes `sitePath`. Run as
 * root (CI containers), nginx hands its workers to `nobody`, who cannot reach temp files (large
 * responses such as the client bundle are buffered there) below a folder only root may enter;
 * so as root the workers stay root. As anyone else they run as that user anyway.
 */
export function renderMain(prefix: string, sitePath: string, runningAsRoot = process.getuid?.() === 0): string {
  for (const [name, path] of [['prefix', prefix], ['site', sitePath]] as const) {
    if (!/^\/[A-Za-z0-9_./+-]*$/.test(path)) throw new Error(`${name} must be an absolute path of plain characters, got ${JSON.stringify(path)}`);
  }
  return [
    ...(runningAsRoot ? ['user root;'] : []),
    'worker_processes 1;',
    'daemon off;',
    `pid ${prefix}/nginx.pid;`,
    `error_log ${prefix}/error.log warn;`,
    'events { worker_connections 4096; }',
    'http {',
    `    access_log ${prefix}/access.log;`,
    `    client_body_temp_path ${prefix}/tmp/client_body;`,
    `    proxy_temp_path ${prefix}/tmp/proxy;`,
    `    fastcgi_temp_path ${prefix}/tmp/fastcgi;`,
    `    uwsgi_temp_path ${prefix}/tmp/uwsgi;`,
    `    scgi_temp_path ${prefix}/tmp/scgi;`,
    `    include ${sitePath};`,
    '}',
    '',
  ].join('\n');
}
