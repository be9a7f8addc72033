/** `npm start`: configuration from flags and environment, graceful shutdown on SIGTERM/SIGINT. */
import { createServer } from './app.js';
import { ConfigError, configFromArgs } from './config.js';

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
  console.log(`Expotion live server on ${server.url} (pack ${config.pack}); open it in a browser.`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing sessions and stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(() => process.exit(0), (err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
