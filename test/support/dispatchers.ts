// Dispatchers run in this test process against the test stack's database:
// the same code as the dispatch function, one independent worker each, so a
// test can run several at once (through the gateway, requests of one
// function share one worker and so one drainer).
import { connect, EVENTS_CHANNEL, type Sql } from '../../src/shared/db.ts';
import { codeHandlers } from '../../functions/dispatch/code-handlers.ts';
import { createDispatcher, type Dispatcher } from '../../functions/dispatch/dispatcher.ts';
import type { DrainOptions } from '../../functions/dispatch/drain.ts';
import { createWorkerBudget, type BudgetOptions } from '../../functions/dispatch/worker-budget.ts';
import { stack } from './queue.ts';

export interface TestDispatcher extends Dispatcher {
  close(): Promise<void>;
}

export function testDispatcher(
  opts: { drain?: DrainOptions; budget?: BudgetOptions; sql?: Sql; dbUrl?: string; heartbeatMs?: number } = {},
): TestDispatcher {
  const sql = opts.sql ?? connect(opts.dbUrl ?? stack.dbUrl, { max: 3 });
  const dispatcher = createDispatcher({
    sql,
    budget: createWorkerBudget(opts.budget),
    heartbeatMs: opts.heartbeatMs,
    drain: { idleMs: 500, ...opts.drain },
    listen: async (onNotify) => (await sql.listen(EVENTS_CHANNEL, onNotify)).unlisten,
    run: { codeHandlers, functionsUrl: stack.functionsUrl, secretKey: stack.secretKey, fetch },
    log: () => {},
  });
  return { ...dispatcher, close: () => (opts.sql ? Promise.resolve() : sql.end()) };
}

/** Runs `n` drainers at once until each finds nothing left to do; returns what each claimed. */
export async function drainWith(n: number, drain: DrainOptions = {}, dbUrl?: string): Promise<number[]> {
  const dispatchers = Array.from({ length: n }, () => testDispatcher({ drain, dbUrl }));
  try {
    const results = await Promise.all(dispatchers.map((d) => d.drain()));
    return results.map((r) => r.claimed);
  } finally {
    await Promise.all(dispatchers.map((d) => d.close()));
  }
}
