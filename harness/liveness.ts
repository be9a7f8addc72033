/**
 * Is the server still there? Every harness mode runs this beside its clients: it probes
 * GET /healthz every `intervalMs` (one probe at a time, each with a timeout) and, when the harness
 * started the server itself, watches the process for an exit. Anything else than a timely 2xx-4xx
 * answer is an incident: the process exited, /healthz failed (connection refused, reset), timed
 * out, or answered 5xx. The first incident aborts `signal`, so a run can stop early.
 */
import type { ServerProcess } from './serverProcess.js';

export type IncidentKind = 'exit' | 'healthz-failed' | 'healthz-timeout' | 'http-5xx';

export interface Incident {
  kind: IncidentKind;
  /** ms since the watch started. */
  atMs: number;
  detail: string;
}

export interface LivenessOptions {
  /** http:// base URL of the server. */
  url: string;
  /** The server process, when the harness started it. */
  server?: ServerProcess | null;
  intervalMs: number;
  timeoutMs: number;
  /** Called once per incident as it happens. */
  onIncident?: (incident: Incident) => void;
}

export const LIVENESS_DEFAULTS = { intervalMs: 250, timeoutMs: 2000 };

/** Incidents of one kind beyond this many are only counted (a dead server fails every probe). */
const MAX_INCIDENTS_PER_KIND = 5;

export interface ProbeResult {
  ok: boolean;
  kind?: IncidentKind;
  detail: string;
  ms: number;
}

/** One GET /healthz with a timeout. */
export async function probeHealthz(url: string, timeoutMs: number): Promise<ProbeResult> {
  const t0 = performance.now();
  const ms = (): number => +(performance.now() - t0).toFixed(1);
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text();
    if (res.status >= 500) return { ok: false, kind: 'http-5xx', detail: `GET /healthz answered HTTP ${res.status}: ${body.slice(0, 200)}`, ms: ms() };
    return { ok: true, detail: `HTTP ${res.status}`, ms: ms() };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { ok: false, kind: 'healthz-timeout', detail: `GET /healthz gave no answer within ${timeoutMs} ms`, ms: ms() };
    const why = e.cause?.code ?? e.cause?.message ?? e.message;
    return { ok: false, kind: 'healthz-failed', detail: `GET /healthz failed: ${why}`, ms: ms() };
  }
}

export class LivenessWatch {
  readonly incidents: Incident[] = [];
  /** Incidents per kind, including those not kept. */
  readonly counts: Partial<Record<IncidentKind, number>> = {};
  probes = 0;
  /** Slowest /healthz answer seen (ms). */
  slowestProbeMs = 0;
  private readonly controller = new AbortController();
  private readonly started = performance.now();
  private running = true;
  private timer: NodeJS.Timeout | null = null;
  private readonly loop: Promise<void>;

  constructor(private readonly options: LivenessOptions) {
    const server = options.server;
    if (server) {
      void server.exited.then(() => {
        if (this.running) this.recordExit(false);
      });
    }
    this.loop = this.probeLoop();
  }

  /** Aborted at the first incident. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get failed(): boolean {
    return this.incidents.length > 0;
  }

  /** ms since the watch started. */
  elapsedMs(): number {
    return performance.now() - this.started;
  }

  /** Stops probing (call before stopping a server the harness started). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
  }

  /** One last probe after the run (a server that died in the last interval), unless one already failed. */
  async finalCheck(): Promise<void> {
    await this.stop();
    const server = this.options.server;
    if (server) {
      // A failed probe is often the first sign of a process that is exiting: say how it exited.
      if (this.failed && !server.exit) await Promise.race([server.exited, new Promise((r) => setTimeout(r, 1000))]);
      if (server.exit && !this.counts.exit) {
        this.recordExit(true);
        return;
      }
    }
    if (this.failed) return;
    const r = await probeHealthz(this.options.url, this.options.timeoutMs);
    this.probes++;
    if (!r.ok) this.record(r.kind!, r.detail, true);
  }

  private wake: (() => void) | null = null;

  private async probeLoop(): Promise<void> {
    while (this.running) {
      const t0 = performance.now();
      const r = await probeHealthz(this.options.url, this.options.timeoutMs);
      if (!this.running) return;
      this.probes++;
      this.slowestProbeMs = Math.max(this.slowestProbeMs, r.ms);
      if (!r.ok) this.record(r.kind!, r.detail);
      const wait = Math.max(0, this.options.intervalMs - (performance.now() - t0));
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, wait);
      });
    }
  }

  private recordExit(force: boolean): void {
    const server = this.options.server!;
    const e = server.exit!;
    const all = server.recentOutput().trim().split('\n');
    // The first line says what killed it, when the output names an error; stack frames are left out.
    const cause = [...all].reverse().find((l) => /^\w*(Error|Exception)\b|Error:/.test(l.trim()));
    const lines = all.filter((l) => !/^\s+at /.test(l)).slice(-12);
    const how = `the server process (pid ${server.pid}) exited with code ${e.code}${e.signal ? `, signal ${e.signal}` : ''}${cause ? ` (${cause.trim().slice(0, 200)})` : ''}`;
    this.record('exit', lines.join('').trim() ? `${how}; its last output:\n${lines.join('\n')}` : how, force);
  }

  private record(kind: IncidentKind, detail: string, force = false): void {
    if (!this.running && !force) return;
    const n = (this.counts[kind] ?? 0) + 1;
    this.counts[kind] = n;
    if (n > MAX_INCIDENTS_PER_KIND) return;
    const incident: Incident = { kind, atMs: +this.elapsedMs().toFixed(0), detail };
    this.incidents.push(incident);
    this.options.onIncident?.(incident);
    if (!this.controller.signal.aborted) this.controller.abort(new Error(detail));
  }
}

/** An incident in one line (without the server's output). */
export function incidentLine(i: Incident): string {
  return `${i.kind} at t=${(i.atMs / 1000).toFixed(2)}s: ${i.detail.split('; its last output:')[0]!.split('\n')[0]}`;
}

/** The incidents as a loud block for the terminal ('' when there are none). */
export function incidentText(watch: { incidents: Incident[]; counts: Partial<Record<IncidentKind, number>> }): string {
  if (watch.incidents.length === 0) return '';
  const more = Object.entries(watch.counts)
    .map(([k, n]) => `${n} x ${k}`)
    .join(', ');
  return [
    '!!! SERVER FAILURE: the server died or stopped answering during the run !!!',
    ...watch.incidents.map((i) => `  t=${(i.atMs / 1000).toFixed(2)}s ${i.kind}: ${i.detail.replace(/\n/g, '\n      ')}`),
    `  (${more})`,
  ].join('\n');
}
