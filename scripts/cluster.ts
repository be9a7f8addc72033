/**
 * `npm run cluster -- [--processes N] [--port P] [--host H] [--server-args "..."]`: nginx on
 * `host:port` in front of N server processes on this machine, for a demo or a venue with one big
 * box (deploy/README.md for several machines). Dead processes are started again; Ctrl-C or
 * SIGTERM stops nginx and every process.
 */
import { availableParallelism } from 'node:os';
import { CliOptions } from './cliOptions.js';
import { Cluster, nginxAvailable } from './cluster/cluster.js';

const cli = new CliOptions('cluster', 'npm run cluster -- [--processes N] [--port 8080] [--host 127.0.0.1] [--server-args "--pack teacher"] [--nginx /usr/sbin/nginx]');
const processes = cli.number('processes', Math.max(2, availableParallelism()));
const port = cli.number('port', 8080);
if (!Number.isInteger(processes) || processes > 64) cli.fail(`--processes must be a whole number 1-64, but is ${processes}`);
if (!Number.isInteger(port) || port > 65535) cli.fail(`--port must be a port number, but is ${port}`);
const nginx = cli.text('nginx') ?? '/usr/sbin/nginx';
if (!nginxAvailable(nginx)) cli.fail(`nginx not found at ${nginx} (Debian: apt-get install nginx, or --nginx PATH)`);

const serverArgsText = cli.text('server-args') ?? '';
// Each process gets one worker thread by default: N processes already use the cores.
const serverArgs = ['--workers', '1', ...serverArgsText.split(' ').filter(Boolean)];
const cluster = new Cluster({ processes, port, host: cli.text('host') ?? '127.0.0.1', serverArgs, nginx });
cli.done();
let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping nginx and the servers`);
  cluster.stop().then(() => process.exit(0), (err: unknown) => {
    console.error('stop failed:', err);
    process.exit(1);
  });
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
try {
  await cluster.start();
} catch (err) {
  console.error(`cluster: ${(err as Error).message}`);
  await cluster.stop();
  process.exit(1);
}
console.log(`Expotion cluster on ${cluster.url}: nginx in front of ${processes} processes (${cluster.servers.map((s) => s.port).join(', ')}); Ctrl-C stops all`);
