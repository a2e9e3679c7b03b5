// The local Supabase stack without Docker: Postgres (pg_cron, wal2json), the
// platform baseline, the project's migrations through the real Supabase CLI,
// the pg_net stand-in worker, the edge functions on Deno, the Auth stand-in
// and the gateway.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:net';
import { join } from 'node:path';
import postgres from 'postgres';
import { startAuth } from './auth/server.ts';
import { readProjectConfig, REPO_ROOT, SUPABASE_DIR } from './config.ts';
import { startGateway } from './edge-runtime/gateway.ts';
import { resolveEdgeLimits, type EdgeLimits } from './edge-runtime/limits.ts';
import { startEdgeRuntime, type EdgeRuntime } from './edge-runtime/runtime.ts';
import { localKeys, type LocalKeys } from './keys/keys.ts';
import { startRealtime, type RealtimeServer } from './realtime/server.ts';
import { startNetWorker, type NetWorker } from './pg-net/net-worker.ts';
import { installPgNetExtension } from './pg-net/install.ts';
import {
  ensurePackages, initCluster, isRoot, pgUser, resolveDataDir, startPostgres, type PostgresProcess,
} from './postgres/postgres.ts';

export interface StackOptions {
  /** Where the cluster, logs and state live (Default: <repo>/.supabase-local). */
  stateDir?: string;
  /** Gateway port (Default: [api] port of config.toml, 54321). */
  apiPort?: number;
  /** Postgres port (Default: [db] port of config.toml, 54322). */
  dbPort?: number;
  /** Progress lines (Default: silent). */
  log?: (line: string) => void;
  /**
   * The edge runtime's per-worker budgets and settings, over the
   * SUPAQUEUE_EDGE_* environment, over hosted Supabase's Free plan numbers
   * (PAID_PLAN_LIMITS in edge-runtime/limits.ts for paid plans). See
   * platform/README.md, "## edge-runtime/".
   */
  edgeLimits?: Partial<EdgeLimits>;
  /**
   * Function secrets, as `supabase secrets set` would give them (Default:
   * QUEUE_WORKER_CPU_MS and QUEUE_WORKER_WALL_CLOCK_MS, the dispatch
   * function's view of its worker's budgets, set to the edge runtime's soft
   * CPU limit and wall clock). A value of '' leaves that secret unset.
   */
  functionSecrets?: Record<string, string>;
}

export interface StackInfo {
  apiUrl: string;
  functionsUrl: string;
  dbUrl: string;
  /** `sb_publishable_…` (role anon): send as `apikey`. */
  publishableKey: string;
  /** `sb_secret_…` (role service_role): send as `apikey`. */
  secretKey: string;
  /** Legacy JWT-based anon key. */
  anonKey: string;
  /** Legacy JWT-based service_role key. */
  serviceRoleKey: string;
  jwtSecret: string;
  stateDir: string;
}

