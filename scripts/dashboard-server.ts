// The operator dashboard's build and local server. The dashboard is a static
// folder (dist/dashboard) because hosted edge functions cannot serve HTML
// (GET text/html is rewritten to text/plain); this serves that folder on
// 127.0.0.1 with a config.json telling the page which project to talk to.
// Used by `npm start` (the local stack), `npm run dashboard -- --url …`
// (a hosted project) and the browser tests.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { extname, join, normalize, relative, sep } from 'node:path';
import { REPO_ROOT } from '../platform/config.ts';

/**
 * How the browser tests and the bench start Debian's Chromium (playwright-core):
 * headless, as root, and with no background networking, which this
 * machine's closed network would refuse over and over.
 */
export const CHROMIUM_OPTIONS = {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
};

export const DASHBOARD_DIR = join(REPO_ROOT, 'dist', 'dashboard');
/** Studio's port in `supabase start`: the dashboard takes it locally. */
export const DASHBOARD_PORT = 54323;
const HASH_FILE = join(DASHBOARD_DIR, 'inputs.sha256');
/** What the build is made of: the page, the SDK and shared code it imports, the locked dependencies. */
const INPUTS = ['src/dashboard', 'src/sdk', 'src/shared', 'package-lock.json'];

/** What the page reads from ./config.json: the project's URL and, optionally, its publishable key. */
export interface DashboardConfig {
  url: string;
  publishableKey?: string;
}

function files(path: string): string[] {
  const abs = join(REPO_ROOT, path);
  if (!statSync(abs).isDirectory()) return [path];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(REPO_ROOT, join(d.parentPath, d.name)))
    .sort();
}

/** A hash of every input file's path and content: the build is stale when it differs from the one it was built from. */
function inputsHash(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(files)) hash.update(file).update('\0').update(readFileSync(join(REPO_ROOT, file))).update('\0');
  return hash.digest('hex');
}

/** Builds dist/dashboard with Vite (npm run build:dashboard) and records what it was built from. */
export function buildDashboard(log: (line: string) => void = () => {}): void {
  const hash = inputsHash();
  log('building the dashboard (vite build)…');
  const vite = join(createRequire(import.meta.url).resolve('vite/package.json'), '..', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', join(REPO_ROOT, 'src/dashboard/vite.config.ts')], {
    // Always the production build: under vitest NODE_ENV is 'test', which would give React's development build.
    cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' },
  });
  if (r.status !== 0) throw new Error(`vite build of the dashboard failed:\n${r.stdout}\n${r.stderr}`);
  writeFileSync(HASH_FILE, hash + '\n');
}

/** Builds dist/dashboard unless it was built from the current inputs. Returns whether it built. */
export function ensureDashboardBuild(log: (line: string) => void = () => {}): boolean {
  if (existsSync(HASH_FILE) && readFileSync(HASH_FILE, 'utf8').trim() === inputsHash()) return false;
  buildDashboard(log);
  return true;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

/** Serves dist/dashboard and `config` as ./config.json on 127.0.0.1:`port` (0: any free port). */
export async function serveDashboard(config: DashboardConfig, port = DASHBOARD_PORT): Promise<DashboardServer> {
  const configJson = JSON.stringify(config);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/config.json') {
      res.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' }).end(configJson);
      return;
    }
    const file = normalize(join(DASHBOARD_DIR, path === '/' ? 'index.html' : path));
    if (!file.startsWith(DASHBOARD_DIR + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    // Hashed assets never change; index.html must be re-read after a rebuild.
    const cache = file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': cache,
      'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
    }).end(req.method === 'HEAD' ? undefined : readFileSync(file));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
