// README example: every failure is a QueueError with a stable code.
import type { SupabaseClient } from '@supabase/supabase-js';
import { createQueue, QueueError } from '../../src/sdk/index.ts';

export async function run(supabase: SupabaseClient) {
  // #region readme
  const queue = createQueue(supabase); // untyped: any event name, JSON props

  let code = '';
  try {
    await queue.enqueue('NoSuchEvent', { a: 1 });
  } catch (err) {
    if (!(err instanceof QueueError)) throw err;
    code = err.code; // 'no_handler' (err.status 422): no enabled handler is registered for that name
  }
  // #endregion
  return { code };
}
