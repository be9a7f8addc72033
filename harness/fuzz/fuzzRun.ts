/**
 * `--mode fuzz`: K lanes of mutated traffic (fuzzLane.ts) against a server, beside well-behaved
 * sessions and connections that never say hello, while liveness.ts probes /healthz. On the first
 * incident (the process exits, /healthz fails, times out or answers 5xx) the run stops and every
 * lane's recent messages are saved as a replayable case. Afterwards a clean session must still
 * get gap-free audio.
 */
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { incidentLine, LivenessWatch, type Incident, type IncidentKind } from '../liveness.js';
import type { ServerProcess } from '../serverProcess.js';
import { cleanSession, type CleanSessionResult } from './cleanSession.js';
import { saveCase, toSaved } from './fuzzCase.js';
import { FuzzLane } from './fuzzLane.js';
import { LaneHistory } from './history.js';
import { escapedErrors, sessionsAfterDrain } from './serverChecks.js';
import { goodSessions, silentConnections, type GoodSessionOutcome } from './sideTraffic.js';
import { FuzzStats, sortedCounts } from './stats.js';

export type { GoodSessionOutcome } from './sideTraffic.js';

export interface FuzzOptions {
  /** http:// base URL of the server. */
  url: string;
  /** The server process, when the harness started it (exit watch, RSS). */
  server: ServerProcess | null;
  /** Messages to send, all lanes together. */
  messages: number;
  /** Fuzzing connections open at a time (lanes). */
  connections: number;
  seed: number;
  /** Messages per second per lane. */
  rate: number;
  pack?: string;
  /** Where a case file goes on an incident. */
  outDir: string;
  /** Length of the clean session afterwards (0: none). */
  cleanSeconds: number;
  /** Well-behaved sessions streaming beside the fuzz. */
  goodSessions: number;
  liveness: { intervalMs: number; timeoutMs: number };
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Seconds between progress lines. */
  progressSeconds?: number;
}

export const FUZZ_DEFAULTS = { messages: 20_000, connections: 4, seed: 1, rate: 100, cleanSeconds: 5, goodSessions: 1 };

export interface FuzzReport {
  mode: 'fuzz';
  seed: number;
  lanes: number;
  ratePerLane: number;
  durationS: number;
  messagesPerSecond: number;
  sent: { total: number; bytes: number; byKind: Record<string, number> };
  errorCodes: Record<string, number>;
  closeCodes: Record<string, number>;
  closeReasons: Record<string, string>;
  connections: { attempted: number; notOpened: Record<string, number>; ready: number };
  chunksReceived: number;
  violations: { count: number; examples: string[] };
  incidents: Incident[];
  incidentCounts: Partial<Record<IncidentKind, number>>;
  caseFile: string | null;
  probes: { count: number; slowestMs: number };
  /** Server RSS (MB) before and after the fuzz, when the harness started it. */
  rssMB: { before: number | null; after: number | null } | null;
  /** Sessions the server still counted a few seconds after every fuzz connection closed (null: unknown). */
  sessionsLeftOpen: number | null;
  /** Errors the server caught at its last line of defence during the run (null: no such metric). */
  escapedErrors: number | null;
  goodSessions: GoodSessionOutcome[];
  clean: CleanSessionResult | null;
  warnings: string[];
  failures: string[];
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const log = o.log ?? (() => undefined);
  const t0 = performance.now();
  const stats = new FuzzStats();
  const keepMs = o.liveness.timeoutMs + o.liveness.intervalMs + 2000;
  const histories = Array.from({ length: o.connections + 1 }, () => new LaneHistory(200, keepMs)); // the last: idle connections
  let caseFile: string | null = null;
  const save = (incident: Incident | null): void => {
    if (caseFile) return;
    mkdirSync(o.outDir, { recursive: true });
    caseFile = join(o.outDir, `fuzz-case-seed${o.seed}-${incident?.kind ?? 'final'}.json`);
    saveCase(caseFile, {
      format: 'expotion-fuzz-case',
      version: 1,
      seed: o.seed,
      createdAt: new Date().toISOString(),
      url: o.url,
      incident,
      lanes: histories.map((h, lane) => ({ lane, events: toSaved(h.events()) })),
    });
    log(`  replayable case saved: ${caseFile}`);
  };
  const watch = new LivenessWatch({
    url: o.url,
    server: o.server,
    ...o.liveness,
    onIncident: (i) => {
      log(`  INCIDENT ${incidentLine(i)}`);
      save(i);
    },
  });
  // Every lane waits on the watch's signal (pacing sleeps, reconnects): not a listener leak.
  setMaxListeners(0, watch.signal);
  const rssBefore = o.server?.rssMB() ?? null;
  const escapedBefore = await escapedErrors(o.url);

  // Lanes share out the messages; they stop early at an incident.
  const lanesDone = new AbortController();
  watch.signal.addEventListener('abort', () => lanesDone.abort(), { once: true });
  const per = Math.floor(o.messages / o.connections);
  const lanes = Array.from({ length: o.connections }, (_, index) =>
    new FuzzLane({
      index,
      url: o.url,
      seed: o.seed,
      budget: per + (index < o.messages - per * o.connections ? 1 : 0),
      rate: o.rate,
      stats,
      history: histories[index]!,
      t0,
      signal: watch.signal,
      ...(o.pack ? { pack: o.pack } : {}),
    }),
  );

