// Restart: stop the whole local stack cleanly with events queued and in
// flight, start it again, and every event still succeeds: running attempts
// finished or were released at the stop (none waits for its lease), and the
// start-up kick starts the rest without waiting for a tick. Uses a stack of
// its own (own data folder and ports) so it can stop it freely.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../platform/stack.ts';
import { connect, type Sql } from '../src/shared/db.ts';
import { freePort } from '../platform/ports.ts';
import { registerHandler } from './support/queue.ts';
import { waitFor } from './support/wait.ts';

let stack: Stack | undefined;
let server: Server;
let stateDir: string;
let arrivals = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    arrivals++;
    req.resume();
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), 1500);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  stateDir = mkdtempSync(join(tmpdir(), 'supaqueue-restart-'));
  chmodSync(stateDir, 0o755); // the postgres OS user keeps its cluster inside
});

afterAll(async () => {
  await stack?.stop();
  server.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('restarting the stack', () => {
  it('loses no event that was queued or in flight when the stack stopped', { timeout: 240_000 }, async () => {
    const ports = { apiPort: await freePort(), dbPort: await freePort() };
    stack = await startStack({ stateDir, ...ports });
    let sql: Sql = connect(stack.dbUrl);
    await sql`select cron.alter_job(jobid, active := false) from cron.job where jobname = 'queue-tick'`;
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/slow`;
    await registerHandler(sql, { name: 'SlowRestart', kind: 'url', target: url, timeout_ms: 5000, backoff_base_ms: 0 });

    // A kicked drainer holds up to 1,000 at a time (IN_FLIGHT in
    // functions/dispatch/drain.ts) and one tick two batches of 100; at 1.5 s
    // each, most of the 3,000 are still queued when we stop.
    const slow = Array.from({ length: 3000 }, (_, i) => ({ name: 'SlowRestart', props: { i } }));
    const ids = (await sql<{ id: number }[]>`select id from queue.enqueue_many(${sql.json(slow)}::jsonb)`).map((r) => r.id);
    await sql`select * from queue.tick(100, 2)`;
    const deadline = Date.now() + 20_000;
    while (arrivals === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(arrivals).toBeGreaterThan(0);
    const [{ processing, queued }] = await sql`
      select count(*) filter (where state = 'processing')::int as processing,
             count(*) filter (where state = 'queued')::int as queued
        from queue.events where id = any(${ids}::bigint[])`;
    expect(processing).toBeGreaterThan(0);
    expect(queued).toBeGreaterThan(0);

    await sql.end();
    await stack.stop();
    const stoppedAt = new Date();
    stack = await startStack({ stateDir, ...ports });
    sql = connect(stack.dbUrl);
    await sql`select cron.alter_job(jobid, active := false) from cron.job where jobname = 'queue-tick'`;

    try {
      // A clean stop let running attempts finish, or released them: none was left to wait for its lease.
      const [{ leftRunning }] = await sql`
        select count(*)::int as "leftRunning" from queue.runs
         where event_id = any(${ids}::bigint[]) and outcome = 'running' and started_at < ${stoppedAt}`;
      expect(leftRunning).toBe(0);
      // Nothing ticks here (the cron job is paused): the stack's start-up kick gets them going.
      await waitFor('every event to succeed', async () => {
        const [{ done }] = await sql`select count(*)::int as done from queue.events where id = any(${ids}::bigint[]) and state = 'succeeded'`;
        return done === ids.length;
      }, 150_000, 500);

      const [{ expired }] = await sql`
        select count(*)::int as expired from queue.runs
         where event_id = any(${ids}::bigint[]) and outcome = 'lost' and error->>'message' like '%lease expired%'`;
      expect(expired).toBe(0);
      // No event ever had two attempts overlapping in time.
      const [{ overlaps }] = await sql`
        select count(*)::int as overlaps
          from queue.runs a join queue.runs b
            on a.event_id = b.event_id and a.id < b.id and b.started_at < a.finished_at
         where a.event_id = any(${ids}::bigint[])`;
      expect(overlaps).toBe(0);
    } finally {
      await sql.end();
    }
  });
});
