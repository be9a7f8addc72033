/** Harness output: a terminal table, and a self-contained HTML report with SVG plots. */
import type { SessionMeasures } from './measures.js';
import { HARNESS_LAG_WARN_MS, type FixedReport, type Report, type SoakReport, type SoakWindow } from './runner.js';
import { SLOW_STAGE_MS, slowStagesText, threadsText } from './serverStats.js';
import { LATE_CAUSES } from './sessionClient.js';

const f1 = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(1));

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

export function sessionTable(sessions: SessionMeasures[]): string {
  const head = ['session', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'underruns', 'jitter ms', 'RTF', 'first audio ms', 'beat |off| median', 'beat p95', 'tempo err', 'heard err', 'music err', 'lock beats', 'errors'];
  const rows = sessions.map((s) => [
    `${s.name} / ${s.prompt}`,
    f1(s.latencyMs?.p50), f1(s.latencyMs?.p95), f1(s.latencyMs?.p99), f1(s.latencyMs?.max),
    String(s.underruns), f1(s.arrivalJitterMs), s.rtf.p50.toFixed(4), f1(s.timeToFirstAudioMs),
    f1(s.beat?.medianAbsOffsetMs), f1(s.beat?.p95AbsOffsetMs), f1(s.beat?.tempoErrorBpm),
    f1(s.tempo?.heardErrorBpm), f1(s.tempo?.musicErrorBpm), s.tempo ? (s.tempo.timeToLockBeats === null ? 'never' : s.tempo.timeToLockBeats.toFixed(1)) : '-',
    s.errors.join(',') || '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [row(head, widths), ...rows.map((r) => row(r, widths))].join('\n');
}

/**
 * When the sessions' underruns came, by session age in whole seconds, and which part of their time
 * ran over, e.g. " (at session ages 23 s, 32 s x3; late from render 3, start 1)": sessions started
 * together do their window slide, prefill and the like at the same age; one stall catches several
 * sessions at once; a render late is the worker's, a start late the queue before it.
 */
export function underrunsText(sessions: readonly SessionMeasures[]): string {
  const bySecond = new Map<number, number>();
  for (const s of sessions) {
    for (const age of s.underrunAgesS) {
      const second = Math.floor(age);
      bySecond.set(second, (bySecond.get(second) ?? 0) + 1);
    }
  }
  if (bySecond.size === 0) return '';
  const parts = [...bySecond].sort((a, b) => a[0] - b[0]).map(([second, n]) => `${second} s${n > 1 ? ` x${n}` : ''}`);
  const late = LATE_CAUSES.map((cause) => [cause, sessions.reduce((a, s) => a + s.underrunCauses[cause], 0)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([cause, n]) => `${cause} ${n}`);
  return ` (at session ages ${parts.join(', ')}${late.length ? `; late from ${late.join(', ')}` : ''})`;
}

function fixedSummary(r: FixedReport): string {
  const o = r.overall;
  const server = r.server
    ? `server: CPU ${f1(r.server.cpuPercent)}% of a core, RSS ${f1(r.server.rssMB)} MB, event-loop lag p99 ${f1(r.server.eventLoopLagP99Ms)} ms, threads busy: ${threadsText(r.server)}, chunk stages over ${SLOW_STAGE_MS} ms: ${slowStagesText(r.server)}, refused ${r.server.refusedSessions}, rejected ${r.server.rejectedMessages}`
    : 'server: /metrics unavailable';
  const lag = r.harnessLagMs;
  const waited = r.harnessCpuWaitPercent === null ? '' : ` (its threads waited ${f1(r.harnessCpuWaitPercent)}% of a core for one)`;
  const harness = `harness: CPU ${f1(r.harnessCpuPercent)}% of a core while streaming${waited}, event-loop delay p99 ${f1(lag.p99)} ms, max ${f1(lag.max)} ms${lag.p99 > HARNESS_LAG_WARN_MS ? ' -- WARNING: the measuring process was overloaded; latency and underruns read worse than the server delivers' : ''}`;
  return [
    `${o.sessions} sessions: latency p50 ${f1(o.latencyMs?.p50)} / p95 ${f1(o.latencyMs?.p95)} / p99 ${f1(o.latencyMs?.p99)} / max ${f1(o.latencyMs?.max)} ms (${o.latencyMs?.count ?? 0} chunks; from ${f1(o.steadyFromMs / 1000)} s on p50 ${f1(o.steadyLatencyMs?.p50)} / p95 ${f1(o.steadyLatencyMs?.p95)}), underruns ${o.underruns}${underrunsText(r.sessions)}, RTF p50 ${o.rtfP50.toFixed(4)}, first audio p50 ${f1(o.timeToFirstAudioMsP50)} ms, errors ${o.errors}`,
    server,
    harness,
  ].join('\n');
}

/** A soak window's least slack, when, and where that chunk's time went, e.g. "11.2 ms at 95.3 s: started 44.0 ms ahead, render 30.9, back 2.3". */
export function leastSlackText(w: SoakWindow): string {
  if (!w.slackMs) return '-';
  const t = w.leastSlack;
  return t ? `${f1(t.slackMs)} ms at ${f1(t.atS)} s: started ${f1(t.startAheadMs)} ms ahead, render ${f1(t.renderMs)}, back ${f1(t.deliveryMs)}` : `${f1(w.slackMs.min)} ms`;
}

export function terminalReport(report: Report): string {
  switch (report.mode) {
    case 'fixed':
      return `${sessionTable(report.sessions)}\n\n${fixedSummary(report)}`;
    case 'ramp':
      return [
        ...report.steps.map((s) => fixedSummary(s)),
        `capacity: ${report.capacity} sessions (p95 < ${report.limits.maxP95Ms} ms, underruns <= ${report.limits.maxUnderruns}; ` +
          `sessions ${report.measuredAgeS.from}-${report.measuredAgeS.to} s old, started together)`,
      ].join('\n');
    case 'soak':
      return [
        'window end s  p50 ms  p95 ms  underruns  slack min / p0.1 ms  least: ahead / render / back ms  chunks  RTF mean  RTF max  RSS MB  CPU %  lag p99 ms  harness lag p99 / max ms',
        ...report.windows.map(
          (w) =>
            `${String(w.t).padStart(12)}  ${f1(w.latencyMs?.p50).padStart(6)}  ${f1(w.latencyMs?.p95).padStart(6)}  ${String(w.underruns).padStart(9)}  ${`${f1(w.slackMs?.min)} / ${f1(w.slackMs?.p01)}`.padStart(19)}  ${`${f1(w.leastSlack?.startAheadMs)} / ${f1(w.leastSlack?.renderMs)} / ${f1(w.leastSlack?.deliveryMs)}`.padStart(31)}  ${String(w.chunks).padStart(6)}  ${(w.rtf?.mean.toFixed(4) ?? '-').padStart(8)}  ${(w.rtf?.max.toFixed(3) ?? '-').padStart(7)}  ${f1(w.server?.rssMB).padStart(6)}  ${f1(w.server?.cpuPercent).padStart(5)}  ${f1(w.server?.eventLoopLagP99Ms).padStart(10)}  ${`${f1(w.harnessLagP99Ms)} / ${f1(w.harnessLagMaxMs)}`.padStart(24)}`,
        ),
        soakSummary(report),
      ].join('\n');
    case 'faults':
      return [
        `baseline:\n${fixedSummary(report.baseline)}`,
        `beside faults (${report.faults.join(', ')}):\n${sessionTable(report.underFaults.sessions)}\n${fixedSummary(report.underFaults)}`,
        `p95 change ${f1(report.p95DeltaMs)} ms`,
        ...Object.entries(report.faultOutcomes).map(([k, v]) => `${k}: ${summariseOutcomes(v)}`),
      ].join('\n\n');
  }
}

function soakSummary(r: SoakReport): string {
  return [
    `${r.underruns} underruns in ${r.chunks} chunks (late from: start ${r.underrunCauses.start}, render ${r.underrunCauses.render}, delivery ${r.underrunCauses.delivery}), worst chunk RTF ${r.rtfMax?.toFixed(3) ?? '-'}, errors ${r.errors.join(',') || 'none'}`,
    `drift per hour from the second window on: RSS ${f1(r.memoryDriftMBPerHour)} MB/h, p95 ${f1(r.latencyDriftMsPerHour)} ms/h, CPU ${f1(r.cpuDriftPercentPerHour)} %/h, lag p99 ${f1(r.lagDriftMsPerHour)} ms/h; p95 last window minus second ${f1(r.latencyDriftMs)} ms`,
  ].join('\n');
}

function summariseOutcomes(outcomes: string[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
  return [...counts].slice(0, 6).map(([o, n]) => (n > 1 ? `${n} x ${o}` : o)).join('; ') || 'none';
}

// -- HTML -----------------------------------------------------------------------------------

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

interface Series {
  label: string;
  points: [number, number][];
}

/** A line (or dot) chart as inline SVG, with axes and ticks. */
function lineChart(series: Series[], xLabel: string, yLabel: string, dots = false, hLine?: number): string {
  const W = 760, H = 260, L = 56, R = 12, T = 12, B = 40;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).concat(hLine ?? []);
  if (xs.length === 0) return '<p>no data</p>';
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1e-9);
  const y1 = Math.max(...ys) * 1.1 || 1;
  const sx = (x: number): number => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const sy = (y: number): number => H - B - (y / y1) * (H - T - B);
  const ticks = (a: number, b: number): number[] => {
    const step = 10 ** Math.floor(Math.log10((b - a) / 4 || 1));
    const s = [1, 2, 5, 10].map((m) => m * step).find((v) => (b - a) / v <= 6) ?? step * 10;
    const out: number[] = [];
    for (let v = Math.ceil(a / s) * s; v <= b + 1e-9; v += s) out.push(+v.toFixed(6));
    return out;
  };
  const parts = [`<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">`];
  for (const v of ticks(0, y1)) parts.push(`<line x1="${L}" x2="${W - R}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/><text x="${L - 6}" y="${sy(v) + 4}" text-anchor="end">${v}</text>`);
  for (const v of ticks(x0, x1)) parts.push(`<text x="${sx(v)}" y="${H - B + 16}" text-anchor="middle">${v}</text>`);
  parts.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">${esc(xLabel)}</text><text x="14" y="${(T + H - B) / 2}" transform="rotate(-90 14 ${(T + H - B) / 2})" text-anchor="middle">${esc(yLabel)}</text>`);
  if (hLine !== undefined) parts.push(`<line x1="${L}" x2="${W - R}" y1="${sy(hLine)}" y2="${sy(hLine)}" stroke="#d62728" stroke-dasharray="4 3"/>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    if (dots) for (const [x, y] of s.points) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="1.8" fill="${c}"/>`);
    else parts.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
  });
  parts.push('</svg>');
  const legend = series.map((s, i) => `<span style="color:${COLORS[i % COLORS.length]}">&#9632;</span> ${esc(s.label)}`).join(' &nbsp; ');
  return `${parts.join('')}<div class="legend">${legend}</div>`;
}

