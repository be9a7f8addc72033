/**
 * Prometheus metrics, one registry per server instance (no module-global state, so several
 * servers can run in one test process).
 */
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { currentThreadId, threadCpuTimes } from './threadCpuTimes.js';

/**
 * A thread's busy time so far: its event loop's active time since the thread started (ms).
 * `key` tells a thread from the one that replaced it under the same name (a respawned worker);
 * `tid` is its kernel thread id (Linux), null where unknown.
 */
export interface ThreadBusy {
  thread: string;
  key: object;
  activeMs: number;
  tid: number | null;
}

const MAIN_THREAD = {};

export class ServerMetrics {
  readonly registry = new Registry();
  readonly sessions: Gauge;
  readonly sessionsOpened: Counter;
  readonly sessionsRefused: Counter<'reason'>;
  readonly chunks: Counter;
  readonly underruns: Counter;
  readonly slackReports: Counter;
  readonly latency: Histogram;
  readonly rtf: Histogram;
  readonly lead: Histogram;
  readonly chunkStages: Histogram<'stage'>;
  readonly rejected: Counter<'reason'>;
  readonly framesIn: Counter<'result'>;
  readonly sceneHook: Counter<'result'>;
  readonly sessionFailures: Counter<'reason'>;
  readonly recordingsStopped: Counter;
  readonly workerRestarts: Counter;
  readonly escapedErrors: Counter<'kind'>;
  readonly threadBusy: Counter<'thread'>;
  readonly threadCpuWait: Counter<'thread'>;
  private readonly mainTid = currentThreadId();
  private moreThreads: () => ThreadBusy[] = () => [];
  private readonly lastBusy = new Map<string, { key: object; ms: number }>();
  private readonly lastWait = new Map<string, { key: object; ms: number }>();

  constructor() {
    const registers = [this.registry];
    // process CPU, memory, and nodejs_eventloop_lag_* (event-loop lag) come with the defaults.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.sessions = new Gauge({ name: 'expotion_sessions', help: 'Sessions currently streaming', registers });
    this.sessionsOpened = new Counter({ name: 'expotion_sessions_opened_total', help: 'Sessions that completed the hello handshake', registers });
    this.sessionsRefused = new Counter({
      name: 'expotion_sessions_refused_total',
      help: 'Connections refused before a session started, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.chunks = new Counter({ name: 'expotion_audio_chunks_total', help: 'Audio chunks sent', registers });
    this.underruns = new Counter({ name: 'expotion_underruns_reported_total', help: 'Playback underruns reported by clients', registers });
    this.slackReports = new Counter({ name: 'expotion_slack_reports_total', help: 'Playback reports whose least-slack chunk fitted a lead margin (protocol 2 clients)', registers });
    this.latency = new Histogram({
      name: 'expotion_control_to_audio_latency_seconds',
      help: 'From the capture of the newest control frame a chunk used to the moment its first sample is heard',
      buckets: [0.025, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2],
      registers,
    });
    this.rtf = new Histogram({
      name: 'expotion_generation_rtf',
      help: 'Generation real-time factor per chunk (generation time / chunk duration)',
      buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2],
      registers,
    });
    this.lead = new Histogram({
      name: 'expotion_lead_seconds',
      help: 'Adaptive lead of each chunk: how long before it is heard its generation started',
      buckets: [0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5],
      registers,
    });
    this.chunkStages = new Histogram({
      name: 'expotion_chunk_stage_seconds',
      help: 'Where each chunk spent its lead, on the server: start (from when it was due to when its worker began: a late timer or a busy worker), render, and reply (from the end of the render to the socket write: the main thread taking the reply, framing and sending)',
      labelNames: ['stage'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5],
      registers,
    });
    this.rejected = new Counter({
      name: 'expotion_rejected_messages_total',
      help: 'Messages rejected or connections closed for bad input, by reason (protocol error code)',
      labelNames: ['reason'],
      registers,
    });
    this.framesIn = new Counter({
      name: 'expotion_landmark_frames_total',
      help: 'Landmark frames received, by what the control tracker did with them',
      labelNames: ['result'],
      registers,
    });
    this.sceneHook = new Counter({
      name: 'expotion_scene_hook_requests_total',
      help: 'Requests to the external scene-caption hook, by result: ok, or why the built-in imaginer stood in (timeout, http_status, bad_json, bad_caption, too_big, network)',
      labelNames: ['result'],
      registers,
    });
    this.sessionFailures = new Counter({
      name: 'expotion_session_failures_total',
      help: 'Sessions ended by a failure on the server side (closed with 1011; the others go on), by error code',
      labelNames: ['reason'],
      registers,
    });
    this.recordingsStopped = new Counter({
      name: 'expotion_recordings_stopped_total',
      help: 'Recordings that could not start or stopped early (write error, quota, free-space floor); the music went on',
      registers,
    });
    this.workerRestarts = new Counter({ name: 'expotion_worker_restarts_total', help: 'Generation workers that died and were replaced', registers });
    this.escapedErrors = new Counter({
      name: 'expotion_escaped_errors_total',
      help: 'Errors that escaped every session and server boundary (uncaught exceptions, unhandled rejections): each one is a bug',
      labelNames: ['kind'],
      registers,
    });
    this.threadBusy = new Counter({
      name: 'expotion_thread_busy_seconds_total',
      help: 'Time each thread was busy (event-loop utilization of the main thread and of each generation worker): its rate is how loaded the thread is, and the first thread near 1 limits how many sessions the process serves',
      labelNames: ['thread'],
      registers,
      collect: () => this.collectThreadBusy(),
    });
    this.threadCpuWait = new Counter({
      name: 'expotion_thread_cpu_wait_seconds_total',
      help: 'Time each thread (main, each generation worker) was ready to run but waited for a CPU (Linux only): where it grows as fast as busy time, timers fire late because the machine, not the thread, was busy',
      labelNames: ['thread'],
      registers,
      collect: () => this.collectThreadWait(),
    });
  }

  /** The threads counted besides the main thread (the generation workers), read at each scrape. */
  watchThreads(more: () => ThreadBusy[]): void {
    this.moreThreads = more;
  }

  private threads(): ThreadBusy[] {
    return [{ thread: 'main', key: MAIN_THREAD, activeMs: performance.eventLoopUtilization().active, tid: this.mainTid }, ...this.moreThreads()];
  }

  private collectThreadBusy(): void {
    for (const r of this.threads()) this.advance(this.threadBusy, this.lastBusy, r.thread, r.key, r.activeMs);
  }

  private collectThreadWait(): void {
    for (const r of this.threads()) {
      const times = r.tid === null ? null : threadCpuTimes(r.tid);
      if (times) this.advance(this.threadCpuWait, this.lastWait, r.thread, r.key, times.waitMs);
    }
  }

  /** Adds what a thread's running total (ms) grew by since the last reading; a replaced thread starts from 0, so all of the new one's time counts. */
  private advance(counter: Counter<'thread'>, last: Map<string, { key: object; ms: number }>, thread: string, key: object, ms: number): void {
    const before = last.get(thread);
    const deltaMs = before === undefined || before.key !== key ? ms : ms - before.ms;
    // Every thread gets a series, 0 included: a missing one reads as "not reported", not as "never waited".
    counter.inc({ thread }, Math.max(0, deltaMs) / 1000);
    last.set(thread, { key, ms });
  }
}
