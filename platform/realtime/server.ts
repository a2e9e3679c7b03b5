// LOCAL ONLY. A stand-in for Supabase Realtime (postgres_changes, broadcast,
// presence) at ws://127.0.0.1:<api port>/realtime/v1/websocket, so an
// unmodified supabase-js client works against the local stack. The gateway
// hands it WebSocket upgrades; it reads the database's change stream (see
// wal-reader.ts) and sends each subscriber what RLS lets it see (deliver.ts).
//
// The socket is authorized like Realtime's UserSocket: the `apikey` query
// parameter (after the gateway has turned a publishable or secret key into
// its JWT) must be a valid project JWT, else the upgrade is refused with 403.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import postgres from 'postgres';
import { WebSocketServer } from 'ws';
import { gatewayApiKey, verifyToken } from './auth.ts';
import { Connection } from './connection.ts';
import { deliver } from './deliver.ts';
import { Presence } from './presence.ts';
import { Registry, type Context } from './registry.ts';
import { ResumeGate } from './resume.ts';
import { isVsn } from './serializer.ts';
import { WalReader, type Batch } from './wal-reader.ts';

export interface RealtimeOptions {
  dbUrl: string;
  jwtSecret: string;
  /** Where the live subscriptions are recorded for a restart (Default: none: a restart does not wait for clients). */
  stateFile?: string;
  /** How often the change stream is polled (Default: 25 ms). */
  pollIntervalMs?: number;
  /** How long a restart waits for the previous subscriptions to rejoin (Default: 10000 ms). */
  resumeGraceMs?: number;
  /** (Default: 'supabase_realtime_local') */
  slotName?: string;
  /** (Default: 'supabase_realtime') */
  publication?: string;
  log?: (line: string) => void;
}

export interface RealtimeServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Finishes the delivery in progress, records the subscriptions, closes every socket. */
  stop(): Promise<void>;
}

export const REALTIME_PATH = '/realtime/v1/websocket';

/** How long no one subscribes before the slot is dropped (a client that reconnects at once keeps it). */
const SLOT_DROP_AFTER_MS = 1000;

/** Attempts at delivering one batch before it is skipped (see the loop). */
const MAX_DELIVERY_ATTEMPTS = 10;

const refuse = (socket: Duplex, status: string) => {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
};

