// LOCAL ONLY. One worker of an edge function, run the way Supabase's edge
// runtime runs a user worker:
//   - the function's index.ts calls Deno.serve(handler) without a port (or
//     has a default export with fetch); here that is bound to a free port on
//     127.0.0.1, which is reported to the supervisor (runtime.ts);
//   - globalThis.EdgeRuntime is { waitUntil } as on hosted: the promise is
//     tracked until it settles, and the supervisor does not let a retired
//     worker exit before its waitUntil promises are done (or it is killed);
//   - the supervisor's events are dispatched on globalThis as hosted does
//     (ext/runtime/js/bootstrap.js): `beforeunload`, a cancelable
//     CustomEvent with detail.reason ('cpu' | 'memory' | 'wall_clock' |
//     'early_drop' | 'termination'), and `drain` (an Event).
// The process starts warm: it connects to the supervisor and waits; the
// function's module is imported (the worker is created, as hosted creates
// one for a request) only when the supervisor says start. The supervisor
// measures this process from outside (/proc) and kills it at a hard limit;
// this file only reports and obeys.
// Usage (from worker.ts): deno run --config <import_map> function-host.ts <entrypoint>
// with SUPAQUEUE_EDGE_CONTROL=<port>:<token> (the supervisor's control port).

import { getHeapStatistics } from 'node:v8';

const [controlPort, token] = (Deno.env.get('SUPAQUEUE_EDGE_CONTROL') ?? '').split(':');
// The function sees the platform's environment only.
Deno.env.delete('SUPAQUEUE_EDGE_CONTROL');
Deno.env.delete('PORT');

const control = await Deno.connect({ hostname: '127.0.0.1', port: Number(controlPort) });
const writer = control.writable.getWriter();
const encoder = new TextEncoder();
const send = (msg: Record<string, unknown>) => {
  writer.write(encoder.encode(JSON.stringify(msg) + '\n')).catch(() => {});
};
send({ t: 'hello', token, pid: Deno.pid });

// Memory as hosted measures a worker (MemCheck in crates/base/src/runtime/
// mod.rs of supabase/edge-runtime): V8's used heap plus external memory
// (ArrayBuffers), read as the event loop turns, not the process's RSS (hosted
// runs many isolates in one process). Malloced memory is added too, as hosted
// does under EDGE_RUNTIME_INCLUDE_MALLOCED_MEMORY_ON_MEMCHECK, so this never
// counts less. Reported on a change of half a MB or more; the supervisor
// applies the limits to it. Every 50 ms, idle or not: reading less often
// would see a burst of allocations late, more generous than hosted; each
// wake-up costs this thread CPU that counts against the worker's budget,
// which hosted's check does not (stricter; see platform/README.md).
let memoryReported = -1;
const memoryTimer = setInterval(() => {
  const h = getHeapStatistics();
  const mb = (h.used_heap_size + h.external_memory + h.malloced_memory) / 2 ** 20;
  if (Math.abs(mb - memoryReported) < 0.5) return;
  memoryReported = mb;
  send({ t: 'memory', mb });
}, 50);
Deno.unrefTimer(memoryTimer);

// EdgeRuntime.waitUntil, as hosted defines it (ext/runtime/js/async_hook.js):
// a promise is added to a set until it settles, and returned as is; anything
// else is returned untouched.
const tracked = new Set<Promise<unknown>>();
let reportQueued = false;
// Reports the count once the current job is done (not from inside the hook).
const report = () => {
  if (reportQueued) return;
  reportQueued = true;
  queueMicrotask(() => {
    reportQueued = false;
    send({ t: 'pending', n: tracked.size });
  });
};
// Tracked by settling, not by V8 promise hooks: Deno's own machinery uses
// those hooks (core.setPromiseHooks replaces them), and replacing them stops
// the worker's timers from firing (a setInterval heartbeat never ran).
function waitUntil<T>(maybePromise: T): T {
  if (maybePromise instanceof Promise) {
    tracked.add(maybePromise);
    maybePromise.then(() => {}, () => {}).finally(() => {
      if (tracked.delete(maybePromise)) report();
    });
    report();
  }
  return maybePromise;
}
const edgeRuntime = { waitUntil };
Object.defineProperty(globalThis, 'EdgeRuntime', { get: () => edgeRuntime, configurable: true });

const dispatchBeforeunload = (reason: string) =>
  globalThis.dispatchEvent(new CustomEvent('beforeunload', { cancelable: true, detail: { reason } }));

let onStart: () => void = () => {};
const startNow = new Promise<void>((resolve) => (onStart = resolve));

// Commands from the supervisor, one JSON object a line.
(async () => {
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for await (const chunk of control.readable) {
      buf += decoder.decode(chunk, { stream: true });
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const msg = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (msg.t === 'start') {
          onStart();
        } else if (msg.t === 'beforeunload') {
          dispatchBeforeunload(msg.reason);
        } else if (msg.t === 'drain') {
          globalThis.dispatchEvent(new Event('drain'));
        } else if (msg.t === 'drop') {
          // Early drop: retired, nothing in flight. Hosted dispatches
          // beforeunload (early_drop) and terminates the isolate at once.
          if (tracked.size > 0) {
            send({ t: 'busy' });
            continue;
          }
          dispatchBeforeunload('early_drop');
          Deno.exit(0);
        } else if (msg.t === 'exit') {
          Deno.exit(0);
        }
      }
    }
  } catch {
    // the connection broke
  }
  // The supervisor is gone: so is this worker.
  Deno.exit(1);
})();

let listening = false;
let portBound = 0;
let onListening: () => void = () => {};
const listeningNow = new Promise<void>((resolve) => (onListening = resolve));
const serve = Deno.serve;
// deno-lint-ignore no-explicit-any
type Handler = (req: Request, info: any) => Response | Promise<Response>;

function bind(handler: Handler, options: Record<string, unknown> = {}) {
  return serve({
    ...options,
    port: 0,
    hostname: '127.0.0.1',
    onListen: ({ port }: { port: number }) => {
      listening = true;
      portBound = port;
      onListening();
    },
  }, handler);
}

// deno-lint-ignore no-explicit-any
(Deno as any).serve = (...args: any[]) => {
  const handler = args.find((a) => typeof a === 'function') ?? args[0]?.handler ?? args[0]?.fetch;
  const options = typeof args[0] === 'object' && args[0] !== null ? { ...args[0] } : {};
  delete options.handler;
  return bind(handler, options);
};

await startNow;
try {
  const mod = await import(new URL(Deno.args[0], `file://${Deno.cwd()}/`).href);
  if (!listening && typeof mod.default?.fetch === 'function') bind(mod.default.fetch.bind(mod.default));
} catch (err) {
  console.error('worker boot error:', err);
  Deno.exit(1);
}
await listeningNow;
send({ t: 'ready', port: portBound });
