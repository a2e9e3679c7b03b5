// One event: its fields, props / result / error as collapsible JSON, every
// run (outcome, duration, worker, error), a state timeline, and the actions
// its state allows. Read again whenever the live stream reports a change of it.
import { useEffect, useState, type FormEvent } from 'react';
import type { EventWithRuns } from '../../sdk/index.ts';
import { useLiveStatus, useDashboard } from '../context.ts';
import { describeError } from '../connection.ts';
import { href, navigate } from '../router.ts';
import { ActionButton, duration, ErrorBox, JsonView, Loading, OutcomeText, StateBadge, Time, useLoad, type Outcome } from '../components/ui.tsx';
import { errorText } from './Events.tsx';

interface Step { at: string; label: string; detail?: string }

/** The event's life as far as its row and runs tell it, oldest first. */
export function timeline(e: EventWithRuns): Step[] {
  // Enqueued for later (more than a second ahead) starts scheduled; otherwise queued.
  const later = new Date(e.run_at).getTime() - new Date(e.created_at).getTime() > 1000;
  const steps: Step[] = [{ at: e.created_at, label: later ? 'scheduled' : 'queued', detail: `enqueued, to run ${new Date(e.run_at).toLocaleString()}` }];
  for (const r of e.runs) {
    steps.push({ at: r.started_at, label: 'processing', detail: `attempt ${r.attempt} on ${r.worker}` });
    if (r.finished_at && r.outcome !== 'running') steps.push({ at: r.finished_at, label: r.outcome, detail: `attempt ${r.attempt}${r.error ? `: ${errorText(r.error)}` : ''}` });
  }
  steps.sort((a, b) => a.at.localeCompare(b.at));
  // Where it is now comes last (its timestamp may tie with the last run's end).
  if (e.finished_at && ['succeeded', 'dead', 'cancelled'].includes(e.state)) steps.push({ at: e.finished_at, label: e.state });
  else if (!e.runs.length || e.runs[e.runs.length - 1].outcome !== 'running') steps.push({ at: e.updated_at, label: e.state, detail: 'now' });
  return steps;
}

