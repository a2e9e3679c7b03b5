// Enqueue one event: the name from the registered handlers, props as JSON
// checked as it is typed (syntax, an object, and the built-in events'
// schemas), run-at, priority and an idempotency key. What the API refuses is
// shown with its message.
import { useState, type FormEvent } from 'react';
import { builtinEvents, type AnyProps, type Enqueued } from '../../sdk/index.ts';
import { describeError } from '../connection.ts';
import { useDashboard } from '../context.ts';
import { href } from '../router.ts';
import { useLoad } from '../components/ui.tsx';

const schemas: Record<string, { problems(v: unknown): string[] }> = builtinEvents;

/** Problems with the props text as JSON props of `name`, for inline messages; empty when it fits. */
export function propsProblems(text: string, name: string): string[] {
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    return [`Not valid JSON: ${(err as Error).message}`];
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['Props must be a JSON object, like {"x": 1}.'];
  return schemas[name]?.problems(value) ?? [];
}

export function EnqueueForm() {
  const { conn } = useDashboard();
  const handlers = useLoad(() => conn.queue.handlers.list(), [conn]);
  const names = (handlers.data ?? []).filter((h) => h.enabled).map((h) => h.name);
  const [name, setName] = useState('');
  const [props, setProps] = useState('{"x": 1, "y": 2}');
  const [runAt, setRunAt] = useState('');
  const [priority, setPriority] = useState('0');
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: Enqueued } | { error: string } | null>(null);
  const chosen = name || names[0] || '';
  const problems = propsProblems(props, chosen);
  const priorityProblem = /^-?\d+$/.test(priority) && Math.abs(Number(priority)) <= 100 ? null : 'Priority is a whole number from −100 to 100.';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problems.length || priorityProblem || !chosen) return;
    setBusy(true);
    setResult(null);
    try {
      const body = text2props(props);
      const ok = await conn.queue.enqueue(chosen, body, {
        priority: Number(priority),
        ...(runAt && { run_at: new Date(runAt).toISOString() }),
        ...(key.trim() && { idempotency_key: key.trim() }),
      });
      setResult({ ok });
    } catch (err) {
      setResult({ error: describeError(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel enqueue" onSubmit={submit} aria-label="Enqueue an event" noValidate>
      <h2>Enqueue an event</h2>
      <label>Name
        <select name="name" value={chosen} onChange={(e) => setName(e.target.value)} disabled={!names.length}>
          {names.map((n) => <option key={n}>{n}</option>)}
        </select>
      </label>
      {handlers.error != null && <p className="error-msg" role="alert">{describeError(handlers.error)}</p>}
      {handlers.data && !names.length && <p className="error-msg">No enabled handler: create one on the Handlers page first.</p>}
      <label>Props (JSON)
        <textarea name="props" rows={3} value={props} onChange={(e) => setProps(e.target.value)}
          aria-invalid={problems.length > 0} aria-describedby="props-problems" spellCheck={false} />
      </label>
      <ul id="props-problems" className="problems" aria-live="polite">{problems.map((p) => <li key={p}>{p}</li>)}</ul>
      <div className="row wrap">
        <label>Run at <span className="muted">(empty: now)</span>
          <input name="run_at" type="datetime-local" step="1" value={runAt} onChange={(e) => setRunAt(e.target.value)} />
        </label>
        <label>Priority
          <input name="priority" type="number" min={-100} max={100} value={priority} onChange={(e) => setPriority(e.target.value)}
            aria-invalid={!!priorityProblem} aria-describedby="priority-problem" />
        </label>
        <label>Idempotency key <span className="muted">(optional)</span>
          <input name="idempotency_key" maxLength={200} value={key} onChange={(e) => setKey(e.target.value)} />
        </label>
      </div>
      <p id="priority-problem" className="problems" aria-live="polite">{priorityProblem}</p>
      <button type="submit" disabled={busy || problems.length > 0 || !!priorityProblem || !chosen}>{busy ? 'Enqueueing…' : 'Enqueue'}</button>
      {result && 'ok' in result && (
        <p role="status" className="ok-msg">
          {result.ok.created ? 'Enqueued' : 'Already enqueued (same idempotency key):'} <a href={href(`/events/${result.ok.id}`)}>event {result.ok.id}</a>, {result.ok.state}.
        </p>
      )}
      {result && 'error' in result && <p role="alert" className="error-msg">{result.error}</p>}
    </form>
  );
}

const text2props = (text: string): AnyProps => (text.trim() === '' ? {} : JSON.parse(text));
