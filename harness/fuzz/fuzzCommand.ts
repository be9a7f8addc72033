/**
 * The command-line side of `--mode fuzz`: run the fuzz and write report.json, or resend a saved
 * case (`--replay FILE`). Both return the exit code: 1 on an incident (or a failed check), else 0.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { incidentLine, incidentText, LivenessWatch } from '../liveness.js';
import { abortableSleep } from '../abortableSleep.js';
import type { ServerProcess } from '../serverProcess.js';
import { loadCase } from './fuzzCase.js';
import { fuzzText } from './fuzzReport.js';
import { runFuzz, type FuzzOptions } from './fuzzRun.js';
import { replayCase } from './replay.js';

export async function fuzzCommand(o: FuzzOptions, serverArgs: string): Promise<number> {
  console.log(`harness fuzz against ${o.url}: ${o.messages} messages over ${o.connections} connections, seed ${o.seed}`);
  const report = await runFuzz(o);
  mkdirSync(o.outDir, { recursive: true });
  const file = join(o.outDir, 'report.json');
  writeFileSync(file, JSON.stringify({ meta: { mode: 'fuzz', url: o.url, started: new Date().toISOString(), node: process.version, serverArgs }, report }, null, 1));
  console.log(`\n${fuzzText(report)}\n\nreport: ${file}`);
  if (report.failures.length > 0) {
    console.log(`FUZZ FAILED:\n  ${report.failures.join('\n  ')}`);
    return 1;
  }
  console.log('fuzz passed: no incident, the server kept to the protocol, and a clean session afterwards got gap-free audio');
  return 0;
}

/** Resends a case up to `times` times, until it reproduces (a server incident). */
export async function replayCommand(file: string, times: number, url: string, server: ServerProcess | null, liveness: { intervalMs: number; timeoutMs: number }): Promise<number> {
  const c = loadCase(file);
  const events = c.lanes.reduce((n, l) => n + l.events.length, 0);
  console.log(`replaying ${file} against ${url}: seed ${c.seed}, ${c.lanes.length} lanes, ${events} events; recorded incident: ${c.incident ? incidentLine(c.incident) : 'none'}`);
  const watch = new LivenessWatch({ url, server, ...liveness, onIncident: (i) => console.log(`  INCIDENT ${incidentLine(i)}`) });
  for (let attempt = 1; attempt <= times && !watch.failed; attempt++) {
    const r = await replayCase(c, url, watch.signal);
    await abortableSleep(3000, watch.signal); // a crash or hang may follow the last message
    console.log(`replay ${attempt}/${times}: ${r.sent} messages over ${r.connections} connections; errors ${JSON.stringify(r.errorCodes)}, closes ${JSON.stringify(r.closeCodes)}${r.violations.length ? `; protocol violations: ${r.violations.join(' | ')}` : ''}`);
  }
  await watch.finalCheck();
  if (watch.failed) {
    console.log(`\n${incidentText(watch)}\nREPRODUCED`);
    return 1;
  }
  console.log('not reproduced: the server survived the replay');
  return 0;
}
