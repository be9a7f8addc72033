/**
 * Starts a real server on loopback for a test, with quiet logs and a temporary record folder, on
 * the teacher pack unless told otherwise: these tests measure the server, and the teacher is its
 * cheapest, fully deterministic engine (test/server/defaultPackSession.test.ts plays the default pack).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type RunningServer } from '../../server/app.js';
import type { ServerConfigInput } from '../../server/config.js';

export async function startTestServer(overrides: ServerConfigInput = {}): Promise<RunningServer & { wsUrl: string }> {
  const server = await createServer({
    port: 0,
    workers: 1,
    pack: 'teacher',
    logLevel: 'silent',
    recordDir: mkdtempSync(join(tmpdir(), 'expotion-rec-')),
    ...overrides,
  });
  return Object.assign(server, { wsUrl: `${server.url.replace('http', 'ws')}/ws` });
}

/** The value of one Prometheus sample line, e.g. metric(text, 'expotion_rejected_messages_total{reason="JSON_SYNTAX"}'). */
export function metricValue(text: string, sample: string): number {
  const line = text.split('\n').find((l) => l.startsWith(sample + ' '));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

export async function fetchMetrics(server: RunningServer): Promise<string> {
  return (await fetch(`${server.url}/metrics`)).text();
}

export function rms(samples: Float32Array): number {
  let s = 0;
  for (let i = 0; i < samples.length; i++) s += samples[i]! * samples[i]!;
  return Math.sqrt(s / Math.max(1, samples.length));
}

export function concatPcm(parts: (Float32Array | null)[]): Float32Array {
  const total = parts.reduce((n, p) => n + (p?.length ?? 0), 0);
  const out = new Float32Array(total);
  let o = 0;
  for (const p of parts) {
    if (!p) continue;
    out.set(p, o);
    o += p.length;
  }
  return out;
}
