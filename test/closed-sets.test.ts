// Every closed set and range TypeScript mirrors from SQL equals its SQL
// definition: the enums, the final states, and the validators' ranges and
// name pattern against the tables' CHECK constraints. SQL decides; these
// copies exist for types and for messages a caller can act on.
import { afterAll, describe, expect, it } from 'vitest';
import { EVENT_STATES, FINAL_STATES, HANDLER_KINDS, HEARTBEAT_STATUSES, RUN_OUTCOMES } from '../src/shared/states.ts';
import { EVENT_RANGES } from '../src/shared/validate/enqueue.ts';
import { NAME_RE } from '../src/shared/validate/fields.ts';
import { HANDLER_RANGES } from '../src/shared/validate/handler.ts';
import { db } from './support/queue.ts';

const sql = db();
afterAll(() => sql.end());

const enumLabels = async (type: string): Promise<string[]> =>
  (await sql.unsafe(`select unnest(enum_range(null::queue.${type}))::text as label`)).map((r: any) => r.label);

/** The CHECK constraints of a queue table, as Postgres prints them, with the bodies of the queue functions they call. */
async function checks(table: string): Promise<string> {
  const rows = await sql<{ def: string }[]>`
    select pg_get_constraintdef(c.oid) as def from pg_constraint c
     where c.conrelid = ${`queue.${table}`}::regclass and c.contype = 'c'`;
  const defs = rows.map((r) => r.def).join('\n');
  const called = [...defs.matchAll(/queue\.(\w+)\(/g)].map((m) => m[1]);
  const bodies = called.length
    ? (await sql<{ src: string }[]>`select prosrc as src from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                                     where n.nspname = 'queue' and p.proname = any(${called})`).map((r) => r.src)
    : [];
  return [defs, ...bodies].join('\n');
}

/** [min, max] of `column` in a CHECK printed as ((column >= min) AND (column <= max)). */
function rangeIn(defs: string, column: string): [number, number] | undefined {
  const num = String.raw`\(?'?(-?[\d.]+)'?(?:::\w+)?\)?`;
  const m = new RegExp(String.raw`\(${column} >= ${num}\) AND \(${column} <= ${num}\)`).exec(defs);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

describe('closed sets mirror their Postgres definitions', () => {
  it('event states, run outcomes and handler kinds equal their enums, in order', async () => {
    expect([...EVENT_STATES]).toEqual(await enumLabels('event_state'));
    expect([...RUN_OUTCOMES]).toEqual(await enumLabels('run_outcome'));
    expect([...HANDLER_KINDS]).toEqual(await enumLabels('handler_kind'));
  });

  it('the final states are the ones the events table finishes (finished_at set exactly then)', async () => {
    const [{ def }] = await sql<{ def: string }[]>`
      select pg_get_constraintdef(oid) as def from pg_constraint where conname = 'events_finished_iff_final'`;
    const called = [...def.matchAll(/queue\.(\w+)\(/g)].map((m) => m[1]);
    const bodies = called.length
      ? (await sql<{ src: string }[]>`select prosrc as src from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                                       where n.nspname = 'queue' and p.proname = any(${called})`).map((r) => r.src).join('\n')
      : '';
    const named = EVENT_STATES.filter((state) => `${def}\n${bodies}`.includes(`'${state}'`));
    expect(named).toEqual([...FINAL_STATES]);
  });

  it('the heartbeat statuses are what queue.heartbeat answers', async () => {
    const [{ src }] = await sql<{ src: string }[]>`
      select prosrc as src from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'queue' and p.proname = 'heartbeat'`;
    const answers = [...src.matchAll(/then '(\w+)'|else '(\w+)'/g)].map((m) => m[1] ?? m[2]);
    expect(new Set(answers)).toEqual(new Set(HEARTBEAT_STATUSES));
  });
});

describe('the validators mirror the tables’ constraints', () => {
  it('handler ranges equal queue.handlers’ CHECK constraints', async () => {
    const defs = await checks('handlers');
    for (const [column, range] of Object.entries(HANDLER_RANGES)) {
      expect(rangeIn(defs, column), column).toEqual([...range]);
    }
  });

  it('event ranges equal queue.events’ CHECK constraints', async () => {
    const defs = await checks('events');
    for (const [column, range] of Object.entries(EVENT_RANGES)) {
      expect(rangeIn(defs, column), column).toEqual([...range]);
    }
  });

  it('the name pattern equals the handlers_name_format constraint', async () => {
    const defs = await checks('handlers');
    const pattern = /name ~ '([^']+)'/.exec(defs)?.[1];
    expect(pattern).toBe(NAME_RE.source);
  });
});
