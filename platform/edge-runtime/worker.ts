// LOCAL ONLY. One worker of a function: a Deno process running
// function-host.ts, which serves many requests until its supervisor
// (runtime.ts) retires or terminates it. Everything measured about it is
// measured from outside, in /proc: CPU (utime + stime of the process's main
// thread, minus what booting took) and memory (VmRSS of the whole process).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, type WriteStream } from 'node:fs';
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { REPO_ROOT, type FunctionConfig } from '../config.ts';
import { workerCommand } from './functions.ts';

/**
 * warm: the Deno process is up, the function's module not loaded (a standby);
 * booting: started, loading the module; ready: takes requests; retired:
 * finishes what it has, takes nothing new; exited: gone.
 */
export type WorkerState = 'warm' | 'booting' | 'ready' | 'retired' | 'exited';

/** Why a worker stopped taking requests (hosted's supervisor reasons). */
export type RetireReason = 'CPUTime' | 'WallClockTime' | 'Memory' | 'TerminationRequested';

/**
 * Why a worker is gone: hosted's ShutdownReason names (EarlyDrop: retired
 * and idle; CPUTime / WallClockTime / Memory: a limit; TerminationRequested:
 * the runtime stopped; EventLoopCompleted: it ended by itself), and the local
 * ones: WorkerError (it died of an error of its own), Killed (a signal from
 * elsewhere, e.g. a test), BootError (it never served).
 */
export type ShutdownReason =
  | 'EarlyDrop' | 'CPUTime' | 'WallClockTime' | 'Memory' | 'TerminationRequested'
  | 'EventLoopCompleted' | 'WorkerError' | 'Killed' | 'BootError';

/** event.detail.reason of the beforeunload events hosted dispatches (WillTerminateReason, snake_case). */
export type BeforeunloadReason = 'cpu' | 'memory' | 'wall_clock' | 'early_drop' | 'termination';

/** Shutdown reasons that are a resource limit: in-flight requests answer 546. */
export const LIMIT_REASONS: ReadonlySet<ShutdownReason> = new Set(['CPUTime', 'WallClockTime', 'Memory', 'TerminationRequested', 'EarlyDrop']);

/** /proc reports times in USER_HZ, which is 100 on every Linux. */
const MS_PER_TICK = 10;

export class BootError extends Error {}

export interface WorkerSample {
  /** CPU ms of the main thread since the process started. */
  totalCpuMs: number;
  rssMb: number;
}

/**
 * Reads a process's CPU and memory from /proc; null once it is gone. CPU is
 * the main thread's, where Deno runs the isolate: hosted's limits count the
 * isolate's thread (a CLOCK_THREAD_CPUTIME_ID timer, crates/cpu_timer in
 * supabase/edge-runtime), not V8's compiler and GC helper threads beside it
 * (about half of a fresh enqueue worker's process CPU, measured). Deno
 * also parses HTTP on that thread, which hosted does outside the isolate, so
 * this counts no less than hosted does. RSS is the whole process's.
 */
export function sampleProcess(pid: number): WorkerSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return null;
    const totalCpuMs = (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    return { totalCpuMs, rssMb: rssKb / 1024 };
  } catch {
    return null;
  }
}

export interface WorkerOptions {
  config: FunctionConfig;
  seq: number;
  token: string;
  controlPort: number;
  env: Record<string, string>;
  memoryLimitMb: number;
  log: WriteStream;
}

type Message = { t: 'hello'; pid: number } | { t: 'ready'; port: number } | { t: 'pending'; n: number } | { t: 'busy' } | { t: 'memory'; mb: number };

