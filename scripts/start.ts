// npm start: the local Supabase stack without Docker, in the foreground.
// Ctrl-C (or `npm run stop` from another terminal) stops everything it started.
import { startStack } from '../platform/stack.ts';
import { stackOptionsFromEnv } from '../platform/env.ts';

const log = (line: string) => console.log(`  ${line}`);

console.log('Starting the local stack…');
const stack = await startStack({ ...stackOptionsFromEnv(), log }).catch((err: Error) => {
  console.error(`\n${err.message}`);
  process.exit(1);
});

console.log(`
Started supaqueue local development setup.

         API URL: ${stack.apiUrl}
   Functions URL: ${stack.functionsUrl}
          DB URL: ${stack.dbUrl}
      JWT secret: ${stack.jwtSecret}
        anon key: ${stack.anonKey}
service_role key: ${stack.serviceRoleKey}

Data: ${stack.stateDir} (kept across restarts; \`npm run reset\` deletes it)
Logs: ${stack.stateDir}/logs
Press Ctrl-C to stop.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    await stack.stop();
    console.log('Stopped.');
    process.exit(0);
  });
}
