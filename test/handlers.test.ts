import { afterAll, describe, expect, it } from 'vitest';
import { call, db } from './support/queue.ts';

const sql = db();
afterAll(() => sql.end());

describe('handlers', () => {
  it('creates, reads, lists, updates and deletes a handler', async () => {
    await call('handlers/Notify', { method: 'DELETE' });
    const created = await call('handlers', {
      method: 'POST',
      json: { name: 'Notify', kind: 'function', target: 'send-email', max_attempts: 7, timeout_ms: 5000 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Notify', kind: 'function', target: 'send-email', max_attempts: 7, timeout_ms: 5000,
      backoff_base_ms: 1000, backoff_factor: 2, enabled: true,
    });

    const got = await call('handlers/Notify');
    expect(got.status).toBe(200);
    expect(got.body.target).toBe('send-email');

    const list = await call('handlers');
    expect(list.body.handlers.map((h: any) => h.name)).toContain('Notify');

    const updated = await call('handlers/Notify', { method: 'PATCH', json: { enabled: false, backoff_factor: 3 } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ enabled: false, backoff_factor: 3, max_attempts: 7 });
    const [row] = await sql`select enabled, backoff_factor::float8 as f from queue.handlers where name = 'Notify'`;
    expect(row).toEqual({ enabled: false, f: 3 });

    const deleted = await call('handlers/Notify', { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await sql`select 1 from queue.handlers where name = 'Notify'`).toHaveLength(0);
  });

  it('answers 409 when the name already has a handler', async () => {
    await call('handlers', { method: 'POST', json: { name: 'Twice', kind: 'code', target: 'Addition' } });
    const again = await call('handlers', { method: 'POST', json: { name: 'Twice', kind: 'code', target: 'Addition' } });
    expect(again.status).toBe(409);
    expect(again.body.error).toEqual({ code: 'conflict', message: 'A record with name = Twice already exists.' });
  });

  it('answers 404 for an unknown handler on get, update and delete', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await call('handlers/Unknown', { method, json: method === 'PATCH' ? { enabled: true } : undefined });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });

  it('refuses a url handler whose target is not a URL', async () => {
    const res = await call('handlers', { method: 'POST', json: { name: 'BadUrl', kind: 'url', target: 'not a url' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('target');
  });
});
