// The only file that touches Deno: reads the environment and serves the app.
import { authConfigFromEnv } from '../../src/shared/auth.ts';
import { connect } from '../../src/shared/db.ts';
import { createApp } from './app.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');
if (!dbUrl) throw new Error('SUPABASE_DB_URL is not set');

const auth = authConfigFromEnv((name) => Deno.env.get(name));

Deno.serve(createApp({ sql: connect(dbUrl, { name: 'supaqueue-handlers' }), auth }).fetch);