export class Worker {
  readonly id: string;
  readonly seq: number;
  readonly token: string;
  readonly child: ChildProcess;
  /** The Deno process (as it reported itself: the child, unless deno runs behind a wrapper). */
  pid: number;
  port = 0;
  state: WorkerState = 'warm';
  readonly spawnedAt = Date.now();
  /** When it was started (its module began to load). */
  startedAt?: number;
  readyAt?: number;
  /**
   * Its first request: hosted creates a worker for a request, so its wall
   * clock runs from here. (A successor is started by the request that needs
   * it, so this follows its start closely; only the first worker of a
   * function is started before any request, at start-up.)
   */
  firstRequestAt?: number;
  exitedAt?: number;
  bootCpuMs = 0;
  /** CPU ms used since it was ready. */
  cpuMs = 0;
  /** VmRSS of the process: reported, not limited (hosted does not limit a worker's RSS). */
  rssMb = 0;
  peakRssMb = 0;
  /** What hosted limits: V8's used heap, external and malloced memory, as the worker reports it (function-host.ts). */
  memoryMb = 0;
  peakMemoryMb = 0;
  requests = 0;
  inflight = 0;
  /** EdgeRuntime.waitUntil promises not settled yet, as the worker reported. */
  pendingWaitUntil = 0;
  retireReason?: RetireReason;
  shutdownReason?: ShutdownReason;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  /** Set just before the supervisor kills it: the reason it will be recorded under. */
  killReason?: ShutdownReason;
  /** When the supervisor asked it to exit (early drop or stop), if it did. */
  dropSentAt?: number;
  drainSent = false;
  readonly beforeunloadSent: BeforeunloadReason[] = [];
  /** One keep-alive pool of connections from the gateway to this worker. */
  readonly agent = new Agent({ keepAlive: true, timeout: 4000, scheduling: 'lifo' });
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  private control?: Socket;
  private startPending = false;
  private stderrTail = '';
  private resolveReady!: () => void;
  private rejectReady!: (err: Error) => void;
  private readonly leases = new Set<LeaseImpl>();
  private readonly log: WriteStream;
  /** Called with each message from the worker's control connection. */
  onMessage: (msg: Message) => void = () => {};

