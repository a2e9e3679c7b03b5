// An enqueue's answer must be its own. postgres.js keeps a dead backend's
// query and error state when it reuses a connection (porsager/postgres#1215,
// #1223), and under terminated connections one enqueue was answered with the
// id of another request's event (faults.test.ts, once in CI). Each enqueue
// statement therefore carries a nonce its answer echoes, and an answer without it
// fails as a lost connection does: whether the events were written is unknown,
// so the caller gets an error, never another event's id.
//
// Here a proxy in front of the real Postgres replaces every nonce-shaped
// value (a random UUID) in the server's answers with another one, as an answer
// meant for another statement carries another statement's nonce.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, enqueueMany, MisdeliveredAnswer, type Sql } from '../src/shared/db.ts';
import { groupCommit } from '../src/shared/group-commit.ts';
import { pgProxy, type PgProxy } from './support/pg-proxy.ts';
import { db, registerHandler, stack } from './support/queue.ts';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g;

let proxy: PgProxy;
let proxied: Sql;
let sql: Sql;

beforeAll(async () => {
  proxy = await pgProxy(stack.dbUrl, (client, server) => {
    client.pipe(server);
    // Same length, so every message's length field stays right.
    server.on('data', (chunk: Buffer) => void client.write(Buffer.from(chunk.toString('latin1').replace(UUID, () => randomUUID()), 'latin1')));
  });
  proxied = connect(proxy.url, { max: 2 });
  sql = db();
  await registerHandler(sql, { name: 'Misdelivered', kind: 'code', target: 'Addition' });
});

afterAll(async () => {
  await proxied?.end();
  await sql?.end();
  await proxy?.close();
});

describe('an enqueue answered with another statement\'s rows', () => {
  it('fails with MisdeliveredAnswer instead of answering ids, though the events were written', async () => {
    const tag = randomUUID().replace(/-/g, '');
    await expect(enqueueMany(proxied, [{ name: 'Misdelivered', props: { x: 1, y: 2, tag } }, { name: 'Misdelivered', props: { x: 3, y: 4, tag } }], null))
      .rejects.toBeInstanceOf(MisdeliveredAnswer);
    const [{ n }] = await sql`select count(*)::int as n from queue.events where name = 'Misdelivered' and props->>'tag' = ${tag}`;
    expect(n).toBe(2);
  });

  it('fails every call of a group commit with it, none answered with an id', async () => {
    const enqueue = groupCommit(proxied);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => enqueue([{ name: 'Misdelivered', props: { x: i, y: 0 } }], null)));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill('rejected'));
    for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(MisdeliveredAnswer);
  });

  it('through a connection that is not tampered with, the same enqueue answers its own ids', async () => {
    const rows = await enqueueMany(sql, [{ name: 'Misdelivered', props: { x: 5, y: 6 } }], null);
    const [{ id }] = await sql`select id from queue.events where id = ${rows[0].id} and props->>'x' = '5'`;
    expect(rows.map((r) => r.id)).toEqual([id]);
  });
});
