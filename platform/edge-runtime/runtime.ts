// LOCAL ONLY. The edge runtime: per function, a supervisor that runs the
// function in workers (Deno processes serving many requests each) and
// enforces hosted Supabase's per-worker budgets on them (strategy_per_worker.rs
// in supabase/edge-runtime; memory is what the worker reports of its V8 heap,
// as hosted's MemCheck reads it, see function-host.ts):
//
//   CPU soft limit, half the wall clock, half the memory  -> retired: no new
//     requests; it finishes its in-flight requests and EdgeRuntime.waitUntil
//     work, then gets beforeunload (reason early_drop) and exits.
//   CPU hard limit, full wall clock, memory limit  -> terminated (SIGKILL);
//     its in-flight requests answer 546.
//   90 % of the hard CPU limit / memory limit / wall clock -> beforeunload
//     with reason cpu / memory / wall_clock.
//
// New requests go to the function's current worker. When it retires, the
// next request starts a successor, as hosted creates a worker on demand: the
// function's module is loaded then, and the worker's wall clock runs from
// that first request. With `standby`, that successor is a Deno process
// started in advance (warm), so only the module's loading is waited for.
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { FunctionConfig } from '../config.ts';
import { resolveEdgeLimits, type EdgeLimits } from './limits.ts';
import {
  BootError, sampleProcess, Worker, type BeforeunloadReason, type Lease, type RetireReason, type ShutdownReason,
  type WorkerState,
} from './worker.ts';

export { BootError, type Lease, type RetireReason, type ShutdownReason, type WorkerState } from './worker.ts';

/** How often each worker's CPU and memory are read. */
const SAMPLE_INTERVAL_MS = 50;
/** A worker asked to exit (early drop, stop) that has not exited by then is killed. */
const EXIT_TIMEOUT_MS = 3000;
/** A worker not serving this long after its start (or a warm one not connected after its spawn) is killed (BootError). */
const BOOT_TIMEOUT_MS = 60_000;
/** Workers kept in stats() per function (the oldest exited ones are dropped). */
const HISTORY = 200;

export interface WorkerStats {
  id: string;
  pid: number;
  state: WorkerState;
  /** active: takes the function's new requests (state tells if it is still booting); standby: warm, not started; retired; exited; other: being killed. */
  role: 'active' | 'standby' | 'retired' | 'exited' | 'other';
  requests: number;
  inflight: number;
  pendingWaitUntil: number;
  /** CPU ms spent booting (up to serving), not counted against the limits. */
  bootCpuMs: number;
  /** CPU ms used since it was ready: what the CPU limits apply to. */
  cpuMs: number;
  /** VmRSS of its process, for the record: hosted limits memory, not RSS. */
  rssMb: number;
  peakRssMb: number;
  /** What the memory limits apply to: V8's used heap, external and malloced memory (function-host.ts reports it). */
  memoryMb: number;
  peakMemoryMb: number;
  /** The Deno process started (warm). */
  spawnedAt: number;
  /** The worker was started (its module began to load). */
  startedAt?: number;
  readyAt?: number;
  /** Its first request: its wall clock runs from here. */
  firstRequestAt?: number;
  exitedAt?: number;
  retired?: RetireReason;
  terminated?: ShutdownReason;
  /** beforeunload reasons dispatched to it, in order. */
  beforeunload: BeforeunloadReason[];
}

export interface FunctionStats {
  /** Workers started (their module loaded); a warm standby counts once it is started. */
  workersStarted: number;
  /** Workers retired, by reason. */
  retired: Partial<Record<RetireReason, number>>;
  /** Workers gone, by shutdown reason (EarlyDrop is the clean exit of a retired worker). */
  terminated: Partial<Record<ShutdownReason, number>>;
  workers: WorkerStats[];
}

export interface EdgeRuntimeOptions {
  functions: FunctionConfig[];
  /** Environment of every worker (on top of the runtime's own). */
  env: Record<string, string>;
  /** Each function logs to <logDir>/function-<name>.log. */
  logDir: string;
  /** Budgets and settings, over the SUPAQUEUE_EDGE_* environment, over the Free plan's numbers. */
  limits?: Partial<EdgeLimits>;
  /** Progress lines (Default: silent). */
  log?: (line: string) => void;
}

