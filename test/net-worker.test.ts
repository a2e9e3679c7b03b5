/**
 * The local pg_net stand-in (platform/pg-net)
 * must behave like Supabase's pg_net: requests leave only after commit, and
 * what lands in net._http_response matches what the real worker records.
 * Every assertion is on database rows or on what a real HTTP server received.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { startNetWorker, type NetWorker } from '../platform/pg-net/net-worker.ts';
import { waitFor } from './support/wait.ts';

type Received = { method: string; url: string; headers: IncomingMessage['headers']; body: string };

const dbUrl = process.env.SUPAQUEUE_TEST_DB_URL;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let sql: postgres.Sql;
let server: Server;
let base = '';
let worker: NetWorker;
const received: Received[] = [];
const arrivals = (path: string) => received.filter((r) => r.url.split('?')[0] === path);

async function responseRow(id: string) {
  return waitFor(`a response row for request ${id}`, async () =>
    (await sql`select * from net._http_response where id = ${id}`)[0]);
}

/** A port nothing listens on: bind one, then release it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  if (!dbUrl) throw new Error('SUPAQUEUE_TEST_DB_URL is not set');
  sql = postgres(dbUrl, { onnotice: () => {} });
  // Not dropped first: other test files may share this database and its queue.
  await sql`create extension if not exists pg_net`;

  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('sleep') ?? 0);
      setTimeout(() => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-from': 'test-server' });
        res.end(JSON.stringify({ ok: true, path: req.url }));
      }, delay);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  worker = await startNetWorker({ dbUrl, pollIntervalMs: 200, log: () => {} });
});

afterAll(async () => {
  await worker?.stop();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await sql?.end({ timeout: 5 });
});

describe('local pg_net stand-in', () => {
  it('reports the worker as up while it runs', async () => {
    await expect(sql`select net.check_worker_is_up()`).resolves.toBeDefined();
  });

  it('never sends a request whose transaction rolled back', async () => {
    await sql
      .begin(async (tx) => {
        await tx`select net.http_get(${base + '/rolled-back'})`;
        throw new Error('roll back');
      })
      .catch(() => {});
    // A request committed afterwards arrives, proving the worker has polled past the rolled-back one.
    const [{ id }] = await sql`select net.http_get(${base + '/after-rollback'}) as id`;
    await responseRow(id);
    await sleep(500);

    expect(arrivals('/after-rollback')).toHaveLength(1);
    expect(arrivals('/rolled-back')).toHaveLength(0);
    expect(await sql`select 1 from net.http_request_queue where url like ${'%/rolled-back'}`).toHaveLength(0);
  });

  it('does not send a request while its transaction is open, and sends it once committed', async () => {
    let id = '';
    await sql.begin(async (tx) => {
      [{ id }] = await tx`select net.http_get(${base + '/open-tx'}) as id`;
      await sleep(1000); // five poll intervals
      expect(arrivals('/open-tx')).toHaveLength(0);
    });
    expect((await responseRow(id)).status_code).toBe(201);
    expect(arrivals('/open-tx')).toHaveLength(1);
  }, 15_000);

  it('sends a committed http_post with its method, headers and JSON body, and stores the response under the returned id', async () => {
    const [{ id }] = await sql`
      select net.http_post(
        url := ${base + '/post'},
        body := ${sql.json({ hello: 'world', n: 1 })},
        headers := ${sql.json({ 'Content-Type': 'application/json', 'X-Trace': 'abc' })}
      ) as id`;
    const row = await responseRow(id);

    const [req] = arrivals('/post');
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-trace']).toBe('abc');
    expect(req.headers['user-agent']).toBe('pg_net/0.19.7');
    expect(JSON.parse(req.body)).toEqual({ hello: 'world', n: 1 });

    expect(row).toMatchObject({ status_code: 201, content_type: 'application/json', timed_out: false, error_msg: null });
    expect(JSON.parse(row.content)).toEqual({ ok: true, path: '/post' });
    expect(row.headers).toMatchObject({ 'x-from': 'test-server' });
    const [{ r }] = await sql`select (net._http_collect_response(${id})).status::text as r`;
    expect(r).toBe('SUCCESS');
  });

  it('records timed_out when the server answers after timeout_milliseconds', async () => {
    const [{ id }] = await sql`select net.http_get(${base + '/slow?sleep=1500'}, timeout_milliseconds := 300) as id`;
    const row = await responseRow(id);
    expect(row).toMatchObject({ status_code: null, content: null, timed_out: true });
    expect(row.error_msg).toMatch(/^Timeout of 300 ms reached\. Total time: [\d.]+ ms \(DNS time: [\d.]+ ms, TCP\/SSL handshake time: [\d.]+ ms, HTTP Request\/Response time: [\d.]+ ms\)$/);
  });

  it('records an error_msg when the connection is refused', async () => {
    const [{ id }] = await sql`select net.http_get(${`http://127.0.0.1:${await closedPort()}/nobody`}) as id`;
    const row = await responseRow(id);
    expect(row).toMatchObject({ status_code: null, timed_out: false, error_msg: 'Could not connect to server' });
  });

  it('builds the query string from http_get params the way pg_net does', async () => {
    const [{ a }] = await sql`select net.http_get(${base + '/params'}, params := ${sql.json({ q: 'a b&c', lang: 'en/us' })}) as a`;
    const [{ b }] = await sql`select net.http_get(${base + '/params2?x=1'}, params := ${sql.json({ y: '~ü' })}) as b`;
    await responseRow(a);
    await responseRow(b);
    expect(arrivals('/params').map((r) => r.url)).toEqual(['/params?q=a%20b%26c&lang=en%2Fus']);
    expect(arrivals('/params2').map((r) => r.url)).toEqual(['/params2?x=1&y=~%C3%BC']);
  });

  it('never sends the same request twice when several workers run at once', async () => {
    const others = await Promise.all([1, 2].map(() => startNetWorker({ dbUrl: dbUrl!, batchSize: 20, pollIntervalMs: 50, log: () => {} })));
    try {
      const rows = await sql`select net.http_get(${base + '/dedupe?id='} || i) as id from generate_series(1, 300) i`;
      const ids = rows.map((r) => r.id as string);
      await waitFor('300 responses', async () =>
        (await sql`select count(*)::int as n from net._http_response where id = any(${ids}::bigint[])`)[0].n === 300, 20_000);
      await sleep(300);

      const perId = new Map<string, number>();
      for (const r of arrivals('/dedupe')) {
        const key = new URL(r.url, base).searchParams.get('id')!;
        perId.set(key, (perId.get(key) ?? 0) + 1);
      }
      expect(perId.size).toBe(300);
      expect([...perId.values()].every((n) => n === 1)).toBe(true);
      const [{ n }] = await sql`select count(distinct id)::int as n from net._http_response where id = any(${ids}::bigint[])`;
      expect(n).toBe(300);
    } finally {
      await Promise.all(others.map((w) => w.stop()));
    }
  }, 30_000);

  it('keeps delivering after its database connections are killed', async () => {
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pg_net 0.19.7 worker'`;
    const [{ id }] = await sql`select net.http_get(${base + '/after-kill'}) as id`;
    expect((await responseRow(id)).status_code).toBe(201);
    expect(arrivals('/after-kill')).toHaveLength(1);
  }, 15_000);
});
