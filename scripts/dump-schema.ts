// npm run dump-schema: regenerates supabase/schema.sql from the migrations,
// on a throwaway stack (your `npm start` data is untouched).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../platform/config.ts';
import { freePort } from '../platform/ports.ts';
import { dumpQueueSchema } from '../platform/postgres/schema-dump.ts';
import { startStack } from '../platform/stack.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'supaqueue-dump-'));
chmodSync(stateDir, 0o755);
const stack = await startStack({ stateDir, apiPort: await freePort(), dbPort: await freePort() });
try {
  writeFileSync(join(REPO_ROOT, 'supabase/schema.sql'), dumpQueueSchema(stack.dbUrl));
  console.log('Wrote supabase/schema.sql.');
} finally {
  await stack.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
