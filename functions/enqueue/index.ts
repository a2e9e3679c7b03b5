// The only file that touches Deno: reads the environment and serves the app.
import { authConfigFromEnv } from '../../src/shared/auth.ts';
import { connect, queryUrl } from '../../src/shared/db.ts';
import { createApp } from './app.ts';

const auth = authConfigFromEnv((name) => Deno.env.get(name));

// One connection: the group commit sends one statement at a time, and what
// arrives meanwhile goes together in the next; with two, each group was half
// as big for the same WAL flushes (README, Performance: single-event enqueue).
Deno.serve(createApp({ sql: connect(queryUrl((name) => Deno.env.get(name)), { max: 1, name: 'supaqueue-enqueue' }), auth }).fetch);
