// A real HTTP endpoint for `url` handlers in tests. What it does with an event
// is driven by the event's props:
//   sleep_ms: answer after this long     fail: answer 500     hang: never answer
// Every arrival is recorded with its time.
import { createServer, type Server } from 'node:http';

export interface Arrival {
  id: number;
  name: string;
  attempt: number;
  props: Record<string, unknown>;
  at: number;
}

export interface HandlerServer {
  url: string;
  arrivals: Arrival[];
  close(): Promise<void>;
}

export async function startHandlerServer(): Promise<HandlerServer> {
  const arrivals: Arrival[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const event = JSON.parse(body || '{}');
      const props = event.props ?? {};
      arrivals.push({ ...event, at: Date.now() });
      if (props.hang) return; // the connection stays open until the caller gives up
      const answer = () => {
        if (props.fail) res.writeHead(500, { 'content-type': 'text/plain' }).end('handler failed on purpose');
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, id: event.id }));
      };
      if (props.sleep_ms) setTimeout(answer, props.sleep_ms);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/handle`,
    arrivals,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