export interface Stack extends StackInfo {
  postgres: PostgresProcess;
  /** The functions' workers: stats(), kill(name), limits. */
  edgeRuntime: EdgeRuntime;
  netWorker: NetWorker;
  /** Kills every worker of one function and waits until a fresh one serves (e.g. after edgeRuntime.kill in a test). */
  restartFunction(name: string): Promise<void>;
  /** Stops Postgres ('fast' or 'immediate', i.e. a crash) and starts it again on the same data. */
  restartPostgres(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stops the pg_net worker: requests stay queued, unsent, until startNetWorker. */
  stopNetWorker(): Promise<void>;
  startNetWorker(): Promise<void>;
  /** Restarts the Realtime stand-in; its clients reconnect, and get what was committed meanwhile. */
  restartRealtime(): Promise<void>;
  /** Stops the Realtime stand-in (its clients lose their connection and retry) until startRealtime. */
  stopRealtime(): Promise<void>;
  startRealtime(): Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULT_STATE_DIR = join(REPO_ROOT, '.supabase-local');

function supabaseCli(): string {
  const require = createRequire(import.meta.url);
  return join(require.resolve('supabase/package.json'), '..', 'dist', 'supabase.js');
}

/** Applies supabase/migrations with the real Supabase CLI. */
function migrate(dbUrl: string): void {
  const r = spawnSync(process.execPath, [supabaseCli(), 'migration', 'up', '--db-url', `${dbUrl}?sslmode=disable`], {
    cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
  });
  if (r.status !== 0) throw new Error(`supabase migration up failed:\n${r.stdout}\n${r.stderr}`);
}

async function installExtensions(log: (s: string) => void): Promise<void> {
  const sharedir = spawnSync('/usr/lib/postgresql/15/bin/pg_config', ['--sharedir'], { encoding: 'utf8' }).stdout.trim();
  try {
    const written = await installPgNetExtension(sharedir);
    if (written.length) log(`installed the pg_net stand-in into ${sharedir}/extension`);
  } catch (err) {
    if (isRoot()) throw err;
    throw new Error(
      `The pg_net stand-in must be installed into ${sharedir}/extension once, as root:\n` +
      `  sudo cp ${join(REPO_ROOT, 'platform/pg-net/extension')}/pg_net* ${sharedir}/extension/`,
    );
  }
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? (() => {});
  const config = readProjectConfig();
  const stateDir = opts.stateDir ?? DEFAULT_STATE_DIR;
  const apiPort = opts.apiPort ?? config.apiPort;
  const dbPort = opts.dbPort ?? config.dbPort;
  const logDir = join(stateDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  ensurePackages(log);
  await installExtensions(log);

  const user = pgUser();
  const dataDir = resolveDataDir(stateDir, user);
  const created = initCluster(dataDir, user, log);
  let pg = await startPostgres(dataDir, dbPort, join(logDir, 'postgres.log'), user);

  const keys: LocalKeys = await localKeys();
  const dbUrl = `postgresql://postgres:postgres@127.0.0.1:${dbPort}/postgres`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const started: Array<(() => Promise<void>) & { timeoutMs?: number }> = [() => pg.stop()];
  const stopAll = async () => {
    // Each part gets a bounded time: a stop that waits on a dead database must not hang the rest.
    for (const stop of started.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stop().catch(() => {}), new Promise((r) => { timer = setTimeout(r, stop.timeoutMs ?? 10_000); })]);
      clearTimeout(timer);
    }
  };

  try {
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(readFileSync(join(REPO_ROOT, 'platform/postgres/platform.sql'), 'utf8'));
      await sql.unsafe(readFileSync(join(REPO_ROOT, 'platform/auth/auth.sql'), 'utf8'));
      log('applying migrations (supabase migration up)…');
      migrate(dbUrl);
      const seededMarker = join(stateDir, 'seeded');
      if (created || !existsSync(seededMarker)) {
        await sql.unsafe(readFileSync(join(SUPABASE_DIR, 'seed.sql'), 'utf8'));
        writeFileSync(seededMarker, new Date().toISOString() + '\n');
      }
      // The Vault secrets queue.tick and queue.kick read, as on hosted Supabase:
      // project_url and secret_key (the sb_secret key, sent as `apikey`).
      for (const [name, value] of [['project_url', apiUrl], ['secret_key', keys.secretKey]]) {
        await sql`
          insert into vault.secrets (name, secret) values (${name}, ${value})
          on conflict (name) do update set secret = excluded.secret, updated_at = now()`;
      }
    } finally {
      await sql.end();
    }

    const netWorkerOptions = { dbUrl, log: (line: string) => log(`pg_net worker: ${line}`) };
    let netWorker: NetWorker | undefined = await startNetWorker(netWorkerOptions);
    started.push(async () => { await netWorker?.stop(); });

    // What the platform injects into every function (as the Supabase CLI's
    // edge runtime does): the key maps are JSON objects of name to key.
    const env = {
      SUPABASE_URL: apiUrl,
      SUPABASE_DB_URL: dbUrl,
      SUPABASE_ANON_KEY: keys.anonKey,
      SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
      SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishableKey }),
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secretKey }),
      SUPABASE_JWKS: JSON.stringify(keys.jwks),
    };
    // The functions run in workers under hosted Supabase's per-worker budgets.
    const limits = resolveEdgeLimits(opts.edgeLimits);
    const secrets = Object.entries({
      QUEUE_WORKER_CPU_MS: String(limits.cpuSoftLimitMs),
      QUEUE_WORKER_WALL_CLOCK_MS: String(limits.wallClockLimitMs),
      ...opts.functionSecrets,
    }).filter(([, v]) => v !== '');
    const edgeRuntime = await startEdgeRuntime({
      functions: config.functions, env: { ...env, ...Object.fromEntries(secrets) }, logDir, limits, log,
    });
    // A clean stop: workers are retired, in-flight requests and waitUntil
    // work get the stop grace, then what is left is killed.
    const stopFunctions = Object.assign(() => edgeRuntime.stop(), { timeoutMs: edgeRuntime.limits.stopGraceMs + 10_000 });
    started.push(stopFunctions);

    // Auth answers on the API port under /auth/v1, as on hosted; it stops after the gateway.
    const auth = startAuth({ dbUrl, keys, issuer: `${apiUrl}/auth/v1` });
    started.push(() => auth.stop());

    let realtime: RealtimeServer | undefined;
    const gateway: Server = await startGateway({
      port: apiPort, jwtSecret: keys.jwtSecret, runtime: edgeRuntime, auth: auth.handle,
      onUpgrade: (req, socket, head) => (realtime ? realtime.handleUpgrade(req, socket, head) : socket.destroy()),
    }) as unknown as Server;
    // New connections stop first; requests already in flight are answered
    // while the functions stop; then the connections left are closed.
    started.push(Object.assign(async () => {
      const closed = new Promise<void>((resolve) => gateway.close(() => resolve()));
      await edgeRuntime.stop();
      (gateway as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closed;
    }, { timeoutMs: stopFunctions.timeoutMs }));
    const realtimeOptions = {
      dbUrl, jwtSecret: keys.jwtSecret, stateFile: join(stateDir, 'realtime-subscriptions.json'),
      log,
    };
    realtime = await startRealtime(realtimeOptions);
    // Stopped before the gateway: its WebSockets would keep the gateway's listener open.
    started.push(async () => { await realtime?.stop(); });

    // Everything is up: tick once, as pg_cron's next tick would, so what was
    // queued (or taken back) while the stack was down starts now rather than
    // at the next cron minute. A drainer left for dead is not waited for.
    const ticker = postgres(dbUrl, { max: 1, onnotice: () => {} });
    try {
      await ticker`update queue._drainer set active_until = '-infinity'`;
      await ticker`select queue.tick()`;
    } finally {
      await ticker.end();
    }

    const info: StackInfo = {
      apiUrl, functionsUrl: `${apiUrl}/functions/v1`, dbUrl,
      publishableKey: keys.publishableKey, secretKey: keys.secretKey,
      anonKey: keys.anonKey, serviceRoleKey: keys.serviceRoleKey, jwtSecret: keys.jwtSecret, stateDir,
    };
    writeFileSync(join(stateDir, 'stack.json'), JSON.stringify({ ...info, pid: process.pid }, null, 2) + '\n');

    const stack = {
      ...info,
      get postgres() { return pg; },
      edgeRuntime,
      get netWorker() { return netWorker!; },
      async restartPostgres(mode: 'fast' | 'immediate' = 'fast') {
        await pg.stop(mode);
        pg = await startPostgres(dataDir, dbPort, join(logDir, 'postgres.log'), user);
      },
      async stopNetWorker() {
        await netWorker?.stop();
        netWorker = undefined;
      },
      async startNetWorker() {
        netWorker ??= await startNetWorker(netWorkerOptions);
      },
      async restartFunction(name: string) {
        await edgeRuntime.restart(name);
      },
      async stop() {
        await stopAll();
        rmSync(join(stateDir, 'stack.json'), { force: true });
      },
    };
    // Not enumerable: spreading a Stack leaves plain, serializable StackInfo
    // data (test/support/global-setup.ts hands it to test workers that way).
    const stopRealtime = async () => {
      const old = realtime;
      realtime = undefined;
      await old?.stop();
    };
    const startRealtimeAgain = async () => {
      realtime ??= await startRealtime(realtimeOptions);
    };
    const hidden = (value: () => Promise<void>) => ({ enumerable: false, value });
    return Object.defineProperties(stack, {
      restartRealtime: hidden(async () => {
        await stopRealtime();
        await startRealtimeAgain();
      }),
      stopRealtime: hidden(stopRealtime),
      startRealtime: hidden(startRealtimeAgain),
    }) as Stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The running stack's details, as written by startStack, or null. */
export function readStackInfo(stateDir = DEFAULT_STATE_DIR): (StackInfo & { pid: number }) | null {
  const file = join(stateDir, 'stack.json');
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8'));
}
