// Handlers: each handler's policy (attempts, backoff, timeout, limits),
// enable/disable, an edit form, and per handler its recent events and its
// failure rate over the last 5 minutes (GET /events/stats).
import { useState, type FormEvent } from 'react';
import type { HandlerPolicy, HandlerRow, StatsRow } from '../../sdk/index.ts';
import { describeError } from '../connection.ts';
import { useDashboard } from '../context.ts';
import { href } from '../router.ts';
import { ActionButton, duration, Empty, ErrorBox, Loading, StateBadge, Time, useLoad } from '../components/ui.tsx';

/** The policy fields an operator edits, with their labels. Blank means none (the limits) . */
const FIELDS: Array<[keyof HandlerPolicy & keyof HandlerRow, string, 'int' | 'float' | 'nullable']> = [
  ['max_attempts', 'Max attempts', 'int'], ['backoff_base_ms', 'Backoff base (ms)', 'int'], ['backoff_factor', 'Backoff factor', 'float'],
  ['backoff_max_ms', 'Backoff max (ms)', 'int'], ['backoff_jitter', 'Backoff jitter (0–1)', 'float'], ['timeout_ms', 'Timeout (ms)', 'int'],
  ['concurrency_limit', 'Concurrency limit', 'nullable'], ['rate_limit', 'Rate limit', 'nullable'], ['rate_period_ms', 'Rate period (ms)', 'nullable'],
];

export function Handlers() {
  const { conn, canAct } = useDashboard();
  const handlers = useLoad(async () => (canAct ? conn.queue.handlers.list() : []), [conn, canAct]);
  const stats = useLoad(async () => (canAct ? conn.queue.stats() : []), [conn, canAct]);
  if (!canAct) return <section><h1>Handlers</h1><Empty>Handlers are the service role's: connect with the secret key to see them.</Empty></section>;
  if (handlers.error != null && !handlers.data) return <ErrorBox error={handlers.error} retry={handlers.reload} />;
  if (!handlers.data) return <Loading what="handlers" />;
  const statsOf = new Map((stats.data ?? []).map((s) => [s.name, s]));
  return (
    <section aria-labelledby="handlers-title">
      <h1 id="handlers-title">Handlers</h1>
      {handlers.data.length === 0 ? <Empty>No handlers are registered.</Empty> : handlers.data.map((h) => (
        <Handler key={h.name} handler={h} stats={statsOf.get(h.name)} onChange={handlers.reload} />
      ))}
    </section>
  );
}

function Handler({ handler: h, stats, onChange }: { handler: HandlerRow; stats?: StatsRow; onChange: () => void }) {
  const { conn } = useDashboard();
  const [editing, setEditing] = useState(false);
  const [showRuns, setShowRuns] = useState(false);
  const rate = stats && stats.runs_last_5_minutes ? `${Math.round((100 * stats.failures_last_5_minutes) / stats.runs_last_5_minutes)} %` : '—';
  return (
    <article className="panel handler" data-handler={h.name} aria-labelledby={`h-${h.name}`}>
      <div className="page-head">
        <h2 id={`h-${h.name}`}>{h.name} <span className="muted">{h.kind}: {h.target}</span> {!h.enabled && <span className="badge badge-cancelled">disabled</span>}</h2>
        <div className="row wrap">
          <ActionButton label={h.enabled ? 'Disable' : 'Enable'}
            run={async () => { await conn.queue.handlers.update(h.name, { enabled: !h.enabled }); onChange(); }} />
          <button type="button" aria-expanded={editing} onClick={() => setEditing((e) => !e)}>Edit</button>
          <button type="button" aria-expanded={showRuns} onClick={() => setShowRuns((e) => !e)}>Recent events</button>
        </div>
      </div>
      <dl className="fields compact">
        <dt>Attempts</dt><dd>{h.max_attempts}</dd>
        <dt>Backoff</dt><dd>{duration(h.backoff_base_ms)} × {h.backoff_factor}ⁿ, at most {duration(h.backoff_max_ms)}, ±{Math.round(h.backoff_jitter * 100)} %</dd>
        <dt>Timeout</dt><dd>{duration(h.timeout_ms)}</dd>
        <dt>Limits</dt><dd>{h.concurrency_limit ?? 'no'} concurrency limit; {h.rate_limit ? `${h.rate_limit} per ${duration(h.rate_period_ms)}` : 'no rate limit'}</dd>
        <dt>Last 5 min</dt><dd>{stats?.runs_last_5_minutes ?? 0} runs, {stats?.failures_last_5_minutes ?? 0} failed (failure rate {rate})</dd>
      </dl>
      {editing && <EditHandler handler={h} onSaved={() => { setEditing(false); onChange(); }} />}
      {showRuns && <RecentEvents name={h.name} />}
    </article>
  );
}

function EditHandler({ handler, onSaved }: { handler: HandlerRow; onSaved: () => void }) {
  const { conn } = useDashboard();
  const [values, setValues] = useState(() => Object.fromEntries(FIELDS.map(([k]) => [k, handler[k] === null ? '' : String(handler[k])])));
  const [target, setTarget] = useState(handler.target);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const patch: Record<string, unknown> = { target };
    for (const [k, , type] of FIELDS) {
      const raw = values[k].trim();
      if (raw === '' && type === 'nullable') patch[k] = null;
      else if (raw !== '') patch[k] = Number(raw);
    }
    try {
      await conn.queue.handlers.update(handler.name, patch as HandlerPolicy);
      onSaved();
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <form className="edit-handler" onSubmit={submit} aria-label={`Edit ${handler.name}`}>
      <label>Target <input name="target" value={target} onChange={(e) => setTarget(e.target.value)} /></label>
      <div className="grid-fields">
        {FIELDS.map(([k, label, type]) => (
          <label key={k}>{label}
            <input name={k} inputMode="decimal" value={values[k]} placeholder={type === 'nullable' ? 'none' : ''}
              onChange={(e) => setValues((v) => ({ ...v, [k]: e.target.value }))} />
          </label>
        ))}
      </div>
      <button type="submit">Save</button>
      {error && <p role="alert" className="error-msg">{error}</p>}
    </form>
  );
}

function RecentEvents({ name }: { name: string }) {
  const { conn } = useDashboard();
  const page = useLoad(() => conn.queue.listEvents({ name, limit: 10 }), [conn, name]);
  if (page.error != null) return <ErrorBox error={page.error} retry={page.reload} />;
  if (!page.data) return <Loading what="recent events" />;
  if (!page.data.events.length) return <Empty>No {name} events.</Empty>;
  return (
    <ul className="recent">
      {page.data.events.map((e) => (
        <li key={e.id}><a href={href(`/events/${e.id}`)}>#{e.id}</a> <StateBadge state={e.state} /> {e.attempts} attempts, <Time at={e.updated_at} /></li>
      ))}
      <li><a href={href('/events', { name })}>All {name} events →</a></li>
    </ul>
  );
}
