// The only file that touches Deno: reads the environment and serves the app.
import { authConfigFromEnv } from '../../src/shared/auth.ts';
import { connect, queryUrl } from '../../src/shared/db.ts';
import { createApp } from './app.ts';

const auth = authConfigFromEnv((name) => Deno.env.get(name));

// One connection: the group commit sends one statement at a time, and what
// arrives meanwhile goes together in the next. With two, the groups were
// half as big for the same fsyncs: 16 single-event clients got about 1,600
// events/s at 1.0 ms of machine CPU each, with one about 2,000 at 0.7 ms
// (scripts/bench, this machine).
Deno.serve(createApp({ sql: connect(queryUrl((name) => Deno.env.get(name)), { max: 1, name: 'supaqueue-enqueue' }), auth }).fetch);
