// The two things every fault test ends by asserting, on the database.
import type { Sql } from '../../src/shared/db.ts';
import { FINAL_STATES } from '../../src/shared/states.ts';

/** Events among `ids` not in a final state, and ids that are missing altogether. */
export async function notFinal(sql: Sql, ids: number[]) {
  const rows = await sql<{ id: number; state: string }[]>`
    select id, state::text from queue.events where id = any(${ids}::bigint[])`;
  const found = new Set(rows.map((r) => r.id));
  return {
    missing: ids.filter((id) => !found.has(id)),
    unfinished: rows.filter((r) => !(FINAL_STATES as readonly string[]).includes(r.state)),
  };
}

/** Pairs of runs of one event that overlapped in time (a run still running counts as open-ended). */
export async function overlappingRuns(sql: Sql, ids: number[]): Promise<number> {
  const [{ overlaps }] = await sql<{ overlaps: number }[]>`
    select count(*)::int as overlaps
      from queue.runs a
      join queue.runs b on a.event_id = b.event_id and a.id < b.id
     where a.event_id = any(${ids}::bigint[])
       and b.started_at < coalesce(a.finished_at, 'infinity')
       and a.started_at < coalesce(b.finished_at, 'infinity')`;
  return overlaps;
}

/** The most runs of `name` that were ever open at the same instant (sweep over start/finish times). */
export async function maxConcurrentRuns(sql: Sql, name: string): Promise<number> {
  const [{ peak }] = await sql<{ peak: number }[]>`
    with edges as (
      select started_at as at, 1 as delta from queue.runs where name = ${name}
      union all
      select finished_at, -1 from queue.runs where name = ${name} and finished_at is not null
    )
    select coalesce(max(open), 0)::int as peak
      from (select sum(delta) over (order by at, delta) as open from edges) s`;
  return peak;
}
