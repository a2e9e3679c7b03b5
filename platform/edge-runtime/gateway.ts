// LOCAL ONLY. The API gateway at http://127.0.0.1:54321, standing in for
// Supabase's: /functions/v1/<name>/... is proxied to that function's Deno
// process as /<name>/..., after checking the JWT when the function has
// verify_jwt = true. Its own errors use the shapes hosted Supabase returns
// ({ "code", "message" }), so clients see the same thing in both places.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { verifyJwt } from '../keys/keys.ts';

export interface GatewayRoute {
  name: string;
  port: number;
  verifyJwt: boolean;
}

export interface GatewayOptions {
  port: number;
  jwtSecret: string;
  /** The running function of that name, if any. */
  route: (name: string) => GatewayRoute | undefined;
  /** WebSocket upgrades (Realtime); absent means upgrades are refused. */
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
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

export function startGateway(opts: GatewayOptions): Promise<Server> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/functions\/v1\/([^/?]+)(\/.*)?$/.exec(url.pathname);
    if (!match) return reply(res, 404, { code: 'NOT_FOUND', message: 'No route matches this path.' });

    const route = opts.route(match[1]);
    if (!route) return reply(res, 404, { code: 'NOT_FOUND', message: 'Requested function was not found' });

    // CORS preflights carry no Authorization header; the function answers them.
    if (route.verifyJwt && req.method !== 'OPTIONS') {
      const problem = await authorize(req, opts.jwtSecret);
      if (problem) return reply(res, 401, { code: 401, message: problem });
    }

    const upstream = httpRequest({
      host: '127.0.0.1',
      port: route.port,
      method: req.method,
      path: `/${route.name}${match[2] ?? ''}${url.search}`,
      headers: { ...req.headers, host: `127.0.0.1:${route.port}` },
    }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) {
        reply(res, 503, { code: 'BOOT_ERROR', message: 'Function failed to start (please check logs)' });
      } else {
        res.destroy();
      }
    });
    req.pipe(upstream);
  });

  server.on('upgrade', (req, socket, head) => {
    if (opts.onUpgrade) opts.onUpgrade(req, socket, head);
    else socket.destroy();
  });
  // Keep-alive sockets must not hold the stack open on shutdown.
  server.keepAliveTimeout = 5000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve(server));
  });
}