  // Beside them: well-behaved sessions, and connections that never say hello (hello timeout).
  const good = goodSessions(o.url, o.goodSessions, o.pack, lanesDone.signal);
  const silent = silentConnections(o.url, { stats, history: histories[o.connections]!, runMs: () => performance.now() - t0, clientMs: () => performance.now() }, lanesDone.signal);

  const progress = setInterval(() => {
    const s = (performance.now() - t0) / 1000;
    log(`  t=${s.toFixed(0)}s sent ${stats.sentTotal} (${(stats.sentTotal / s).toFixed(0)}/s), connections ${stats.connections}, sessions ready ${stats.ready}, errors ${[...stats.errorCodes.values()].reduce((a, b) => a + b, 0)}, /healthz probes ${watch.probes}`);
  }, (o.progressSeconds ?? 5) * 1000);
  try {
    await Promise.all(lanes.map((l) => l.run()));
  } catch (err) {
    // A bug of the harness itself: stop everything before the server is stopped.
    lanesDone.abort();
    await watch.stop();
    throw err;
  } finally {
    clearInterval(progress);
  }
  const fuzzSeconds = (performance.now() - t0) / 1000;
  lanesDone.abort();
  const goodResults = await good;
  await silent;

  const sessionsLeftOpen = watch.failed ? null : await sessionsAfterDrain(o.url, 5000);
  const rssAfter = o.server?.rssMB() ?? null;
  let clean: CleanSessionResult | null = null;
  if (!watch.failed && o.cleanSeconds > 0) {
    log(`  clean session: ${o.cleanSeconds} s of a well-behaved performer`);
    clean = await cleanSession(o.url, o.cleanSeconds, o.pack, watch.signal);
  }
  const escapedAfter = watch.failed ? null : await escapedErrors(o.url);
  const escaped = escapedBefore !== null && escapedAfter !== null ? escapedAfter - escapedBefore : null;
  await watch.finalCheck();
  if (watch.failed) save(watch.incidents[0]!);
  const escapedLines = (o.server?.recentStderr() ?? '').split('\n').filter((l) => /uncaughtException|unhandledRejection/.test(l));

  const warnings: string[] = [];
  if (sessionsLeftOpen !== null && sessionsLeftOpen > 0) warnings.push(`${sessionsLeftOpen} sessions still open on the server 5 s after every fuzz connection closed`);
  goodResults.forEach((r, i) => {
    if (r.discontinuities > 0 || r.errors.length > 0 || r.chunks === 0 || (r.closeCode !== 1000 && !watch.failed)) {
      warnings.push(`well-behaved session ${i} beside the fuzz: ${r.chunks} chunks, ${r.discontinuities} timeline gaps, errors [${r.errors.join(', ')}], close ${r.closeCode}`);
    }
  });
  const failures: string[] = [];
  if (watch.failed) {
    failures.push(`server incident: ${incidentLine(watch.incidents[0]!)}${watch.incidents.length > 1 ? ` (then ${watch.incidents.length - 1} more)` : ''}`);
  }
  if (escaped !== null && escaped > 0) {
    failures.push(`the server caught ${escaped} errors that escaped its handlers (expotion_escaped_errors_total; it kept serving, but each is a bug)${escapedLines.length ? `, e.g. ${[...new Set(escapedLines)].slice(0, 3).join(' | ')}` : ''}`);
  }
  if (stats.violations > 0) failures.push(`the server broke the protocol ${stats.violations} times`);
  if (clean && !clean.ok) failures.push(`clean session afterwards: ${clean.problems.join('; ')}`);
  return {
    mode: 'fuzz',
    seed: o.seed,
    lanes: o.connections,
    ratePerLane: o.rate,
    durationS: +fuzzSeconds.toFixed(2),
    messagesPerSecond: +(stats.sentTotal / fuzzSeconds).toFixed(1),
    sent: { total: stats.sentTotal, bytes: stats.bytesSent, byKind: sortedCounts(stats.sent) },
    errorCodes: sortedCounts(stats.errorCodes),
    closeCodes: sortedCounts(stats.closeCodes),
    closeReasons: Object.fromEntries(stats.closeReasons),
    connections: { attempted: stats.connections, notOpened: sortedCounts(stats.notOpened), ready: stats.ready },
    chunksReceived: stats.chunksIn,
    violations: { count: stats.violations, examples: stats.violationExamples },
    incidents: watch.incidents,
    incidentCounts: watch.counts,
    caseFile,
    probes: { count: watch.probes, slowestMs: watch.slowestProbeMs },
    rssMB: o.server ? { before: rssBefore, after: rssAfter } : null,
    sessionsLeftOpen,
    escapedErrors: escaped,
    goodSessions: goodResults,
    clean,
    warnings,
    failures,
  };
}
