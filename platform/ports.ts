import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The first port of the kernel's ephemeral range (net.ipv4.ip_local_port_range),
 * from which outgoing connections take their local ports. A port that
 * listen(0) picked comes from that range too, and an outgoing connection can
 * take it between the check and the listen that uses it (seen in CI: a test
 * stack's server failed with EADDRINUSE while the suite held many connections).
 * Read once: it does not change while the stack runs.
 */
const EPHEMERAL_START = (() => {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32768;
  } catch {
    return 32768;
  }
})();

const LOWEST = 10000;

/** Listens on `port` (0: any) on 127.0.0.1 and closes again; the port it got, or null where it could not. */
function tryListen(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => {
      const got = (srv.address() as { port: number }).port;
      srv.close(() => resolve(got));
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
  const highest = EPHEMERAL_START - 1;
  for (let i = 0; highest - LOWEST >= 1000 && i < 50; i++) {
    const port = await tryListen(LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1)));
    if (port !== null) return port;
  }
  const any = await tryListen(0);
  if (any === null) throw new Error('no free TCP port on 127.0.0.1');
  return any;
}
