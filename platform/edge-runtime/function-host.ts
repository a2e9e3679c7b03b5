// LOCAL ONLY. Runs one edge function the way Supabase's edge runtime does:
// the function's index.ts calls Deno.serve(handler) without a port; here that
// call is bound to 127.0.0.1:$PORT so the local gateway can reach it.
// Usage (from functions.ts): deno run --config <import_map> function-host.ts <entrypoint>
const port = Number(Deno.env.get('PORT'));
const serve = Deno.serve;

// deno-lint-ignore no-explicit-any
(Deno as any).serve = (...args: any[]) => {
  const handler = args.find((a) => typeof a === 'function') ?? args[0]?.handler;
  const options = typeof args[0] === 'object' && args[0] !== null ? args[0] : {};
  return serve({
    ...options,
    port,
    hostname: '127.0.0.1',
    onListen: () => console.log(`listening on 127.0.0.1:${port}`),
  }, handler);
};

await import(new URL(Deno.args[0], `file://${Deno.cwd()}/`).href);
