// README example: declare event payloads once; enqueue is checked at compile
// time, and at run time before anything is sent.
import type { SupabaseClient } from '@supabase/supabase-js';
import { createQueue, defineEvents } from '../../src/sdk/index.ts';

export async function run(supabase: SupabaseClient) {
  // #region readme
  const events = defineEvents({
    Addition: { x: 'number', y: 'number' },
    Welcome: { email: 'string', name: 'string?', tags: 'string[]?' },
  });
  // Its type, if you need it: PayloadsOf<typeof events>
  //   = { Addition: { x: number; y: number }; Welcome: { email: string; name?: string; tags?: string[] } }
  const queue = createQueue(supabase, { events });

  const added = await queue.enqueue('Addition', { x: 1, y: 2 });
  // queue.enqueue('Addition', { x: '1', y: 2 });  ✗ compile error: Type 'string' is not assignable to type 'number'.
  // queue.enqueue('Adition', { x: 1, y: 2 });     ✗ compile error: not a declared event name

  const untrusted = JSON.parse('{"email": 42}'); // data the compiler cannot see is checked at run time
  const refused = await queue.enqueue('Welcome', untrusted).catch((err) => err);
  // refused: QueueError { status: 400, code: 'invalid_request', message: 'props.email must be a string, got 42.' }; nothing was sent
  // #endregion
  return { added, refused };
}
