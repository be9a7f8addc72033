/**
 * Starts the built server (dist/server/main.js) in its own process on a free port, and keeps an
 * eye on it: its exit (code, signal), its resident memory (/proc), and the tail of what it
 * printed (a crash's stack trace), so that a harness run can say why the server went away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  pid: number;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<ServerExit>;
  /** How it exited; null while it runs. */
  readonly exit: ServerExit | null;
  /** Resident memory now (MB, from /proc/<pid>/status VmRSS); null where /proc is unavailable or the process is gone. */
  rssMB(): number | null;
  /** The last few kB the server printed (stdout and stderr, interleaved as they arrived). */
  recentOutput(): string;
  /** The last few kB of its stderr alone (crashes, escaped errors). */
  recentStderr(): string;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; waits for the exit. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartServerOptions {
  /** Copy the server's stderr to ours (default true). Its stdout (JSON logs) is never copied. */
  forwardStderr?: boolean;
  /** Flags for node itself, before the server's script (e.g. --cpu-prof). */
  nodeArgs?: readonly string[];
}

/**
 * Node flags the server process (and the harness, which listens to it) runs with. Every spawner
 * passes them: `npm start` and `npm run harness` (package.json), the server started here,
 * `npm run cluster` and the systemd unit (deploy/); test/harness/serverProcess.test.ts checks the
 * literal copies.
 *
 * A 4 MB semi-space, as the generation workers have (workerPool.ts). With Node's default the
 * young generation grows to 16 MB, collections are rare, and the ArrayBuffers that every chunk
 * passes through (PCM from the workers, frames for the socket) pile up against V8's old-generation
 * headroom until it runs a mark-compact of the whole heap. 4 sessions, 95 s on 2 quiet cores
 * (`node --trace-gc`): the server's main thread 38 -> 6 mark-compacts, the harness 49 -> 17 with
 * the longest pause 12 -> 8 ms; a delivered chunk waits for each of them.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

const OUTPUT_TAIL_CHARS = 16_000;

/** VmRSS of a process in MB, or null. */
export function processRssMB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export async function startServerProcess(extraArgs: readonly string[] = [], options: StartServerOptions = {}): Promise<ServerProcess> {
  const main = fileURLToPath(new URL('../server/main.js', import.meta.url));
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...(options.nodeArgs ?? []), main, '--port', '0', '--log-level', 'warn', '--record-dir', 'off', '--max-sessions', '256', '--max-sessions-per-address', '256', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let errTail = '';
  const keep = (d: Buffer): void => {
    tail = (tail + d.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', (d: Buffer) => {
    keep(d);
    errTail = (errTail + d.toString()).slice(-OUTPUT_TAIL_CHARS);
    if (options.forwardStderr !== false) process.stderr.write(d);
  });
  let exit: ServerExit | null = null;
  // Never leave a server behind: if this process ends first (a crash, a test timeout), so does it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<ServerExit>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      process.off('exit', killOnExit);
      resolve(exit);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      const m = /on (http:\/\/\S+)/.exec(d.toString());
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((e) => reject(new Error(`the server exited with code ${e.code} (signal ${e.signal}) before it listened:\n${tail.slice(-2000)}`)));
  });
  const pid = child.pid!;
  return {
    url,
    child,
    pid,
    exited,
    get exit() {
      return exit;
    },
    rssMB: () => (exit ? null : processRssMB(pid)),
    recentOutput: () => tail,
    recentStderr: () => errTail,
    async stop(graceMs = 5000) {
      if (exit) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}
