// `npm start` as a user runs it: it prints what `supabase start` prints, the
// printed keys work with supabase-js, Ctrl-C stops every process it started,
// data survives a restart, and `npm run stop` / `npm run reset` do their jobs.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@supabase/supabase-js';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect } from '../src/shared/db.ts';
import { freePort } from '../platform/ports.ts';

const repo = join(import.meta.dirname, '..');
const stateDir = mkdtempSync(join(tmpdir(), 'supaqueue-start-'));
chmodSync(stateDir, 0o755);
let env: NodeJS.ProcessEnv;
let running: ChildProcess | undefined;
/** Everything the `npm start` processes printed, for failure messages. */
let output = '';

afterAll(() => {
  try { if (running?.exitCode === null) process.kill(-running.pid!, 'SIGKILL'); } catch { /* already gone */ }
  rmSync(stateDir, { recursive: true, force: true });
});

/** Runs `npm start` in its own process group, as a terminal would, and waits for its banner. */
async function npmStart(): Promise<{ child: ChildProcess; out: string }> {
  const child = spawn('npm', ['start'], { cwd: repo, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running = child;
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${out}`)), 120_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Press Ctrl-C to stop.')) { clearTimeout(timer); resolve(); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', () => { clearTimeout(timer); reject(new Error(`npm start exited:\n${out}`)); });
  });
  return { child, out };
}

/** Every process below `pid` (children, grandchildren, …). */
function descendants(pid: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' });
  const pairs = out.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const found: number[] = [];
  const walk = (p: number) => pairs.filter(([, pp]) => pp === p).forEach(([c]) => { found.push(c); walk(c); });
  walk(pid);
  return found;
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const exited = (child: ChildProcess) => new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));

/** Waits until none of `pids` is alive (npm exits before the stack it started has finished stopping). */
async function gone(pids: number[], timeoutMs = 30_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
}

describe('npm start', () => {
  it('prints the URLs and keys, runs the queue, stops everything on Ctrl-C and keeps the data', { timeout: 300_000 }, async () => {
    const apiPort = await freePort();
    const dbPort = await freePort();
    const dashboardPort = await freePort();
    env = {
      ...process.env, SUPAQUEUE_STATE_DIR: stateDir, SUPAQUEUE_API_PORT: String(apiPort), SUPAQUEUE_DB_PORT: String(dbPort),
      SUPAQUEUE_DASHBOARD_PORT: String(dashboardPort),
    };

    const first = await npmStart();
    expect(first.out).toContain(`API URL: http://127.0.0.1:${apiPort}`);
    expect(first.out).toContain(`DB URL: postgresql://postgres:postgres@127.0.0.1:${dbPort}/postgres`);
    const serviceKey = /service_role key: (\S+)/.exec(first.out)![1];
    expect(/anon key: (\S+)/.exec(first.out)![1]).toMatch(/^eyJ/);
    // The dashboard is served beside it, pointed at this stack (test/dashboard-*.test.ts drive it in a browser).
    expect(first.out).toContain(`Dashboard URL: http://127.0.0.1:${dashboardPort}/`);
    const page = await fetch(`http://127.0.0.1:${dashboardPort}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<div id="root">');
    expect(await (await fetch(`http://127.0.0.1:${dashboardPort}/config.json`)).json()).toEqual({
      url: `http://127.0.0.1:${apiPort}`, publishableKey: expect.stringMatching(/^sb_publishable_/),
    });

    // The printed key works with an unmodified supabase-js client; the seed registered Addition.
    const supabase = createClient(`http://127.0.0.1:${apiPort}`, serviceKey, { realtime: { transport: WebSocket as any } });
    const { data, error } = await supabase.functions.invoke('enqueue', { body: { name: 'Addition', props: { x: 20, y: 22 } } });
    expect(error).toBeNull();
    let sql = connect(`postgresql://postgres:postgres@127.0.0.1:${dbPort}/postgres`);
    await sql`select queue.tick()`;
    for (let i = 0; i < 100; i++) {
      const [row] = await sql`select state from queue.events where id = ${data.id}`;
      if (row.state === 'succeeded') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await sql`select state, result from queue.events where id = ${data.id}`)[0]).toEqual({ state: 'succeeded', result: 42 });
    await sql.end();

    // Ctrl-C: SIGINT to the whole process group.
    const tree = descendants(first.child.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(6); // npm, node, postgres (+ its workers), 4 × deno
    process.kill(-first.child.pid!, 'SIGINT');
    await exited(first.child);
    expect(await gone(tree)).toEqual([]);
    expect(existsSync(join(stateDir, 'stack.json')), output).toBe(false);

    // Started again, the data is still there.
    const second = await npmStart();
    sql = connect(`postgresql://postgres:postgres@127.0.0.1:${dbPort}/postgres`);
    expect((await sql`select state, result from queue.events where id = ${data.id}`)[0]).toEqual({ state: 'succeeded', result: 42 });
    await sql.end();

    // npm run stop, from "another terminal".
    const secondTree = descendants(second.child.pid!);
    execFileSync('npm', ['run', 'stop'], { cwd: repo, env, stdio: 'pipe' });
    await exited(second.child);
    expect(await gone(secondTree)).toEqual([]);

    // npm run reset deletes the data.
    execFileSync('npm', ['run', 'reset'], { cwd: repo, env, stdio: 'pipe' });
    expect(existsSync(join(stateDir, 'db'))).toBe(false);
  });
});
