// The README's SDK examples are the code of test/examples/*.ts between
// `// #region readme` and `// #endregion`: each is run here against the
// stack, and README.md must show each one verbatim in a ```ts block.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/wait.ts';
import { QueueError } from '../src/sdk/index.ts';
import * as codeHandler from './examples/code-handler.ts';
import * as enqueueAndWait from './examples/enqueue-and-wait.ts';
import * as errors from './examples/errors.ts';
import * as inspectAndSteer from './examples/inspect-and-steer.ts';
import * as handlersAndSchedules from './examples/handlers-and-schedules.ts';
import * as subscribe from './examples/subscribe.ts';
import * as typedEvents from './examples/typed-events.ts';
import { client, db, registerHandler, setKicks } from './support/queue.ts';

const EXAMPLES_DIR = new URL('./examples/', import.meta.url);
const README = new URL('../README.md', import.meta.url);

/** An example's README code: its region, dedented. */
function exampleCode(name: string): string {
  const text = readFileSync(new URL(`${name}.ts`, EXAMPLES_DIR), 'utf8');
  const match = /^[ \t]*\/\/ #region readme\n([\s\S]*?)^[ \t]*\/\/ #endregion$/m.exec(text);
  if (!match) throw new Error(`test/examples/${name}.ts has no "// #region readme" … "// #endregion" block.`);
  const lines = match[1].replace(/\n$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

const sql = db();
const supabase = client();
const names = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();

beforeAll(async () => {
  // The built-in handlers as seed.sql registers them (other files may have changed them).
  for (const [name, max_attempts] of [['Addition', 5], ['Subtraction', 5], ['Multiplication', 5], ['Division', 3]] as const) {
    await registerHandler(sql, { name, kind: 'code', target: name, max_attempts, backoff_base_ms: 1000 });
  }
  await sql`delete from queue.handlers where name in ('Welcome', 'NoSuchEvent')`;
  await sql`delete from queue.schedules where name = 'nightly-sum'`;
  await setKicks(sql, true);
});
afterAll(async () => {
  await supabase.removeAllChannels();
  await sql.end();
});

const runs: Record<string, () => Promise<void>> = {
  'enqueue-and-wait': async () => {
    const { event, later, batch } = await enqueueAndWait.run(supabase);
    expect(event).toMatchObject({ name: 'Addition', state: 'succeeded', result: 5 });
    expect(later).toMatchObject({ name: 'Division', state: 'scheduled', created: true });
    expect(batch.map((e) => [e.name, e.state])).toEqual([['Addition', 'queued'], ['Multiplication', 'scheduled']]);
    await sql`select queue.cancel(id, null) from queue.events where id = any(${[later.id, batch[1].id]}::bigint[])`;
  },
  'typed-events': async () => {
    const { added, refused } = await typedEvents.run(supabase);
    expect(added).toMatchObject({ name: 'Addition', created: true });
    expect(refused).toBeInstanceOf(QueueError);
    expect(refused).toMatchObject({ status: 400, code: 'invalid_request', message: 'props.email must be a string, got 42.' });
    expect(await sql`select 1 from queue.events where name = 'Welcome'`).toHaveLength(0);
  },
  'code-handler': async () => {
    const { ok, failed } = await codeHandler.run();
    expect(ok).toEqual({ greeting: 'Welcome, Ada!', attempt: 1 });
    expect(failed).toEqual(new TypeError('props.email must be a string, got 42.'));
  },
  'handlers-and-schedules': async () => {
    const { handlers, nightly, schedules } = await handlersAndSchedules.run(supabase);
    expect(handlers.find((h) => h.name === 'Welcome')).toMatchObject({ kind: 'url', max_attempts: 3, timeout_ms: 10_000 });
    expect(nightly).toMatchObject({ event_name: 'Addition', timezone: 'Europe/Paris', props: { x: 1, y: 2 } });
    expect([1, 2]).toContain(new Date(nightly.next_run_at).getUTCHours());
    expect(schedules.map((s) => s.name)).not.toContain('nightly-sum');
    expect(await sql`select 1 from queue.handlers where name = 'Welcome'`).toHaveLength(0);
  },
  'inspect-and-steer': async () => {
    const { dead, runs: attempts, page, ids, deadCount, redriven, moved, cancelled, stats } = await inspectAndSteer.run(supabase);
    expect(dead).toMatchObject({ state: 'dead', last_error: { message: 'Division by zero: 1 / 0 is undefined.' } });
    expect(attempts).toMatchObject([{ attempt: 1, outcome: 'failed' }]);
    expect(page.events.map((e) => e.id)).toContain(dead.id);
    expect(ids).toContain(dead.id);
    expect(deadCount).toBeGreaterThanOrEqual(1);
    expect(redriven).toBeGreaterThanOrEqual(1);
    expect(moved).toMatchObject({ id: cancelled.id, state: 'scheduled', priority: 10 });
    expect(Date.parse(moved.run_at) - Date.parse(moved.updated_at)).toBeGreaterThan(55_000);
    expect(Date.parse(moved.run_at) - Date.parse(moved.updated_at)).toBeLessThan(65_000);
    expect(cancelled.state).toBe('cancelled');
    expect(await sql`select 1 from queue.events where id = ${cancelled.id}`).toHaveLength(0);
    expect(stats.find((s) => s.name === 'Division')).toMatchObject({ cancelled: expect.any(Number) });
  },
  subscribe: async () => {
    // The example hears every Multiplication change from its subscription on:
    // let Realtime first deliver what earlier examples committed (after a
    // 10,000-event test it can lag by seconds), or it would hear those too.
    const [{ lsn }] = await sql`select pg_current_wal_lsn()::text as lsn`;
    await waitFor('Realtime to catch up', async () => {
      const [slot] = await sql`select confirmed_flush_lsn >= ${lsn}::pg_lsn as caught from pg_replication_slots where slot_name = 'supabase_realtime_local'`;
      return slot?.caught === true;
    }, 15_000, 100).catch(() => {}); // a barrier only: the assertion below is the test
    const { seen } = await subscribe.run(supabase);
    expect(seen.filter((s, i) => i === 0 || seen[i - 1] !== s)).toEqual(['queued', 'processing', 'succeeded']);
  },
  errors: async () => {
    expect(await errors.run(supabase)).toEqual({ code: 'no_handler' });
  },
};

describe('README examples', () => {
  it('has a run for every file in test/examples', () => {
    expect(Object.keys(runs).sort()).toEqual(names);
  });

  for (const name of names) {
    it(`runs ${name}`, async () => {
      await runs[name]();
    });
  }

  for (const name of names) {
    it(`README.md shows ${name} verbatim in a \`\`\`ts block`, () => {
      const readme = readFileSync(README, 'utf8');
      const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
      const code = exampleCode(name);
      expect(blocks.some((b) => b.includes(code)),
        `README.md has no \`\`\`ts block containing the example of test/examples/${name}.ts (its "// #region readme" code):\n${code}`).toBe(true);
    });
  }
});
