// README example: a code handler typed and validated by a schema.
import { defineHandler, type HandlerContext } from '../../functions/dispatch/code-handlers.ts';
import { defineSchema } from '../../src/sdk/index.ts';

// #region readme
const Welcome = defineHandler(defineSchema({ email: 'string', name: 'string?' }), ({ email, name }, ctx) => {
  // email: string, name: string | undefined; props that do not fit never get here:
  // the attempt fails with TypeError "props.email must be a string, got 42."
  return { greeting: `Welcome, ${name ?? email}!`, attempt: ctx.attempt };
});
// #endregion

export async function run() {
  const ctx: HandlerContext = { id: 1, name: 'Welcome', attempt: 1, signal: new AbortController().signal };
  const ok = await Welcome({ email: 'ada@example.com', name: 'Ada' }, ctx);
  const failed = await Promise.resolve().then(() => Welcome({ email: 42 }, ctx)).catch((err) => err);
  return { ok, failed };
}
