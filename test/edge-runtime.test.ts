// The local edge runtime holds functions to hosted Supabase's per-worker
// budgets (platform/README.md, "## edge-runtime/"). Each test starts its own
// runtime and gateway with low limits around a fixture function
// (test/fixtures/functions/probe) and asserts on what a client and the file
// system see: statuses, bodies, pids, files the worker wrote.
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startGateway } from '../platform/edge-runtime/gateway.ts';
import type { EdgeLimits } from '../platform/edge-runtime/limits.ts';
import { startEdgeRuntime, type EdgeRuntime } from '../platform/edge-runtime/runtime.ts';
import { signJwt } from '../platform/keys/keys.ts';
import { freePort } from '../platform/ports.ts';
import { waitFor } from './support/wait.ts';

const FIXTURE = resolve(import.meta.dirname, 'fixtures/functions/probe');
const JWT_SECRET = 'edge-runtime-test-secret-with-at-least-32-characters';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Probe {
  rt: EdgeRuntime;
  /** http://127.0.0.1:<port>/functions/v1/probe */
  url: string;
  base: string;
  port: number;
  dir: string;
  close(): Promise<void>;
}

const running: Probe[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.close()));
});

/** A runtime with the probe function (and probe-jwt, verify_jwt = true) behind a gateway. */
async function startProbe(limits: Partial<EdgeLimits> = {}, opts: { withJwtFunction?: boolean } = {}): Promise<Probe> {
  const dir = mkdtempSync(join(tmpdir(), 'supaqueue-edge-'));
  const fn = (name: string, verifyJwt: boolean) => ({
    name, verifyJwt, entrypoint: join(FIXTURE, 'index.ts'), importMap: join(FIXTURE, 'deno.json'),
  });
  const rt = await startEdgeRuntime({
    functions: [fn('probe', false), ...(opts.withJwtFunction ? [fn('probe-jwt', true)] : [])],
    env: { FIXTURE_DIR: dir },
    logDir: dir,
    // Generous defaults for what a test does not measure; each test lowers what it does.
    limits: { cpuSoftLimitMs: 20_000, cpuHardLimitMs: 40_000, wallClockLimitMs: 300_000, requestIdleTimeoutMs: 60_000, stopGraceMs: 2000, ...limits },
  });
  const port = await freePort();
  const gateway: Server = await startGateway({ port, jwtSecret: JWT_SECRET, runtime: rt });
  let closed = false;
  const probe: Probe = {
    rt, dir, port,
    base: `http://127.0.0.1:${port}/functions/v1`,
    url: `http://127.0.0.1:${port}/functions/v1/probe`,
    async close() {
      if (closed) return;
      closed = true;
      gateway.close();
      await rt.stop();
      gateway.closeAllConnections();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.push(probe);
  return probe;
}

async function get(url: string, init?: RequestInit) {
  const started = Date.now();
  const res = await fetch(url, init);
  const text = await res.text();
  let body: any = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body, headers: res.headers, ms: Date.now() - started };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface WorkerEvent { type: string; reason?: string | null; cancelable?: boolean; custom?: boolean; at: number }
const events = (p: Probe, pid: number): WorkerEvent[] => {
  const file = join(p.dir, `events-${pid}.jsonl`);
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
};
const beforeunloads = (p: Probe, pid: number) => events(p, pid).filter((e) => e.type === 'beforeunload');
const worker = (p: Probe, pid: number) => p.rt.stats().probe.workers.find((w) => w.pid === pid);

const HOSTED_546 = {
  code: 'WORKER_RESOURCE_LIMIT',
  message: 'Function failed due to not having enough compute resources (please check logs)',
};

describe('edge runtime', () => {
  it('serves many requests from one worker, with EdgeRuntime as hosted exposes it', async () => {
    const p = await startProbe();
    const pids = new Set<number>();
    for (let i = 0; i < 5; i++) pids.add((await get(`${p.url}/pid`)).body.pid);
    expect(pids.size).toBe(1);
    const shape = await get(`${p.url}/runtime`);
    expect(shape.body).toEqual({ pid: [...pids][0], type: 'object', keys: ['waitUntil'], returnsSamePromise: true, nonPromise: 5 });
    const s = p.rt.stats().probe;
    expect(s.workers.find((w) => w.pid === shape.body.pid)!.requests).toBe(6);
  });

  it('CPU hard limit: a spinning request is answered 546 (hosted\'s body), its worker terminated (CPUTime), the next request gets a new worker', { timeout: 60_000 }, async () => {
    const p = await startProbe({ cpuSoftLimitMs: 300, cpuHardLimitMs: 1000 });
    const before = (await get(`${p.url}/pid`)).body.pid as number;
    const spin = await get(`${p.url}/spin`);
    expect(spin.status).toBe(546);
    expect(spin.body).toEqual(HOSTED_546);
    expect(spin.headers.get('sb-error-code')).toBe('WORKER_RESOURCE_LIMIT');
    await waitFor('the spinning worker to be gone', () => !alive(before), 5000);
    const s = p.rt.stats().probe;
    expect(s.terminated.CPUTime).toBe(1);
    expect(worker(p, before)!.cpuMs).toBeGreaterThanOrEqual(1000);
    const next = await get(`${p.url}/pid`);
    expect(next.status).toBe(200);
    expect(next.body.pid).not.toBe(before);
  });

  it('CPU soft limit: the worker is retired, finishes its in-flight request, a successor serves new requests, then it gets beforeunload (early_drop) and exits', { timeout: 60_000 }, async () => {
    const p = await startProbe({ cpuSoftLimitMs: 300, cpuHardLimitMs: 5000 });
    const a = (await get(`${p.url}/pid`)).body.pid as number;
    // Burns past the soft limit, then holds the request open a while.
    const inFlight = get(`${p.url}/cpu?ms=700&sleep=2500`);
    await waitFor('the worker to be retired', () => worker(p, a)?.retired === 'CPUTime', 20_000);
    const next = await get(`${p.url}/pid`);
    expect(next.status).toBe(200);
    expect(next.body.pid).not.toBe(a);
    expect(alive(a)).toBe(true); // still finishing the in-flight request
    const done = await inFlight;
    const answeredAt = Date.now();
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ pid: a, burned: 700 });
    await waitFor('the retired worker to exit', () => !alive(a), 10_000);
    const unload = beforeunloads(p, a);
    expect(unload.map((e) => e.reason)).toEqual(['early_drop']);
    expect(unload[0]).toMatchObject({ cancelable: true, custom: true });
    expect(unload[0].at).toBeGreaterThanOrEqual(answeredAt - 1000);
    expect(events(p, a).map((e) => e.type)).toContain('drain');
    const s = p.rt.stats().probe;
    expect(s.retired.CPUTime).toBe(1);
    expect(s.terminated.EarlyDrop).toBe(1);
    expect(worker(p, a)!.cpuMs).toBeGreaterThanOrEqual(300);
  });

  it('wall clock: retired at half (new requests go to a successor), beforeunload (wall_clock) at 90 %, terminated at the full time with its in-flight request answered 546', { timeout: 60_000 }, async () => {
    const p = await startProbe({ wallClockLimitMs: 8000 });
    const a = (await get(`${p.url}/pid`)).body.pid as number;
    const startedAt = worker(p, a)!.firstRequestAt!; // its wall clock runs from its first request
    const long = get(`${p.url}/sleep?ms=30000`);
    await waitFor('retirement at half the wall clock', () => worker(p, a)?.retired === 'WallClockTime', 15_000);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(3500);
    const next = await get(`${p.url}/pid`);
    expect(next.body.pid).not.toBe(a);
    const answer = await long;
    const elapsed = Date.now() - startedAt;
    expect(answer.status).toBe(546);
    expect(answer.body).toEqual(HOSTED_546);
    expect(elapsed).toBeGreaterThanOrEqual(7500);
    expect(elapsed).toBeLessThan(20_000);
    expect(beforeunloads(p, a).map((e) => e.reason)).toEqual(['wall_clock']);
    await waitFor('the worker to be gone', () => !alive(a), 5000);
    expect(p.rt.stats().probe.terminated.WallClockTime).toBe(1);
  });

  it('memory: a worker allocating past the limit is terminated (Memory) and its request answered 546', { timeout: 60_000 }, async () => {
    const p = await startProbe({ memoryLimitMb: 200 });
    const a = (await get(`${p.url}/pid`)).body.pid as number;
    const answer = await get(`${p.url}/alloc?mb=1000`);
    expect(answer.status).toBe(546);
    expect(answer.body).toEqual(HOSTED_546);
    await waitFor('the worker to be gone', () => !alive(a), 5000);
    const s = p.rt.stats().probe;
    expect(s.terminated.Memory).toBe(1);
    expect(worker(p, a)!.peakRssMb).toBeGreaterThanOrEqual(200);
    expect((await get(`${p.url}/pid`)).body.pid).not.toBe(a);
  });

  it('memory is what hosted measures, the V8 heap and external memory, not RSS: past half of it the worker is retired, not before', { timeout: 60_000 }, async () => {
    const p = await startProbe({ memoryLimitMb: 200 });
    const a = (await get(`${p.url}/pid`)).body.pid as number;
    expect((await get(`${p.url}/alloc?mb=80`)).status).toBe(200);
    // The process holds the runtime besides the 80 MB: its RSS is past half
    // the limit (120-127 MB measured), the isolate's memory is not (86 MB).
    // With 64 MB, RSS once came to 98.7 MB: too close to half to tell.
    await waitFor('the 80 MB to be reported', () => (worker(p, a)?.memoryMb ?? 0) >= 80, 5000);
    expect(worker(p, a)!.rssMb).toBeGreaterThan(100);
    expect(worker(p, a)!.memoryMb).toBeLessThan(100);
    expect(worker(p, a)!.retired).toBeUndefined();
    expect((await get(`${p.url}/pid`)).body.pid).toBe(a);
    expect((await get(`${p.url}/alloc?mb=32`)).status).toBe(200);
    await waitFor('the worker to be retired', () => worker(p, a)?.retired === 'Memory', 5000);
    expect(worker(p, a)!.peakMemoryMb).toBeGreaterThanOrEqual(100);
    expect((await get(`${p.url}/pid`)).body.pid).not.toBe(a);
    const s = p.rt.stats().probe;
    expect(s.retired.Memory).toBe(1);
    expect(s.terminated.Memory ?? 0).toBe(0);
  });

  it('request idle timeout: a request with no response in time is answered 504 (hosted\'s body); the worker lives on', { timeout: 60_000 }, async () => {
    const p = await startProbe({ requestIdleTimeoutMs: 1500 });
    const a = (await get(`${p.url}/pid`)).body.pid as number;
    const slow = await get(`${p.url}/sleep?ms=8000`);
    expect(slow.status).toBe(504);
    expect(slow.body).toEqual({ code: 'IDLE_TIMEOUT', message: 'Request idle timeout limit (1.5s) reached' });
    expect(slow.headers.get('sb-error-code')).toBe('IDLE_TIMEOUT');
    expect(slow.ms).toBeGreaterThanOrEqual(1400);
    expect(slow.ms).toBeLessThan(6000);
    expect((await get(`${p.url}/pid`)).body.pid).toBe(a);
    expect(p.rt.stats().probe.terminated).toEqual({});
  });

  it('EdgeRuntime.waitUntil: the response goes out at once and the work finishes after it', { timeout: 60_000 }, async () => {
    const p = await startProbe();
    const res = await get(`${p.url}/background?ms=1500&token=after`);
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(1200);
    const file = join(p.dir, 'bg-after.json');
    expect(existsSync(file)).toBe(false);
    await waitFor('the background work', () => existsSync(file), 10_000);
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(res.body.pid);
  });

  it('a retired worker with pending waitUntil work finishes it before it exits (beforeunload early_drop after it)', { timeout: 60_000 }, async () => {
    const p = await startProbe({ cpuSoftLimitMs: 300, cpuHardLimitMs: 5000 });
    // Past the soft limit while answering; the work after the answer takes 3 s more.
    const res = await get(`${p.url}/background?burn=700&ms=3000&token=retired`);
    const a = res.body.pid as number;
    await waitFor('the worker to be retired', () => worker(p, a)?.retired === 'CPUTime', 10_000);
    expect((await get(`${p.url}/pid`)).body.pid).not.toBe(a);
    const file = join(p.dir, 'bg-retired.json');
    await sleep(1000);
    expect(existsSync(file)).toBe(false);
    expect(alive(a)).toBe(true); // retired, idle, but its waitUntil work is pending
    await waitFor('the background work', () => existsSync(file), 15_000);
    await waitFor('the retired worker to exit', () => !alive(a), 10_000);
    const workDoneAt = JSON.parse(readFileSync(file, 'utf8')).at as number;
    const unload = beforeunloads(p, a);
    expect(unload.map((e) => e.reason)).toEqual(['early_drop']);
    expect(unload[0].at).toBeGreaterThanOrEqual(workDoneAt);
    expect(p.rt.stats().probe.terminated.EarlyDrop).toBe(1);
  });

  it('a body over 10 MiB gets the function\'s 413 JSON through the gateway every time, never a reset (fixture and the stack\'s enqueue)', { timeout: 120_000 }, async () => {
    const p = await startProbe();
    const stack = inject('stack');
    const targets: Array<{ port: number; path: string; headers: Record<string, string> }> = [
      { port: p.port, path: '/functions/v1/probe/large', headers: {} },
      {
        port: Number(new URL(stack.apiUrl).port), path: '/functions/v1/enqueue',
        headers: { authorization: `Bearer ${stack.serviceRoleKey}`, apikey: stack.secretKey ?? stack.serviceRoleKey },
      },
    ];
    for (const target of targets) {
      const answers: string[] = [];
      for (let i = 0; i < 10; i++) answers.push(await slowUpload(target.port, target.path, target.headers, 11 * 1024 * 1024));
      expect(answers.map((a) => a.replace(/:.*/s, ''))).toEqual(Array(10).fill('413'));
      for (const a of answers) expect(JSON.parse(a.slice(4)).error.code).toBe('payload_too_large');
    }
  });

  it('verify_jwt: the gateway refuses a request without a valid JWT before the function runs', async () => {
    const p = await startProbe({}, { withJwtFunction: true });
    const none = await get(`${p.base}/probe-jwt/pid`);
    expect(none.status).toBe(401);
    const wrong = await get(`${p.base}/probe-jwt/pid`, { headers: { authorization: 'Bearer not.a.jwt' } });
    expect(wrong.status).toBe(401);
    const token = await signJwt(JWT_SECRET, { role: 'anon', exp: Math.floor(Date.now() / 1000) + 60 });
    const ok = await get(`${p.base}/probe-jwt/pid`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect((await get(`${p.base}/nope/pid`)).status).toBe(404);
  });

  it('kill(name) SIGKILLs the function\'s workers: in-flight requests answer 500 WORKER_ERROR, the next request boots a new worker', { timeout: 60_000 }, async () => {
    const p = await startProbe();
    const a = (await get(`${p.url}/pid`)).body.pid as number;
    const inFlight = get(`${p.url}/sleep?ms=20000`);
    await sleep(300);
    await p.rt.kill('probe');
    const lost = await inFlight;
    expect(lost.status).toBe(500);
    expect(lost.body.code).toBe('WORKER_ERROR');
    expect(alive(a)).toBe(false);
    expect(p.rt.stats().probe.terminated.Killed).toBeGreaterThanOrEqual(1);
    const next = await get(`${p.url}/pid`);
    expect(next.status).toBe(200);
    expect(next.body.pid).not.toBe(a);
  });

  it('stop: every worker is retired with beforeunload (termination); in-flight requests and waitUntil work get the grace, then the rest is killed; no process is left', { timeout: 60_000 }, async () => {
    const p = await startProbe({ stopGraceMs: 2500 });
    const a = (await get(`${p.url}/pid`)).body.pid as number;
    await get(`${p.url}/background?ms=1000&token=stop`);
    const quick = get(`${p.url}/sleep?ms=800`);
    const stuck = get(`${p.url}/sleep?ms=60000`);
    await sleep(200);
    const workers = p.rt.stats().probe.workers;
    const pids = workers.map((w) => w.pid); // the warm standby too
    const started = workers.filter((w) => w.startedAt !== undefined).length;
    const stopStarted = Date.now();
    await p.rt.stop();
    const stopMs = Date.now() - stopStarted;
    expect((await quick).status).toBe(200);
    const killed = await stuck;
    expect(killed.status).toBe(546);
    expect(existsSync(join(p.dir, 'bg-stop.json'))).toBe(true);
    expect(beforeunloads(p, a).map((e) => e.reason)).toEqual(['termination']);
    expect(stopMs).toBeGreaterThanOrEqual(2000);
    expect(stopMs).toBeLessThan(8000);
    expect(pids.filter(alive)).toEqual([]);
    expect(p.rt.stats().probe.terminated.TerminationRequested).toBe(started);
  });
});

/**
 * POSTs `size` bytes in 256 KiB chunks, 1 ms apart, as a slow client does
 * (the case that used to end in a reset): "status:body", or "ERR code".
 */
function slowUpload(port: number, path: string, headers: Record<string, string>, size: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({
      host: '127.0.0.1', port, method: 'POST', path,
      headers: { ...headers, 'content-type': 'application/json', 'content-length': size },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve(`${res.statusCode}:${text}`));
      res.on('error', (e) => resolve(`ERR ${e.message}`));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`ERR ${e.code ?? e.message}`));
    const chunk = Buffer.alloc(256 * 1024, ' ');
    let sent = 0;
    const pump = () => {
      if (sent >= size) return void req.end();
      const n = Math.min(chunk.length, size - sent);
      sent += n;
      req.write(chunk.subarray(0, n));
      setTimeout(pump, 1);
    };
    pump();
  });
}
