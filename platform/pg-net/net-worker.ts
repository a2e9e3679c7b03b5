/**
 * Local stand-in for pg_net's C background worker (supabase/pg_net 0.19.7,
 * src/worker.c; the loop is the same up to 0.20.x), paired with the pure-SQL
 * extension in platform/pg-net/extension/. Never deployed.
 *
 * What it reproduces, because callers can observe it:
 *   - Batch and wait. One batch is one transaction: take up to batch_size
 *     committed rows of net.http_request_queue (pg_net.batch_size, read with
 *     current_setting every batch, Default: 200), send them all at once, wait
 *     until EVERY one has answered or timed out, insert their
 *     net._http_response rows and commit. Nothing else is sent meanwhile, so
 *     one slow request delays everything queued behind it, and a batch's
 *     responses all become visible together, when it commits.
 *   - A batch that does not finish (stop() after a 2 s grace, lost
 *     connection, database error) rolls back: all its requests, answered or
 *     not, go back to the queue and are sent again, as after a crash of the
 *     real worker, which the postmaster restarts 1 s later; so does this one.
 *   - Waking. The real worker sleeps on a latch with no timeout until a
 *     commit that called net.wake() sets it; here NOTIFY pg_net_request
 *     (delivered at commit) does. While awake it pauses 1 s after every batch
 *     (pollIntervalMs), cut short only if a wake came in since it took the
 *     batch, and goes back to sleep after a batch that found nothing to send
 *     or expire. As with the real should_wake flag, only the first wake since
 *     it last woke up cuts a pause short (and makes it look again before
 *     sleeping); later ones change nothing.
 *   - TTL: each batch first deletes up to batch_size responses older than
 *     pg_net.ttl (Default: 6 hours), so expiry happens only while awake.
 *   - Timeouts are curl's CURLOPT_TIMEOUT_MS: timed_out = true and
 *     detailed_timeout_strerror()'s message; other failures get
 *     curl_easy_strerror()'s text.
 *   - net.worker_restart(): the batch in flight finishes, then the worker is
 *     gone for 1 s (bgw_restart_time) and comes back awake.
 *
 * What it does not reproduce: libcurl (requests go through fetch: no GET body,
 * no phase timings, so a timeout's time is all "HTTP time"); a backend of its
 * own (it is a client on two connections, one for the batch and one to
 * LISTEN, named like the real worker so net.check_worker_is_up() finds it).
 * Lost NOTIFYs: while its LISTEN connection is down it misses wakes, so on
 * reconnecting it wakes itself, where the real latch never loses one.
 * Several of these workers may run at once (SKIP LOCKED keeps their batches
 * disjoint); hosted has exactly one.
 */
import postgres from 'postgres';

export interface NetWorkerOptions {
  dbUrl: string;
  /** ms the worker pauses after each batch unless woken (Default: 1000, pg_net's WORKER_WAIT_ONE_SECOND) */
  pollIntervalMs?: number;
  /** requests taken per batch, overriding pg_net.batch_size (Default: pg_net.batch_size, else 200) */
  batchSize?: number;
  /** response TTL, overriding pg_net.ttl (Default: pg_net.ttl, else '6 hours') */
  ttl?: string;
  log?: (line: string) => void;
}

export interface NetWorker {
  stop(): Promise<void>;
}

const VERSION = '0.19.7';
/** net.check_worker_is_up / wait_until_running look for this application_name. */
const APP_NAME = `pg_net ${VERSION} worker`;
const DEFAULT_BATCH_SIZE = 200;
/** pg_net.batch_size is an int GUC with this range (DefineCustomIntVariable). */
const MAX_BATCH_SIZE = 32767;
/** bgw_restart_time: how long the postmaster waits before restarting an exited worker. */
const RESTART_MS = 1000;
/** How long stop() lets a batch in flight finish before giving it up. */
const STOP_GRACE_MS = 2000;
const TIMED_OUT = Symbol('timed out');
/** The batch is given up (stop, lost connection): its transaction rolls back. */
const ABANDONED = Symbol('abandoned');

