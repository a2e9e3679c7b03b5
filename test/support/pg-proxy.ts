// A TCP proxy in front of the test stack's real Postgres, for tests of what
// the client does when the wire misbehaves. `wire` joins each client
// connection to its own server connection (piping, or tampering); the proxy
// keeps track of both, so close() ends them all.
import { connect as connectTcp, createServer, type Socket } from 'node:net';

export interface PgProxy {
  /** The database URL, with the proxy's host and port. */
  url: string;
  close(): Promise<void>;
}

export async function pgProxy(dbUrl: string, wire: (client: Socket, server: Socket) => void): Promise<PgProxy> {
  const target = new URL(dbUrl);
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const server = connectTcp(Number(target.port), target.hostname);
    sockets.add(client).add(server);
    wire(client, server);
    for (const s of [client, server]) s.on('error', () => {}).on('close', () => { client.destroy(); server.destroy(); });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const url = new URL(dbUrl);
  url.host = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
  return {
    url: url.toString(),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}
