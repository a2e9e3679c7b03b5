// Bad input fuzz: hundreds of generated malformed requests across every
// route. Every one must be answered 4xx with the JSON error shape, and the
// database must be unchanged (counts and a digest of what requests can write).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, db, registerHandler, stack } from './support/queue.ts';

const sql = db();

/** A small deterministic PRNG (mulberry32), so a failure can be reproduced. */
function rng(seed: number) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20261128);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];

const deep = (depth: number): unknown => (depth === 0 ? 1 : { a: deep(depth - 1) });
const INJECTIONS = ["'; drop table queue.events; --", '" or 1=1 --', '$$; select pg_sleep(10); $$', '\\x00', '<script>alert(1)</script>', '../../etc/passwd'];
/** Values of the wrong type for any typed field. */
const WRONG: unknown[] = [null, true, 42, -1, 1.5, 'NaN', '', 'x'.repeat(300_000), [], [1, 2], {}, { $gt: '' }, deep(200), ...INJECTIONS];
const BAD_DATES = ['2026-02-30T00:00:00Z', 'yesterday', '2026-13-01T00:00:00Z', '1e10', '0000-00-00T00:00:00Z', '2030-01-01', '2030-01-01T25:00:00Z', 'NaN'];
const BAD_NUMBERS = [-1, -1e9, 1e12, 0.5, 'NaN', 'Infinity', '1', null, true];

interface Case { what: string; method: string; path: string; body?: string }

const json = (v: unknown) => JSON.stringify(v);
const validEvent = () => ({ name: 'Fuzzed', props: { x: 1, y: 2 } });
const validHandler = () => ({ name: 'FuzzNew', kind: 'code', target: 'Addition' });
const validSchedule = () => ({ name: 'fuzz-schedule', event_name: 'Fuzzed', cron: '* * * * *' });

/** One mutation of a valid body that must make it invalid. */
function mutate(base: Record<string, unknown>, typed: Record<string, readonly unknown[]>): [string, unknown] {
  const roll = random();
  if (roll < 0.15) return ['an unknown field', { ...base, [pick(['nmae', 'prop', 'runAt', '__proto__x', 'extra'])]: pick(WRONG) }];
  if (roll < 0.2) return ['a non-object body', pick([[], [base], 'text', 42, null, true])];
  const field = pick(Object.keys(typed));
  return [`${field} = ${String(json(typed[field][0]) ?? typed[field][0]).slice(0, 30)}`, { ...base, [field]: pick(typed[field]) }];
}