type Queued = {
  id: string; method: string; url: string; timeout_milliseconds: number;
  headers: postgres.JSONValue; body: Buffer | null; header_lines: string[];
};
type Outcome = {
  id: string; status_code: number | null; content_type: string | null;
  headers: Record<string, string> | null; content: string | null;
  timed_out: boolean; error_msg: string | null;
};
/** What one batch did; the worker stays awake while batches consume or expire rows. */
type Pass = { consumed: number; expired: number };

/** The net tables are missing or locked (drop extension under way): the real worker skips the round. */
class ExtensionUnavailable extends Error {}

// unref'd: a pending timer must not keep the process alive on its own
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** curl_easy_strerror() texts (current libcurl wording) for what fetch reports. */
function curlError(err: unknown, gotHeaders: boolean): string {
  const e = err as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const code = e?.cause?.code ?? e?.code ?? '';
  const detail = `${e?.message ?? ''} ${e?.cause?.message ?? ''}`;
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].includes(code)) return 'Could not connect to server';
  if (['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA'].includes(code)) return 'Could not resolve hostname';
  if (['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED'].includes(code)) {
    return gotHeaders ? 'Failure when receiving data from the peer' : 'Server returned nothing (no headers, no data)';
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return 'SSL peer certificate or SSH remote key was not OK';
  if (/^ERR_SSL|^ERR_TLS/.test(code)) return 'SSL connect error';
  if (/redirect count exceeded/i.test(detail)) return 'Number of redirects hit maximum amount';
  if (/scheme|not implemented/i.test(detail)) return 'Unsupported protocol';
  return detail.trim() || 'Unknown error';
}

/** The real worker's detailed_timeout_strerror() format; fetch gives no phase timings, so all time is HTTP time. */
const timeoutError = (timeoutMs: number, totalMs: number) =>
  `Timeout of ${timeoutMs} ms reached. Total time: ${totalMs.toFixed(6)} ms (DNS time: ${(0).toFixed(6)} ms, ` +
  `TCP/SSL handshake time: ${(0).toFixed(6)} ms, HTTP Request/Response time: ${totalMs.toFixed(6)} ms)`;

/** Sends one request; resolves to what the real worker would record for it, or ABANDONED. */
async function send(req: Queued, batch: Set<AbortController>): Promise<Outcome | typeof ABANDONED> {
  const started = performance.now();
  const ctl = new AbortController();
  // curl's CURLOPT_TIMEOUT_MS: the whole transfer, body included; 0 means none.
  const timer = req.timeout_milliseconds > 0 ? setTimeout(() => ctl.abort(TIMED_OUT), req.timeout_milliseconds) : undefined;
  batch.add(ctl);
  let gotHeaders = false;
  try {
    const headers = new Headers();
    for (const line of req.header_lines) headers.append(line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2));
    if (!headers.has('user-agent')) headers.set('user-agent', `pg_net/${VERSION}`);
    const method = req.method.toUpperCase();
    // fetch cannot send a GET body (only possible by inserting into the queue by hand); it is dropped.
    const body = method === 'GET' || !req.body ? undefined : new Uint8Array(req.body);
    const res = await fetch(req.url, { method, headers, body, signal: ctl.signal, redirect: 'follow' });
    gotHeaders = true;
    const bytes = new Uint8Array(await res.arrayBuffer());
    const nul = bytes.indexOf(0); // the C worker stores the body as a C string
    const content = new TextDecoder().decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
    return {
      id: req.id, status_code: res.status, content_type: res.headers.get('content-type'),
      headers: Object.fromEntries(res.headers), content: content || null, timed_out: false, error_msg: null,
    };
  } catch (err) {
    if (ctl.signal.reason === ABANDONED) return ABANDONED;
    const timedOut = ctl.signal.reason === TIMED_OUT;
    return {
      id: req.id, status_code: null, content_type: null, headers: null, content: null, timed_out: timedOut,
      error_msg: timedOut ? timeoutError(req.timeout_milliseconds, performance.now() - started) : curlError(err, gotHeaders),
    };
  } finally {
    clearTimeout(timer);
    batch.delete(ctl);
  }
}

