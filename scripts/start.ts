// npm start: the local Supabase stack without Docker, in the foreground.
// Ctrl-C (or `npm run stop` from another terminal) stops everything it started.
import { startStack } from '../platform/stack.ts';
import { dashboardPort, stackOptionsFromEnv } from '../platform/env.ts';
import { DASHBOARD_PORT, ensureDashboardBuild, serveDashboard } from './dashboard-server.ts';

const log = (line: string) => console.log(`  ${line}`);

console.log('Starting the local stack…');
const stack = await startStack({ ...stackOptionsFromEnv(), log }).catch((err: Error) => {
  console.error(`\n${err.message}`);
  process.exit(1);
});

// The operator dashboard: its static build (rebuilt when its sources changed),
// pointed at this stack with the publishable key (public); the page asks for the secret key.
const dashboard = await (async () => {
  ensureDashboardBuild(log);
  return serveDashboard({ url: stack.apiUrl, publishableKey: stack.publishableKey }, dashboardPort(DASHBOARD_PORT));
})().catch(async (err: Error) => {
  console.error(`\nThe dashboard could not start: ${err.message}`);
  await stack.stop();
  process.exit(1);
});

// Laid out as `supabase start` prints them: the publishable and secret keys
// first; the legacy JWT-based ones (still accepted) after, marked as such.
const rows: Array<[string, string] | null> = [
  ['API URL', stack.apiUrl],
  ['Functions URL', stack.functionsUrl],
  ['DB URL', stack.dbUrl],
  ['Dashboard URL', dashboard.url],
  null,
  ['Publishable key', stack.publishableKey],
  ['Secret key', stack.secretKey],
  null,
  ['legacy JWT secret', stack.jwtSecret],
  ['legacy anon key', stack.anonKey],
  ['legacy service_role key', stack.serviceRoleKey],
];
const width = Math.max(...rows.map((r) => r?.[0].length ?? 0));
const table = rows.map((r) => (r ? `${r[0].padStart(width)}: ${r[1]}` : '')).join('\n');

console.log(`
Started supaqueue local development setup.

${table}

Send the secret key as "apikey: <key>" (it is not a JWT); see README.md, "## API".
Data: ${stack.stateDir} (kept across restarts; \`npm run reset\` deletes it)
Logs: ${stack.stateDir}/logs
Press Ctrl-C to stop.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    await dashboard.close();
    await stack.stop();
    console.log('Stopped.');
    process.exit(0);
  });
}