function histogram(counts: number[], binMs: number, limit?: number): string {
  const W = 760, H = 220, L = 56, B = 36, T = 10;
  if (counts.length === 0) return '<p>no data</p>';
  const max = Math.max(...counts);
  const bw = (W - L - 10) / counts.length;
  const bars = counts.map((c, i) => `<rect x="${(L + i * bw).toFixed(1)}" y="${(H - B - (c / max) * (H - B - T)).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${((c / max) * (H - B - T)).toFixed(1)}" fill="${limit !== undefined && i * binMs >= limit ? '#d62728' : '#1f77b4'}"/>`);
  const labels = counts.map((_, i) => i).filter((i) => i % Math.ceil(counts.length / 10) === 0).map((i) => `<text x="${(L + i * bw).toFixed(1)}" y="${H - B + 14}" text-anchor="middle">${i * binMs}</text>`);
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${bars.join('')}${labels.join('')}<line x1="${L}" x2="${W - 10}" y1="${H - B}" y2="${H - B}" stroke="#333"/><text x="${W / 2}" y="${H - 4}" text-anchor="middle">control-to-audio latency (ms), ${binMs} ms bins; count max ${max}</text></svg>`;
}

function sessionRows(sessions: SessionMeasures[]): string {
  const head = ['session', 'prompt', 'p50', 'p95', 'p99', 'max', 'underruns', 'jitter', 'RTF', 'first audio', 'beat |offset| median', 'beat p95', 'tempo error', 'errors', 'close'];
  const rows = sessions.map((s) => [
    s.name, s.prompt, f1(s.latencyMs?.p50), f1(s.latencyMs?.p95), f1(s.latencyMs?.p99), f1(s.latencyMs?.max), String(s.underruns),
    f1(s.arrivalJitterMs), s.rtf.p50.toFixed(4), f1(s.timeToFirstAudioMs), f1(s.beat?.medianAbsOffsetMs), f1(s.beat?.p95AbsOffsetMs),
    f1(s.beat?.tempoErrorBpm), s.errors.join(', ') || '–', String(s.closeCode ?? '–'),
  ]);
  return `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

function fixedSection(r: FixedReport, title: string, limit?: number): string {
  return `<h2>${esc(title)}</h2><pre>${esc(fixedSummary(r))}</pre>
<h3>Latency over time (each dot a chunk)</h3>${lineChart(r.sessions.map((s) => ({ label: `${s.name} / ${s.prompt}`, points: s.timeline })), 'seconds since the session started', 'latency (ms)', true, limit)}
<h3>Latency histogram (after warm-up, all sessions)</h3>${histogram(r.overall.histogram.counts, r.overall.histogram.binMs, limit)}
<h3>Sessions (latency in ms)</h3>${sessionRows(r.sessions)}`;
}

export function htmlReport(report: Report, meta: Record<string, unknown>, limit?: number): string {
  let body: string;
  switch (report.mode) {
    case 'fixed':
      body = fixedSection(report, 'Fixed run', limit);
      break;
    case 'ramp':
      body = `<h2>Ramp: capacity ${report.capacity} sessions (sessions ${report.measuredAgeS.from}-${report.measuredAgeS.to} s old, started together)</h2>
${lineChart([
  { label: 'p50', points: report.steps.map((s) => [s.overall.sessions, s.overall.latencyMs?.p50 ?? 0]) },
  { label: 'p95', points: report.steps.map((s) => [s.overall.sessions, s.overall.latencyMs?.p95 ?? 0]) },
], 'concurrent sessions', 'latency (ms)', false, report.limits.maxP95Ms)}
${report.steps.map((s) => fixedSection(s, `${s.overall.sessions} sessions`, limit)).join('\n')}`;
      break;
    case 'soak':
      body = soakSection(report);
      break;
    case 'faults':
      body = `${fixedSection(report.baseline, 'Baseline (no faults)', limit)}${fixedSection(report.underFaults, `Beside faulty clients: ${report.faults.join(', ')}`, limit)}
<h2>What the faulty clients saw</h2><ul>${Object.entries(report.faultOutcomes).map(([k, v]) => `<li><b>${k}</b>: ${esc(summariseOutcomes(v))}</li>`).join('')}</ul>`;
      break;
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Expotion latency report (${report.mode})</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}svg{font-size:11px;display:block;margin:8px 0}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}td:first-child,th:first-child,td:nth-child(2){text-align:left}
pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}.legend{font-size:12px}</style></head><body>
<h1>Expotion latency report: ${report.mode}</h1><pre>${esc(JSON.stringify(meta, null, 1))}</pre>
<p>Latency is control-to-audio: from the capture of the newest landmark frame the server had used for a chunk to the moment the chunk's first sample would be heard by the virtual listener (its scheduled start plus the output latency).</p>
${body}</body></html>`;
}

function soakSection(r: SoakReport): string {
  return `<h2>Soak</h2><pre>${esc(soakSummary(r))}</pre>
<h3>Latency per window</h3>${lineChart([
  { label: 'p50', points: r.windows.map((w) => [w.t, w.latencyMs?.p50 ?? 0]) },
  { label: 'p95', points: r.windows.map((w) => [w.t, w.latencyMs?.p95 ?? 0]) },
], 'seconds', 'latency (ms)')}
<h3>Server memory</h3>${lineChart([{ label: 'RSS MB', points: r.windows.flatMap((w) => (w.server ? [[w.t, w.server.rssMB] as [number, number]] : [])) }], 'seconds', 'MB')}`;
}

