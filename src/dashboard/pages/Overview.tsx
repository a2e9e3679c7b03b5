// Overview: counts per state and per name (problem names first: dead,
// failing, oldest due), and small charts of the last hour from GET
// /events/stats/minutes: runs and failures per minute (the runs table keeps
// them) and the oldest due age (each tick records it), so the charts show
// the hour before the page was opened too.
import { useEffect, useState } from 'react';
import { EVENT_STATES, type MinuteStats, type StatsRow } from '../../sdk/index.ts';
import { useDashboard } from '../context.ts';
import { href } from '../router.ts';
import { Chart } from '../components/Chart.tsx';
import { duration, ErrorBox, Empty, Loading } from '../components/ui.tsx';

/** How often the stats are read again (the tick's period on hosted Supabase). */
const REFRESH_MS = 10_000;
/** No run in the last 5 minutes while an event has been due this long: the tick or kicks are not running. */
const STALL_MS = 60_000;

/** Problem names first: dead, then failing, then the oldest due; then by name. */
export function byProblem(a: StatsRow, b: StatsRow): number {
  return b.dead - a.dead || b.failures_last_5_minutes - a.failures_last_5_minutes ||
    (b.oldest_due_age_ms ?? -1) - (a.oldest_due_age_ms ?? -1) || a.name.localeCompare(b.name);
}

export function Overview() {
  const { conn, canAct } = useDashboard();
  const [stats, setStats] = useState<StatsRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [minutes, setMinutes] = useState<MinuteStats[]>([]);

  useEffect(() => {
    if (!canAct) return;
    let stopped = false;
    const read = async () => {
      try {
        const [rows, perMinute] = await Promise.all([conn.queue.stats(), conn.queue.statsByMinute()]);
        if (stopped) return;
        setStats(rows);
        setMinutes(perMinute);
        setError(null);
      } catch (err) {
        if (!stopped) setError(err);
      }
    };
    void read();
    const timer = setInterval(read, REFRESH_MS);
    return () => { stopped = true; clearInterval(timer); };
  }, [conn, canAct]);

  if (!canAct) {
    return (
      <section><h1>Overview</h1>
        <Empty>The overview counts every user's events: it needs the secret key. <a href={href('/events')}>Your events</a> are listed on the Events page.</Empty>
      </section>
    );
  }
  if (error != null && !stats) return <ErrorBox error={error} />;
  if (!stats) return <Loading what="stats" />;
  const rows = [...stats].sort(byProblem);
  const total = (s: (typeof EVENT_STATES)[number]) => stats.reduce((n, r) => n + r[s], 0);
  const recentRuns = stats.reduce((n, r) => n + r.runs_last_5_minutes, 0);
  const oldestDue = Math.max(0, ...stats.map((r) => r.oldest_due_age_ms ?? 0));
  const minuteTimes = minutes.map((m) => Date.parse(m.minute));
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      {error != null && <ErrorBox error={error} />}
      {recentRuns === 0 && oldestDue > STALL_MS && (
        <div className="warning" role="alert">
          Nothing has dispatched in the last 5 minutes while an event has been due for {duration(oldestDue)}: the tick (pg_cron job queue-tick) or kicks are not running.
        </div>
      )}
      <ul className="totals" aria-label="Events per state">
        {EVENT_STATES.map((s) => (
          <li key={s}><a href={href('/events', { state: s })}><span className={`badge badge-${s}`}>{s}</span> <strong data-total={s}>{total(s)}</strong></a></li>
        ))}
      </ul>
      <div className="charts">
        <Chart title="Runs per minute" times={minuteTimes} values={minutes.map((m) => m.runs)} color="#2f7de1" />
        <Chart title="Failures per minute" times={minuteTimes} values={minutes.map((m) => m.failures)} color="#d64545" />
        <Chart title="Oldest due age" times={minuteTimes} values={minutes.map((m) => m.oldest_due_age_ms)} color="#c98a00" format={duration} />
      </div>
      {rows.length === 0 ? <Empty>No events yet.</Empty> : (
        <div className="table-wrap">
          <table className="stats">
            <caption>Per event name, problems first</caption>
            <thead><tr><th>name</th>{EVENT_STATES.map((s) => <th key={s}>{s}</th>)}<th>oldest due</th><th>runs / 5 min</th><th>failures / 5 min</th></tr></thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.name} data-name={r.name} className={r.dead || r.failures_last_5_minutes ? 'problem' : undefined}>
                  <th scope="row"><a href={href('/events', { name: r.name })}>{r.name}</a></th>
                  {EVENT_STATES.map((s) => <td key={s}>{r[s] ? <a href={href('/events', { name: r.name, state: s })}>{r[s]}</a> : 0}</td>)}
                  <td>{duration(r.oldest_due_age_ms)}</td><td>{r.runs_last_5_minutes}</td><td>{r.failures_last_5_minutes}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
