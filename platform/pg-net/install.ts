/**
 * Installs the local pure-SQL pg_net stand-in (platform/pg-net/extension/) into a
 * Postgres installation, so `create extension pg_net` works on the local
 * stack. Hosted Supabase has the real C extension; this is local-only.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'extension');

/**
 * Copies pg_net.control and pg_net--*.sql into `${sharedir}/extension/`
 * (sharedir from `pg_config --sharedir`). Files whose contents already match
 * are left alone, so repeated stack starts don't touch the system directory.
 * Returns the paths actually written.
 */
export async function installPgNetExtension(sharedir: string): Promise<string[]> {
  const target = join(sharedir, 'extension');
  await mkdir(target, { recursive: true });
  const names = (await readdir(SOURCE_DIR)).filter(
    (n) => n === 'pg_net.control' || /^pg_net--.+\.sql$/.test(n),
  );
  const written: string[] = [];
  for (const name of names.sort()) {
    const content = await readFile(join(SOURCE_DIR, name));
    const dest = join(target, name);
    const existing = await readFile(dest).catch(() => null);
    if (existing && existing.equals(content)) continue;
    await writeFile(dest, content);
    written.push(dest);
  }
  return written;
}
