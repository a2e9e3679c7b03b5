// LOCAL ONLY. The API gateway at http://127.0.0.1:54321, standing in for
// Supabase's: /functions/v1/<name>/... is proxied as /<name>/... to a worker
// of that function (runtime.ts), after checking the JWT when the function
// has verify_jwt = true; /auth/v1/... goes to the Auth stand-in (auth/). Its own answers use the shapes hosted Supabase
// returns ({ "code", "message" } and an sb-error-code header):
//   546 WORKER_RESOURCE_LIMIT  the worker was terminated by a limit mid-request
//   504 IDLE_TIMEOUT           no response head (or next chunk) within the idle timeout
//   503 BOOT_ERROR             no worker could start
//   500 WORKER_ERROR           the worker died of an error of its own mid-request
// A response is always delivered whole, even one the function gave before
// reading the request body (a 413): the rest of the body is read and
// dropped before the response ends, so the client never sees a reset.
import {
  createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { verifyJwt } from '../keys/keys.ts';
import {
  BOOT_ERROR, FUNCTION_NOT_FOUND, idleTimeout, WORKER_ERROR, WORKER_RESOURCE_LIMIT, type PlatformError,
} from './limits.ts';
import type { EdgeRuntime, Lease } from './runtime.ts';
import { LIMIT_REASONS, type ShutdownReason } from './worker.ts';

export interface GatewayOptions {
  port: number;
  jwtSecret: string;
  /** The functions behind /functions/v1/. */
  runtime: EdgeRuntime;
  /** The Auth stand-in behind /auth/v1/ (platform/auth/server.ts); absent means 404 there. */
  auth?: (req: IncomingMessage, res: ServerResponse) => void;
  /** WebSocket upgrades (Realtime); absent means upgrades are refused. */
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/** After the response is out, how long the rest of a request body is read (and dropped) at most. */
const DRAIN_LIMIT_MS = 30_000;

/**
 * Ends `res` once the request body has been read to its end (what the
 * worker did not read is dropped): closing the connection while the client
 * still sends would reset it and lose the response.
 */
function endAfterRequest(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete || req.destroyed || req.readableEnded) {
    res.end();
    return;
  }
  let done = false;
  const finish = (keepAlive: boolean) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (!keepAlive) res.shouldKeepAlive = false;
    res.end();
  };
  const timer = setTimeout(() => finish(false), DRAIN_LIMIT_MS);
  req.on('end', () => finish(true));
  req.on('close', () => finish(false));
  req.on('error', () => finish(false));
  req.resume();
}

function reply(req: IncomingMessage, res: ServerResponse, err: PlatformError): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ code: err.code, message: err.message });
  res.writeHead(err.status, {
    'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'sb-error-code': err.code,
  });
  res.write(body);
  endAfterRequest(req, res);
}

async function authorize(req: IncomingMessage, secret: string): Promise<string | null> {
  const header = req.headers.authorization;
  if (!header) return 'Missing authorization header';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) return 'Invalid JWT';
  try {
    await verifyJwt(secret, match[1]);
    return null;
  } catch {
    return 'Invalid JWT';
  }
}

/** What a client is told when the worker went away with its request in flight. */
const lostAnswer = (reason: ShutdownReason): PlatformError => (LIMIT_REASONS.has(reason) ? WORKER_RESOURCE_LIMIT : WORKER_ERROR);

