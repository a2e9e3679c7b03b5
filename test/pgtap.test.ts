// Runs the pgTAP suites in supabase/tests with pg_prove against the test
// stack's database: one vitest test per file, failing with pg_prove's output.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stack } from './support/queue.ts';

const dir = join(import.meta.dirname, '..', 'supabase', 'tests');
const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
const url = new URL(stack.dbUrl);

describe('pgTAP (supabase/tests)', () => {
  it('has suites to run', () => expect(files.length).toBeGreaterThan(0));

  for (const file of files) {
    it(`passes ${file}`, () => {
      const r = spawnSync('pg_prove', ['--verbose', '-h', url.hostname, '-p', url.port, '-U', 'postgres', '-d', 'postgres', join(dir, file)], {
        encoding: 'utf8',
        env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) },
      });
      if (r.error) throw r.error;
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^Result: PASS$/m);
    });
  }
});
