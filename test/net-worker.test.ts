/**
 * The local pg_net stand-in (platform/pg-net)
 * must behave like Supabase's pg_net: requests leave only after commit, in
 * batches that each wait for their slowest request, and what lands in
 * net._http_response matches what the real worker records.
 * Every assertion is on database rows or on what a real HTTP server received.
 *
 * The tests run in a database of their own, so the only worker that sees
 * their requests is the one this file starts (the stack's worker serves the
 * `postgres` database).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { startNetWorker, type NetWorker, type NetWorkerOptions } from '../platform/pg-net/net-worker.ts';
import { waitFor } from './support/wait.ts';

type Received = {
  method: string; url: string; headers: IncomingMessage['headers']; body: string;
  /** performance.now() when the request arrived, when its answer was sent, and when its connection closed */
  at: number; answeredAt?: number; closedAt?: number;
};

const stackDbUrl = process.env.SUPAQUEUE_TEST_DB_URL;
const testDb = `net_worker_test_${process.pid}_${Date.now()}`;
let dbUrl = '';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let admin: postgres.Sql;
let sql: postgres.Sql;
let server: Server;
let base = '';
let worker: NetWorker;
const workerOptions = (): NetWorkerOptions => ({ dbUrl, log: () => {} });
const received: Received[] = [];
const arrivals = (path: string) => received.filter((r) => r.url.split('?')[0] === path);

// ?hold=<key> parks the answer until release(<key>); once released, a key answers at once.
const held = new Map<string, Array<() => void>>();
const released = new Set<string>();
function release(key: string) {
  released.add(key);
  for (const answer of held.get(key) ?? []) answer();
  held.delete(key);
}

async function responseRow(id: string) {
  return waitFor(`a response row for request ${id}`, async () =>
    (await sql`select * from net._http_response where id = ${id}`)[0]);
}
const responseRows = async (ids: string[]) => sql`select * from net._http_response where id = any(${ids}::bigint[])`;
const queuedIds = async (ids: string[]) =>
  (await sql`select id from net.http_request_queue where id = any(${ids}::bigint[]) order by id`).map((r) => String(r.id));

/** A port nothing listens on: bind one, then release it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Runs `fn` with the file's worker replaced by one that starts with
 * `settings` (e.g. pg_net.batch_size) as this database's defaults; they are
 * reset before the file's worker comes back.
 */
async function withWorker<T>(settings: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  await worker.stop();
  try {
    for (const [name, value] of Object.entries(settings)) await sql.unsafe(`alter database ${testDb} set ${name} = '${value}'`);
    const other = await startNetWorker(workerOptions());
    try {
      return await fn();
    } finally {
      await other.stop();
    }
  } finally {
    for (const name of Object.keys(settings)) await sql.unsafe(`alter database ${testDb} reset ${name}`);
    worker = await startNetWorker(workerOptions());
  }
}

