// Schedules: cron, time zone, next run, the last event each one enqueued
// and the list of the events it enqueued (GET /events?schedule=); create and
// delete.
import { useState, type FormEvent } from 'react';
import type { ScheduleRow } from '../../sdk/index.ts';
import { describeError } from '../connection.ts';
import { useDashboard } from '../context.ts';
import { href } from '../router.ts';
import { ActionButton, Empty, ErrorBox, Loading, OutcomeText, Time, useLoad, type Outcome } from '../components/ui.tsx';
import { propsProblems } from './EnqueueForm.tsx';

export function Schedules() {
  const { conn, canAct } = useDashboard();
  const list = useLoad(async () => (canAct ? conn.queue.schedules.list() : []), [conn, canAct]);
  if (!canAct) return <section><h1>Schedules</h1><Empty>Schedules are the service role's: connect with the secret key to see them.</Empty></section>;
  return (
    <section aria-labelledby="schedules-title">
      <h1 id="schedules-title">Schedules</h1>
      <CreateSchedule onCreated={list.reload} />
      {list.error != null && !list.data ? <ErrorBox error={list.error} retry={list.reload} />
        : !list.data ? <Loading what="schedules" />
          : list.data.length === 0 ? <Empty>No schedules.</Empty> : (
            <div className="table-wrap">
              <table className="schedules">
                <thead><tr><th>name</th><th>event</th><th>cron</th><th>time zone</th><th>next run</th><th>last run</th><th>enqueued</th><th><span className="sr-only">actions</span></th></tr></thead>
                <tbody>{list.data.map((s) => <Schedule key={s.name} s={s} onDeleted={list.reload} />)}</tbody>
              </table>
            </div>
          )}
    </section>
  );
}

function Schedule({ s, onDeleted }: { s: ScheduleRow; onDeleted: () => void }) {
  const { conn } = useDashboard();
  return (
    <tr data-schedule={s.name}>
      <th scope="row">{s.name}</th><td><a href={href('/events', { name: s.event_name })}>{s.event_name}</a></td><td className="mono">{s.cron}</td><td>{s.timezone}</td>
      <td><Time at={s.next_run_at} /></td><td><Time at={s.last_run_at} /></td>
      <td>{s.last_event_id ? <a href={href(`/events/${s.last_event_id}`)}>last: #{s.last_event_id}</a> : 'none yet'} · <a href={href('/events', { schedule: s.name })}>events it enqueued</a></td>
      <td><ActionButton label="Delete" className="danger" confirm={`Delete schedule ${s.name}? Events it enqueued stay.`}
        run={async () => { await conn.queue.schedules.delete(s.name); onDeleted(); }} /></td>
    </tr>
  );
}

function CreateSchedule({ onCreated }: { onCreated: () => void }) {
  const { conn } = useDashboard();
  const handlers = useLoad(() => conn.queue.handlers.list(), [conn]);
  const [f, setF] = useState({ name: '', event_name: '', cron: '*/5 * * * *', timezone: 'UTC', props: '{}', priority: '0' });
  const [msg, setMsg] = useState<Outcome | null>(null);
  const eventName = f.event_name || handlers.data?.[0]?.name || '';
  const problems = propsProblems(f.props, eventName);
  const field = (k: keyof typeof f) => ({ name: k, value: f[k], onChange: (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value }) });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problems.length) return;
    try {
      const s = await conn.queue.schedules.create({
        name: f.name.trim(), event_name: eventName, cron: f.cron.trim(), timezone: f.timezone.trim() || 'UTC',
        props: JSON.parse(f.props || '{}'), priority: Number(f.priority),
      });
      setMsg({ ok: true, text: `Created ${s.name}; next run ${new Date(s.next_run_at).toLocaleString()}.` });
      onCreated();
    } catch (err) {
      setMsg({ ok: false, text: describeError(err) });
    }
  };
  return (
    <details className="panel">
      <summary>Create a schedule</summary>
      <form onSubmit={submit} aria-label="Create a schedule" noValidate>
        <div className="row wrap">
          <label>Name <input required {...field('name')} /></label>
          <label>Event
            <select name="event_name" value={eventName} onChange={(e) => setF({ ...f, event_name: e.target.value })}>
              {(handlers.data ?? []).map((h) => <option key={h.name}>{h.name}</option>)}
            </select>
          </label>
          <label>Cron <input {...field('cron')} /></label>
          <label>Time zone <input {...field('timezone')} /></label>
          <label>Priority <input type="number" min={-100} max={100} {...field('priority')} /></label>
        </div>
        <label>Props (JSON) <textarea rows={2} spellCheck={false} aria-invalid={problems.length > 0} {...field('props')} /></label>
        <ul className="problems" aria-live="polite">{problems.map((p) => <li key={p}>{p}</li>)}</ul>
        <button type="submit" disabled={problems.length > 0}>Create</button>
        <OutcomeText outcome={msg} />
      </form>
    </details>
  );
}
