/**
 * `npm start`: configuration from flags and environment, graceful shutdown on SIGTERM/SIGINT.
 * The last line of defence: anything that escapes every session and server boundary is logged
 * and counted (expotion_escaped_errors_total), and the server keeps serving; tests prove that
 * no input of a client reaches it.
 */
import { createServer, type RunningServer } from './app.js';
import { ConfigError, configFromArgs } from './config.js';

/** SIGTERM: sessions are closed and workers stopped within this time, then the process exits 0 regardless (ms). */
const SHUTDOWN_GRACE_MS = 8_000;

let running: RunningServer | null = null;

function escaped(kind: 'uncaughtException' | 'unhandledRejection', err: unknown): void {
  console.error(`${kind} (a bug; the server keeps serving):`, err);
  running?.metrics.escapedErrors.inc({ kind });
}
process.on('uncaughtException', (err) => escaped('uncaughtException', err));
process.on('unhandledRejection', (err) => escaped('unhandledRejection', err));

async function main(): Promise<void> {
  let config;
  try {
    config = configFromArgs(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const server = await createServer(config);
  running = server;
  console.log(`Expotion live server on ${server.url} (pack ${config.pack}); open it in a browser.`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing sessions and stopping`);
    // A stop asked for is a clean stop: exit 0 even if something is slow to close.
    const force = setTimeout(() => {
      console.error(`shutdown took over ${SHUTDOWN_GRACE_MS} ms; exiting anyway`);
      process.exit(0);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close().then(() => process.exit(0), (err: unknown) => {
      console.error('shutdown failed:', err);
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
