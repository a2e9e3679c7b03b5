// The error vocabulary: one table of codes and statuses (ERROR_CODES), read by
// the functions' onError and by the SDK, so a code means the same status on
// both sides of the wire. No stack needed.
import { Hono } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { codeOfStatus, ERROR_CODES, fromPgError, QueueError, type ErrorCode } from '../src/shared/errors.ts';
import { onError } from '../src/shared/http.ts';
import { toQueueError } from '../src/sdk/request.ts';

/** What supabase-js's functions.invoke rejects with for a non-2xx answer. */
const httpError = (status: number, body: string) => ({ name: 'FunctionsHttpError', message: 'non-2xx', context: new Response(body, { status }) });

describe('error codes', () => {
  it('gives every QueueError the status of its code', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      expect(new QueueError(code, 'm')).toMatchObject({ name: 'QueueError', code, status: ERROR_CODES[code] });
    }
  });

  it('answers each code with its status and the { error: { code, message } } body, logging a 5xx with its cause', async () => {
    const app = new Hono();
    app.onError(onError);
    const cause = new Error('the JWKS could not be fetched');
    app.get('/:code', (c) => { throw new QueueError(c.req.param('code') as ErrorCode, 'said', { cause }); });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (const code of ['invalid_request', 'conflict', 'no_handler', 'internal'] as const) {
        const res = await app.request(`/${code}`);
        expect(res.status).toBe(ERROR_CODES[code]);
        expect(await res.json()).toEqual({ error: { code, message: 'said' } });
      }
      expect(logged.mock.calls.map(([err]) => [(err as QueueError).code, (err as QueueError).cause])).toEqual([['internal', cause]]);
    } finally {
      logged.mockRestore();
    }
  });

  it('names the code of a bare HTTP status: its own for the queue\'s 4xx, invalid_request for other 4xx, unavailable for 5xx', () => {
    expect([400, 401, 403, 404, 409, 413, 422].map(codeOfStatus))
      .toEqual(['invalid_request', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'payload_too_large', 'no_handler']);
    expect([405, 429, 500, 502, 504].map(codeOfStatus)).toEqual(['invalid_request', 'invalid_request', 'unavailable', 'unavailable', 'unavailable']);
  });
});

describe('fromPgError', () => {
  it('keeps the Postgres error as the cause and names the taken key', () => {
    const pg = Object.assign(new Error('duplicate key value violates unique constraint "handlers_pkey"'), {
      code: '23505', detail: 'Key (name)=(Twice) already exists.',
    });
    const err = fromPgError(pg);
    expect(err).toMatchObject({ code: 'conflict', status: 409, message: 'A record with name = Twice already exists.' });
    expect(err?.cause).toBe(pg);
    const pair = fromPgError({ code: '23505', message: 'dup', detail: 'Key (name, idempotency_key)=(Addition, k-1) already exists.' });
    expect(pair?.message).toBe('A record with (name, idempotency_key) = (Addition, k-1) already exists.');
    expect(fromPgError({ code: '23505', message: 'dup' })?.message).toBe('A record with the same key already exists.');
  });

  it('maps the queue\'s own SQLSTATEs and leaves unknown ones to the 500 path', () => {
    expect(fromPgError({ code: 'QU422', message: 'No enabled handler.' })).toMatchObject({ code: 'no_handler', message: 'No enabled handler.' });
    expect(fromPgError({ code: 'XX000', message: 'boom' })).toBeUndefined();
    expect(fromPgError({ code: 'toString', message: 'not a SQLSTATE of ours' })).toBeUndefined();
    expect(fromPgError('not an error')).toBeUndefined();
  });
});

describe('the SDK reads errors through the same table', () => {
  it('keeps the queue\'s code, message and details', async () => {
    const body = JSON.stringify({ error: { code: 'invalid_request', message: '1 of 2 events are invalid.', details: [{ index: 1 }] } });
    expect(await toQueueError(httpError(400, body), 'enqueue')).toMatchObject({
      code: 'invalid_request', status: 400, message: '1 of 2 events are invalid.', details: [{ index: 1 }],
    });
  });

  it('gives an answer without the queue\'s body the code of its status, and keeps that status in details', async () => {
    expect(await toQueueError(httpError(401, JSON.stringify({ code: 401, message: 'Invalid JWT' })), 'enqueue'))
      .toMatchObject({ code: 'unauthorized', status: 401, message: 'Invalid JWT', details: { http_status: 401 } });
    expect(await toQueueError(httpError(502, 'Bad Gateway'), 'events'))
      .toMatchObject({ code: 'unavailable', status: 503, message: 'The events function answered 502: Bad Gateway', details: { http_status: 502 } });
    expect(await toQueueError(httpError(418, JSON.stringify({ error: { code: 'teapot', message: 'short and stout' } })), 'events'))
      .toMatchObject({ code: 'invalid_request', status: 400, message: 'short and stout', details: { http_status: 418, code: 'teapot' } });
  });

  it('turns a network failure into unavailable, keeping it as the cause', async () => {
    const failure = { name: 'FunctionsFetchError', message: 'fetch failed' };
    const err = await toQueueError(failure, 'enqueue');
    expect(err).toMatchObject({ code: 'unavailable', status: 503, message: 'Could not reach the enqueue function (fetch failed).' });
    expect(err.cause).toBe(failure);
  });
});
