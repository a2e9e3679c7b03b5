// Edge functions on Deno: one process per function, as the edge runtime
// isolates them, each with its own import map from config.toml.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { FunctionConfig } from '../config.ts';
import { REPO_ROOT } from '../config.ts';

const HOST = join(REPO_ROOT, 'platform/edge-runtime/function-host.ts');

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

export interface FunctionProcess {
  config: FunctionConfig;
  port: number;
  child: ChildProcess;
  ready: Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startFunction(
  config: FunctionConfig, port: number, env: Record<string, string>, logFile: string,
): FunctionProcess {
  const log = createWriteStream(logFile, { flags: 'a' });
  const [cmd, ...pre] = denoCommand();
  const child = spawn(cmd, [
    ...pre, 'run', '--allow-all', '--no-prompt', '--quiet',
    '--config', config.importMap,
    HOST, config.entrypoint,
  ], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      out += chunk.toString();
      if (out.includes('listening on')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => { log.write(chunk); out += chunk.toString(); });
    void exited.then(() => reject(new Error(`function ${config.name} exited before listening:\n${out.slice(-2000)}`)));
  });
  ready.catch(() => {});
  return {
    config, port, child, ready,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      log.end();
    },
  };
}
