/**
 * The import rules of the layout (issue #14), read from the sources themselves: every relative
 * import of every .ts file under server/, protocol/, client/src/ and harness/.
 *
 * - no import cycle between generation's subfolders (pack/, lm/, musicgen/, symbolic/);
 * - musicgen/ and symbolic/ do not import each other (two kinds of pack over one runtime);
 * - server files outside generation/ import generation only through generation/index.ts;
 * - client and harness import only protocol/ and their own folder;
 * - runtime server code never imports offline code (scripts/, tools/, bench/, test/);
 * - protocol/ imports nothing outside protocol/.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The checkout (this file runs from dist/test/). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCANNED = ['server', 'protocol', 'client/src', 'harness'];

interface Edge {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * Relative specifiers of static imports, re-exports, dynamic imports and worker scripts (a worker
 * runs the module in this process; a path handed to spawn() is another program, not an import).
 */
function importSpecifiers(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+|new Worker\(\s*new URL\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/gm;
  return [...source.matchAll(pattern)].map((m) => m[2]!);
}

/** Every relative import under the scanned folders, as repo-relative .ts paths with '/' separators. */
function importGraph(): Edge[] {
  const edges: Edge[] = [];
  for (const folder of SCANNED) {
    for (const file of sourceFiles(join(ROOT, folder))) {
      for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
        const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
        edges.push({ from: repoPath(file), to: repoPath(target) });
      }
    }
  }
  return edges;
}

function repoPath(path: string): string {
  return relative(ROOT, path).split(sep).join('/');
}

const GENERATION = 'server/generation/';

/** The generation subfolder a path lies in (symbolic/synth counts as symbolic), or null. */
function generationPart(path: string): string | null {
  if (!path.startsWith(GENERATION)) return null;
  const rest = path.slice(GENERATION.length).split('/');
  return rest.length > 1 ? rest[0]! : null;
}

/** Cycles in a directed graph given as adjacency sets, each as the list of nodes around it. */
function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

/** Breaches of the layout's rules, one line each ("from -> to: rule"). */
function ruleBreaches(edges: readonly Edge[]): string[] {
  const breaches: string[] = [];
  const parts = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const breach = (rule: string) => breaches.push(`${from} -> ${to}: ${rule}`);
    const a = generationPart(from);
    const b = generationPart(to);
    if (a !== null && b !== null && a !== b) {
      if (!parts.has(a)) parts.set(a, new Set());
      parts.get(a)!.add(b);
      if ((a === 'musicgen' && b === 'symbolic') || (a === 'symbolic' && b === 'musicgen')) breach('musicgen/ and symbolic/ must not import each other');
    }
    if (from.startsWith('server/') && !from.startsWith(GENERATION) && to.startsWith(GENERATION) && to !== `${GENERATION}index.ts`) {
      breach('outside generation/, import generation only through server/generation/index.ts');
    }
    if (from.startsWith('server/') && /^(scripts|tools|bench|test)\//.test(to)) breach('runtime server code must not import offline code');
    if (from.startsWith('protocol/') && !to.startsWith('protocol/')) breach('protocol/ imports nothing outside protocol/');
    for (const own of ['client/', 'harness/']) {
      if (from.startsWith(own) && !to.startsWith(own) && !to.startsWith('protocol/')) breach(`${own} imports only protocol/ and its own folder`);
    }
  }
  for (const cycle of cycles(parts)) breaches.push(`generation subfolders import each other in a cycle: ${cycle.join(' -> ')}`);
  return breaches;
}

test('the import parser sees static, re-exported, dynamic and worker imports, and nothing else', () => {
  const source = [
    "import { a } from './a.js';",
    "import type { B } from '../b/b.js';",
    "export { c } from './c.js';",
    "import './side.js';",
    "const d = await import('./d.js');",
    "new Worker(new URL('./worker.js', import.meta.url));",
    "spawn(process.execPath, [fileURLToPath(new URL('../server/main.js', import.meta.url))]);",
    "import { z } from 'zod';",
    "const s = 'from ./not-an-import.js';",
  ].join('\n');
  assert.deepEqual(importSpecifiers(source), ['./a.js', '../b/b.js', './c.js', './side.js', './d.js', './worker.js']);
});

test('the rules catch each kind of breach', () => {
  const bad: Edge[] = [
    { from: 'server/generation/lm/a.ts', to: 'server/generation/pack/b.ts' },
    { from: 'server/generation/pack/b.ts', to: 'server/generation/lm/a.ts' },
    { from: 'server/generation/symbolic/synth/s.ts', to: 'server/generation/musicgen/m.ts' },
    { from: 'server/app.ts', to: 'server/generation/packs.ts' },
    { from: 'server/scene/x.ts', to: 'scripts/scene/y.ts' },
    { from: 'protocol/messages.ts', to: 'server/config.ts' },
    { from: 'client/src/app.ts', to: 'server/config.ts' },
    { from: 'harness/cli.ts', to: 'server/generation/index.ts' },
  ];
  const breaches = ruleBreaches(bad);
  for (const rule of ['cycle: lm -> pack -> lm', 'must not import each other', 'only through server/generation/index.ts', 'offline code', 'protocol/ imports nothing', 'client/ imports only', 'harness/ imports only']) {
    assert.ok(breaches.some((b) => b.includes(rule)), `no breach mentions "${rule}": ${breaches.join('; ')}`);
  }
  const good: Edge[] = [
    { from: 'server/generation/symbolic/a.ts', to: 'server/generation/lm/b.ts' },
    { from: 'server/generation/lm/b.ts', to: 'server/generation/pack/c.ts' },
    { from: 'server/generation/musicgen/m.ts', to: 'server/generation/lm/b.ts' },
    { from: 'server/app.ts', to: 'server/generation/index.ts' },
    { from: 'client/src/app.ts', to: 'protocol/messages.ts' },
    { from: 'harness/cli.ts', to: 'harness/runner.ts' },
  ];
  assert.deepEqual(ruleBreaches(good), []);
});

test('the sources keep the layout\'s import rules', () => {
  const edges = importGraph();
  const has = (from: string, to: string) => edges.some((e) => e.from === from && e.to === to);
  // The scan sees the real tree (a parser that found nothing would pass every rule).
  assert.ok(edges.length > 300, `only ${edges.length} imports found`);
  assert.ok(has('server/app.ts', 'server/generation/index.ts'), 'app.ts imports the generation seam');
  assert.ok(has('server/generation/workerPool.ts', 'server/generation/generationWorker.ts'), 'the worker URL counts as an import');
  assert.ok(edges.some((e) => e.from.startsWith('client/src/') && e.to.startsWith('protocol/')), 'client files are scanned');
  assert.deepEqual(ruleBreaches(edges), []);
});
