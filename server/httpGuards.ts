/**
 * Who may talk to this server, decided from the HTTP request alone: the Host allowlist (DNS
 * rebinding), the Origin check (cross-site WebSockets), the client's address (direct, or from
 * X-Forwarded-For behind a trusted proxy on loopback) and the security headers every response
 * carries. Pure functions over headers, so each rule is tested on its own.
 */
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/**
 * The client may talk to this server only ('self' covers its own ws:// origin): no CDN, and no
 * usage logging from tasks-vision. WebAssembly (MediaPipe) and blob workers are allowed; no page
 * may frame it (clickjacking a camera page).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every HTTP response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/**
 * The host names a server bound to `bindHost` answers to by default: the loopback names and
 * the bind address; bound to every interface, also this machine's addresses and host name.
 */
export function defaultAllowedHosts(bindHost: string): string[] {
  const hosts = new Set([...LOOPBACK_NAMES, bindHost.toLowerCase()]);
  if (bindHost === '0.0.0.0' || bindHost === '::') {
    const name = hostname().toLowerCase();
    hosts.add(name);
    hosts.add(`${name}.local`);
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) hosts.add(i.address.toLowerCase());
  }
  return [...hosts];
}

/** The host name of a Host header: lowercase, port and IPv6 brackets removed; null when malformed. */
export function hostName(hostHeader: string | undefined): string | null {
  if (hostHeader === undefined || hostHeader.length === 0 || hostHeader.length > 300) return null;
  const h = hostHeader.trim().toLowerCase();
  const v6 = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h);
  if (v6) return v6[1]!;
  const m = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(h);
  return m ? m[1]! : null;
}

/** Whether a request's Host header names a host on the allowlist ('*' allows any). */
export function hostAllowed(hostHeader: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true;
  const name = hostName(hostHeader);
  return name !== null && allowed.includes(name);
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

export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** An IPv4-mapped IPv6 address (::ffff:10.0.0.2) as its IPv4 form, so both spellings match. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * The client's address. Behind a reverse proxy (`trustProxy`), the last X-Forwarded-For entry,
 * the one the proxy itself added, but only when the connection comes from loopback or from one
 * of `trustedProxies`: anyone else could write that header.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean, trustedProxies: readonly string[] = []): string {
  const peer = req.socket.remoteAddress ?? '?';
  if (!trustProxy) return peer;
  if (!isLoopback(peer) && !trustedProxies.some((p) => plainAddress(p) === plainAddress(peer))) return peer;
  const header = req.headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.at(-1) : header;
  const last = value?.split(',').at(-1)?.trim();
  return last && last.length <= 64 && /^[0-9a-fA-F:.]+$/.test(last) ? last : peer;
}

/** The path of a request target, without query; never throws (`//`, `http://x`, garbage). */
export function requestPath(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}
