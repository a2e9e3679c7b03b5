// LOCAL ONLY. How a function's worker is started: one Deno process running
// function-host.ts with the function's entrypoint and its import map from
// config.toml, as the edge runtime isolates each worker.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { FunctionConfig } from '../config.ts';
import { REPO_ROOT } from '../config.ts';

export const FUNCTION_HOST = join(REPO_ROOT, 'platform/edge-runtime/function-host.ts');

/**
 * The deno executable shipped by the `deno` npm package (its platform
 * package), run directly so that signals reach Deno itself.
 */
export function denoCommand(): string[] {
  const require = createRequire(import.meta.url);
  const pkgDir = join(require.resolve('deno/package.json'), '..');
  for (const candidate of [
    join(pkgDir, 'deno'),
    join(pkgDir, '..', '@deno', `${process.platform}-${process.arch === 'x64' ? 'x64' : 'arm64'}-glibc`, 'deno'),
  ]) {
    if (existsSync(candidate)) return [candidate];
  }
  return [process.execPath, join(pkgDir, 'bin.cjs')];
}

/** The command line of one worker of `config`. */
export function workerCommand(config: FunctionConfig, memoryLimitMb: number): string[] {
  return [
    ...denoCommand(), 'run', '--allow-all', '--no-prompt', '--quiet',
    '--config', config.importMap,
    // V8's own heap ceiling at the memory limit: a burst of allocations
    // between two samples of VmRSS still ends the worker (as hosted's
    // allocator-level check would).
    `--v8-flags=--max-old-space-size=${Math.max(16, Math.floor(memoryLimitMb))}`,
    FUNCTION_HOST, config.entrypoint,
  ];
}
