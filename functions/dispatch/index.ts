// The only file that touches Deno: reads the environment and serves the app.
import { connect } from '../../src/shared/db.ts';
import { createApp } from './app.ts';

const env = (name: string) => {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const app = createApp({
  sql: connect(env('SUPABASE_DB_URL')),
  functionsUrl: `${env('SUPABASE_URL')}/functions/v1`,
  serviceRoleKey: env('SUPABASE_SERVICE_ROLE_KEY'),
});

Deno.serve(app.fetch);
