// npm run reset: stops the local stack if it runs and deletes its data, so
// the next `npm start` creates a fresh database (migrations and seed again).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stopRunningStack } from '../platform/control.ts';
import { stateDir } from '../platform/env.ts';

if (await stopRunningStack(stateDir)) console.log('Stopped the running stack.');
// A cluster kept outside the project (see resolveDataDir) goes too.
const pointer = join(stateDir, 'db-path');
if (existsSync(pointer)) rmSync(readFileSync(pointer, 'utf8').trim(), { recursive: true, force: true });
rmSync(stateDir, { recursive: true, force: true });
console.log(`Deleted ${stateDir}.`);