function generate(): Case[] {
  const cases: Case[] = [];
  const raw = ['{', '{"name": "Fuzzed", ', 'null x', '\u0000', '{"name": NaN}', '{"name": "Fuzzed", "props": {"x": Infinity}}', '[', '"\\ud800"', '{}}', ''];
  for (const path of ['enqueue', 'handlers', 'schedules', 'events/redrive', 'dispatch']) {
    for (const body of raw) cases.push({ what: `malformed JSON ${json(body)}`, method: 'POST', path, body });
  }
  // Props past the documented limits: 64 levels of nesting, 256 KiB. The
  // 10,000-deep body is written as text (JSON.stringify cannot write it).
  const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  cases.push(
    { what: 'props nested 10,000 deep', method: 'POST', path: 'enqueue', body: `{"name":"Fuzzed","props":${nested(10_000)}}` },
    { what: 'props nested 65 deep', method: 'POST', path: 'enqueue', body: `{"name":"Fuzzed","props":${nested(65)}}` },
    { what: 'a batch with one item nested 10,000 deep', method: 'POST', path: 'enqueue',
      body: `{"events":[{"name":"Fuzzed","props":{"x":1}},{"name":"Fuzzed","props":${nested(10_000)}}]}` },
    { what: 'props of 300 KiB', method: 'POST', path: 'enqueue', body: json({ name: 'Fuzzed', props: { blob: 'x'.repeat(300 * 1024) } }) },
    { what: 'schedule props nested 10,000 deep', method: 'POST', path: 'schedules',
      body: `{"name":"fuzz-deep","event_name":"Fuzzed","cron":"* * * * *","props":${nested(10_000)}}` },
  );
  const eventFields = {
    name: [...WRONG.filter((v) => typeof v !== 'string' || v === '' || (v as string).length > 100), ...INJECTIONS, '1abc', 'with space'],
    props: WRONG.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
    run_at: [...BAD_DATES, 42, true, {}],
    delay_ms: BAD_NUMBERS,
    priority: [101, -101, 1.5, '5', null, 'high'],
    idempotency_key: ['', 'k'.repeat(201), 42, {}, null],
    max_attempts: [0, 101, -3, 2.5, 'five', null],
    backoff_factor: [0, 11, 'two', -1, null],
  } as const;
  for (let i = 0; i < 70; i++) {
    const [what, body] = mutate(validEvent(), eventFields);
    cases.push({ what: `enqueue with ${what}`, method: 'POST', path: 'enqueue', body: json(body) });
  }
  for (let i = 0; i < 20; i++) {
    const [what, item] = mutate(validEvent(), eventFields);
    cases.push({ what: `a batch with ${what}`, method: 'POST', path: 'enqueue', body: json({ events: [validEvent(), item, validEvent()] }) });
  }
  const handlerFields = {
    name: [...INJECTIONS, '', 'x'.repeat(101), 42, null],
    kind: ['sql', 'CODE', '', 42, null],
    target: ['', 'x'.repeat(2001), 42, null, {}],
    max_attempts: [0, 101, 'a', 1.5],
    timeout_ms: [0, 99, 150_001, -5, '1000'],
    backoff_jitter: [-0.1, 1.1, 'x'],
    concurrency_limit: [0, -1, 10_001, 'two'],
    rate_limit: [0, 'ten', 1.5],
    enabled: ['yes', 1, null],
  } as const;
  for (let i = 0; i < 40; i++) {
    const [what, body] = mutate(validHandler(), handlerFields);
    cases.push({ what: `create with ${what}`, method: 'POST', path: 'handlers', body: json(body) });
  }
  const patchFields = { kind: handlerFields.kind, max_attempts: handlerFields.max_attempts, timeout_ms: handlerFields.timeout_ms, enabled: handlerFields.enabled, name: ['Renamed'] } as const;
  for (let i = 0; i < 20; i++) {
    const [what, body] = mutate({ max_attempts: 3 }, patchFields);
    cases.push({ what: `update with ${what}`, method: 'PATCH', path: 'handlers/Fuzzed', body: json(body) });
  }
  const scheduleFields = {
    name: [...INJECTIONS, '', 42],
    event_name: ['NoHandlerHere', '', 42, ...INJECTIONS],
    cron: ['61 * * * *', '* * *', '*/0 * * * *', 'every minute', '', 42, '0 0 30 2 *', ...INJECTIONS],
    timezone: ['Mars/Olympus', '', 42, 'UTC; drop table x'],
    props: ['x', [], 42],
    priority: [1000, 'high'],
  } as const;
  for (let i = 0; i < 30; i++) {
    const [what, body] = mutate(validSchedule(), scheduleFields);
    cases.push({ what: `schedule with ${what}`, method: 'POST', path: 'schedules', body: json(body) });
  }
  for (const id of ['abc', '-1', '0', '1.5', '1e3', '99999999999999999999', "1'or'1", '%00', '１']) {
    cases.push({ what: `event id ${id}`, method: 'GET', path: `events/${encodeURIComponent(id)}` });
    cases.push({ what: `cancel id ${id}`, method: 'POST', path: `events/${encodeURIComponent(id)}/cancel` });
    cases.push({ what: `retry id ${id}`, method: 'POST', path: `events/${encodeURIComponent(id)}/retry` });
  }
  const queries = ['state=done', 'state=', 'limit=0', 'limit=501', 'limit=abc', 'created_after=yesterday', 'created_before=2026-02-30T00:00:00Z',
    'before_id=-4', 'before_id=abc', 'name=%27%3B%20drop', 'sort=id', 'limit=-1', 'state=queued%27--'];
  for (const q of queries) cases.push({ what: `list with ${q}`, method: 'GET', path: `events?${q}` });
  for (const body of [{}, { name: 42 }, { name: INJECTIONS[0] }, { name: 'Fuzzed', extra: 1 }]) {
    cases.push({ what: `redrive ${json(body)}`, method: 'POST', path: 'events/redrive', body: json(body) });
  }
  const row = { id: 1, run_id: 1, name: 'Fuzzed', kind: 'code', target: 'Addition', timeout_ms: 1000 };
  for (const body of [{ events: 'x' }, { events: [{ ...row, id: 'a' }] }, { events: [{ ...row, id: 1.5 }] },
    { events: [], handlers: [] }, { events: [{ ...row, kind: 'sql' }] }, { events: [{ ...row, target: undefined }] },
    { events: [{ ...row, timeout_ms: '1s' }] }, { events: [null] }]) {
    cases.push({ what: `dispatch batch ${json(body).slice(0, 60)}`, method: 'POST', path: 'dispatch', body: json(body) });
  }
  return cases;
}