export interface EdgeRuntime {
  readonly limits: Readonly<EdgeLimits>;
  /** The function of that name, if the runtime serves it. */
  function(name: string): FunctionConfig | undefined;
  /** A worker of `name` to send one request to; rejects with BootError if none can start. */
  acquire(name: string): Promise<Lease>;
  /** Workers started, retired and terminated per function, and each worker's figures. */
  stats(): Record<string, FunctionStats>;
  /** Kills every worker of the function at once (SIGKILL, recorded as Killed); the next request boots a new one. */
  kill(name: string): Promise<void>;
  /** Kills every worker of the function and waits until a fresh one serves. */
  restart(name: string): Promise<void>;
  /**
   * A clean stop: every worker is retired and gets beforeunload (reason
   * termination); in-flight requests and waitUntil work get stopGraceMs, then
   * what is left is killed. Resolves once no worker process is left.
   */
  stop(): Promise<void>;
}

class FunctionSupervisor {
  private active?: Worker;
  private standby?: Worker;
  private readonly alive = new Set<Worker>();
  private readonly history: Worker[] = [];
  private seq = 0;
  private stopping = false;
  private stopDeadline = Infinity;
  readonly counts: Pick<FunctionStats, 'workersStarted' | 'retired' | 'terminated'> = { workersStarted: 0, retired: {}, terminated: {} };

  constructor(
    readonly config: FunctionConfig,
    private readonly limits: EdgeLimits,
    private readonly ctx: { env: Record<string, string>; controlPort: () => number; register: (w: Worker) => void; unregister: (w: Worker) => void },
    private readonly logStream: WriteStream,
  ) {}

  private note(line: string): void {
    this.logStream.write(`${new Date().toISOString()} [edge-runtime] ${line}\n`);
  }

  private spawn(): Worker {
    const w = new Worker({
      config: this.config, seq: ++this.seq, token: randomBytes(16).toString('hex'),
      controlPort: this.ctx.controlPort(), env: this.ctx.env, memoryLimitMb: this.limits.memoryLimitMb, log: this.logStream,
    });
    this.alive.add(w);
    this.history.push(w);
    if (this.history.length > HISTORY) {
      const i = this.history.findIndex((h) => !h.alive);
      if (i >= 0) this.history.splice(i, 1);
    }
    this.ctx.register(w);
    w.onMessage = (msg) => { if (msg.t === 'pending') this.maybeDrop(w); };
    w.ready.then(
      () => this.note(`worker ${w.id} (pid ${w.pid}) serving ${w.readyAt! - w.startedAt!} ms after its start (boot CPU ${w.bootCpuMs} ms, not counted)`),
      () => {},
    );
    void w.exited.then(() => this.onExit(w));
    return w;
  }

  /** Starts the first worker (start-up fails if it cannot serve). */
  async start(): Promise<void> {
    await this.promote().ready;
  }