export function EventDetail({ id }: { id: number }) {
  const { conn, live, canAct } = useDashboard();
  const { generation } = useLiveStatus(live);
  const { data: e, error, reload } = useLoad(() => conn.queue.getEvent(id), [conn, id, generation]);
  useEffect(() => live.on((changes) => { if (changes.some((c) => c.event.id === id)) reload(); }), [live, id, reload]);
  // The actions' outcome lives here, not in their buttons: each action changes
  // the state, and the new state may not offer the button that reported it.
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  useEffect(() => setOutcome(null), [id]);

  if (error != null && !e) return <ErrorBox error={error} retry={reload} />;
  if (!e) return <Loading what={`event ${id}`} />;
  const act = async (what: Promise<unknown>, done: string) => { await what; reload(); return done; };
  return (
    <section aria-labelledby="event-title" className="detail">
      <p><a href={href('/events', { name: e.name })}>← {e.name} events</a></p>
      {error != null && <ErrorBox error={error} retry={reload} />}
      <h1 id="event-title">Event {e.id} <span className="muted">{e.name}</span> <StateBadge state={e.state} /></h1>
      {canAct && (
        <div className="actions row wrap" role="group" aria-label="Actions">
          {['scheduled', 'queued', 'processing'].includes(e.state) && !e.cancel_requested_at && (
            <ActionButton onOutcome={setOutcome} label="Cancel" run={() => act(conn.queue.cancel(e.id), 'Cancel requested.')} />
          )}
          {['dead', 'cancelled'].includes(e.state) && <ActionButton onOutcome={setOutcome} label="Retry" run={() => act(conn.queue.retry(e.id), 'Queued again.')} />}
          {e.state !== 'processing' && (
            <ActionButton onOutcome={setOutcome} label="Delete" className="danger" confirm={`Delete event ${e.id} and its ${e.runs.length} runs? This cannot be undone.`}
              run={async () => { await conn.queue.delete(e.id); navigate(href('/events', { name: e.name }), { replace: true }); }} />
          )}
          {e.state === 'dead' && (
            <ActionButton onOutcome={setOutcome} label={`Redrive all dead ${e.name}`} confirm={`Retry every dead ${e.name} event?`}
              run={async () => { const n = await conn.queue.redrive(e.name); reload(); return `${n} dead ${e.name} events queued again.`; }} />
          )}
          <OutcomeText outcome={outcome} />
        </div>
      )}
      {canAct && ['scheduled', 'queued'].includes(e.state) && <Reschedule id={e.id} priority={e.priority} onDone={reload} onOutcome={setOutcome} />}
      <dl className="fields">
        <dt>State</dt><dd>{e.state}{e.cancel_requested_at && ' (cancel requested)'}</dd>
        <dt>Attempts</dt><dd>{e.attempts}{e.max_attempts !== null && ` of ${e.max_attempts}`}</dd>
        <dt>Priority</dt><dd>{e.priority}</dd>
        <dt>Run at</dt><dd><Time at={e.run_at} /> <span className="muted">{new Date(e.run_at).toLocaleString()}</span></dd>
        <dt>Created</dt><dd><Time at={e.created_at} /></dd>
        <dt>Finished</dt><dd><Time at={e.finished_at} /></dd>
        {e.idempotency_key && <><dt>Idempotency key</dt><dd>{e.idempotency_key}</dd></>}
        {e.owner && <><dt>Owner</dt><dd>{e.owner}</dd></>}
        {e.leased_by && <><dt>Leased by</dt><dd>{e.leased_by} until <Time at={e.lease_until} /></dd></>}
      </dl>
      <div className="json-grid">
        <div><h2>Props</h2><JsonView value={e.props} /></div>
        <div><h2>Result</h2>{e.result === null ? <p className="muted">none</p> : <JsonView value={e.result} />}</div>
        <div><h2>Last error</h2>{e.last_error === null ? <p className="muted">none</p> : <div className="last-error"><JsonView value={e.last_error} /></div>}</div>
      </div>
      <h2>Runs</h2>
      {e.runs.length === 0 ? <p className="muted">No attempt yet.</p> : (
        <div className="table-wrap">
          <table className="runs">
            <thead><tr><th>attempt</th><th>outcome</th><th>started</th><th>duration</th><th>worker</th><th>error</th></tr></thead>
            <tbody>
              {e.runs.map((r) => (
                <tr key={r.id} data-outcome={r.outcome}>
                  <td>{r.attempt}</td><td><StateBadge state={r.outcome} /></td><td><Time at={r.started_at} /></td>
                  <td>{duration(r.duration_ms)}</td><td className="mono">{r.worker}</td>
                  <td>{r.error !== null && <details><summary>{errorText(r.error)}</summary><JsonView value={r.error} /></details>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Timeline</h2>
      <ol className="timeline">
        {timeline(e).map((s, i) => (
          <li key={i}><StateBadge state={s.label} /> <Time at={s.at} />{s.detail && <span className="muted"> {s.detail}</span>}</li>
        ))}
      </ol>
    </section>
  );
}

/** datetime-local's value (local time, no zone) for an instant. */
const localInput = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);

/** A new run-at and/or priority for a scheduled or queued event (POST /events/:id/reschedule). */
function Reschedule({ id, priority, onDone, onOutcome }: { id: number; priority: number; onDone: () => void; onOutcome: (o: Outcome | null) => void }) {
  const { conn } = useDashboard();
  const [runAt, setRunAt] = useState(() => localInput(new Date(Date.now() + 3_600_000)));
  const [prio, setPrio] = useState(String(priority));
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    onOutcome(null);
    try {
      const row = await conn.queue.reschedule(id, { ...(runAt && { run_at: new Date(runAt).toISOString() }), priority: Number(prio) });
      onOutcome({ ok: true, text: `Rescheduled: ${row.state}, to run ${new Date(row.run_at).toLocaleString()}, priority ${row.priority}.` });
      onDone();
    } catch (err) {
      onOutcome({ ok: false, text: describeError(err) });
    }
  };
  return (
    <form className="panel row wrap reschedule" onSubmit={submit} aria-label="Reschedule">
      <label>New run at <input name="run_at" type="datetime-local" step="1" value={runAt} onChange={(ev) => setRunAt(ev.target.value)} /></label>
      <label>Priority <input name="priority" type="number" min={-100} max={100} value={prio} onChange={(ev) => setPrio(ev.target.value)} /></label>
      <button type="submit">Reschedule</button>
    </form>
  );
}
