// Reads supabase/config.toml: the ports and the [functions.*] sections the
// local stack honours (entrypoint, import_map, verify_jwt), resolved the way
// the Supabase CLI resolves them (relative to the supabase/ folder).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SUPABASE_DIR = join(REPO_ROOT, 'supabase');

export interface FunctionConfig {
  name: string;
  entrypoint: string;
  importMap: string;
  verifyJwt: boolean;
}

export interface ProjectConfig {
  apiPort: number;
  dbPort: number;
  functions: FunctionConfig[];
}

interface RawConfig {
  api?: { port?: number };
  db?: { port?: number };
  functions?: Record<string, { enabled?: boolean; verify_jwt?: boolean; entrypoint?: string; import_map?: string }>;
}

export function readProjectConfig(path = join(SUPABASE_DIR, 'config.toml')): ProjectConfig {
  const raw = parse(readFileSync(path, 'utf8')) as RawConfig;
  const functions = Object.entries(raw.functions ?? {})
    .filter(([, f]) => f.enabled !== false)
    .map(([name, f]) => ({
      name,
      // The CLI's defaults: supabase/functions/<name>/index.ts and no import map.
      entrypoint: resolve(SUPABASE_DIR, f.entrypoint ?? `functions/${name}/index.ts`),
      importMap: resolve(SUPABASE_DIR, f.import_map ?? `functions/${name}/deno.json`),
      verifyJwt: f.verify_jwt ?? true,
    }));
  return { apiPort: raw.api?.port ?? 54321, dbPort: raw.db?.port ?? 54322, functions };
}
