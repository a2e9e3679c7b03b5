// README example: hear an event's changes as they commit.
import type { SupabaseClient } from '@supabase/supabase-js';
import { builtinEvents, createQueue, type EventState } from '../../src/sdk/index.ts';

export async function run(supabase: SupabaseClient) {
  // #region readme
  const queue = createQueue(supabase, { events: builtinEvents });

  const seen: EventState[] = [];
  let finished!: () => void;
  const succeeded = new Promise<void>((resolve) => (finished = resolve));
  const unsubscribe = await queue.subscribe({ name: 'Multiplication' }, ({ type, event }) => {
    seen.push(event.state); // type: INSERT | UPDATE | DELETE; event.props: { x: number; y: number }
    if (event.state === 'succeeded') finished();
  });

  await queue.enqueue('Multiplication', { x: 6, y: 7 });
  await succeeded;
  await unsubscribe();
  // seen: ['queued', 'processing', 'succeeded']
  // #endregion
  return { seen };
}
