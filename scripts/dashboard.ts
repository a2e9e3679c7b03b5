// npm run dashboard -- --url https://<ref>.supabase.co [--publishable-key sb_publishable_…] [--port 54323]
// Serves the dashboard's static build on 127.0.0.1, pointed at a hosted
// project (or any stack), building it first if it is missing or stale. The
// page asks for the keys; only the publishable key may be given here.
import { parseArgs } from 'node:util';
import { DASHBOARD_PORT, ensureDashboardBuild, serveDashboard } from './dashboard-server.ts';

const { values } = parseArgs({
  options: { url: { type: 'string' }, 'publishable-key': { type: 'string' }, port: { type: 'string' } },
});
if (!values.url || !/^https?:\/\//.test(values.url)) {
  console.error('Usage: npm run dashboard -- --url https://<ref>.supabase.co [--publishable-key sb_publishable_…] [--port 54323]');
  process.exit(2);
}
ensureDashboardBuild((line) => console.log(`  ${line}`));
const server = await serveDashboard(
  { url: values.url.replace(/\/+$/, ''), ...(values['publishable-key'] && { publishableKey: values['publishable-key'] }) },
  values.port ? Number(values.port) : DASHBOARD_PORT,
);
console.log(`Dashboard: ${server.url} (for ${values.url}). Press Ctrl-C to stop.`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.close().then(() => process.exit(0)));
