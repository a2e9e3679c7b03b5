// npm run bench: the queue's figures, measured on a throwaway local stack
// (its own data folder and ports; your `npm start` data is untouched).
//
//   enqueue   HTTP enqueue rate, one event per request and 10,000 per request
//   throughput events/s run end to end by drainers (code handler)
//   on-time   start delay (run started - event due) for events due now and for
//             events due 1-20 s ahead (the per-minute cron is paused: kicks only)
//   realtime  commit -> supabase-js callback latency of postgres_changes
//   claim     queue.claim(100) time with 1,000,000 finished events in the table
//
// Targets: an event due now starts within 1 s; an event due later starts
// within 1 s of its time; every change reaches a Realtime subscriber within
// 500 ms of its commit. PASS/FAIL beside them. Dispatch runs under the local
// edge runtime's per-worker budgets (hosted's Free plan numbers), so its CPU
// per event and the worker starts a run costs are reported too.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Sql } from '../src/shared/db.ts';
import { freePort } from '../platform/ports.ts';
import { startStack } from '../platform/stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (n: number, unit = '') => `${n >= 100 ? Math.round(n) : n.toFixed(1)}${unit}`;
const rows: Array<[string, string, string]> = [];
const report = (what: string, figure: string, verdict = '') => {
  rows.push([what, figure, verdict]);
  console.log(`  ${what.padEnd(58)} ${figure.padEnd(34)} ${verdict}`);
};

async function waitAllFinal(sql: Sql, name: string, n: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [{ done }] = await sql`select count(*)::int as done from queue.events where name = ${name} and finished_at is not null`;
    if (done >= n) return;
    if (Date.now() > deadline) throw new Error(`${name}: only ${done}/${n} finished`);
    await sleep(100);
  }
}

