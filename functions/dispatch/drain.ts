// The drainer: what a kick starts. Claims due events itself and runs them as
// they come, polling for new ones and waiting for near-due ones, for a
// bounded time (an edge function has a wall-clock limit). See
// supabase/migrations/*_queue_kick.sql for when kicks are sent.
import { claim, drainAlive, drainStop, nextDueAt, type ClaimedWithHandler, type Sql } from '../../src/shared/db.ts';
import type { HandlerTarget, RunDeps } from './run-event.ts';
import { createRunner } from './runner.ts';

export interface DrainOptions {
  /** How long to keep claiming, in ms. (Default: 60000: until the next per-minute tick) */
  budgetMs?: number;
  /** Pause between claims when nothing was due, in ms. (Default: 100) */
  pollMs?: number;
  /** How long to linger with nothing to do before stopping, so a burst spread over time makes one kick. (Default: 1000) */
  idleMs?: number;
  /** Most attempts running at once. (Default: 200) */
  maxInFlight?: number;
  /** (Default: 10000) */
  heartbeatMs?: number;
}

export interface DrainResult {
  worker: string;
  claimed: number;
  settled: number;
  dropped: number;
  ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function split(events: ClaimedWithHandler[]) {
  const handlers: Record<string, HandlerTarget> = {};
  for (const e of events) handlers[e.name] = { kind: e.kind, target: e.target, timeout_ms: e.timeout_ms };
  return handlers;
}

export async function drain(sql: Sql, run: RunDeps, opts: DrainOptions = {}): Promise<DrainResult> {
  const budget = opts.budgetMs ?? 60_000;
  const poll = opts.pollMs ?? 100;
  const maxInFlight = opts.maxInFlight ?? 200;
  const idleMs = opts.idleMs ?? 1000;
  let lastWork = Date.now();
  const started = Date.now();
  const worker = `drain:${crypto.randomUUID()}`;
  const runner = createRunner({ sql, run, heartbeatMs: opts.heartbeatMs, settleEveryMs: 50 });
  let claimed = 0;
  let lastAlive = 0;

  const take = async () => {
    const free = maxInFlight - runner.inFlight;
    if (free <= 0) return 0;
    const events = await claim(sql, worker, Math.min(free, 100));
    runner.start(events, split(events));
    claimed += events.length;
    return events.length;
  };

  /** One pass of the loop; returns 'stop' when there is nothing left to do within the budget. */
  const step = async (): Promise<'again' | 'wait' | 'stop'> => {
    if (Date.now() - lastAlive > 2_000) {
      await drainAlive(sql, 10);
      lastAlive = Date.now();
    }
    const got = await take();
    if (got > 0 || runner.inFlight > 0) lastWork = Date.now();
    if (got === 100) return 'again'; // more may be due right now
    if (got === 0 && runner.inFlight === 0 && Date.now() - lastWork > idleMs) {
      const next = await nextDueAt(sql);
      const left = budget - (Date.now() - started);
      if (next === null || next.getTime() - Date.now() > left) {
        // Nothing to do within the budget. Stop, then look once more: an
        // insert that saw this drainer active has committed by now.
        await drainStop(sql);
        if ((await take()) === 0) return 'stop';
        lastAlive = 0;
        lastWork = Date.now();
      }
    }
    return 'wait';
  };

  let result: Awaited<ReturnType<typeof runner.idle>>;
  let failures = 0;
  try {
    while (Date.now() - started < budget) {
      let next: 'again' | 'wait' | 'stop';
      try {
        next = await step();
        failures = 0;
      } catch (err) {
        // A lost connection or a failover: retry a few times, then give up
        // (the tick and the next kick take over; leases cover what runs).
        if (++failures >= 5) throw err;
        console.error(`dispatch/drain: ${err}; retrying`);
        next = 'wait';
        await sleep(500);
      }
      if (next === 'stop') break;
      if (next === 'wait') await sleep(poll);
    }
    if (Date.now() - started >= budget) {
      // Out of time: hand over to a fresh drainer if work is near.
      await drainStop(sql);
      await sql`select queue.kick() where queue.next_due_at() < now() + queue._kick_horizon()`;
    }
  } finally {
    // Whatever happened, let the next insert kick a fresh drainer right away.
    await drainStop(sql).catch(() => {});
    result = await runner.idle();
  }
  return { worker, claimed, settled: result.settled.length, dropped: result.dropped, ms: Date.now() - started };
}
