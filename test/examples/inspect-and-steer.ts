// README example: read events and their runs, retry, redrive, reschedule, cancel, delete, stats.
import type { SupabaseClient } from '@supabase/supabase-js';
import { builtinEvents, createQueue } from '../../src/sdk/index.ts';

export async function run(supabase: SupabaseClient) {
  // #region readme
  const queue = createQueue(supabase, { events: builtinEvents });

  const { id } = await queue.enqueue('Division', { x: 1, y: 0 }, { max_attempts: 1 });
  const dead = await queue.waitFor(id, ['dead']); // dead.last_error.message: 'Division by zero: 1 / 0 is undefined.'
  const { runs } = await queue.getEvent(id); // the event with one run per attempt

  const page = await queue.listEvents({ state: 'dead', name: 'Division', limit: 20 }); // newest first;
  // the next page: listEvents({ ...same filter, before_id: page.next_before_id }) while next_before_id is not null
  const ids: number[] = [];
  for await (const event of queue.eachEvent({ state: 'dead', name: 'Division' })) ids.push(event.id); // every page

  await queue.retry(id); // dead → queued, with a fresh attempt budget
  await queue.waitFor(id, ['dead']); // dead again: y is still 0
  const deadCount = await queue.retryMany({ name: 'Division', state: 'dead', dry_run: true }); // how many it would retry
  const redriven = await queue.redrive('Division'); // every dead Division event → queued

  const later = await queue.enqueue('Addition', { x: 1, y: 1 }, { delay_ms: 600_000 });
  const moved = await queue.reschedule(later.id, { delay_ms: 60_000, priority: 10 }); // sooner, ahead of priority 0
  const cancelled = await queue.cancel(later.id); // scheduled → cancelled
  await queue.delete(later.id); // gone, with its runs

  const stats = await queue.stats(); // per event name: counts per state, oldest due age, recent runs
  // #endregion
  return { dead, runs, page, ids, deadCount, redriven, moved, cancelled, stats };
}