async function main() {
  const stateDir = mkdtempSync(join(tmpdir(), 'supaqueue-bench-'));
  chmodSync(stateDir, 0o755);
  console.log('Starting a throwaway stack…');
  const stack = await startStack({ stateDir, apiPort: await freePort(), dbPort: await freePort() });
  const sql = connect(stack.dbUrl, { max: 8 });
  const post = (path: string, body: unknown) => fetch(`${stack.functionsUrl}/${path}`, {
    method: 'POST',
    headers: { apikey: stack.secretKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  try {
    await sql`select cron.alter_job(jobid, active := false) from cron.job where jobname = 'queue-tick'`;
    for (const name of ['BenchEnqueue', 'BenchThroughput', 'BenchNow', 'BenchLater']) {
      await sql`select queue.create_handler(${sql.json({ name, kind: 'code', target: 'Addition' })}::jsonb)`;
    }
    console.log('\n  measure'.padEnd(61) + 'figure'.padEnd(35) + 'target');

    // enqueue: one event per request, 16 at a time. Kicks off so only enqueue is measured.
    await sql`update queue.settings set kicks = false`;
    {
      const n = 2000;
      const started = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next < n) {
          next++;
          const res = await post('enqueue', { name: 'BenchEnqueue', props: { x: 1, y: 2 } });
          if (res.status !== 201) throw new Error(`enqueue answered ${res.status}`);
          await res.arrayBuffer();
        }
      }));
      report('enqueue over HTTP, 1 event/request, 16 concurrent', `${fmt(n / ((performance.now() - started) / 1000))} events/s`);
    }
    {
      const events = Array.from({ length: 10_000 }, (_, i) => ({ name: 'BenchEnqueue', props: { x: i, y: 1 } }));
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const res = await post('enqueue', { events });
        if (res.status !== 201) throw new Error(`batch enqueue answered ${res.status}`);
        await res.arrayBuffer();
        times.push(performance.now() - started);
      }
      const best = Math.min(...times);
      report('enqueue over HTTP, 10,000 events/request', `${fmt(best, ' ms')} (${fmt(10_000 / (best / 1000))} events/s)`);
    }
    await sql`update queue.events set state = 'cancelled', finished_at = now() where name = 'BenchEnqueue' and finished_at is null`;
    await sql`update queue.settings set kicks = true`;

    // throughput: drainers, kicked by the insert, under the per-worker budgets.
    const dispatchCpu = () => stack.edgeRuntime.stats().dispatch.workers.reduce((sum, w) => sum + w.cpuMs, 0);
    {
      const n = 20_000;
      const cpuBefore = dispatchCpu();
      const startsBefore = stack.edgeRuntime.stats().dispatch.workersStarted;
      const started = performance.now();
      for (let i = 0; i < n; i += 10_000) {
        await sql`select queue.enqueue_many(${sql.json(Array.from({ length: 10_000 }, (_, j) => ({ name: 'BenchThroughput', props: { x: i + j, y: 1 } })))}::jsonb)`;
      }
      await waitAllFinal(sql, 'BenchThroughput', n, 300_000);
      const seconds = (performance.now() - started) / 1000;
      const after = stack.edgeRuntime.stats().dispatch;
      report('throughput, code handler, kicked drainer', `${fmt(n / seconds)} events/s`);
      report('  dispatch CPU per 1,000 events (code handler)', fmt(((dispatchCpu() - cpuBefore) / n) * 1000, ' ms'));
      report('  dispatch worker starts for 20,000 events', `${after.workersStarted - startsBefore} (terminated by a limit: ${(after.terminated.CPUTime ?? 0) + (after.terminated.WallClockTime ?? 0) + (after.terminated.Memory ?? 0)})`);
      // A drainer lingers with nothing to do (QUEUE_DRAIN_IDLE_MS): what waiting costs it.
      const idleFrom = dispatchCpu();
      await sleep(10_000);
      report('  dispatch CPU per idle second (drainer waiting on LISTEN)', fmt((dispatchCpu() - idleFrom) / 10, ' ms'));
    }

    // on-time: events due now, enqueued one at a time at random moments.
    {
      const ids: number[] = [];
      for (let i = 0; i < 60; i++) {
        await sleep(Math.random() < 0.3 ? 3_000 : 50 + Math.random() * 400); // some after drainers went idle
        const res = await post('enqueue', { name: 'BenchNow', props: { x: i, y: 1 } });
        ids.push((await res.json()).id);
      }
      await waitAllFinal(sql, 'BenchNow', ids.length, 60_000);
      const delays = (await sql`
        select extract(epoch from r.started_at - e.run_at) * 1000 as ms
          from queue.runs r join queue.events e on e.id = r.event_id where e.name = 'BenchNow'`).map((r: any) => Number(r.ms));
      const p99 = pct(delays, 99);
      report('start delay, events due now (60)', `p50 ${fmt(pct(delays, 50), ' ms')}, p99 ${fmt(p99, ' ms')}, max ${fmt(Math.max(...delays), ' ms')}`,
        Math.max(...delays) < 1000 ? 'PASS (< 1000 ms)' : 'FAIL (< 1000 ms)');
    }

    // on-time: events due 1-20 s ahead, after every drainer has gone idle.
    {
      await sleep(12_000);
      const events = Array.from({ length: 40 }, (_, i) => ({
        name: 'BenchLater', props: { x: i, y: 1 }, run_at: new Date(Date.now() + 1000 + Math.random() * 19_000).toISOString(),
      }));
      for (const e of events) {
        await post('enqueue', e);
        await sleep(25);
      }
      await waitAllFinal(sql, 'BenchLater', events.length, 60_000);
      const delays = (await sql`
        select extract(epoch from r.started_at - e.run_at) * 1000 as ms
          from queue.runs r join queue.events e on e.id = r.event_id where e.name = 'BenchLater'`).map((r: any) => Number(r.ms));
      const early = delays.filter((d) => d < 0).length;
      report('start delay, events due 1-20 s ahead (40)', `p50 ${fmt(pct(delays, 50), ' ms')}, p99 ${fmt(pct(delays, 99), ' ms')}, max ${fmt(Math.max(...delays), ' ms')}`,
        Math.max(...delays) < 1000 && early === 0 ? 'PASS (0..1000 ms)' : `FAIL (0..1000 ms; ${early} early)`);
    }
    // Realtime: commit -> supabase-js callback, for every state change.
    {
      const { createClient } = await import('@supabase/supabase-js');
      const { default: WebSocket } = await import('ws');
      const supabase = createClient(stack.apiUrl, stack.secretKey, {
        auth: { persistSession: false }, realtime: { transport: WebSocket as any },
      });
      const latencies: number[] = [];
      const channel = supabase.channel('bench')
        .on('postgres_changes', { event: '*', schema: 'queue', table: 'events', filter: 'name=eq.BenchRealtime' },
          (c: any) => latencies.push(Date.now() - Date.parse(c.commit_timestamp)));
      await new Promise<void>((resolve, reject) => channel.subscribe((status) => {
        if (status === 'SUBSCRIBED') resolve();
        else if (status !== 'CLOSED') reject(new Error(status));
      }));
      await sql`select queue.create_handler(${sql.json({ name: 'BenchRealtime', kind: 'code', target: 'Addition' })}::jsonb)`;
      for (let i = 0; i < 50; i++) {
        await post('enqueue', { name: 'BenchRealtime', props: { x: i, y: 1 } });
        await sleep(100);
      }
      await waitAllFinal(sql, 'BenchRealtime', 50, 30_000);
      await sleep(1000);
      await supabase.removeChannel(channel);
      report(`realtime commit -> callback (${latencies.length} changes)`, `p50 ${fmt(pct(latencies, 50), ' ms')}, p99 ${fmt(pct(latencies, 99), ' ms')}, max ${fmt(Math.max(...latencies), ' ms')}`,
        latencies.length === 150 && Math.max(...latencies) < 500 ? 'PASS (150 changes, < 500 ms)' : 'FAIL (150 changes, < 500 ms)');
    }

    // claim with a million finished rows (last: decoding that insert keeps
    // the Realtime stand-in busy for a while, which would skew the rest).
    await sql`update queue.settings set kicks = false`;
    console.log('  (inserting 1,000,000 finished events…)');
    await sql`
      insert into queue.events (name, props, state, finished_at, attempts)
      select 'BenchEnqueue', '{}', 'succeeded', now() - (g || ' seconds')::interval, 1
        from generate_series(1, 1000000) g`;
    await sql`analyze queue.events`;
    {
      const claimTimes: number[] = [];
      for (let round = 0; round < 20; round++) {
        await sql`select queue.enqueue_many(${sql.json(Array.from({ length: 100 }, () => ({ name: 'BenchEnqueue', props: {} })))}::jsonb)`;
        const started = performance.now();
        const claimed = await sql`select id from queue.claim('bench', 100)`;
        claimTimes.push(performance.now() - started);
        if (claimed.length !== 100) throw new Error(`claimed ${claimed.length}`);
      }
      report('queue.claim(100) with 1,000,000 finished events', `p50 ${fmt(pct(claimTimes, 50), ' ms')}, p95 ${fmt(pct(claimTimes, 95), ' ms')}`);
      const plan = (await sql.unsafe(`explain select e.id from queue.events e where e.name = 'BenchEnqueue' and e.state = 'queued'
        and e.run_at <= now() order by e.priority desc, e.run_at, e.id limit 100`)).map((r: any) => r['QUERY PLAN']).join(' ');
      report('  claim plan uses the partial claim index', /events_claim_idx/.test(plan) ? 'yes' : 'NO: ' + plan.slice(0, 40));
    }

  } finally {
    await sql.end();
    await stack.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  const failed = rows.filter(([, , v]) => v.startsWith('FAIL'));
  console.log(failed.length ? `\n${failed.length} target(s) missed.` : '\nAll targets met.');
}

await main();
