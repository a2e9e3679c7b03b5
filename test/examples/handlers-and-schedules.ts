// README example: handlers and schedules (service role).
import type { SupabaseClient } from '@supabase/supabase-js';
import { builtinEvents, createQueue } from '../../src/sdk/index.ts';

export async function run(supabase: SupabaseClient) {
  // #region readme
  const queue = createQueue(supabase, { events: builtinEvents }); // supabase: a service_role client

  await queue.handlers.create({ name: 'Welcome', kind: 'url', target: 'https://example.com/hooks/welcome', max_attempts: 3 });
  await queue.handlers.update('Welcome', { timeout_ms: 10_000 });
  const handlers = await queue.handlers.list(); // every handler, by name

  await queue.schedules.create({
    name: 'nightly-sum', event_name: 'Addition', cron: '0 3 * * *', timezone: 'Europe/Paris', props: { x: 1, y: 2 },
  });
  const nightly = await queue.schedules.get('nightly-sum'); // nightly.next_run_at: the next 03:00 in Paris

  await queue.schedules.delete('nightly-sum');
  await queue.handlers.delete('Welcome');
  // #endregion
  return { handlers, nightly, schedules: await queue.schedules.list() };
}
