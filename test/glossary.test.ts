// The README's vocabulary is executable: every SQL function its verbs table
// names exists in schema queue, every route it names is served by a
// function's app, and every SDK method it names exists on the queue.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp as enqueueApp } from '../functions/enqueue/app.ts';
import { createApp as eventsApp } from '../functions/events/app.ts';
import { createApp as handlersApp } from '../functions/handlers/app.ts';
import { createApp as schedulesApp } from '../functions/schedules/app.ts';
import { createQueue } from '../src/sdk/index.ts';
import { client, db, testAuth } from './support/queue.ts';

const ROOT = join(import.meta.dirname, '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const sql = db();
afterAll(() => sql.end());

/** The body rows of the markdown table whose header row starts with `header`, as cells. */
function table(header: string): string[][] {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  expect(start, `README table "${header}"`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}
const code = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

describe('the README glossary', () => {
  const verbs = table('| verb | SQL |');

  it('names a SQL function of schema queue for every verb, and each exists', async () => {
    const names = new Set((await sql<{ name: string }[]>`
      select p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'queue'`).map((r) => r.name));
    expect(verbs.length).toBeGreaterThan(10);
    for (const [verb, sqlCell] of verbs) {
      const functions = code(sqlCell).map((c) => c.replace(/\(.*$/, ''));
      expect(functions.length, verb).toBeGreaterThan(0);
      for (const f of functions) expect(names, `${verb}: queue.${f}`).toContain(f);
      // One word per concept: a one-word verb is the name of its SQL function.
      if (/^\w+$/.test(verb)) expect(functions.some((f) => f === verb || f.startsWith(`${verb}_`)), verb).toBe(true);
    }
  });

  it('names routes and SDK methods in its verbs table that exist', () => {
    const queue = createQueue(client()) as unknown as Record<string, any>;
    for (const [verb, , what] of verbs) {
      for (const ref of code(what)) {
        const sdk = /^queue\.(\w+)\.(\w+)$/.exec(ref);
        if (sdk) expect(typeof queue[sdk[1]]?.[sdk[2]], `${verb}: ${ref}`).toBe('function');
        const route = /^\/(\w+)$/.exec(ref);
        if (route) expect(existsSync(join(ROOT, 'functions', route[1], 'app.ts')), `${verb}: route ${ref}`).toBe(true);
      }
    }
  });

  it('lists SDK methods that exist, on routes the functions serve', () => {
    const deps = { sql, auth: testAuth() };
    const served = [enqueueApp, eventsApp, handlersApp, schedulesApp]
      .flatMap((make) => make(deps).routes.map((r) => `${r.method} ${r.path.replace(/\/$/, '')}`));
    const queue = createQueue(client()) as unknown as Record<string, any>;
    const rows = table('| method | route |');
    expect(rows.length).toBeGreaterThan(4);
    for (const [methods, routes] of rows) {
      // `handlers.create`, `.list` … : a namespace, then its methods.
      let namespace: string | undefined;
      for (const m of code(methods)) {
        const name = m.replace(/\(.*$/, '');
        const [first, second] = name.split('.');
        if (second !== undefined && first !== '') namespace = first;
        const fn = first === '' ? queue[namespace!]?.[second] : second !== undefined ? queue[first]?.[second] : queue[first];
        expect(typeof fn, `SDK method ${m}`).toBe('function');
      }
      const base = /on `(\/\w+)`/.exec(routes)?.[1] ?? '';
      for (const r of code(routes)) {
        const m = /^(GET|POST|PATCH|DELETE)(?: (\/\S*))?$/.exec(r);
        if (!m) continue;
        const path = (m[2]?.startsWith('/:') || !m[2] ? base + (m[2] ?? '') : m[2]).replace(/\/$/, '');
        expect(served, `route ${m[1]} ${path}`).toContain(`${m[1]} ${path}`);
      }
    }
  });
});
