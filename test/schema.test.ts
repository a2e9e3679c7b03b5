import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpQueueSchema } from '../platform/postgres/schema-dump.ts';
import { stack } from './support/queue.ts';

describe('supabase/schema.sql', () => {
  it('is what the migrations produce (run `npm run dump-schema` after changing a migration)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', 'supabase', 'schema.sql'), 'utf8');
    expect(dumpQueueSchema(stack.dbUrl)).toBe(committed);
  });
});