  constructor(opts: WorkerOptions) {
    this.seq = opts.seq;
    this.id = `${opts.config.name}#${opts.seq}`;
    this.token = opts.token;
    this.log = opts.log;
    const [cmd, ...args] = workerCommand(opts.config, opts.memoryLimitMb);
    this.child = spawn(cmd, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...opts.env, SUPAQUEUE_EDGE_CONTROL: `${opts.controlPort}:${opts.token}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid ?? 0;
    this.ready = new Promise<void>((resolve, reject) => { this.resolveReady = resolve; this.rejectReady = reject; });
    this.ready.catch(() => {});
    this.pipeOutput(this.child.stdout!, false);
    this.pipeOutput(this.child.stderr!, true);
    this.exited = new Promise<void>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.state === 'exited') return;
        this.exitCode = code;
        this.exitSignal = signal;
        this.exitedAt = Date.now();
        this.state = 'exited';
        this.control?.destroy();
        this.agent.destroy();
        this.rejectReady(new BootError(`worker ${this.id} exited before serving (${signal ?? `code ${code}`}):\n${this.stderrTail.slice(-2000)}`));
        resolve();
      };
      this.child.once('exit', finish);
      this.child.once('error', (err) => {
        this.stderrTail += `\n${err.message}`;
        // It never started (e.g. no deno executable): there will be no exit event.
        if (this.child.pid === undefined) finish(null, null);
      });
    });
  }

  private pipeOutput(stream: NodeJS.ReadableStream, isErr: boolean): void {
    let partial = '';
    stream.setEncoding?.('utf8');
    stream.on('data', (chunk: string) => {
      if (isErr) this.stderrTail = (this.stderrTail + chunk).slice(-8192);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) this.log.write(`[${this.id}] ${line}\n`);
    });
    stream.on('end', () => { if (partial) this.log.write(`[${this.id}] ${partial}\n`); });
  }

  /** The control connection, once the worker said hello. */
  attach(socket: Socket, pid: number): void {
    this.control = socket;
    if (pid > 0) this.pid = pid;
    if (this.startPending) this.send({ t: 'start' });
  }

  get connected(): boolean {
    return this.control !== undefined;
  }

  /** Loads the function's module: the worker is created now (its clock starts). */
  start(): void {
    if (this.state !== 'warm') return;
    this.state = 'booting';
    this.startedAt = Date.now();
    this.startPending = true;
    if (this.control) this.send({ t: 'start' });
  }

  handle(msg: Message): void {
    if (msg.t === 'ready') {
      if (this.state !== 'booting') return;
      this.port = msg.port;
      this.state = 'ready';
      this.readyAt = Date.now();
      const s = sampleProcess(this.pid);
      this.bootCpuMs = s?.totalCpuMs ?? 0;
      if (s) this.observe(s);
      this.resolveReady();
    } else if (msg.t === 'pending') {
      this.pendingWaitUntil = msg.n;
    } else if (msg.t === 'busy') {
      this.dropSentAt = undefined;
    } else if (msg.t === 'memory') {
      this.memoryMb = msg.mb;
      this.peakMemoryMb = Math.max(this.peakMemoryMb, msg.mb);
    }
    this.onMessage(msg);
  }

  /** Tells the worker something: beforeunload, drain, drop (early drop) or exit. */
  send(msg: { t: 'start' } | { t: 'beforeunload'; reason: BeforeunloadReason } | { t: 'drain' } | { t: 'drop' } | { t: 'exit' }): void {
    if (!this.control || this.control.destroyed) return;
    this.control.write(JSON.stringify(msg) + '\n');
  }

  beforeunload(reason: BeforeunloadReason): boolean {
    if (this.beforeunloadSent.includes(reason)) return false;
    this.beforeunloadSent.push(reason);
    this.send({ t: 'beforeunload', reason });
    return true;
  }

  /** Records a sample; returns it. */
  observe(s: WorkerSample): WorkerSample {
    this.rssMb = s.rssMb;
    this.peakRssMb = Math.max(this.peakRssMb, s.rssMb);
    if (this.readyAt !== undefined) this.cpuMs = Math.max(0, s.totalCpuMs - this.bootCpuMs);
    return s;
  }

  get alive(): boolean {
    return this.state !== 'exited';
  }

  /** Warm, booting or ready, and not about to be killed: requests may be routed to it. */
  get takesRequests(): boolean {
    return (this.state === 'warm' || this.state === 'booting' || this.state === 'ready') && !this.killReason;
  }

  /** SIGKILL now; `reason` is what the exit is recorded as. */
  kill(reason: ShutdownReason): void {
    if (!this.alive) return;
    this.killReason ??= reason;
    for (const pid of new Set([this.pid, this.child.pid])) {
      if (!pid) continue;
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }

  /** Why it exited, from what the supervisor did and how the process ended. */
  classifyExit(): ShutdownReason {
    if (this.killReason) return this.killReason;
    if (this.dropSentAt !== undefined) return this.retireReason === 'TerminationRequested' ? 'TerminationRequested' : 'EarlyDrop';
    if (/Fatal (JavaScript|process) out of memory/.test(this.stderrTail)) return 'Memory';
    if (this.readyAt === undefined) return 'BootError';
    if (this.exitSignal) return 'Killed';
    return this.exitCode === 0 ? 'EventLoopCompleted' : 'WorkerError';
  }

  get lastError(): string {
    return this.stderrTail.slice(-2000);
  }

  lease(onRelease: () => void): Lease {
    this.firstRequestAt ??= Date.now();
    this.inflight++;
    this.requests++;
    const lease = new LeaseImpl(this, () => {
      this.leases.delete(lease);
      this.inflight--;
      onRelease();
    });
    this.leases.add(lease);
    return lease;
  }

  /** Its requests still in flight learn that it is gone, and why. */
  loseLeases(reason: ShutdownReason): void {
    for (const lease of [...this.leases]) lease.lose(reason);
  }
}

/** A request's hold on a worker, from routing until its response is over. */
export interface Lease {
  readonly workerId: string;
  readonly pid: number;
  readonly port: number;
  readonly agent: Agent;
  /** The exchange with the worker is over (answered, failed or given up). Idempotent. */
  release(): void;
  /** `cb` is called once if the worker goes away before release(). */
  onLost(cb: (reason: ShutdownReason) => void): void;
  /** Why the worker went away, if it did before release(). */
  readonly lostReason?: ShutdownReason;
}

class LeaseImpl implements Lease {
  private released = false;
  private listeners: Array<(reason: ShutdownReason) => void> = [];
  lostReason?: ShutdownReason;

  constructor(private readonly worker: Worker, private readonly done: () => void) {}

  get workerId() { return this.worker.id; }
  get pid() { return this.worker.pid; }
  get port() { return this.worker.port; }
  get agent() { return this.worker.agent; }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.done();
  }

  onLost(cb: (reason: ShutdownReason) => void): void {
    if (this.lostReason) cb(this.lostReason);
    else this.listeners.push(cb);
  }

  lose(reason: ShutdownReason): void {
    if (this.released || this.lostReason) return;
    this.lostReason = reason;
    for (const cb of this.listeners.splice(0)) cb(reason);
    this.release();
  }
}
