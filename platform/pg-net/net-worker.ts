/**
 * Local stand-in for pg_net's C background worker (supabase/pg_net 0.19.7),
 * paired with the pure-SQL extension in platform/pg-net/extension/. Never deployed.
 *
 * Like the real worker it only ever sees committed rows of
 * net.http_request_queue, sends them, and writes what curl would have
 * reported into net._http_response. It wakes on NOTIFY pg_net_request (sent at
 * commit by the extension) and also polls, so a missed notification only
 * costs one poll interval.
 */
import postgres from 'postgres';

export interface NetWorkerOptions {
  dbUrl: string;
  /** ms between polls when no NOTIFY arrives (Default: 1000) */
  pollIntervalMs?: number;
  /** requests taken per round (Default: 200) */
  batchSize?: number;
  /** response TTL (Default: '6 hours', like pg_net.ttl) */
  ttl?: string;
  log?: (line: string) => void;
}

export interface NetWorker {
  stop(): Promise<void>;
}

const VERSION = '0.19.7';
/** net.check_worker_is_up / wait_until_running look for this application_name. */
const APP_NAME = `pg_net ${VERSION} worker`;
/** Bounds sockets and memory; past it we stop taking rows, which stay queued. */
const MAX_IN_FLIGHT = 500;
const STOP_GRACE_MS = 2000;
const CLEANUP_EVERY_MS = 10_000;
const TIMED_OUT = Symbol('timed out');
const STOPPED = Symbol('stopped');

type Queued = {
  id: string; method: string; url: string; timeout_milliseconds: number;
  headers: postgres.JSONValue; body: Buffer | null; header_lines: string[];
};
type Outcome = {
  id: string; status_code: number | null; content_type: string | null;
  headers: Record<string, string> | null; content: string | null;
  timed_out: boolean; error_msg: string | null;
};

// unref'd: a pending grace or backoff timer must not keep the process alive on its own
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

