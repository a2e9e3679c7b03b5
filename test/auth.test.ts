import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { signJwt } from '../platform/keys/keys.ts';
import { call, client, db, rowCounts, stack, tokenFor } from './support/queue.ts';

const sql = db();
afterAll(() => sql.end());
const routes = ['enqueue', 'registry', 'events', 'dispatch'];

describe('authorization', () => {
  it('answers 401 without a JWT, on every function', async () => {
    for (const fn of routes) {
      const res = await call(fn, { method: 'POST', key: null, json: {} });
      expect(res.status, fn).toBe(401);
      expect(res.body.message).toBe('Missing authorization header');
    }
  });

  it('answers 401 for a JWT signed with another secret or malformed', async () => {
    const forged = await signJwt('not-the-project-secret-not-the-project-secret', { role: 'service_role' });
    for (const key of [forged, 'not.a.jwt', 'garbage']) {
      const res = await call('enqueue', { method: 'POST', key, json: { name: 'Addition', props: {} } });
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Invalid JWT');
    }
  });

  it('answers 403 when the anon key calls registry or dispatch, writing nothing', async () => {
    const before = await rowCounts(sql);
    const reg = await call('registry', { method: 'POST', key: stack.anonKey, json: { name: 'X', kind: 'code', target: 'Addition' } });
    expect(reg.status).toBe(403);
    expect(reg.body.error.code).toBe('forbidden');
    const dis = await call('dispatch', { method: 'POST', key: stack.anonKey, json: { events: [] } });
    expect(dis.status).toBe(403);
    expect(await rowCounts(sql)).toEqual(before);
  });

  it('answers 403 when a signed-in user calls registry or dispatch', async () => {
    const user = await tokenFor(randomUUID());
    expect((await call('registry', { key: user })).status).toBe(403);
    expect((await call('dispatch', { method: 'POST', key: user, json: { events: [] } })).status).toBe(403);
  });

  it('answers 403 when the anon key enqueues: events belong to a user or the service role', async () => {
    const { error } = await client(stack.anonKey).functions.invoke('enqueue', { body: { name: 'Addition', props: {} } });
    expect((error as any).context.status).toBe(403);
  });
});
