// The queue's postgres.js client (connect) against a connection that dies as
// it starts. A proxy in front of the real Postgres answers the first query of
// the first connection with the message pg_terminate_backend makes the
// backend send (FATAL 57P01) and closes it, as a terminated or restarted
// backend does at that moment; every later connection passes through. An
// unhandled rejection there ends an edge-function worker and every request
// it has in flight (the enqueue fault test saw it as 500 WORKER_ERROR).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../src/shared/db.ts';
import { pgProxy, type PgProxy } from './support/pg-proxy.ts';
import { stack } from './support/queue.ts';

/** ErrorResponse ('E'): severity FATAL, 57P01, the server's own message. */
function fatalTerminated(): Buffer {
  const fields = [['S', 'FATAL'], ['V', 'FATAL'], ['C', '57P01'], ['M', 'terminating connection due to administrator command']]
    .map(([k, v]) => Buffer.concat([Buffer.from(k), Buffer.from(v), Buffer.from([0])]));
  const body = Buffer.concat([...fields, Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

let proxy: PgProxy;
let killed = 0;

beforeAll(async () => {
  proxy = await pgProxy(stack.dbUrl, (client, server) => {
    const doomed = killed === 0;
    let startup = true;
    let pending = Buffer.alloc(0);
    server.pipe(client);
    client.on('data', (chunk) => {
      if (!doomed) return void server.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      // The startup message has no type byte; every later one is type + int32 length.
      while (pending.length >= (startup ? 4 : 5)) {
        const len = startup ? pending.readUInt32BE(0) : pending.readUInt32BE(1) + 1;
        if (pending.length < len) break;
        const type = startup ? '' : String.fromCharCode(pending[0]);
        if (type === 'Q' || type === 'P') {
          killed++;
          server.destroy();
          client.end(fatalTerminated());
          return;
        }
        server.write(pending.subarray(0, len));
        pending = pending.subarray(len);
        startup = false;
      }
    });
  });
});

afterAll(() => proxy.close());

describe('connect', () => {
  it('a connection terminated at its first query: no unhandled rejection, nothing run twice, and the pool goes on', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const direct = connect(stack.dbUrl, { max: 1 });
    const table = `connect_test_${process.pid}`;
    await direct`create table if not exists ${direct(table)} (id bigint primary key)`;
    const sql = connect(proxy.url, { max: 1 });
    const insert = (id: number) => sql`insert into ${sql(table)} select unnest(${[id]}::bigint[]) returning id`;
    try {
      // The proxy took the first insert from the wire: it never reached Postgres.
      await expect(insert(1)).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
      expect(killed).toBe(1);
      // postgres.js 3.4.9 replays the dead backend's FATAL onto the first query of the new connection,
      // before sending it (porsager/postgres#1223): that query fails and is not run either.
      await expect(insert(2)).rejects.toMatchObject({ code: '57P01' });
      expect(await insert(3)).toEqual([{ id: 3 }]);
      expect(await direct`select id from ${direct(table)} order by id`).toEqual([{ id: 3 }]);
      // An unhandled rejection surfaces on a later turn of the event loop.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await direct`drop table if exists ${direct(table)}`;
      await Promise.all([sql.end(), direct.end()]);
    }
  });

  it('passes and reads the array types it declares, as fetch_types would have: bigint[], integer[], text[], name[]', async () => {
    const sql = connect(stack.dbUrl, { max: 1 });
    try {
      const texts = ['a', 'b"c', 'd\\e', '', null, 'NULL', ' x ', '{}', ',', 'é€😀', "'"];
      const [row] = await sql`
        select ${texts}::text[] as texts, ${[1, -2, null]}::integer[] as integers, ${[2 ** 53 - 1, 0]}::bigint[] as bigints,
               array_length(${texts}::text[], 1) as n, (select array_agg(proname) from pg_proc where proname = any(${['now', 'nope']})) as names`;
      expect(row).toEqual({ texts, integers: [1, -2, null], bigints: [2 ** 53 - 1, 0], n: texts.length, names: ['now'] });
    } finally {
      await sql.end();
    }
  });
});
