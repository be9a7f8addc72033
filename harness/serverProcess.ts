/** Starts the built server (dist/server/main.js) in its own process on a free port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

export async function startServerProcess(extraArgs: readonly string[] = []): Promise<ServerProcess> {
  const main = fileURLToPath(new URL('../server/main.js', import.meta.url));
  const child = spawn(process.execPath, [main, '--port', '0', '--log-level', 'warn', '--record-dir', 'off', '--max-sessions', '256', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /on (http:\/\/\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the server exited with code ${code}`)));
  });
  return {
    url,
    child,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
