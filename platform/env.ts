// Environment overrides for the stack's commands, so a second stack (tests,
// a second checkout) can run beside the default one.
//   SUPAQUEUE_STATE_DIR  data, logs and pid file (Default: <repo>/.supabase-local)
//   SUPAQUEUE_API_PORT   gateway port (Default: [api] port in config.toml, 54321)
//   SUPAQUEUE_DB_PORT    Postgres port (Default: [db] port in config.toml, 54322)
//   SUPAQUEUE_DASHBOARD_PORT  the dashboard npm start serves (Default: 54323, Studio's)
import { resolve } from 'node:path';
import { DEFAULT_STATE_DIR, type StackOptions } from './stack.ts';

export const stateDir = resolve(process.env.SUPAQUEUE_STATE_DIR ?? DEFAULT_STATE_DIR);

export function stackOptionsFromEnv(): StackOptions {
  const port = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  return { stateDir, apiPort: port('SUPAQUEUE_API_PORT'), dbPort: port('SUPAQUEUE_DB_PORT') };
}

/** The port `npm start` serves the dashboard on (Default: 54323, where `supabase start` puts Studio). */
export const dashboardPort = (fallback: number): number =>
  process.env.SUPAQUEUE_DASHBOARD_PORT ? Number(process.env.SUPAQUEUE_DASHBOARD_PORT) : fallback;