beforeAll(async () => {
  if (!stackDbUrl) throw new Error('SUPAQUEUE_TEST_DB_URL is not set');
  admin = postgres(stackDbUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${testDb}`);
  const url = new URL(stackDbUrl);
  url.pathname = `/${testDb}`;
  dbUrl = url.toString();
  sql = postgres(dbUrl, { onnotice: () => {} });
  await sql`create extension pg_net`;

  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '', at: performance.now() };
    res.on('close', () => { r.closedAt = performance.now(); });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.body = Buffer.concat(chunks).toString();
      received.push(r);
      const params = new URL(req.url ?? '/', 'http://x').searchParams;
      if (params.has('hang')) return; // never answers; the client has to give up
      const answer = () => {
        r.answeredAt = performance.now();
        res.writeHead(201, { 'content-type': 'application/json', 'x-from': 'test-server' });
        res.end(JSON.stringify({ ok: true, path: req.url }));
      };
      const hold = params.get('hold');
      if (hold && !released.has(hold)) held.set(hold, [...(held.get(hold) ?? []), answer]);
      else setTimeout(answer, Number(params.get('sleep') ?? 0));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  worker = await startNetWorker(workerOptions());
});

afterAll(async () => {
  await worker?.stop();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await sql?.end({ timeout: 5 });
  await admin?.unsafe(`drop database if exists ${testDb} with (force)`);
  await admin?.end({ timeout: 5 });
});

describe('local pg_net stand-in', () => {
  it('reports the worker as up while it runs', async () => {
    await expect(sql`select net.check_worker_is_up()`).resolves.toBeDefined();
    const mine = await sql`select 1 from pg_stat_activity where datname = current_database() and application_name = 'pg_net 0.19.7 worker'`;
    expect(mine.length).toBeGreaterThan(0);
  });

  it('never sends a request whose transaction rolled back', async () => {
    await sql
      .begin(async (tx) => {
        await tx`select net.http_get(${base + '/rolled-back'})`;
        throw new Error('roll back');
      })
      .catch(() => {});
    // A request committed afterwards arrives, proving the worker has run a batch past the rolled-back one.
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
      await sleep(1500); // longer than the worker's pause between batches
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

  it('a slow request delays the requests committed after it: they reach the server only once it has answered', async () => {
    const [{ slow }] = await sql`select net.http_get(${base + '/slow-first?hold=slow-first'}, timeout_milliseconds := 5000) as slow`;
    await waitFor('the slow request to arrive', () => arrivals('/slow-first').length === 1);
    const [{ fast }] = await sql`select net.http_get(${base + '/behind-slow'}) as fast`;

    // The slow answer is held 2.5 s: meanwhile the fast request stays queued, unsent.
    await sleep(2500);
    expect(arrivals('/behind-slow')).toHaveLength(0);
    expect(await queuedIds([fast])).toEqual([String(fast)]);
    expect(await responseRows([slow])).toHaveLength(0);
    release('slow-first');

    expect(await responseRow(fast)).toMatchObject({ status_code: 201, timed_out: false });
    expect(await responseRow(slow)).toMatchObject({ status_code: 201, timed_out: false });
    const [slowReq] = arrivals('/slow-first');
    const [fastReq] = arrivals('/behind-slow');
    expect(fastReq.at).toBeGreaterThan(slowReq.answeredAt!);
  }, 30_000);

  it("stores a batch's responses only when its last request has finished", async () => {
    const [{ quick, held: heldId }] = await sql`
      select net.http_get(${base + '/batch-quick'}) as quick, net.http_get(${base + '/batch-held?hold=batch-held'}) as held`;
    await waitFor('both requests of the batch to arrive', () =>
      arrivals('/batch-quick').length === 1 && arrivals('/batch-held').length === 1);
    await waitFor('the quick one to be answered', () => arrivals('/batch-quick')[0].closedAt !== undefined);

    // Answered, but its row is not visible until the batch's transaction commits.
    await sleep(1000);
    expect(await responseRows([quick, heldId])).toHaveLength(0);
    release('batch-held');
    await responseRow(heldId);
    expect((await responseRows([quick, heldId])).map((r) => r.status_code)).toEqual([201, 201]);
  }, 30_000);

  it('sends N requests in ceil(N/k) waves of pg_net.batch_size = k, never more than k at once at the server', async () => {
    const n = 7;
    const k = 3;
    // The worker reads pg_net.batch_size (here a database default its connections start with).
    await withWorker({ 'pg_net.batch_size': String(k) }, async () => {
      // Each answer takes 1.5 s, so a wave's requests are all in flight together.
      const rows = await sql`select net.http_get(${base + '/wave?sleep=1500&i='} || i) as id from generate_series(1, ${n}) i`;
      const ids = rows.map((r) => String(r.id));
      await waitFor(`${n} responses`, async () => (await responseRows(ids)).length === n, 30_000);

      const reqs = arrivals('/wave');
      expect(reqs).toHaveLength(n);
      // A request's wave is told by how many of the others had been answered when it arrived.
      const waves = new Map<number, string[]>();
      for (const r of reqs) {
        const answeredBefore = reqs.filter((o) => o.answeredAt! < r.at).length;
        waves.set(answeredBefore, [...(waves.get(answeredBefore) ?? []), new URL(r.url, base).searchParams.get('i')!]);
      }
      const byWave = [...waves.entries()].sort(([a], [b]) => a - b).map(([, is]) => is.sort());
      expect(byWave).toEqual([['1', '2', '3'], ['4', '5', '6'], ['7']]);

      // Most requests open at the server at any instant.
      const edges = reqs.flatMap((r) => [[r.at, 1], [r.closedAt!, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let open = 0;
      let peak = 0;
      for (const [, d] of edges) peak = Math.max(peak, (open += d));
      expect(peak).toBe(k);
    });
  }, 60_000);

  it('records a request that times out with timed_out and the error, and sends the next batch only after it timed out', async () => {
    const [{ hang }] = await sql`select net.http_get(${base + '/hang?hang=1'}, timeout_milliseconds := 1000) as hang`;
    await waitFor('the hanging request to arrive', () => arrivals('/hang').length === 1);
    const [{ next }] = await sql`select net.http_get(${base + '/after-timeout'}) as next`;

    const row = await responseRow(hang);
    expect(row).toMatchObject({ status_code: null, content: null, headers: null, timed_out: true });
    expect(row.error_msg).toMatch(/^Timeout of 1000 ms reached\. Total time: [\d.]+ ms \(DNS time: [\d.]+ ms, TCP\/SSL handshake time: [\d.]+ ms, HTTP Request\/Response time: [\d.]+ ms\)$/);

    expect(await responseRow(next)).toMatchObject({ status_code: 201, timed_out: false });
    const [hangReq] = arrivals('/hang');
    const [nextReq] = arrivals('/after-timeout');
    // The worker gave up on the hanging request (its connection closed) before sending the next one.
    expect(hangReq.closedAt).toBeDefined();
    expect(nextReq.at).toBeGreaterThan(hangReq.closedAt!);
  }, 30_000);

  it('puts a batch still in flight when it stops back in the queue, answered requests included, and sends it again on restart', async () => {
    const [{ done, stuck }] = await sql`
      select net.http_get(${base + '/stop-done'}) as done,
             net.http_get(${base + '/stop-stuck?hold=stop-stuck'}, timeout_milliseconds := 20000) as stuck`;
    await waitFor('both requests to arrive', () =>
      arrivals('/stop-done').length === 1 && arrivals('/stop-stuck').length === 1);

    await worker.stop();
    expect(await queuedIds([done, stuck])).toEqual([String(done), String(stuck)].sort((a, b) => Number(a) - Number(b)));
    expect(await responseRows([done, stuck])).toHaveLength(0);

    release('stop-stuck');
    worker = await startNetWorker(workerOptions());
    await responseRow(done);
    await responseRow(stuck);
    expect(arrivals('/stop-done')).toHaveLength(2);
    expect(arrivals('/stop-stuck')).toHaveLength(2);
    expect(await queuedIds([done, stuck])).toEqual([]);
  }, 30_000);

  it('never sends the same request twice when several workers run at once', async () => {
    const others = await Promise.all([1, 2].map(() => startNetWorker({ dbUrl, batchSize: 20, pollIntervalMs: 50, log: () => {} })));
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
    const [{ killed }] = await sql`
      select count(pg_terminate_backend(pid))::int as killed from pg_stat_activity
       where datname = current_database() and application_name = 'pg_net 0.19.7 worker'`;
    expect(killed).toBeGreaterThan(0);
    const [{ id }] = await sql`select net.http_get(${base + '/after-kill'}) as id`;
    expect((await responseRow(id)).status_code).toBe(201);
    expect(arrivals('/after-kill')).toHaveLength(1);
  }, 15_000);
});
