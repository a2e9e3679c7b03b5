import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The first port of the kernel's ephemeral range (net.ipv4.ip_local_port_range),
 * from which outgoing connections take their local ports. A port that
 * listen(0) picked comes from that range too, and an outgoing connection can
 * take it between the check and the listen that uses it (seen in CI: a test
 * stack's server failed with EADDRINUSE while the suite held many connections).
 */
function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32768;
  } catch {
    return 32768;
  }
}

const LOWEST = 10000;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function anyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A TCP port free on 127.0.0.1 right now, chosen at random below the
 * ephemeral range, where no outgoing connection takes it meanwhile (two
 * processes choosing the same one at the same moment is left to chance: one
 * in some 20,000). Where the range starts too low to leave room, any free port.
 */
export async function freePort(): Promise<number> {
  const highest = ephemeralStart() - 1;
  if (highest - LOWEST < 1000) return anyPort();
  for (let i = 0; i < 50; i++) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1));
    if (await bindable(port)) return port;
  }
  return anyPort();
}
