// Small shared pieces: loading, error and empty states, state badges, times,
// collapsible JSON, and a hook that loads data with those states.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { describeError } from '../connection.ts';

export function Loading({ what }: { what: string }) {
  return <p className="state-msg" role="status" aria-live="polite">Loading {what}…</p>;
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="error" role="alert">
      <p>{describeError(error)}</p>
      {retry && <button type="button" onClick={retry}>Try again</button>}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state-msg empty">{children}</p>;
}

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge badge-${state}`} data-state={state}>{state}</span>;
}

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "3 min ago", "in 2 h", from an ISO timestamp; the exact time in the title. */
export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">—</span>;
  const ms = new Date(at).getTime() - Date.now();
  const abs = Math.abs(ms);
  const [n, unit]: [number, Intl.RelativeTimeFormatUnit] =
    abs < 60_000 ? [Math.round(ms / 1000), 'second'] : abs < 3_600_000 ? [Math.round(ms / 60_000), 'minute']
      : abs < 86_400_000 ? [Math.round(ms / 3_600_000), 'hour'] : [Math.round(ms / 86_400_000), 'day'];
  return <time dateTime={at} title={new Date(at).toLocaleString()}>{rtf.format(n, unit)}</time>;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** A JSON value as a collapsible tree: objects and arrays are <details>, open to `openDepth`. */
export function JsonView({ value, label, openDepth = 2 }: { value: unknown; label?: string; openDepth?: number }) {
  return <div className="json">{node(value, label, 0, openDepth)}</div>;
}

function node(value: unknown, key: string | undefined, depth: number, openDepth: number): ReactNode {
  const name = key !== undefined ? <span className="json-key">{key}: </span> : null;
  if (value === null || typeof value !== 'object') {
    return <div className="json-leaf">{name}<span className={`json-${value === null ? 'null' : typeof value}`}>{JSON.stringify(value)}</span></div>;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  const brackets = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return <div className="json-leaf">{name}{brackets.join('')}</div>;
  return (
    <details open={depth < openDepth}>
      <summary>{name}{brackets[0]}<span className="muted"> {entries.length} {Array.isArray(value) ? 'items' : 'keys'} </span>{brackets[1]}</summary>
      <div className="json-children">{entries.map(([k, v]) => <div key={k}>{node(v, k, depth + 1, openDepth)}</div>)}</div>
    </details>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads `load()` when `deps` change (and on reload()); keeps the last data while reloading, so nothing jumps. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error) => mine === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, [...deps, tick]); // eslint-disable-line react-hooks/exhaustive-deps
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** A modal question (<dialog>: focus stays inside, Escape cancels) with Confirm and Cancel. */
export function ConfirmDialog({ text, onAnswer }: { text: string; onAnswer: (yes: boolean) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return (
    <dialog ref={ref} className="confirm" aria-label="Confirm" onCancel={(e) => { e.preventDefault(); onAnswer(false); }}>
      <p>{text}</p>
      <div className="row">
        <button type="button" className="danger" onClick={() => onAnswer(true)}>Confirm</button>
        <button type="button" onClick={() => onAnswer(false)} autoFocus>Cancel</button>
      </div>
    </dialog>
  );
}

/** What an action ended with: its result (status) or its error (alert). */
export interface Outcome { ok: boolean; text: string }

/** An action's outcome, announced by screen readers (a live region). */
export function OutcomeText({ outcome }: { outcome: Outcome | null }) {
  if (!outcome) return null;
  return <span role={outcome.ok ? 'status' : 'alert'} className={outcome.ok ? 'ok-msg' : 'error-msg'}>{outcome.text}</span>;
}

/**
 * A button that runs an action (after a confirmation, when `confirm` is
 * given), shows it is running, and reports its error or result beside it, or
 * to `onOutcome` where the action can remove the button itself (a redrive
 * leaves no dead event to show it on), so the report outlives it.
 */
export function ActionButton({ label, run, confirm, className, onOutcome }: {
  label: string; run: () => Promise<string | void>; confirm?: string; className?: string; onOutcome?: (o: Outcome | null) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  const [own, setOwn] = useState<Outcome | null>(null);
  const report = onOutcome ?? setOwn;
  const go = async () => {
    setBusy(true);
    report(null);
    try {
      const text = await run();
      report(text ? { ok: true, text } : null);
    } catch (err) {
      report({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="action">
      <button type="button" className={className} disabled={busy} onClick={() => (confirm ? setAsking(true) : void go())}>
        {busy ? `${label}…` : label}
      </button>
      {asking && confirm && <ConfirmDialog text={confirm} onAnswer={(yes) => { setAsking(false); if (yes) void go(); }} />}
      {!onOutcome && <OutcomeText outcome={own} />}
    </span>
  );
}
