// Postgres 15 from Debian as a project-local cluster: installed packages,
// initdb, start and stop. Runs as the `postgres` OS user when we are root
// (initdb and postgres refuse to run as root).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';

export const PG_VERSION = 15;
export const PG_BIN = `/usr/lib/postgresql/${PG_VERSION}/bin`;
const SHAREDIR = `/usr/share/postgresql/${PG_VERSION}`;

/** Debian packages the stack needs, and a file each one installs. */
const PACKAGES: Array<[pkg: string, file: string]> = [
  [`postgresql-${PG_VERSION}`, `${PG_BIN}/postgres`],
  [`postgresql-${PG_VERSION}-cron`, `${SHAREDIR}/extension/pg_cron.control`],
  [`postgresql-${PG_VERSION}-wal2json`, `/usr/lib/postgresql/${PG_VERSION}/lib/wal2json.so`],
];

/** What the test suite needs on top: pgTAP and pg_prove, and Chromium for the dashboard's browser tests. */
export const TEST_PACKAGES: Array<[pkg: string, file: string]> = [
  [`postgresql-${PG_VERSION}-pgtap`, `${SHAREDIR}/extension/pgtap.control`],
  ['libtap-parser-sourcehandler-pgtap-perl', '/usr/bin/pg_prove'],
  ['chromium', '/usr/bin/chromium'],
];

export const isRoot = () => process.getuid?.() === 0;

/** Installs missing Debian packages when allowed (root or passwordless sudo), else explains. */
export function ensurePackages(log: (s: string) => void, extra: Array<[pkg: string, file: string]> = []): void {
  const missing = [...PACKAGES, ...extra].filter(([, file]) => !existsSync(file)).map(([pkg]) => pkg);
  if (missing.length === 0) return;
  const cmd = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  const sudo = isRoot() ? [] : ['sudo', '-n'];
  if (!isRoot() && spawnSync('sudo', ['-n', 'true']).status !== 0) {
    throw new Error(`Missing Debian packages: ${missing.join(', ')}. Install them with:\n  sudo sh -c '${cmd}'`);
  }
  log(`installing ${missing.join(', ')} (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['apt-get', 'update'], ['apt-get', 'install', '-y', ...missing]]) {
    const all = [...sudo, ...args];
    // stdout/stderr of apt go to our stderr: a test runner's own output stays readable.
    const r = spawnSync(all[0], all.slice(1), { stdio: ['ignore', 2, 2], env });
    if (r.status !== 0) throw new Error(`"${all.join(' ')}" failed; run it yourself:\n  sudo sh -c '${cmd}'`);
  }
}

interface PgUser { uid: number; gid: number }

/** The OS identity Postgres runs as: `postgres` when we are root, else ourselves. */
export function pgUser(): PgUser | undefined {
  if (!isRoot()) return undefined;
  const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim());
  if (!uid) throw new Error('Running as root needs the "postgres" OS user (installed with the postgresql package).');
  return { uid, gid };
}

/**
 * Where the cluster's files go. Normally `<stateDir>/db`. When root runs the
 * stack from a folder the postgres user cannot enter (e.g. under /root), the
 * cluster lives under /var/lib/postgresql instead and `<stateDir>/db-path`
 * records where.
 */
export function resolveDataDir(stateDir: string, user: PgUser | undefined): string {
  const local = join(stateDir, 'db');
  if (!user) return local;
  mkdirSync(stateDir, { recursive: true });
  const probe = spawnSync('test', ['-x', stateDir], { uid: user.uid, gid: user.gid });
  if (probe.status === 0) return local;
  const hash = createHash('sha1').update(stateDir).digest('hex').slice(0, 12);
  const dir = `/var/lib/postgresql/supaqueue-local/${hash}`;
  writeFileSync(join(stateDir, 'db-path'), dir + '\n');
  return dir;
}

/** initdb when the cluster does not exist yet. Returns true when it created one. */
export function initCluster(dataDir: string, user: PgUser | undefined, log: (s: string) => void): boolean {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return false;
  // The parent must stay enterable by the postgres user; only the cluster is 0700.
  mkdirSync(join(dataDir, '..'), { recursive: true, mode: 0o755 });
  mkdirSync(dataDir, { mode: 0o700 });
  const pwfile = join(dataDir, '..', `.pwfile-${process.pid}`);
  writeFileSync(pwfile, 'postgres\n', { mode: 0o600 });
  if (user) {
    chownSync(dataDir, user.uid, user.gid);
    chownSync(pwfile, user.uid, user.gid);
  }
  log(`creating the database cluster in ${dataDir}…`);
  const r = spawnSync(join(PG_BIN, 'initdb'), [
    '-D', dataDir, '-U', 'postgres', '--pwfile', pwfile, '-E', 'UTF8', '--locale', 'C.UTF-8',
    '--auth-local', 'trust', '--auth-host', 'scram-sha-256',
  ], { uid: user?.uid, gid: user?.gid, encoding: 'utf8' });
  rmSync(pwfile, { force: true });
  if (r.status !== 0) throw new Error(`initdb failed:\n${r.stdout}\n${r.stderr}`);
  return true;
}

export interface PostgresProcess {
  child: ChildProcess;
  /** Fast shutdown (SIGINT): disconnects clients, checkpoints, exits. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
}

/** Server settings, passed on the command line so the cluster's files stay stock. */
function serverArgs(dataDir: string, port: number): string[] {
  const settings: Record<string, string> = {
    port: String(port),
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    shared_preload_libraries: 'pg_cron',
    'cron.database_name': 'postgres',
    // Jobs run in background workers: no libpq connection, no password needed.
    'cron.use_background_workers': 'on',
    max_worker_processes: '32',
    max_connections: '200',
    // Logical decoding (wal2json) for Realtime.
    wal_level: 'logical',
    max_replication_slots: '10',
    max_wal_senders: '10',
    timezone: 'UTC',
    log_timezone: 'UTC',
    log_min_messages: 'warning',
  };
  return ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
}

/** Stops a postmaster left running by an earlier, killed stack. */
export async function stopStalePostmaster(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid) return;
  try { process.kill(pid, 0); } catch { return; }
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 300; i++) {
    try { process.kill(pid, 0); } catch { return; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`A Postgres (pid ${pid}) is still running on ${dataDir}; stop it first.`);
}

export async function startPostgres(
  dataDir: string, port: number, logFile: string, user: PgUser | undefined,
): Promise<PostgresProcess> {
  await stopStalePostmaster(dataDir);
  const out = openSync(logFile, 'a');
  const child = spawn(join(PG_BIN, 'postgres'), serverArgs(dataDir, port), {
    uid: user?.uid, gid: user?.gid, stdio: ['ignore', out, out],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPostgres(`postgres://postgres:postgres@127.0.0.1:${port}/postgres`, exited, logFile);
  return {
    child,
    async stop(mode = 'fast') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
      await exited;
    },
  };
}

async function waitForPostgres(url: string, exited: Promise<void>, logFile: string): Promise<void> {
  let dead = false;
  void exited.then(() => { dead = true; });
  for (let i = 0; i < 600; i++) {
    if (dead) throw new Error(`Postgres exited during startup; see ${logFile}:\n${tail(logFile)}`);
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
  throw new Error(`Postgres did not accept connections within 60 s; see ${logFile}`);
}

function tail(file: string): string {
  try { return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n'); } catch { return ''; }
}
