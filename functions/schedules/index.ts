// The only file that touches Deno: reads the environment and serves the app.
import { authConfigFromEnv } from '../../src/shared/auth.ts';
import { connect, queryUrl } from '../../src/shared/db.ts';
import { createApp } from './app.ts';

const auth = authConfigFromEnv((name) => Deno.env.get(name));

Deno.serve(createApp({ sql: connect(queryUrl((name) => Deno.env.get(name)), { name: 'supaqueue-schedules' }), auth }).fetch);
