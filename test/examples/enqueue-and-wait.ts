// README example: enqueue one event, wait for its result; options; a batch.
import type { SupabaseClient } from '@supabase/supabase-js';
import { builtinEvents, createQueue } from '../../src/sdk/index.ts';

export async function run(supabase: SupabaseClient) {
  // #region readme
  const queue = createQueue(supabase, { events: builtinEvents });

  const { id } = await queue.enqueue('Addition', { x: 2, y: 3 });
  const event = await queue.waitFor(id); // once succeeded, dead or cancelled: event.result === 5

  const later = await queue.enqueue('Division', { x: 1, y: 4 }, { delay_ms: 60_000, priority: 10, idempotency_key: 'invoice-7' });
  const batch = await queue.enqueueMany([ // up to 10,000 events, all or nothing, answered in input order
    { name: 'Addition', props: { x: 1, y: 1 } },
    { name: 'Multiplication', props: { x: 6, y: 7 }, run_at: new Date(Date.now() + 3_600_000) },
  ]);
  // #endregion
  return { event, later, batch };
}
