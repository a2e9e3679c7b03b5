// Starts a throwaway local stack for the test run: its own state folder and
// free ports, so it never touches the `npm start` stack's data. The per-minute
// cron job is paused (test/cron.test.ts resumes it for its own pass) so that
// a minute boundary cannot claim another test's events mid-assertion.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startStack, type StackInfo } from '../../platform/stack.ts';
import { freePort } from '../../platform/ports.ts';
import { ensurePackages, TEST_PACKAGES } from '../../platform/postgres/postgres.ts';
import { ensureDashboardBuild } from '../../scripts/dashboard-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject) {
  // A fresh machine has none of it: install what the stack and the pgTAP suites need, as npm start does.
  ensurePackages((line) => console.error(line), TEST_PACKAGES);
  // The browser tests serve dist/dashboard: build it when its sources changed since the last build.
  ensureDashboardBuild((line) => console.error(line));
  const stateDir = mkdtempSync(join(tmpdir(), 'supaqueue-test-'));
  chmodSync(stateDir, 0o755); // the postgres OS user keeps its cluster inside
  // startStack stops whatever it started when it fails; after that, a failure here must stop the stack too.
  const stack = await startStack({ stateDir, apiPort: await freePort(), dbPort: await freePort() }).catch((err) => {
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  });
  try {
    const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
    try {
      await sql`create extension if not exists pgtap with schema extensions`;
      await sql`select cron.alter_job(jobid, active := false) from cron.job where jobname = 'queue-tick'`;
    } finally {
      await sql.end();
    }
  } catch (err) {
    await stack.stop();
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
  const info: StackInfo = {
    apiUrl: stack.apiUrl, functionsUrl: stack.functionsUrl, dbUrl: stack.dbUrl,
    publishableKey: stack.publishableKey, secretKey: stack.secretKey, anonKey: stack.anonKey,
    serviceRoleKey: stack.serviceRoleKey, jwtSecret: stack.jwtSecret, stateDir: stack.stateDir,
  };
  project.provide('stack', info);
  process.env.SUPAQUEUE_TEST_DB_URL = stack.dbUrl;

  return async () => {
    await stack.stop();
    // SUPAQUEUE_KEEP_TEST_STATE=1 keeps the folder (logs of every function worker, Postgres) to read after a failure.
    if (process.env.SUPAQUEUE_KEEP_TEST_STATE) console.error(`test stack state kept in ${stateDir}`);
    else rmSync(stateDir, { recursive: true, force: true });
  };
}