export async function startRealtime(opts: RealtimeOptions): Promise<RealtimeServer> {
  const log = opts.log ?? (() => {});
  // Every peek of the slot makes Postgres log "starting logical decoding"
  // (level LOG, with the whole statement): at ten peeks a second that was
  // most of postgres.log. This connection's errors reach this server anyway.
  const sql = postgres(opts.dbUrl, {
    max: 4, onnotice: () => {}, connection: { application_name: 'realtime_local', log_min_messages: 'fatal' },
  });
  const connections = new Set<Connection>();
  let gate: ResumeGate | undefined;
  const registry = new Registry(() => gate?.changed());
  const publication = opts.publication ?? 'supabase_realtime';
  const reader = new WalReader(sql, opts.slotName ?? 'supabase_realtime_local', publication);
  const noOne = () => registry.subscribers().length === 0;
  // The slot exists while someone subscribes (wal-reader.ts). Its creation
  // (a join) and its drop (the loop, once no one has subscribed for a
  // while) take turns, so a join never meets a slot being dropped under it.
  let slotExists = false;
  let slotTurn: Promise<unknown> = Promise.resolve();
  const inTurn = (op: () => Promise<void>): Promise<void> => {
    const next = slotTurn.then(op, op);
    slotTurn = next.catch(() => {});
    return next;
  };
  const create = async () => { await reader.ensureSlot(); slotExists = true; };
  const createSlot = () => inTurn(async () => { if (!slotExists) await create(); });
  // When a subscriber last joined, and when the loop last had someone to
  // deliver to: the slot is dropped once both are SLOT_DROP_AFTER_MS ago.
  let joinedAt = 0;
  let someoneAt = 0;
  const unwanted = () => noOne() && Date.now() - Math.max(joinedAt, someoneAt) >= SLOT_DROP_AFTER_MS;
  const dropSlot = () => inTurn(async () => {
    if (slotExists && unwanted()) { await reader.dropSlot(); slotExists = false; }
  });
  const ctx: Context = {
    sql, jwtSecret: opts.jwtSecret, publication, registry, presence: new Presence(), log,
    firstSubscriber: async () => {
      joinedAt = Date.now();
      await inTurn(async () => {
        if (!slotExists) await create();
        // Kept for a moment after the last one left: it still holds what they did not take.
        else if (gate?.isOpen() && noOne()) await reader.skipToNow(noOne);
      });
    },
  };
  gate = new ResumeGate(opts.stateFile, opts.resumeGraceMs ?? 10_000, () => registry.resumeKeys());
  try {
    // Kept from the last run, or new: the subscriptions that resume read from it.
    await createSlot();
  } catch (err) {
    await sql.end();
    throw err;
  }
  const wss = new WebSocketServer({ noServer: true });

  let stopping = false;
  let wake: () => void = () => {};
  const pause = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => { clearTimeout(timer); resolve(); };
  });

  /**
   * Poll, deliver, then advance the slot: nothing is confirmed before it was
   * sent. A batch whose delivery keeps failing (say, a subscriber's filter
   * column was dropped) is skipped after MAX_DELIVERY_ATTEMPTS, so one bad
   * subscription cannot stall the stream for everyone.
   */
  const loop = (async () => {
    let failures = 0;
    while (!stopping) {
      let more = false;
      let batch: Batch | undefined;
      try {
        if (gate.isOpen() && noOne()) {
          await dropSlot();
        } else if (gate.isOpen()) {
          someoneAt = Date.now();
          await createSlot();
          batch = await reader.peek();
          if (batch.changes.length) await deliver(sql, batch.changes, registry.subscribers());
          if (batch.advanceTo) await reader.advance(batch.advanceTo);
          more = batch.full;
        }
        failures = 0;
      } catch (err) {
        failures++;
        if (!stopping) log(`realtime: delivering changes failed (${err instanceof Error ? err.message : String(err)}); retrying`);
        if (batch?.advanceTo && failures >= MAX_DELIVERY_ATTEMPTS) {
          log(`realtime: skipping ${batch.changes.length} changes up to ${batch.advanceTo} after ${failures} failed attempts`);
          await reader.advance(batch.advanceTo).then(() => { failures = 0; }, () => {});
        }
      }
      if (!more && !stopping) await pause(failures ? Math.min(5000, 100 * 2 ** failures) : opts.pollIntervalMs ?? 25);
    }
  })();

  return {
    handleUpgrade(req, socket, head) {
      // Node hands an upgraded socket over without an error listener; a reset mid-handshake must not crash the stack.
      socket.on('error', () => socket.destroy());
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname.replace(/\/$/, '') !== REALTIME_PATH) return refuse(socket, '404 Not Found');
      if (stopping) return refuse(socket, '503 Service Unavailable');
      const vsn = url.searchParams.get('vsn') ?? '1.0.0';
      if (!isVsn(vsn)) return refuse(socket, '403 Forbidden');
      // The gateway maps an sb_ key in the query to its legacy JWT (auth.ts); Realtime reads x-api-key first.
      const header = req.headers['x-api-key'] as string | undefined;
      const key = header !== undefined ? Promise.resolve(header) : gatewayApiKey(opts.jwtSecret, url.searchParams.get('apikey') ?? '');
      void key.then(async (apiKey) => {
        const verified = await verifyToken(opts.jwtSecret, apiKey);
        if (!verified.ok || stopping) return refuse(socket, '403 Forbidden');
        wss.handleUpgrade(req, socket, head, (ws) => {
          const conn = new Connection(ctx, ws, vsn, apiKey);
          connections.add(conn);
          ws.on('close', () => connections.delete(conn));
        });
      });
    },

    async stop() {
      if (stopping) return;
      stopping = true;
      wake();
      await loop;
      gate.freeze();
      for (const conn of connections) conn.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await sql.end({ timeout: 2 });
    },
  };
}
