// npm run reset: stops the local stack if it runs and deletes its data, so
// the next `npm start` creates a fresh database (migrations and seed again).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_STATE_DIR, readStackInfo } from './local/stack.ts';

if (readStackInfo()) {
  const r = spawnSync(process.execPath, [...process.execArgv, join(import.meta.dirname, 'stop.ts')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
const pointer = join(DEFAULT_STATE_DIR, 'db-path');
if (existsSync(pointer)) rmSync(readFileSync(pointer, 'utf8').trim(), { recursive: true, force: true });
rmSync(DEFAULT_STATE_DIR, { recursive: true, force: true });
console.log(`Deleted ${DEFAULT_STATE_DIR}.`);
