// cancel: a queued or scheduled event never runs; a processing one is stopped
// at its next heartbeat (or its outcome) and does not run again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHandlerServer, type HandlerServer } from './support/handler-server.ts';
import { call, db, registerHandler, runsOf, tickUntil } from './support/queue.ts';

const sql = db();
let server: HandlerServer;
beforeAll(async () => {
  server = await startHandlerServer();
  await registerHandler(sql, { name: 'LongJob', kind: 'url', target: server.url, timeout_ms: 60_000, backoff_base_ms: 0 });
});
afterAll(async () => {
  await server.close();
  await sql.end();
});

describe('cancel', () => {
  it('stops a processing event at its next heartbeat and never retries it', { timeout: 60_000 }, async () => {
    const { body } = await call('enqueue', { method: 'POST', json: { name: 'LongJob', props: { sleep_ms: 40_000 } } });
    await tickUntil(sql, [body.id], ['processing'], 15_000);
    const cancelled = await call(`events/${body.id}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('processing');
    expect(cancelled.body.cancel_requested_at).not.toBeNull();

    // Heartbeats come every 10 s; well before the handler's 40 s sleep ends.
    const [event] = await tickUntil(sql, [body.id], ['cancelled'], 25_000);
    expect(event.finished_at).not.toBeNull();
    const runs = await runsOf(sql, body.id);
    expect(runs.map((r) => r.outcome)).toEqual(['cancelled']);
    await sql`select queue.tick()`;
    expect(await runsOf(sql, body.id)).toHaveLength(1);
  });

  it('refuses to cancel an event that already ended', async () => {
    const { body } = await call('enqueue', { method: 'POST', json: { name: 'LongJob', props: {} } });
    await tickUntil(sql, [body.id]);
    const res = await call(`events/${body.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(409);
  });
});
