/**
 * A child process that is started again when it dies (a crash, an OOM kill, a SIGKILL), with a
 * growing pause when it keeps dying right after its start, until `stop()`. The cluster keeps its
 * server processes and nginx alive with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface SupervisedProcessOptions {
  /** Name in log lines ("server 2", "nginx"). */
  name: string;
  command: string;
  args: readonly string[];
  /** First restart pause (ms), doubled after each exit within `stableMs` of its start ... */
  restartDelayMs: number;
  /** ... up to this (ms). */
  maxRestartDelayMs: number;
  /** A process that ran this long (ms) counts as healthy: the next restart pause is the first again. */
  stableMs: number;
  /** SIGTERM on stop, then SIGKILL after this (ms). */
  stopGraceMs: number;
  /** Where the child's output goes ('inherit', or dropped). */
  output: 'inherit' | 'ignore';
  log: (line: string) => void;
}

export const SUPERVISED_DEFAULTS: Omit<SupervisedProcessOptions, 'name' | 'command' | 'args' | 'log'> = {
  restartDelayMs: 100,
  maxRestartDelayMs: 10_000,
  stableMs: 10_000,
  stopGraceMs: 10_000,
  output: 'inherit',
};

export class SupervisedProcess {
  readonly options: SupervisedProcessOptions;
  private child: ChildProcess | null = null;
  private startedAt = 0;
  private delayMs: number;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();
  /** Times the process was started again after dying. */
  restarts = 0;

  constructor(options: Pick<SupervisedProcessOptions, 'name' | 'command' | 'args' | 'log'> & Partial<SupervisedProcessOptions>) {
    this.options = { ...SUPERVISED_DEFAULTS, ...options };
    this.delayMs = this.options.restartDelayMs;
  }

  /** The running child's pid, or null between a death and its restart. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  start(): void {
    this.stopping = false;
    this.spawnChild();
  }

  private spawnChild(): void {
    const o = this.options;
    const child = spawn(o.command, [...o.args], { stdio: ['ignore', o.output, o.output] });
    this.child = child;
    this.startedAt = performance.now();
    // A child must not outlive the supervisor, whatever ends it.
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => o.log(`${o.name}: could not start ${o.command}: ${err.message}`));
      child.once('close', (code, signal) => {
        process.off('exit', killOnExit);
        if (this.child === child) this.child = null;
        resolve();
        if (this.stopping) return;
        const ranMs = performance.now() - this.startedAt;
        const stable = ranMs >= o.stableMs;
        if (stable) this.delayMs = o.restartDelayMs;
        const delay = stable ? 0 : this.delayMs;
        if (!stable) this.delayMs = Math.min(o.maxRestartDelayMs, this.delayMs * 2);
        o.log(`${o.name} (pid ${child.pid}) exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
        this.restartTimer = setTimeout(() => {
          this.restartTimer = null;
          if (this.stopping) return;
          this.restarts++;
          this.spawnChild();
        }, delay);
      });
    });
  }

  /** Sends a signal to the running child (tests and the failover bench kill with SIGKILL). */
  kill(signal: NodeJS.Signals): boolean {
    return this.child?.kill(signal) ?? false;
  }

  /** No more restarts; SIGTERM, then SIGKILL after the grace; resolves once it has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), this.options.stopGraceMs);
    await this.exited;
    clearTimeout(force);
  }
}
