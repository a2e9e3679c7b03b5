// The only file that touches Deno: reads the environment and serves the app.
import { connect } from '../../src/shared/db.ts';
import { createApp } from './app.ts';

const env = (name: string) => {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

/** Optional tuning: QUEUE_DRAIN_BUDGET_MS (Default: 60000), QUEUE_HEARTBEAT_MS (Default: 10000). */
const optional = (name: string) => (Deno.env.get(name) ? Number(Deno.env.get(name)) : undefined);

const app = createApp({
  sql: connect(env('SUPABASE_DB_URL'), { max: 10, name: 'supaqueue-dispatch' }),
  functionsUrl: `${env('SUPABASE_URL')}/functions/v1`,
  serviceRoleKey: env('SUPABASE_SERVICE_ROLE_KEY'),
  heartbeatMs: optional('QUEUE_HEARTBEAT_MS'),
  drain: { budgetMs: optional('QUEUE_DRAIN_BUDGET_MS') },
});

Deno.serve(app.fetch);