export async function startNetWorker(opts: NetWorkerOptions): Promise<NetWorker> {
  const pollMs = opts.pollIntervalMs ?? 1000;
  const log = opts.log ?? ((line: string) => console.log(`[pg_net worker] ${line}`));
  const common = { onnotice: () => {}, connect_timeout: 5, connection: { application_name: APP_NAME } };
  // One connection for the batches, as the real worker has one backend.
  const sql = postgres(opts.dbUrl, { ...common, max: 1 });
  let listening = false;
  // A dedicated connection we LISTEN on ourselves (instead of sql.listen) so a
  // lost connection is noticed via onclose, re-LISTENed and caught up on.
  // (onnotify is a postgres.js option its typings leave out, hence the separate object.)
  const listenerOptions = {
    ...common, max: 1, max_lifetime: null,
    onnotify: (_channel: string, payload: string) => (payload === 'restart' ? requestRestart() : wake()),
    onclose: () => { listening = false; shouldWake = true; setLatch(); },
  };
  const listener = postgres(opts.dbUrl, listenerOptions);

  let stopping = false;
  // worker_state->should_wake: set at startup (and by a restart), so queued work is drained.
  let shouldWake = true;
  let restartRequested = false;
  // The worker's latch: set by a wake, reset after each wait.
  let latch = false;
  let latchWaiter: (() => void) | null = null;
  const setLatch = () => { latch = true; latchWaiter?.(); };
  /** wake_at_commit(): only the wake that flips should_wake sets the latch. */
  const wake = () => { if (!shouldWake) { shouldWake = true; setLatch(); } };
  const requestRestart = () => { restartRequested = true; setLatch(); };
  /** WaitLatch then ResetLatch: returns at once if the latch is set; ms = null waits for it without timeout. */
  const waitLatch = (ms: number | null) => new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => { clearTimeout(timer); latchWaiter = null; latch = false; resolve(); };
    if (latch || stopping) return done();
    if (ms !== null) timer = setTimeout(done, ms);
    latchWaiter = done;
  });
  let signalStopped!: () => void;
  const stoppedSignal = new Promise<void>((r) => { signalStopped = r; });
  /** A delay only stop() cuts short (the worker is "not running" meanwhile; wakes don't help). */
  const pause = (ms: number) => Promise.race([delay(ms), stoppedSignal]);

  /** The requests of the batch in flight, so stop() or a lost connection can give it up. */
  let current = new Set<AbortController>();
  const abandon = () => { for (const ctl of current) ctl.abort(ABANDONED); };

  let ready!: () => void; // resolved once the first batch has its connections, so they exist on return
  const started = new Promise<void>((r) => { ready = r; });
  let badBatchSize: string | null = null;

  function batchSizeFrom(setting: string | null): number {
    if (opts.batchSize !== undefined) return opts.batchSize;
    if (setting === null || setting.trim() === '') return DEFAULT_BATCH_SIZE;
    const n = /^\s*\d+\s*$/.test(setting) ? Number(setting) : NaN;
    if (n <= MAX_BATCH_SIZE) return n;
    // The real GUC refuses such a value and keeps the previous one; here it stays the default.
    if (badBatchSize !== setting) log(`invalid pg_net.batch_size ${JSON.stringify(setting)}, using ${DEFAULT_BATCH_SIZE}`);
    badBatchSize = setting;
    return DEFAULT_BATCH_SIZE;
  }

  /** One iteration of the real worker's inner loop: one transaction, one batch. */
  async function pass(): Promise<Pass | null> {
    if (!listening) {
      await listener`listen pg_net_request`;
      listening = true;
    }
    const batch = new Set<AbortController>();
    current = batch;
    try {
      return await sql.begin(async (tx) => {
        const [{ loaded, batch_size: setting }] = await tx<{ loaded: boolean; batch_size: string | null }[]>`
          select to_regclass('net.http_request_queue') is not null and to_regclass('net._http_response') is not null as loaded,
                 current_setting('pg_net.batch_size', true) as batch_size`;
        if (!loaded) throw new ExtensionUnavailable();
        // is_extension_locked(): held until commit, so a drop extension or truncate waits for the batch.
        await tx`lock table net.http_request_queue, net._http_response in access share mode nowait`.catch((err) => {
          throw err?.code === '55P03' ? new ExtensionUnavailable() : err;
        });
        const size = batchSizeFrom(setting);
        const expired = await tx`
          delete from net._http_response r where r.ctid = any(array(
            select ctid from net._http_response
             where created < now() - coalesce(${opts.ttl ?? null}::text, nullif(current_setting('pg_net.ttl', true), ''), '6 hours')::interval
             order by created limit ${size}))`;
        // SKIP LOCKED: concurrent stand-in workers each take disjoint rows, so nothing is sent twice.
        const taken = await tx<Queued[]>`
          delete from net.http_request_queue q where q.ctid = any(array(
            select ctid from net.http_request_queue order by id limit ${size} for update skip locked))
          returning q.id, q.method, q.url, q.timeout_milliseconds, q.headers, q.body,
            array(select key || ': ' || value from jsonb_each_text(q.headers) where value is not null) as header_lines`;
        ready();
        // The whole batch at once; the next one only after every request of this one is done.
        const outcomes = await Promise.all(taken.map((req) => send(req, batch)));
        const rows = outcomes.filter((o): o is Outcome => o !== ABANDONED);
        if (rows.length < outcomes.length) throw new Error('batch abandoned');
        if (rows.length) await tx`
          insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
          select * from jsonb_to_recordset(${tx.json(rows)}::jsonb) as r(id bigint, status_code int,
            content_type text, headers jsonb, content text, timed_out bool, error_msg text)`;
        return { consumed: taken.length, expired: expired.count };
      });
    } catch (err) {
      abandon(); // e.g. the connection died under the transaction: nobody waits for these answers any more
      if (err instanceof ExtensionUnavailable) return null;
      throw err;
    }
  }

  /** The real worker exits and the postmaster starts a new one RESTART_MS later, with should_wake set. */
  async function restart(): Promise<void> {
    restartRequested = false;
    shouldWake = true;
    await pause(RESTART_MS);
    latch = false; // a new process, a new latch
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopping) {
      if (restartRequested) await restart();
      if (!shouldWake) { await waitLatch(null); continue; }
      shouldWake = false;
      let awake = true;
      while (awake && !stopping && !restartRequested) {
        let done: Pass | null;
        try {
          done = await pass();
          if (failures > 0) log(`database reachable again after ${failures} failed attempt(s)`);
          failures = 0;
        } catch (err) {
          if (stopping) break;
          if (failures++ % 20 === 0) log(`batch failed, its requests stay queued; restarting: ${errText(err)}`);
          ready();
          await restart();
          break;
        }
        ready();
        if (!done) break; // no extension (yet): sleep until the next wake
        // "slow down queue processing to avoid using too much CPU"
        await waitLatch(pollMs);
        awake = done.consumed > 0 || done.expired > 0;
      }
    }
  })();

  await started;
  log(`started: batch_size=${opts.batchSize ?? 'pg_net.batch_size or 200'}, ttl=${opts.ttl ?? 'pg_net.ttl or 6 hours'}, pause=${pollMs}ms`);

  let stopped: Promise<void> | null = null;
  return {
    stop: () => (stopped ??= (async () => {
      stopping = true;
      signalStopped();
      setLatch();
      await Promise.race([loop, delay(STOP_GRACE_MS)]);
      // A batch still in flight is given up: its transaction rolls back, so its requests stay queued.
      abandon();
      // Bounded: the rollback may be waiting on a database that is already gone (ending the connection rolls back too).
      await Promise.race([loop, delay(STOP_GRACE_MS)]);
      await Promise.allSettled([sql.end({ timeout: 1 }), listener.end({ timeout: 1 })]);
      log('stopped');
    })()),
  };
}