export async function startNetWorker(opts: NetWorkerOptions): Promise<NetWorker> {
  const pollMs = opts.pollIntervalMs ?? 1000;
  const batchSize = opts.batchSize ?? 200;
  const log = opts.log ?? ((line: string) => console.log(`[pg_net worker] ${line}`));
  const common = { onnotice: () => {}, connect_timeout: 5, connection: { application_name: APP_NAME } };
  const sql = postgres(opts.dbUrl, { ...common, max: 4 });
  let listening = false;
  // A dedicated connection we LISTEN on ourselves (instead of sql.listen) so a
  // lost connection is noticed via onclose and re-LISTENed on the next round.
  const listenerOptions = {
    ...common, max: 1, max_lifetime: null,
    onnotify: () => wake(),
    onclose: () => { listening = false; },
  };
  const listener = postgres(opts.dbUrl, listenerOptions);

  let stopping = false;
  let closed = false;
  let wakeUp: (() => void) | null = null;
  let woken = false;
  const wake = () => { woken = true; wakeUp?.(); };
  /** Sleeps up to ms; a NOTIFY, a freed in-flight slot or stop() cuts it short. */
  const nap = (ms: number) => new Promise<void>((resolve) => {
    const done = () => { clearTimeout(timer); wakeUp = null; woken = false; resolve(); };
    const timer = setTimeout(done, ms);
    wakeUp = done;
    if (woken || stopping) done();
  });

  const inFlight = new Set<Promise<void>>();
  const controllers = new Set<AbortController>(); // one per request, so stop() can abort stragglers
  const requeue: Queued[] = [];
  const results: Outcome[] = [];
  let flushing: Promise<void> | null = null;

  /** Sends one request and queues what the real worker would record for it. */
  async function send(req: Queued): Promise<void> {
    const started = performance.now();
    const ctl = new AbortController();
    const timer = req.timeout_milliseconds > 0 ? setTimeout(() => ctl.abort(TIMED_OUT), req.timeout_milliseconds) : undefined;
    controllers.add(ctl);
    let gotHeaders = false;
    let row: Outcome;
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
      row = {
        id: req.id, status_code: res.status, content_type: res.headers.get('content-type'),
        headers: Object.fromEntries(res.headers), content: content || null, timed_out: false, error_msg: null,
      };
    } catch (err) {
      if (ctl.signal.reason === STOPPED) { requeue.push(req); return; }
      const timedOut = ctl.signal.reason === TIMED_OUT;
      row = {
        id: req.id, status_code: null, content_type: null, headers: null, content: null, timed_out: timedOut,
        error_msg: timedOut ? timeoutError(req.timeout_milliseconds, performance.now() - started) : curlError(err, gotHeaders),
      };
    } finally {
      clearTimeout(timer);
      controllers.delete(ctl);
    }
    results.push(row);
    flush();
  }

  /** Writes finished responses; on a database outage keeps them and retries with backoff. */
  function flush(): void {
    flushing ??= (async () => {
      let failures = 0;
      while (results.length && !closed) {
        const chunk = results.splice(0, 1000);
        try {
          await sql`
            insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
            select * from jsonb_to_recordset(${sql.json(chunk)}::jsonb) as r(id bigint, status_code int,
              content_type text, headers jsonb, content text, timed_out bool, error_msg text)`;
          failures = 0;
        } catch (err) {
          results.unshift(...chunk);
          if (failures++ === 0) log(`could not store ${results.length} response(s), will retry: ${errText(err)}`);
          await delay(Math.min(250 * 2 ** failures, 10_000));
        }
      }
    })().finally(() => {
      flushing = null;
      if (results.length && !closed) flush();
    });
  }

  let lastCleanup = 0;
  /** One round: (re)LISTEN, expire old responses, take committed requests and start sending them. */
  async function round(): Promise<number> {
    if (!listening) {
      await listener`listen pg_net_request`;
      listening = true;
    }
    if (Date.now() - lastCleanup > CLEANUP_EVERY_MS) {
      await sql`delete from net._http_response where created < now()
        - coalesce(${opts.ttl ?? null}::text, nullif(current_setting('pg_net.ttl', true), ''), '6 hours')::interval`;
      lastCleanup = Date.now();
    }
    const room = Math.min(batchSize, MAX_IN_FLIGHT - inFlight.size);
    if (room <= 0) return 0;
    // SKIP LOCKED: concurrent workers each take disjoint rows, so nothing is sent twice.
    const taken = await sql<Queued[]>`
      delete from net.http_request_queue q where q.ctid = any(array(
        select ctid from net.http_request_queue order by id limit ${room} for update skip locked))
      returning q.id, q.method, q.url, q.timeout_milliseconds, q.headers, q.body,
        array(select key || ': ' || value from jsonb_each_text(q.headers) where value is not null) as header_lines`;
    for (const req of taken) {
      const p: Promise<void> = send(req)
        .catch((err) => log(`request ${req.id} failed unexpectedly: ${errText(err)}`))
        .finally(() => { inFlight.delete(p); if (inFlight.size === MAX_IN_FLIGHT - 1) wake(); });
      inFlight.add(p);
    }
    return taken.length;
  }

  let ready!: () => void; // resolved after the first round, so the worker's connections exist on return
  const started = new Promise<void>((r) => { ready = r; });
  const loop = (async () => {
    let failures = 0;
    while (!stopping) {
      let taken = 0;
      try {
        taken = await round();
        if (failures > 0) log(`database reachable again after ${failures} failed attempt(s)`);
        failures = 0;
      } catch (err) {
        if (failures++ % 20 === 0) log(`database unavailable, retrying with backoff: ${errText(err)}`);
        ready();
        await nap(Math.min(250 * 2 ** failures, 5_000));
        continue;
      }
      ready();
      if (taken === 0 || inFlight.size >= MAX_IN_FLIGHT) await nap(pollMs);
    }
  })();

  await started;
  log(`started: batch_size=${batchSize}, ttl=${opts.ttl ?? 'pg_net.ttl or 6 hours'}, poll=${pollMs}ms`);

  let stopped: Promise<void> | null = null;
  return {
    stop: () => (stopped ??= (async () => {
      stopping = true;
      wake();
      await Promise.race([loop, delay(STOP_GRACE_MS)]);
      await Promise.race([Promise.allSettled(inFlight), delay(STOP_GRACE_MS)]);
      for (const ctl of controllers) ctl.abort(STOPPED); // stragglers go back to the queue, like a rolled-back real batch
      // Bounded: an in-flight request may be waiting on a database that is already gone.
      await Promise.race([Promise.allSettled(inFlight), delay(STOP_GRACE_MS)]);
      const requeued = requeue.map((r) => ({ ...r, body: r.body?.toString('base64') ?? null }));
      const drain = async () => {
        while (flushing) await flushing;
        if (requeued.length) await sql`
          insert into net.http_request_queue (id, method, url, headers, body, timeout_milliseconds)
          select id, method, url, headers, decode(body, 'base64'), timeout_milliseconds from jsonb_to_recordset(${sql.json(requeued)}::jsonb)
            as r(id bigint, method text, url text, headers jsonb, body text, timeout_milliseconds int)`;
        requeue.length = 0;
      };
      await Promise.race([drain(), delay(STOP_GRACE_MS)]).catch((err) => log(`stop: ${errText(err)}`));
      closed = true;
      if (results.length || requeue.length) log(`stop: dropped ${results.length} response(s) and ${requeue.length} request(s)`);
      await Promise.allSettled([sql.end({ timeout: 1 }), listener.end({ timeout: 1 })]);
      log('stopped');
    })()),
  };
}
