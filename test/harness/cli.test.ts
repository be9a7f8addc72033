/**
 * The harness command line: --help, and a server that dies mid-run must fail the run loudly
 * (exit 1, "SERVER FAILURE") in every mode, whether the harness started it or was given --url.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../harness/cli.js', import.meta.url));
const DYING = fileURLToPath(new URL('./dyingServer.js', import.meta.url));

interface Run {
  child: ChildProcess;
  /** Resolves with the exit code and everything printed. */
  done: Promise<{ code: number | null; out: string }>;
  /** Resolves with the first match of `re` in the output. */
  waitFor(re: RegExp): Promise<RegExpExecArray>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of [...waiters]) {
      const m = w.re.exec(out);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const done = new Promise<{ code: number | null; out: string }>((resolve) => child.once('close', (code) => resolve({ code, out })));
  return {
    child,
    done,
    waitFor: (re) => {
      const m = re.exec(out);
      return m ? Promise.resolve(m) : new Promise((resolve) => waiters.push({ re, resolve }));
    },
  };
}

const dirs: string[] = [];
const outDir = (): string => {
  dirs.push(mkdtempSync(join(tmpdir(), 'expotion-harness-')));
  return dirs[dirs.length - 1]!;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('--help and -h print the usage, fuzz options included, and exit 0', { timeout: 20_000 }, async () => {
  for (const flag of ['--help', '-h']) {
    const { code, out } = await run([CLI, flag]).done;
    assert.equal(code, 0, out);
    assert.match(out, /usage: npm run harness/);
    assert.match(out, /--mode fixed\|ramp\|soak\|faults\|fuzz/);
    for (const option of ['--messages', '--connections', '--seed', '--replay']) assert.ok(out.includes(option), `usage names ${option}`);
    assert.doesNotMatch(out, /needs a value/);
  }
});

test('a bad option still exits 2 with the usage', { timeout: 20_000 }, async () => {
  const { code, out } = await run([CLI, '--mode', 'nonsense']).done;
  assert.equal(code, 2);
  assert.match(out, /--mode must be/);
  assert.match(out, /usage:/);
});

/** Each mode's options for a run that outlasts the dying server by far. */
const MODE_ARGS: Record<string, string[]> = {
  fixed: ['--sessions', '1', '--seconds', '20'],
  ramp: ['--mode', 'ramp', '--ramp-max', '4', '--seconds', '5'],
  soak: ['--mode', 'soak', '--sessions', '1', '--seconds', '60', '--window-seconds', '2'],
  faults: ['--mode', 'faults', '--sessions', '1', '--seconds', '5', '--faults', 'garbage'],
  fuzz: ['--mode', 'fuzz', '--messages', '100000', '--connections', '2', '--good-sessions', '0'],
};

for (const [mode, modeArgs] of Object.entries(MODE_ARGS)) {
  test(`${mode} mode against a server (--url) that exits mid-run: exit 1 and a clear message`, { timeout: 60_000 }, async () => {
    const server = run([DYING, '1500']);
    const [, url] = await server.waitFor(/listening on (http:\S+)/);
    const out = outDir();
    const r = await run([CLI, '--url', url!, ...modeArgs, '--out', out]).done;
    await server.done;
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /SERVER FAILURE/);
    assert.match(r.out, /healthz-failed: GET \/healthz failed: \S+/); // ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET (closed mid-answer)
    if (mode !== 'fuzz') assert.match(r.out, /RUN FAILED:[^]*the server died or stopped answering/);
    else {
      assert.match(r.out, /FUZZ FAILED:[^]*server incident/);
      assert.ok(readdirSync(out).some((f) => /^fuzz-case-.*\.json$/.test(f)), 'a replayable case was saved');
    }
  });
}

test('a ramp says how old the sessions it measured were (each step starts them together)', { timeout: 60_000 }, async () => {
  const r = await run([CLI, '--mode', 'ramp', '--ramp-start', '1', '--ramp-max', '1', '--seconds', '4', '--warmup-ms', '1000', '--pack', 'teacher', '--server-args', '--pack teacher --workers 1', '--out', outDir()]).done;
  assert.match(r.out, /capacity: \d+ sessions \(p95 < 150 ms, underruns <= 0; sessions 1-4 s old, started together\)/, r.out);
});

test('a server the harness started, killed with SIGKILL mid-run: exit 1 naming the signal', { timeout: 60_000 }, async () => {
  const h = run([CLI, '--sessions', '1', '--seconds', '20', '--pack', 'teacher', '--server-args', '--pack teacher --workers 1', '--out', outDir()]);
  const [, pid] = await h.waitFor(/started the server: pid (\d+)/);
  await h.waitFor(/harness fixed against/);
  process.kill(Number(pid), 'SIGKILL');
  const r = await h.done;
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /SERVER FAILURE/);
  assert.match(r.out, /exit: the server process \(pid \d+\) exited with code null, signal SIGKILL|healthz-failed/);
  assert.match(r.out, /RUN FAILED/);
});

test('Ctrl-C during a soak: the report of what ran is written, the started server is stopped, exit 1', { timeout: 60_000 }, async () => {
  const out = outDir();
  const h = run([CLI, '--mode', 'soak', '--sessions', '1', '--seconds', '600', '--window-seconds', '1', '--pack', 'teacher', '--server-args', '--pack teacher --workers 1', '--out', out]);
  const [, pid] = await h.waitFor(/started the server: pid (\d+)/);
  await h.waitFor(/t=\S+s p95/); // a first window measured
  h.child.kill('SIGINT');
  const r = await h.done;
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /RUN INTERRUPTED:[^]*interrupted before the end/);
  assert.ok(readdirSync(out).includes('report.json'), 'the report was written');
  assert.throws(() => process.kill(Number(pid), 0), /ESRCH/, 'the server the harness started is gone');
});