  async acquire(): Promise<Lease> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopping) throw new BootError(`function ${this.config.name} is stopping`);
      let w = this.active;
      if (!w || !w.takesRequests) w = this.promote();
      try {
        await w.ready;
      } catch (err) {
        if (this.active === w) this.active = undefined;
        throw err;
      }
      if (w.takesRequests && this.active === w) return this.lease(w);
      // Retired or killed while we waited: take its successor.
      if (attempt >= 10) throw new BootError(`function ${this.config.name}: no worker could take the request`);
    }
  }

  /** Starts a new active worker: the warm standby if there is one, else a new process; a new standby warms up. */
  private promote(): Worker {
    const s = this.standby;
    this.standby = undefined;
    const w = s?.takesRequests && s.state === 'warm' ? s : this.spawn();
    w.start();
    this.counts.workersStarted++;
    this.note(`worker ${w.id} (pid ${w.pid}) started${w === s ? ' (it was the warm standby)' : ''}`);
    this.active = w;
    if (this.limits.standby && !this.stopping) this.standby = this.spawn();
    return w;
  }

  private lease(w: Worker): Lease {
    return w.lease(() => this.maybeDrop(w, true));
  }

  private retire(w: Worker, reason: RetireReason, why: string): void {
    if (w.retireReason || !w.alive) return;
    w.retireReason = reason;
    w.state = 'retired';
    this.counts.retired[reason] = (this.counts.retired[reason] ?? 0) + 1;
    this.note(`worker ${w.id} (pid ${w.pid}) retired: ${reason} (${why}); ${w.inflight} in-flight request(s), ${w.pendingWaitUntil} waitUntil promise(s) pending`);
    // Its successor starts with the next request.
    if (this.active === w) this.active = undefined;
    this.maybeDrop(w);
  }

  private terminate(w: Worker, reason: ShutdownReason, why: string): void {
    if (!w.alive || w.killReason) return;
    this.note(`worker ${w.id} (pid ${w.pid}) terminated: ${reason} (${why}); ${w.inflight} in-flight request(s) lost`);
    if (this.active === w) this.active = undefined;
    if (this.standby === w) this.standby = undefined;
    w.kill(reason);
  }

  /**
   * A retired worker with nothing in flight and no waitUntil work pending
   * exits (hosted's early drop). `requestEnded`: a request of it just ended
   * (hosted dispatches `drain` then, once a retired worker has none left).
   */
  private maybeDrop(w: Worker, requestEnded = false): void {
    if (!w.retireReason || !w.alive || w.killReason || w.inflight > 0) return;
    if (requestEnded && !w.drainSent) {
      w.drainSent = true;
      w.send({ t: 'drain' });
    }
    if (w.pendingWaitUntil > 0 || w.dropSentAt !== undefined) return;
    w.dropSentAt = Date.now();
    // On a stop the worker had its beforeunload (termination) already.
    if (this.stopping) w.send({ t: 'exit' });
    else {
      if (!w.beforeunloadSent.includes('early_drop')) w.beforeunloadSent.push('early_drop');
      w.send({ t: 'drop' });
    }
  }

  private onExit(w: Worker): void {
    this.alive.delete(w);
    this.ctx.unregister(w);
    if (this.active === w) this.active = undefined;
    if (this.standby === w) this.standby = undefined;
    const reason = w.classifyExit();
    w.shutdownReason = reason;
    // A standby that never started was never a worker on hosted's terms.
    if (w.startedAt === undefined) {
      this.note(`standby ${w.id} (pid ${w.pid}) gone: ${reason}${reason === 'BootError' ? `\n${w.lastError}` : ''}`);
      return;
    }
    this.counts.terminated[reason] = (this.counts.terminated[reason] ?? 0) + 1;
    const lost = w.inflight;
    w.loseLeases(reason);
    this.note(`worker ${w.id} (pid ${w.pid}) shut down: ${reason} (${w.exitSignal ?? `exit code ${w.exitCode}`}); ` +
      `${w.requests} request(s), CPU ${w.cpuMs} ms after boot, peak RSS ${w.peakRssMb.toFixed(1)} MB` +
      (lost ? `, ${lost} in-flight request(s) lost` : '') +
      (reason === 'WorkerError' || reason === 'BootError' ? `\n${w.lastError}` : ''));
  }

  /** One sampling pass over this function's workers. */
  tick(now: number): void {
    const L = this.limits;
    const pct = L.beforeunloadPct / 100;
    for (const w of this.alive) {
      if (w.killReason) continue;
      if (w.state === 'warm' || w.state === 'booting') {
        if (w.state === 'warm' ? !w.connected && now - w.spawnedAt > BOOT_TIMEOUT_MS : now - w.startedAt! > BOOT_TIMEOUT_MS) {
          this.terminate(w, 'BootError', `not serving after ${BOOT_TIMEOUT_MS} ms`);
          continue;
        }
        const s = sampleProcess(w.pid);
        if (s) w.observe(s);
        if (w.memoryMb >= L.memoryLimitMb) {
          this.terminate(w, 'Memory', `memory limit reached while booting: ${w.memoryMb.toFixed(1)} MB of ${L.memoryLimitMb} MB`);
        }
        continue;
      }
      const s = sampleProcess(w.pid);
      if (!s) continue;
      w.observe(s);
      const cpu = w.cpuMs;
      const age = w.firstRequestAt === undefined ? 0 : now - w.firstRequestAt;
      if (w.memoryMb >= L.memoryLimitMb) {
        this.terminate(w, 'Memory', `memory limit reached: ${w.memoryMb.toFixed(1)} MB of ${L.memoryLimitMb} MB`);
        continue;
      }
      if (L.cpuHardLimitMs > 0 && cpu >= L.cpuHardLimitMs) {
        this.terminate(w, 'CPUTime', `CPU time hard limit reached: ${cpu} ms of ${L.cpuHardLimitMs} ms`);
        continue;
      }
      if (L.wallClockLimitMs > 0 && age >= L.wallClockLimitMs) {
        this.terminate(w, 'WallClockTime', `wall clock duration reached: ${age} ms of ${L.wallClockLimitMs} ms`);
        continue;
      }
      if (this.stopping && now >= this.stopDeadline) {
        this.terminate(w, 'TerminationRequested', `stop grace of ${L.stopGraceMs} ms over`);
        continue;
      }
      if (w.dropSentAt !== undefined && now - w.dropSentAt > EXIT_TIMEOUT_MS) {
        this.terminate(w, this.stopping ? 'TerminationRequested' : 'EarlyDrop', `did not exit within ${EXIT_TIMEOUT_MS} ms of being asked`);
        continue;
      }
      if (w.firstRequestAt === undefined) continue; // no request yet: hosted would not have created it
      if (L.cpuHardLimitMs > 0 && cpu >= L.cpuHardLimitMs * pct && w.beforeunload('cpu')) this.note(`worker ${w.id}: beforeunload (cpu) at ${cpu} ms`);
      if (w.memoryMb >= L.memoryLimitMb * pct && w.beforeunload('memory')) this.note(`worker ${w.id}: beforeunload (memory) at ${w.memoryMb.toFixed(1)} MB`);
      if (L.wallClockLimitMs > 0 && age >= L.wallClockLimitMs * pct && w.beforeunload('wall_clock')) this.note(`worker ${w.id}: beforeunload (wall_clock) at ${age} ms`);
      if (!w.retireReason) {
        if (L.cpuSoftLimitMs > 0 && cpu >= L.cpuSoftLimitMs) this.retire(w, 'CPUTime', `CPU time soft limit reached: ${cpu} ms of ${L.cpuSoftLimitMs} ms`);
        else if (L.wallClockLimitMs > 0 && age >= L.wallClockLimitMs / 2) this.retire(w, 'WallClockTime', `wall clock duration warning: ${age} ms of ${L.wallClockLimitMs} ms`);
        else if (w.memoryMb >= L.memoryLimitMb / 2) this.retire(w, 'Memory', `half the memory limit: ${w.memoryMb.toFixed(1)} MB of ${L.memoryLimitMb} MB`);
      }
    }
  }

  async kill(): Promise<void> {
    const workers = [...this.alive];
    this.active = undefined;
    this.standby = undefined;
    for (const w of workers) {
      this.note(`worker ${w.id} (pid ${w.pid}) killed (SIGKILL from the runtime's kill())`);
      w.kill('Killed');
    }
    await Promise.all(workers.map((w) => w.exited));
  }

  async restart(): Promise<void> {
    await this.kill();
    if (this.stopping) return;
    const w = this.promote();
    await w.ready;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopDeadline = Date.now() + this.limits.stopGraceMs;
    this.standby = undefined;
    this.active = undefined;
    for (const w of this.alive) {
      if (w.state === 'warm' || w.state === 'booting') {
        this.terminate(w, 'TerminationRequested', w.state === 'warm' ? 'a standby, not started' : 'stopped while booting');
        continue;
      }
      // Hosted, asked to terminate a worker: retire it and dispatch drain.
      w.beforeunload('termination');
      w.drainSent = true;
      w.send({ t: 'drain' });
      this.retire(w, 'TerminationRequested', 'the runtime is stopping');
      this.maybeDrop(w);
    }
    const all = [...this.alive];
    await Promise.all(all.map((w) => w.exited));
  }

  stats(): FunctionStats {
    return {
      workersStarted: this.counts.workersStarted,
      retired: { ...this.counts.retired },
      terminated: { ...this.counts.terminated },
      workers: this.history.map((w) => ({
        id: w.id, pid: w.pid, state: w.state,
        role: !w.alive ? 'exited' : w.retireReason ? 'retired' : w === this.active ? 'active' : w === this.standby ? 'standby' : 'other',
        requests: w.requests, inflight: w.inflight, pendingWaitUntil: w.pendingWaitUntil,
        bootCpuMs: w.bootCpuMs, cpuMs: w.cpuMs, rssMb: Math.round(w.rssMb * 10) / 10, peakRssMb: Math.round(w.peakRssMb * 10) / 10,
        memoryMb: Math.round(w.memoryMb * 10) / 10, peakMemoryMb: Math.round(w.peakMemoryMb * 10) / 10,
        spawnedAt: w.spawnedAt, startedAt: w.startedAt, readyAt: w.readyAt, firstRequestAt: w.firstRequestAt, exitedAt: w.exitedAt,
        retired: w.retireReason, terminated: w.shutdownReason, beforeunload: [...w.beforeunloadSent],
      })),
    };
  }
}

