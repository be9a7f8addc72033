/** The fuzz run as text for the terminal. */
import { incidentText } from '../liveness.js';
import type { FuzzReport } from './fuzzRun.js';

function counts(record: Record<string, number>, max = 40): string {
  const entries = Object.entries(record);
  if (entries.length === 0) return '    none';
  const shown = entries.slice(0, max).map(([k, n]) => `    ${String(n).padStart(7)}  ${k}`);
  if (entries.length > max) shown.push(`    ... and ${entries.length - max} more kinds (report.json has them all)`);
  return shown.join('\n');
}

const mb = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : `${v.toFixed(1)} MB`);

export function fuzzText(r: FuzzReport): string {
  const lines = [
    `fuzz: seed ${r.seed}, ${r.lanes} lanes at ${r.ratePerLane} msg/s each: ${r.sent.total} messages (${(r.sent.bytes / 1e6).toFixed(1)} MB) in ${r.durationS} s = ${r.messagesPerSecond} msg/s`,
    `connections: ${r.connections.attempted} attempted, ${r.connections.ready} sessions ready, ${r.chunksReceived} audio chunks received; not opened: ${Object.entries(r.connections.notOpened).map(([k, n]) => `${n} x ${k}`).join(', ') || 'none'}`,
    'messages sent by kind:',
    counts(r.sent.byKind),
    'error codes received:',
    counts(r.errorCodes),
    'close codes:',
    counts(Object.fromEntries(Object.entries(r.closeCodes).map(([k, n]) => [r.closeReasons[k] ? `${k} ("${r.closeReasons[k]}")` : k, n]))),
    `server RSS: ${r.rssMB ? `${mb(r.rssMB.before)} before, ${mb(r.rssMB.after)} after` : 'unknown (not started by the harness)'}; sessions left open afterwards: ${r.sessionsLeftOpen ?? '-'}; escaped errors: ${r.escapedErrors ?? '-'}`,
    `/healthz: ${r.probes.count} probes, slowest ${r.probes.slowestMs.toFixed(0)} ms`,
    `well-behaved sessions beside the fuzz: ${r.goodSessions.map((g) => `${g.chunks} chunks, ${g.discontinuities} gaps, close ${g.closeCode}`).join('; ') || 'none'}`,
    r.clean
      ? `clean session afterwards: ${r.clean.ok ? 'OK' : 'FAILED'} (${r.clean.chunks} chunks, ${r.clean.audioSeconds.toFixed(2)} s of audio, ${r.clean.gaps} gaps, close ${r.clean.closeCode})${r.clean.ok ? '' : `: ${r.clean.problems.join('; ')}`}`
      : 'clean session afterwards: not run',
  ];
  if (r.violations.count > 0) lines.push(`SERVER PROTOCOL VIOLATIONS (${r.violations.count}):`, ...r.violations.examples.map((e) => `    ${e}`));
  if (r.warnings.length > 0) lines.push('warnings:', ...r.warnings.map((w) => `    ${w}`));
  const incidents = incidentText({ incidents: r.incidents, counts: r.incidentCounts });
  if (incidents) lines.push('', incidents, r.caseFile ? `replay it: npm run harness -- --mode fuzz --replay ${r.caseFile}` : '');
  return lines.join('\n');
}
