// The import rules of the tree, checked over every file each product file
// reaches (imports of imports too), not only its own import lines:
//   - nothing that is deployed (src/, functions/, supabase/) imports the
//     local platform stand-in (platform/): it imitates hosted Supabase and
//     is never part of the product;
//   - functions/ never imports the client SDK (src/sdk/): the server must
//     not depend on its client;
//   - src/shared/ never imports src/sdk/ either: it runs inside the functions.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPUTED, specifiers } from './support/specifiers.ts';

const ROOT = resolve(import.meta.dirname, '..');
const rel = (path: string) => relative(ROOT, path).split(sep).join('/');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx|js|mjs)$/.test(name) || name === 'deno.json' ? [path] : [];
  });
}

/** What a file points at: its specifiers, or for a deno.json the targets of its import map. */
function targetsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  if (!file.endsWith('deno.json')) return specifiers(text);
  const { imports = {}, scopes = {} } = JSON.parse(text) as { imports?: Record<string, string>; scopes?: Record<string, Record<string, string>> };
  return [...Object.values(imports), ...Object.values(scopes).flatMap((s) => Object.values(s))];
}

const isRelative = (spec: string) => spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('/');

/** The file a relative specifier names, or null when none exists. */
function resolveSpec(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && (statSync(candidate).isFile() || spec.endsWith('/'))) return candidate;
  }
  return null;
}

interface Edge { to: string | null; spec: string }
const edges = new Map<string, Edge[]>();
function edgesOf(file: string): Edge[] {
  let out = edges.get(file);
  if (!out) {
    out = targetsOf(file).filter((s) => s === COMPUTED || isRelative(s)).map((spec) => ({
      spec, to: spec === COMPUTED ? null : resolveSpec(file, spec),
    }));
    edges.set(file, out);
  }
  return out;
}

/**
 * Every file `start` reaches, each with the chain of files that leads there;
 * the walk does not go on past a file `stop` says yes to.
 */
function reach(start: string, stop: (file: string) => boolean = () => false): Map<string, string[]> {
  const chains = new Map<string, string[]>([[start, [start]]]);
  const queue = [start];
  while (queue.length) {
    const file = queue.shift()!;
    if (stop(file) || statSync(file).isDirectory()) continue;
    for (const { to } of edgesOf(file)) {
      if (to && !chains.has(to)) {
        chains.set(to, [...chains.get(file)!, to]);
        queue.push(to);
      }
    }
  }
  return chains;
}

/**
 * Each import by which a file under one of `from` reaches something under
 * `never`, as "a → b → c": the chain from the first file that leads to it.
 */
function offenders(from: string[], never: string): string[] {
  const forbidden = (file: string) => (file + (statSync(file).isDirectory() ? sep : '')).startsWith(join(ROOT, never) + sep);
  const found = new Map<string, string>();
  for (const file of from.flatMap((d) => sources(join(ROOT, d)))) {
    for (const [to, chain] of reach(file, forbidden)) {
      const crossing = chain.slice(-2).map(rel).join(' → ');
      if (forbidden(to) && !found.has(crossing)) found.set(crossing, chain.map(rel).join(' → '));
    }
  }
  return [...found.values()];
}

describe('the import finder', () => {
  it('finds static imports, type imports, side-effect imports, re-exports and dynamic imports', () => {
    const text = [
      "import a from './a.ts';",
      "import type { B } from './b.ts';",
      "import {\n  c,\n  type C,\n} from './c.ts';",
      "import * as d from './d.ts';",
      "import e, { f } from './e.ts';",
      "import './side-effect.ts';",
      "export * from './g.ts';",
      "export * as h from './h.ts';",
      "export { i } from './i.ts';",
      "export type { J } from './j.ts';",
      "const k = await import('./k.ts');",
      'const l = await import(`./l.ts`);',
      "type M = typeof import('./m.ts');",
      "const n = require('./n.js');",
      'const o = await import(`./${name}.ts`);',
      "const p = import(name);",
    ].join('\n');
    expect(specifiers(text)).toEqual([
      './a.ts', './b.ts', './c.ts', './d.ts', './e.ts', './side-effect.ts', './g.ts', './h.ts', './i.ts', './j.ts',
      './k.ts', './l.ts', './m.ts', './n.js', COMPUTED, COMPUTED,
    ]);
  });

  it('is not fooled by comments, strings, regular expressions or template literals', () => {
    const text = [
      "// import x from './in-a-line-comment.ts';",
      "/* import('./in-a-block-comment.ts') */",
      "const s = \"import y from './in-a-string.ts'\";",
      "const re = /['\"]/g; import z from './after-a-regex-with-quotes.ts';",
      "const t = `import w from './in-a-template.ts' ${ { a: '}' }['a'] } still text`; import v from './after-a-template.ts';",
      'const meta = import.meta.url;',
      "export const u = 1; export default 2; export function f() { return x / 2 / y; }",
      "import q from './last.ts'",
    ].join('\n');
    expect(specifiers(text)).toEqual(['./after-a-regex-with-quotes.ts', './after-a-template.ts', './last.ts']);
  });

  it('follows imports from file to file across folders', () => {
    const reached = [...reach(join(ROOT, 'functions/dispatch/index.ts')).keys()].map(rel);
    expect(reached).toEqual(expect.arrayContaining([
      'functions/dispatch/code-handlers.ts', 'src/shared/builtin-events.ts', 'src/shared/schema.ts', 'src/shared/json.ts',
    ]));
  });
});

describe('import rules', () => {
  const product = ['src', 'functions', 'supabase'].flatMap((d) => sources(join(ROOT, d)));

  it('finds the product files it checks', () => {
    expect(product.length).toBeGreaterThan(20);
  });

  it('every relative import of a product file names a file, and none is computed (it could not be checked)', () => {
    const unchecked = product.flatMap((file) =>
      edgesOf(file).filter((e) => e.to === null).map((e) => `${rel(file)} imports ${e.spec}`));
    expect(unchecked).toEqual([]);
  });

  it('nothing in src/, functions/ or supabase/ imports the local platform stand-in (platform/)', () => {
    expect(offenders(['src', 'functions', 'supabase'], 'platform')).toEqual([]);
  });

  it('functions/ never imports the client SDK (src/sdk/)', () => {
    expect(offenders(['functions'], 'src/sdk')).toEqual([]);
  });

  it('src/shared/ never imports the client SDK (src/sdk/)', () => {
    expect(offenders(['src/shared'], 'src/sdk')).toEqual([]);
  });
});