/** Starts the runtime and boots one worker per function; fails if one cannot serve. */
export async function startEdgeRuntime(opts: EdgeRuntimeOptions): Promise<EdgeRuntime> {
  if (!existsSync('/proc/self/stat')) {
    throw new Error('The local edge runtime measures workers in /proc (Linux only); it cannot enforce the platform\'s limits here.');
  }
  const limits = resolveEdgeLimits(opts.limits);
  const log = opts.log ?? (() => {});
  const byToken = new Map<string, Worker>();

  // Workers connect back here: {hello} first, then {ready}, {pending}, {busy}.
  const control: Server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    let worker: Worker | undefined;
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let msg: any;
        try { msg = JSON.parse(line); } catch { continue; }
        if (!worker) {
          worker = msg?.t === 'hello' ? byToken.get(String(msg.token)) : undefined;
          if (!worker) { socket.destroy(); return; }
          worker.attach(socket, Number(msg.pid) || 0);
        } else {
          worker.handle(msg);
        }
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen(0, '127.0.0.1', () => resolve());
  });
  const controlPort = () => (control.address() as { port: number }).port;

  const streams: WriteStream[] = [];
  const supervisors = new Map<string, FunctionSupervisor>();
  for (const fn of opts.functions) {
    const stream = createWriteStream(join(opts.logDir, `function-${fn.name}.log`), { flags: 'a' });
    streams.push(stream);
    supervisors.set(fn.name, new FunctionSupervisor(fn, limits, {
      env: opts.env, controlPort,
      register: (w) => byToken.set(w.token, w),
      unregister: (w) => byToken.delete(w.token),
    }, stream));
  }

  const timer = setInterval(() => {
    const now = Date.now();
    for (const s of supervisors.values()) s.tick(now);
  }, SAMPLE_INTERVAL_MS);
  timer.unref();

  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= (async () => {
    await Promise.all([...supervisors.values()].map((s) => s.stop()));
    clearInterval(timer);
    await new Promise<void>((resolve) => control.close(() => resolve()));
    await Promise.all(streams.map((s) => new Promise<void>((resolve) => s.end(resolve))));
  })();

  const supervisor = (name: string) => {
    const s = supervisors.get(name);
    if (!s) throw new Error(`no function named ${name}`);
    return s;
  };

  try {
    log(`starting ${supervisors.size} edge functions on Deno (CPU ${limits.cpuSoftLimitMs}/${limits.cpuHardLimitMs} ms, ` +
      `wall clock ${limits.wallClockLimitMs / 1000} s, memory ${limits.memoryLimitMb} MB, idle timeout ${limits.requestIdleTimeoutMs / 1000} s)…`);
    await Promise.all([...supervisors.values()].map((s) => s.start()));
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    limits: Object.freeze({ ...limits }),
    function: (name) => supervisors.get(name)?.config,
    acquire: (name) => supervisor(name).acquire(),
    stats: () => Object.fromEntries([...supervisors].map(([name, s]) => [name, s.stats()])),
    kill: (name) => supervisor(name).kill(),
    restart: (name) => supervisor(name).restart(),
    stop,
  };
}
