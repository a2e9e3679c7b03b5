// A stack of a test file's own (its own folder and ports), for tests that
// restart or strain parts of the platform and must not disturb the shared
// stack. The per-minute cron tick is paused unless `tick` is true, so a test
// ticks when the platform would.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../platform/ports.ts';
import { startStack, type Stack, type StackOptions } from '../../platform/stack.ts';
import { connect, type Sql } from '../../src/shared/db.ts';

export interface OwnStack {
  stack: Stack;
  sql: Sql;
  close(): Promise<void>;
}

export async function ownStack(
  options: Pick<StackOptions, 'edgeLimits' | 'functionSecrets'> & { tick?: boolean } = {},
): Promise<OwnStack> {
  const { tick = false, ...stackOptions } = options;
  const stateDir = mkdtempSync(join(tmpdir(), 'supaqueue-own-'));
  chmodSync(stateDir, 0o755); // the postgres OS user keeps its cluster inside
  const stack = await startStack({ stateDir, apiPort: await freePort(), dbPort: await freePort(), ...stackOptions });
  const sql = connect(stack.dbUrl, { max: 4 });
  if (!tick) await sql`select cron.alter_job(jobid, active := false) from cron.job where jobname = 'queue-tick'`;
  return {
    stack, sql,
    async close() {
      await sql.end();
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
