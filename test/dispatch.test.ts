import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../functions/dispatch/app.ts';
import { testDispatcher } from './support/dispatchers.ts';
import { call, claimOnly, client, db, eventsById, expireLeases, registerHandler, runsOf, setKicks, stack, testAuth, tickUntil } from './support/queue.ts';

const sql = db();
let server: Server;
let serverUrl = '';
const received: unknown[] = [];

beforeAll(async () => {
  // A handler living outside dispatch: a plain HTTP endpoint.
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const event = JSON.parse(body);
      received.push(event);
      if (event.props.fail) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream exploded');
      } else if (event.props.sleep_ms) {
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"slept":true}'), event.props.sleep_ms);
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echoed: event.props }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  serverUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/handle`;
  await registerHandler(sql, { name: 'Division', kind: 'code', target: 'Division', max_attempts: 3, backoff_base_ms: 0 });
});
afterAll(async () => {
  server.close();
  await sql.end();
});

describe('dispatch (end to end: enqueue -> tick -> pg_net -> dispatch -> settle)', () => {
  it('runs Addition {x: 2, y: 3} to succeeded with result 5 and exactly one run', async () => {
    const supabase = client();
    await call('handlers/Addition', { method: 'DELETE' });
    const reg = await supabase.functions.invoke('handlers', { body: { name: 'Addition', kind: 'code', target: 'Addition' } });
    expect(reg.error).toBeNull();
    const { data, error } = await supabase.functions.invoke('enqueue', { body: { name: 'Addition', props: { x: 2, y: 3 } } });
    expect(error).toBeNull();
    const [event] = await tickUntil(sql, [data.id]);
    expect(event.state).toBe('succeeded');
    expect(event.result).toBe(5);
    expect(event.finished_at).not.toBeNull();
    const runs = await runsOf(sql, data.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ attempt: 1, outcome: 'succeeded', result: 5 });
    expect(runs[0].duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('ends Division {x: 1, y: 0} dead after max_attempts, the error on every run', async () => {
    const { data } = await client().functions.invoke('enqueue', { body: { name: 'Division', props: { x: 1, y: 0 } } });
    const [event] = await tickUntil(sql, [data.id]);
    expect(event.state).toBe('dead');
    expect(event.attempts).toBe(3);
    expect(event.last_error).toMatchObject({ message: expect.stringContaining('Division by zero') });
    const runs = await runsOf(sql, data.id);
    expect(runs.map((r) => [r.attempt, r.outcome])).toEqual([[1, 'failed'], [2, 'failed'], [3, 'failed']]);
    for (const run of runs) expect(run.error).toMatchObject({ message: expect.stringContaining('Division by zero') });
  });

  it('stores non-number props as an error on the run, never NaN or "23"', async () => {
    const { data } = await client().functions.invoke('enqueue', {
      body: { name: 'Division', props: { x: '23', y: 1 }, max_attempts: 1 },
    });
    const [event] = await tickUntil(sql, [data.id]);
    expect(event.state).toBe('dead');
    expect(event.result).toBeNull();
    const [run] = await runsOf(sql, data.id);
    expect(run.error).toMatchObject({ name: 'TypeError', message: 'props.x must be a finite number, got "23".' });
  });

  it('calls a url handler with the event and stores its JSON answer', async () => {
    await registerHandler(sql, { name: 'Echo', kind: 'url', target: serverUrl });
    const { data } = await client().functions.invoke('enqueue', { body: { name: 'Echo', props: { hello: 'world' } } });
    const [event] = await tickUntil(sql, [data.id]);
    expect(event).toMatchObject({ state: 'succeeded', result: { echoed: { hello: 'world' } } });
    expect(received).toContainEqual({ id: data.id, name: 'Echo', props: { hello: 'world' }, attempt: 1 });
  });

  it('records a url handler’s non-2xx answer as the run’s error', async () => {
    await registerHandler(sql, { name: 'EchoFail', kind: 'url', target: serverUrl, max_attempts: 1 });
    const { data } = await client().functions.invoke('enqueue', { body: { name: 'EchoFail', props: { fail: true } } });
    const [event] = await tickUntil(sql, [data.id]);
    expect(event.state).toBe('dead');
    expect((event.last_error as any).message).toContain('answered 500: upstream exploded');
  });

  it('fails an attempt that outlives its handler timeout as timed_out, and the rest of the batch completes', async () => {
    await registerHandler(sql, { name: 'Slow', kind: 'url', target: serverUrl, timeout_ms: 300, max_attempts: 1 });
    const slow = await client().functions.invoke('enqueue', { body: { name: 'Slow', props: { sleep_ms: 3000 } } });
    const fast = await client().functions.invoke('enqueue', { body: { name: 'Addition', props: { x: 1, y: 1 } } });
    const events = await tickUntil(sql, [slow.data.id, fast.data.id]);
    expect(events.map((e) => e.state)).toEqual(['dead', 'succeeded']);
    const [run] = await runsOf(sql, slow.data.id);
    expect(run.outcome).toBe('timed_out');
    expect((run.error as any).message).toContain('timeout of 300 ms');
  });

  it('takes back a batch that pg_net delivers after its lease expired, unspent, and never runs it twice', async () => {
    const dispatcher = testDispatcher();
    const app = createApp({ dispatcher, auth: testAuth(), waitUntil: () => {} });
    await setKicks(sql, false);
    const [{ id }] = await sql`select id from queue.enqueue('Addition', '{"x": 4, "y": 4}')`;
    const [claimed] = await claimOnly(sql, [id], 'tick:late');
    // pg_net was slow: the lease runs out before the batch is delivered.
    await expireLeases(sql, [id], { reclaim: true });
    const [back] = await eventsById(sql, [id]);
    expect(back).toMatchObject({ state: 'queued', attempts: 0 });
    expect(await runsOf(sql, id)).toEqual([]);

    const res = await app.request('/dispatch', {
      method: 'POST',
      headers: { apikey: stack.secretKey, 'content-type': 'application/json' },
      body: JSON.stringify({ worker: 'tick:late', events: [claimed] }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ worker: 'tick:late', accepted: 1 });
    await dispatcher.idle();
    await dispatcher.close();
    await setKicks(sql, true);
    expect(await runsOf(sql, id)).toEqual([]);
    expect((await eventsById(sql, [id]))[0]).toMatchObject({ state: 'queued', attempts: 0 });
  });

  it('answers 202 at once and runs the batch after the response', async () => {
    const dispatcher = testDispatcher();
    const pending: Promise<unknown>[] = [];
    const app = createApp({ dispatcher, auth: testAuth(), waitUntil: (p) => pending.push(p) });
    await setKicks(sql, false);
    await registerHandler(sql, { name: 'SlowEcho', kind: 'url', target: serverUrl });
    const [{ id }] = await sql`select id from queue.enqueue('SlowEcho', '{"sleep_ms": 1500}')`;
    const rows = await claimOnly(sql, [id], 'tick:now');
    const res = await app.request('/dispatch', {
      method: 'POST',
      headers: { apikey: stack.secretKey, 'content-type': 'application/json' },
      body: JSON.stringify({ worker: 'tick:now', events: rows }),
    });
    expect(res.status).toBe(202);
    // Answered while the 1.5 s handler still runs.
    expect((await eventsById(sql, [id]))[0].state).toBe('processing');
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    await dispatcher.close();
    await setKicks(sql, true);
    expect((await eventsById(sql, [id]))[0]).toMatchObject({ state: 'succeeded', result: { slept: true } });
  });
});
