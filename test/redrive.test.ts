import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, db, registerHandler, tickUntil } from './support/queue.ts';

const sql = db();
beforeAll(() => registerHandler(sql, { name: 'Flaky', kind: 'code', target: 'Division', max_attempts: 1 }));
afterAll(() => sql.end());

describe('redrive', () => {
  it('retries every dead event of a name, and only those', async () => {
    const bodies = [{ x: 1, y: 0 }, { x: 2, y: 0 }, { x: 4, y: 2 }].map((props) => ({ name: 'Flaky', props }));
    const { body } = await call('enqueue', { method: 'POST', json: { events: bodies } });
    const ids = body.events.map((e: any) => e.id);
    const settled = await tickUntil(sql, ids);
    expect(settled.map((e) => e.state)).toEqual(['dead', 'dead', 'succeeded']);

    // The handler is fixed: Division now sees y = 1 for the dead ones.
    await sql`update queue.events set props = jsonb_set(props, '{y}', '1') where id = any(${ids.slice(0, 2)}::bigint[])`;
    const res = await call('events/redrive', { method: 'POST', json: { name: 'Flaky' } });
    expect(res.status).toBe(200);
    expect(res.body.redriven).toBeGreaterThanOrEqual(2);
    const after = await tickUntil(sql, ids);
    expect(after.map((e) => [e.state, e.result])).toEqual([['succeeded', 1], ['succeeded', 2], ['succeeded', 2]]);
    const [{ n }] = await sql`select count(*)::int as n from queue.runs where event_id = ${ids[2]}`;
    expect(n).toBe(1);
  });

  it('answers 400 for a redrive without a name', async () => {
    expect((await call('events/redrive', { method: 'POST', json: {} })).status).toBe(400);
  });
});
