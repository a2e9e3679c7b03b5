import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, db, registerHandler, rowCounts } from './support/queue.ts';

const sql = db();
beforeAll(() => registerHandler(sql, { name: 'Addition', kind: 'code', target: 'Addition' }));
afterAll(() => sql.end());

const cases: Array<[string, string, string | undefined]> = [
  ['malformed JSON', 'enqueue', '{"name": "Addition", '],
  ['an empty body', 'enqueue', ''],
  ['a JSON array body', 'enqueue', '[1, 2]'],
  ['a missing event name', 'enqueue', JSON.stringify({ props: {} })],
  ['a non-string event name', 'enqueue', JSON.stringify({ name: 42, props: {} })],
  ['props that are a string', 'enqueue', JSON.stringify({ name: 'Addition', props: 'x=1' })],
  ['props that are an array', 'enqueue', JSON.stringify({ name: 'Addition', props: [1] })],
  ['props that are null', 'enqueue', JSON.stringify({ name: 'Addition', props: null })],
  ['an invalid run_at date', 'enqueue', JSON.stringify({ name: 'Addition', props: {}, run_at: '2026-13-45T99:00:00Z' })],
  ['a run_at without a time zone', 'enqueue', JSON.stringify({ name: 'Addition', props: {}, run_at: '2030-01-01 10:00' })],
  ['run_at and delay_ms together', 'enqueue', JSON.stringify({ name: 'Addition', props: {}, run_at: '2030-01-01T10:00:00Z', delay_ms: 5 })],
  ['a negative delay', 'enqueue', JSON.stringify({ name: 'Addition', props: {}, delay_ms: -1 })],
  ['a priority out of range', 'enqueue', JSON.stringify({ name: 'Addition', props: {}, priority: 1000 })],
  ['a fractional priority', 'enqueue', JSON.stringify({ name: 'Addition', props: {}, priority: 1.5 })],
  ['an unknown field', 'enqueue', JSON.stringify({ name: 'Addition', props: {}, prio: 1 })],
  ['an empty batch', 'enqueue', JSON.stringify({ events: [] })],
  ['a batch with one bad item', 'enqueue', JSON.stringify({ events: [{ name: 'Addition', props: {} }, { name: 'Addition', props: 5 }] })],
  ['a handler without kind', 'handlers', JSON.stringify({ name: 'H', target: 'Addition' })],
  ['a handler with timeout 0', 'handlers', JSON.stringify({ name: 'H', kind: 'code', target: 'Addition', timeout_ms: 0 })],
  ['a dispatch batch without events', 'dispatch', JSON.stringify({ worker: 'x' })],
  ['a reschedule with nothing to change', 'events/1/reschedule', JSON.stringify({})],
  ['a reschedule with a priority out of range', 'events/1/reschedule', JSON.stringify({ priority: 101 })],
  ['a reschedule with run_at and delay_ms together', 'events/1/reschedule', JSON.stringify({ run_at: '2030-01-01T10:00:00Z', delay_ms: 5 })],
  ['a bulk cancel with an unknown state', 'events/cancel', JSON.stringify({ state: 'stuck' })],
  ['a bulk retry with a dry_run that is not a boolean', 'events/retry', JSON.stringify({ dry_run: 'yes' })],
  ['a bulk delete with a limit of 0', 'events/delete', JSON.stringify({ limit: 0 })],
  ['a bulk delete with an unknown field', 'events/delete', JSON.stringify({ id: 1 })],
  ['a bulk delete without a body', 'events/delete', ''],
];

describe('bad input', () => {
  for (const [what, fn, body] of cases) {
    it(`answers ${fn} with a 4xx JSON error for ${what}, writing nothing`, async () => {
      const before = await rowCounts(sql);
      const res = await call(fn, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
      expect(await rowCounts(sql)).toEqual(before);
    });
  }

  it('answers an oversized batch with 413, writing nothing', async () => {
    const before = await rowCounts(sql);
    const events = Array.from({ length: 10_001 }, () => ({ name: 'Addition', props: { x: 1, y: 1 } }));
    const res = await call('enqueue', { method: 'POST', json: { events } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(await rowCounts(sql)).toEqual(before);
  });

  it('reports every invalid item of a batch by index', async () => {
    const res = await call('enqueue', {
      method: 'POST',
      json: { events: [{ name: 'Addition', props: {} }, { props: {} }, { name: 'Addition', props: {}, priority: 'high' }] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: any) => d.index)).toEqual([1, 2]);
  });

  it('answers a non-numeric event id with 400 and an unknown route with 404', async () => {
    expect((await call('events/abc')).status).toBe(400);
    expect((await call('events/abc', { method: 'DELETE' })).status).toBe(400);
    const res = await call('enqueue/nowhere', { method: 'POST', json: {} });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
