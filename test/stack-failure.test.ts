// A stack whose start fails part-way leaves nothing behind: here the API
// port is taken, which is found only after Postgres, the pg_net worker and
// the functions are already running.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../platform/ports.ts';
import { startStack } from '../platform/stack.ts';

/** Processes whose command line mentions `needle`. */
const processesWith = (needle: string) =>
  spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(needle));

describe('a failed start', () => {
  it('stops everything it had started and reports why', { timeout: 180_000 }, async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'supaqueue-failing-'));
    chmodSync(stateDir, 0o755);
    const taken = createServer();
    const apiPort = await freePort();
    await new Promise<void>((r) => taken.listen(apiPort, '127.0.0.1', () => r()));
    const dbPort = await freePort();
    try {
      await expect(startStack({ stateDir, apiPort, dbPort })).rejects.toThrow(/EADDRINUSE|in use/i);
      expect(processesWith(stateDir)).toEqual([]);
      expect(processesWith(`port=${dbPort}`)).toEqual([]);
      // Function workers of this stack: their environment names its database.
      const workers = processesWith('function-host.ts').map((l) => l.trim().split(/\s+/)[0])
        .filter((pid) => {
          try { return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`:${dbPort}/`); } catch { return false; }
        });
      expect(workers).toEqual([]);
    } finally {
      taken.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