/**
 * What a request could have written: row counts, digests of handlers and
 * schedules, and of the event columns only requests change (runs and states
 * are left out: earlier tests' events may still be retrying in the background).
 */
async function snapshot() {
  const [row] = await sql`
    select (select count(*) from queue.events)::int as events,
           (select count(*) from queue.handlers)::int as handlers,
           (select count(*) from queue.schedules)::int as schedules,
           (select md5(coalesce(string_agg(h::text, ',' order by name), '')) from queue.handlers h) as handler_rows,
           (select md5(coalesce(string_agg(s::text, ',' order by name), '')) from queue.schedules s) as schedule_rows,
           (select md5(coalesce(string_agg(concat_ws('|', e.id, e.name, e.props, e.priority, e.idempotency_key, e.cancel_requested_at), ',' order by e.id), ''))
              from queue.events e) as event_rows`;
  return row;
}

const cases = generate();

beforeAll(async () => {
  await registerHandler(sql, { name: 'Fuzzed', kind: 'code', target: 'Addition' });
  // Quiet: nothing is queued or running, so the snapshot can only change through a request.
  await new Promise((r) => setTimeout(r, 1500));
});
afterAll(() => sql.end());

describe('bad input fuzz', () => {
  it(`generates at least 200 malformed requests across every route (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const routes = new Set(cases.map((c) => `${c.method} ${c.path.split(/[/?]/)[0]}`));
    for (const r of ['POST enqueue', 'POST handlers', 'PATCH handlers', 'POST schedules', 'GET events', 'POST events', 'POST dispatch']) {
      expect(routes).toContain(r);
    }
  });

  it('answers every one 4xx with { error: { code, message } } and leaves the database unchanged', { timeout: 180_000 }, async () => {
    const before = await snapshot();
    const failures: string[] = [];
    for (const c of cases) {
      const res = await call(c.path, { method: c.method, body: c.body, headers: c.body !== undefined ? { 'content-type': 'application/json' } : {} });
      const shapeOk = typeof res.body === 'object' && res.body !== null && typeof res.body.error?.code === 'string' && typeof res.body.error?.message === 'string';
      if (res.status < 400 || res.status >= 500 || !shapeOk) {
        failures.push(`${c.method} ${c.path} (${c.what}): ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('answers malformed requests to every route the same way without the service role too', async () => {
    expect(stack.anonKey).toBeTruthy();
    for (const path of ['enqueue', 'events', 'handlers', 'schedules', 'dispatch']) {
      const res = await call(path, { method: 'POST', body: '{', headers: { 'content-type': 'application/json' }, key: stack.anonKey });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.error.code).toEqual(expect.any(String));
    }
  });
});