function proxy(req: IncomingMessage, res: ServerResponse, lease: Lease, path: string, idleMs: number): void {
  let settled = false; // the exchange with the worker is over
  let upstreamRes: IncomingMessage | undefined;
  let idleTimer: NodeJS.Timeout | undefined;

  const upstream = httpRequest({
    host: '127.0.0.1',
    port: lease.port,
    agent: lease.agent,
    method: req.method,
    path,
    headers: { ...req.headers, host: `127.0.0.1:${lease.port}` },
  });

  const armIdle = () => {
    if (idleMs <= 0) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      // Hosted answers 504 and lets the worker be; a streamed body is cut.
      settle();
      upstream.destroy();
      detachBody();
      reply(req, res, idleTimeout(idleMs));
    }, idleMs);
  };
  const settle = () => {
    if (settled) return false;
    settled = true;
    clearTimeout(idleTimer);
    lease.release();
    return true;
  };
  /** Stops sending the body to the worker; the rest is read and dropped. */
  const detachBody = () => {
    req.unpipe(upstream);
    req.resume();
  };

  lease.onLost((reason) => {
    if (settled) return;
    settle();
    upstream.destroy();
    detachBody();
    reply(req, res, lostAnswer(reason));
  });

  upstream.on('response', (ur) => {
    upstreamRes = ur;
    const headers: OutgoingHttpHeaders = { ...ur.headers };
    const status = ur.statusCode ?? 502;
    if (status >= 500 && headers['sb-error-code'] === undefined) headers['sb-error-code'] = 'EDGE_FUNCTION_ERROR';
    res.writeHead(status, ur.statusMessage, headers);
    // A streamed body (no content-length) is cut if a chunk is idle too long.
    if (ur.headers['content-length'] === undefined) {
      armIdle();
      ur.on('data', armIdle);
    } else {
      clearTimeout(idleTimer);
    }
    ur.pipe(res, { end: false });
    ur.on('end', () => {
      if (!settle()) return;
      if (!req.complete) {
        // The worker answered without reading all of the body: drop the rest.
        detachBody();
        upstream.destroy();
      }
      endAfterRequest(req, res);
    });
    ur.on('aborted', () => brokenUpstream());
    ur.on('error', () => brokenUpstream());
  });

  // The worker's connection failed (it closed while we still wrote the body,
  // or it died). Once the response is complete that is of no consequence.
  const brokenUpstream = () => {
    if (settled) return;
    detachBody();
    // If the worker is going away, onLost tells why; otherwise it is an error of its own.
    setTimeout(() => {
      if (settled) return;
      settle();
      reply(req, res, WORKER_ERROR);
    }, 1000).unref();
  };
  upstream.on('error', () => {
    if (upstreamRes?.complete) return;
    brokenUpstream();
  });

  // The client went away: so does the worker's request.
  res.on('close', () => {
    if (!res.writableFinished && !settled) {
      settle();
      upstream.destroy();
    }
  });

  armIdle();
  req.pipe(upstream);
}

export function startGateway(opts: GatewayOptions): Promise<Server> {
  const { runtime } = opts;
  const server = createServer(async (req, res) => {
    req.on('error', () => {});
    res.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (opts.auth && /^\/auth\/v1(\/|$)/.test(url.pathname)) return opts.auth(req, res);
    const match = /^\/functions\/v1\/([^/?]+)(\/.*)?$/.exec(url.pathname);
    if (!match) return reply(req, res, { status: 404, code: 'NOT_FOUND', message: 'No route matches this path.' });

    const fn = runtime.function(match[1]);
    if (!fn) return reply(req, res, FUNCTION_NOT_FOUND);

    // CORS preflights carry no Authorization header; the function answers them.
    if (fn.verifyJwt && req.method !== 'OPTIONS') {
      const problem = await authorize(req, opts.jwtSecret);
      if (problem) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.write(JSON.stringify({ code: 401, message: problem }));
        return endAfterRequest(req, res);
      }
    }

    let lease: Lease;
    try {
      lease = await runtime.acquire(fn.name);
    } catch {
      return reply(req, res, BOOT_ERROR);
    }
    if (res.destroyed) {
      lease.release();
      return;
    }
    proxy(req, res, lease, `/${fn.name}${match[2] ?? ''}${url.search}`, runtime.limits.requestIdleTimeoutMs);
  });

  server.on('upgrade', (req, socket, head) => {
    if (opts.onUpgrade) opts.onUpgrade(req, socket, head);
    else socket.destroy();
  });
  // Keep-alive sockets must not hold the stack open on shutdown.
  server.keepAliveTimeout = 5000;
  // Hosted's idle timeout is the one that applies, not Node's own request timeout.
  server.requestTimeout = 0;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve(server));
  });
}
