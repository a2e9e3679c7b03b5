// The local platform stand-in (platform/) is never part of the product: no
// file that is deployed (functions/, src/, supabase/) may import it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx|js|mjs|json)$/.test(name) ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|"([^"]*platform\/[^"]*)"/g)];
  return found.map((m) => m[1] ?? m[2] ?? m[3]);
}

describe('import rules', () => {
  const product = ['src', 'functions', 'supabase'].flatMap((d) => sources(join(ROOT, d)));

  it('finds the product files it checks', () => {
    expect(product.length).toBeGreaterThan(20);
  });

  it('no product file imports the local platform stand-in', () => {
    const offenders = product.flatMap((file) =>
      specifiers(file)
        .filter((spec) => spec.startsWith('.') && resolve(file, '..', spec).startsWith(join(ROOT, 'platform')))
        .map((spec) => `${relative(ROOT, file)} imports ${spec}`));
    expect(offenders).toEqual([]);
  });
});
