// The bench's load generator for single-event requests: one kept-alive TCP
// connection per client writing one prepared HTTP/1.1 request at a time and
// reading the answer's status line and Content-Length, as autocannon and wrk
// do. node:http spent about 0.27 ms of CPU per request here (a fifth of the
// machine at 1,200 requests/s), on the same two cores as the system measured;
// the load generator must not be what is measured.
import { connect, type Socket } from 'node:net';

export interface LoadTarget {
  url: URL;
  headers: Record<string, string>;
  body: string;
}

/** Parses one answer's head at the start of buf; null until the whole answer is there. */
function parseAnswer(buf: Buffer): { status: number; length: number } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1');
  const status = Number(head.slice(9, 12));
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (!cl) throw new Error(`an answer without content-length (the load generator reads only those):\n${head}`);
  const length = end + 4 + Number(cl[1]);
  return buf.length >= length ? { status, length } : null;
}

/** One connection: send() writes the request and resolves with the answer's status. */
function client(target: LoadTarget): Promise<{ send: () => Promise<number>; close: () => void }> {
  const body = Buffer.from(target.body);
  const head = [`POST ${target.url.pathname} HTTP/1.1`, `host: ${target.url.host}`, 'connection: keep-alive',
    ...Object.entries(target.headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${body.length}`, '', ''].join('\r\n');
  const request = Buffer.concat([Buffer.from(head, 'latin1'), body]);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: target.url.hostname, port: Number(target.url.port), noDelay: true });
    let buf = Buffer.alloc(0);
    let waiter: { resolve: (s: number) => void; reject: (e: Error) => void } | null = null;
    const fail = (err: Error) => { waiter?.reject(err); waiter = null; };
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let answer: ReturnType<typeof parseAnswer>;
      try { answer = parseAnswer(buf); } catch (err) { fail(err as Error); socket.destroy(); return; }
      if (!answer) return;
      buf = buf.subarray(answer.length);
      const w = waiter; waiter = null;
      w?.resolve(answer.status);
    });
    socket.on('error', (err) => { fail(err); reject(err); });
    socket.on('close', () => fail(new Error('the server closed the connection')));
    socket.once('connect', () => resolve({
      send: () => new Promise<number>((res, rej) => { waiter = { resolve: res, reject: rej }; socket.write(request); }),
      close: () => socket.destroy(),
    }));
  });
}

/** n requests over `concurrency` connections, each waiting for its answer before the next; every answer must be `expect`. Returns requests per second. */
export async function load(target: LoadTarget, n: number, concurrency: number, expect: number): Promise<number> {
  const clients = await Promise.all(Array.from({ length: concurrency }, () => client(target)));
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(clients.map(async (c) => {
      while (next < n) {
        next++;
        const status = await c.send();
        if (status !== expect) throw new Error(`answered ${status}, expected ${expect}`);
      }
    }));
  } finally {
    for (const c of clients) c.close();
  }
  return n / ((performance.now() - started) / 1000);
}
