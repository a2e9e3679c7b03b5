// Events: state tabs, filters (name, schedule, time range, id) kept in the URL, pages
// of 100 newest first, and the live stream merged in: a change of a listed
// event replaces its row in place; a new event that fits the filter is
// inserted at its place on the first page, and when the list is scrolled the
// scroll position moves with it, so the rows in view do not jump. Paused,
// changes wait in a counter until resumed.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { EVENT_STATES, type EventChange, type EventFilter, type EventRow, type EventState } from '../../sdk/index.ts';
import { useLiveStatus, useDashboard } from '../context.ts';
import { href, navigate } from '../router.ts';
import { ConfirmDialog, ErrorBox, Empty, Loading, OutcomeText, StateBadge, Time, type Outcome } from '../components/ui.tsx';
import { Tabs } from '../components/Tabs.tsx';
import { describeError } from '../connection.ts';
import { EnqueueForm } from './EnqueueForm.tsx';

const PAGE = 100;
const ROW_HEIGHT = 40;

export interface EventsFilter {
  state?: EventState;
  name?: string;
  /** Only the events this schedule enqueued (GET /events' `schedule`). */
  schedule?: string;
  after?: string;
  before?: string;
  id?: number;
  /** The page cursor (before_id of GET /events). */
  older?: number;
}

export function filterFromParams(p: URLSearchParams): EventsFilter {
  const state = p.get('state') as EventState | null;
  const num = (k: string) => (/^\d+$/.test(p.get(k) ?? '') ? Number(p.get(k)) : undefined);
  return {
    state: state && EVENT_STATES.includes(state) ? state : undefined,
    name: p.get('name') || undefined,
    schedule: p.get('schedule') || undefined,
    after: p.get('after') || undefined,
    before: p.get('before') || undefined,
    id: num('id'),
    older: num('older'),
  };
}

/** The element id of a state's tab (undefined: the "all" tab). */
const stateTabId = (s: EventState | undefined) => `state-tab-${s ?? 'all'}`;

export function filterHref(f: EventsFilter): string {
  return href('/events', { state: f.state, name: f.name, schedule: f.schedule, after: f.after, before: f.before, id: f.id, older: f.older });
}

/**
 * Whether schedule `schedule` enqueued the event with this idempotency key, as
 * queue._enqueued_by decides it for GET /events: 'schedule:<name>:' and a
 * 20-character occurrence (lengths in code points, as char_length counts).
 */
function enqueuedBy(key: string | null | undefined, schedule: string): boolean {
  return !!key && key.startsWith(`schedule:${schedule}:`) && [...key].length === [...schedule].length + 30;
}

/** Whether a row fits the filter (everything but paging). */
function fits(f: EventsFilter, e: Partial<EventRow>): boolean {
  if (f.id !== undefined) return e.id === f.id;
  if (f.state && e.state !== f.state) return false;
  if (f.name && e.name !== f.name) return false;
  if (f.schedule && !enqueuedBy(e.idempotency_key, f.schedule)) return false;
  if (f.after && !(e.created_at && e.created_at > new Date(f.after).toISOString())) return false;
  if (f.before && !(e.created_at && e.created_at < new Date(f.before).toISOString())) return false;
  return true;
}

/** The filter as the API takes it (GET /events and the bulk verbs), paging aside: times as instants. */
function apiFilter(f: EventsFilter): EventFilter {
  return {
    state: f.state, name: f.name, schedule: f.schedule,
    created_after: f.after ? new Date(f.after).toISOString() : undefined,
    created_before: f.before ? new Date(f.before).toISOString() : undefined,
  };
}

/** The filter's query for GET /events (or, with an id, GET /events/:id). */
export async function fetchEvents(queue: ReturnType<typeof useDashboard>['conn']['queue'], f: EventsFilter) {
  if (f.id !== undefined) {
    try {
      return { events: [await queue.getEvent(f.id)] as EventRow[], next: null };
    } catch (err) {
      if ((err as { code?: string }).code === 'not_found') return { events: [], next: null };
      throw err;
    }
  }
  const page = await queue.listEvents({ ...apiFilter(f), limit: PAGE, before_id: f.older });
  return { events: page.events, next: page.next_before_id };
}

interface Listed extends EventRow {
  /** Set when a change took it out of the filter (or deleted it): kept, dimmed, until the next read. */
  gone?: 'left' | 'deleted';
}

export function Events({ params }: { params: URLSearchParams }) {
  const { conn, live, canAct } = useDashboard();
  const filter = filterFromParams(params);
  const key = filterHref(filter);
  const { generation } = useLiveStatus(live);
  const [rows, setRows] = useState<Listed[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [paused, setPaused] = useState(false);
  const [waiting, setWaiting] = useState<EventChange[]>([]);
  const [showEnqueue, setShowEnqueue] = useState(false);
  const [reads, setReads] = useState(0);
  const scrollRef = useRef<HTMLDivElement>(null);
  const filterRef = useRef(filter);
  filterRef.current = filter;

  // Read the page: on a new filter, on demand, and when the live stream is back after a drop.
  useEffect(() => {
    let current = true;
    setError(null);
    fetchEvents(conn.queue, filter).then(
      (page) => { if (current) { setRows(page.events); setNext(page.next); } },
      (err) => { if (current) setError(err); },
    );
    return () => { current = false; };
  }, [key, conn, generation, reads]); // eslint-disable-line react-hooks/exhaustive-deps

  const apply = (changes: EventChange[]) => {
    const f = filterRef.current;
    const el = scrollRef.current;
    let above = 0; // rows inserted above the first row in view
    const firstInView = el ? Math.floor(el.scrollTop / ROW_HEIGHT) : 0;
    setRows((prev) => {
      if (!prev) return prev;
      const list = [...prev];
      for (const { type, event } of changes) {
        const at = list.findIndex((r) => r.id === event.id);
        if (type === 'DELETE') {
          if (at >= 0) list[at] = { ...list[at], gone: 'deleted' };
          continue;
        }
        if (at >= 0) {
          list[at] = { ...event, ...(fits(f, event) ? {} : { gone: 'left' }) };
          continue;
        }
        // Not listed: it belongs here if it fits and falls on the first page (newest first, by id).
        if (!fits(f, event) || f.older !== undefined) continue;
        const last = list[list.length - 1];
        if (list.length >= PAGE && last && event.id < last.id) continue;
        let pos = list.findIndex((r) => r.id < event.id);
        if (pos < 0) pos = list.length;
        list.splice(pos, 0, event);
        if (pos < firstInView) above++;
      }
      return list;
    });
    if (el && above > 0 && el.scrollTop > 0) requestAnimationFrame(() => { el.scrollTop += above * ROW_HEIGHT; });
  };
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  useEffect(() => live.on((changes) => {
    if (pausedRef.current) setWaiting((w) => [...w, ...changes]);
    else apply(changes);
  }), [live]); // eslint-disable-line react-hooks/exhaustive-deps

  const resume = () => {
    setPaused(false);
    apply(waiting);
    setWaiting([]);
  };

  const virtual = useVirtualizer({
    count: rows?.length ?? 0,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    getItemKey: (i) => rows?.[i]?.id ?? i,
  });

  const set = (patch: Partial<EventsFilter>) => navigate(filterHref({ ...filter, older: undefined, ...patch }));
  if (conn.access === 'anon') return <section><h1>Events</h1><Empty>No events are visible with the publishable key alone.</Empty></section>;

  return (
    <section aria-labelledby="events-title">
      <div className="page-head">
        <h1 id="events-title">Events</h1>
        <div className="row">
          {canAct && <button type="button" aria-expanded={showEnqueue} onClick={() => setShowEnqueue((s) => !s)}>Enqueue an event</button>}
          <button type="button" aria-pressed={paused} onClick={() => (paused ? resume() : setPaused(true))}>
            {paused ? 'Resume live updates' : 'Pause live updates'}
          </button>
          <span className="muted paused-count" aria-live="polite">{paused ? `${waiting.length} changes waiting` : ''}</span>
        </div>
      </div>
      {canAct && showEnqueue && <EnqueueForm />}

      <Tabs label="State" panel="events-panel" tabs={[undefined, ...EVENT_STATES].map((s) => ({
        id: stateTabId(s), label: s ?? 'all', href: filterHref({ ...filter, state: s, older: undefined }), selected: filter.state === s,
      }))} />
      <div role="tabpanel" id="events-panel" aria-labelledby={stateTabId(filter.state)}>
        <FilterForm key={key} filter={filter} onApply={set} />
        {canAct && filter.id === undefined && <BulkActions filter={filter} onDone={() => setReads((n) => n + 1)} />}

        {error != null ? <ErrorBox error={error} retry={() => setReads((n) => n + 1)} />
          : rows === null ? <Loading what="events" />
            : rows.length === 0 ? <Empty>{filter.id !== undefined ? `No event ${filter.id} (or it is not yours).` : 'No events match this filter.'}</Empty>
              : (
                <div className="table events-table" role="table" aria-label="Events" aria-rowcount={rows.length}>
                  <div role="rowgroup">
                    <div role="row" className="tr th">
                      {['id', 'name', 'state', 'attempts', 'priority', 'run at', 'created', 'last error'].map((h) => (
                        <span role="columnheader" key={h} className={`c-${h.replace(' ', '-')}`}>{h}</span>
                      ))}
                    </div>
                  </div>
                  <div ref={scrollRef} className="scroll" role="rowgroup">
                    <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
                      {virtual.getVirtualItems().map((v) => {
                        const e = rows[v.index];
                        return (
                          <a role="row" key={v.key} href={href(`/events/${e.id}`)} className={`tr${e.gone ? ` gone-${e.gone}` : ''}`}
                            data-event-id={e.id} data-state={e.state} aria-rowindex={v.index + 1}
                            style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${v.start}px)` }}>
                            <span role="cell" className="c-id">{e.id}</span>
                            <span role="cell" className="c-name">{e.name}</span>
                            <span role="cell" className="c-state"><StateBadge state={e.gone === 'deleted' ? 'deleted' : e.state} /></span>
                            <span role="cell" className="c-attempts">{e.attempts}</span>
                            <span role="cell" className="c-priority">{e.priority}</span>
                            <span role="cell" className="c-run-at"><Time at={e.run_at} /></span>
                            <span role="cell" className="c-created"><Time at={e.created_at} /></span>
                            <span role="cell" className="c-last-error">{errorText(e.last_error)}</span>
                          </a>
                        );
                      })}
                    </div>
                  </div>
                </div>
              )}
        <nav className="pager row" aria-label="Pages of events">
          {filter.older !== undefined && <a href={filterHref({ ...filter, older: undefined })}>Newest</a>}
          {next !== null && <a href={filterHref({ ...filter, older: next })}>Older →</a>}
        </nav>
      </div>
    </section>
  );
}

export function errorText(err: unknown): string {
  if (err === null || err === undefined) return '';
  if (typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') return (err as { message: string }).message;
  return JSON.stringify(err);
}

/** datetime-local values are local time without a zone; the URL keeps them so, and queries convert. */
function FilterForm({ filter, onApply }: { filter: EventsFilter; onApply: (f: Partial<EventsFilter>) => void }) {
  const [name, setName] = useState(filter.name ?? '');
  const [schedule, setSchedule] = useState(filter.schedule ?? '');
  const [after, setAfter] = useState(filter.after ?? '');
  const [before, setBefore] = useState(filter.before ?? '');
  const [id, setId] = useState(filter.id?.toString() ?? '');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply({ name: name.trim() || undefined, schedule: schedule.trim() || undefined, after: after || undefined, before: before || undefined, id: /^\d+$/.test(id) ? Number(id) : undefined });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Filter events">
      <label>Name <input name="name" value={name} onChange={(e) => setName(e.target.value)} placeholder="any" /></label>
      <label>Schedule <input name="schedule" value={schedule} onChange={(e) => setSchedule(e.target.value)} placeholder="any" /></label>
      <label>Created after <input name="after" type="datetime-local" step="1" value={after} onChange={(e) => setAfter(e.target.value)} /></label>
      <label>Created before <input name="before" type="datetime-local" step="1" value={before} onChange={(e) => setBefore(e.target.value)} /></label>
      <label>Id <input name="id" inputMode="numeric" pattern="\d*" value={id} onChange={(e) => setId(e.target.value)} placeholder="any" /></label>
      <button type="submit">Apply</button>
      <a href={filterHref({ state: filter.state })}>Clear</a>
    </form>
  );
}

const BULK = {
  cancel: { label: 'Cancel', done: 'Cancelled', which: 'that have not ended' },
  retry: { label: 'Retry', done: 'Queued again', which: 'that are dead or cancelled' },
  delete: { label: 'Delete', done: 'Deleted', which: 'that are not processing' },
} as const;
type BulkVerb = keyof typeof BULK;

/** The filter as a sentence: "state dead, name Division". */
function describeFilter(f: EventsFilter): string {
  const parts = [f.state && `state ${f.state}`, f.name && `name ${f.name}`, f.schedule && `schedule ${f.schedule}`, f.after && `created after ${new Date(f.after).toLocaleString()}`,
    f.before && `created before ${new Date(f.before).toLocaleString()}`].filter(Boolean);
  return parts.length ? parts.join(', ') : 'every event';
}

/**
 * Cancel, retry or delete everything the filter matches (every page, not
 * only the one shown): a dry run counts them first, and the confirmation
 * states that count.
 */
function BulkActions({ filter, onDone }: { filter: EventsFilter; onDone: () => void }) {
  const { conn } = useDashboard();
  const [asking, setAsking] = useState<{ verb: BulkVerb; count: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<Outcome | null>(null);
  const body = apiFilter(filter);
  const many = (verb: BulkVerb) => (verb === 'cancel' ? conn.queue.cancelMany : verb === 'retry' ? conn.queue.retryMany : conn.queue.deleteMany);
  const count = async (verb: BulkVerb) => {
    setBusy(true);
    setMsg(null);
    try {
      const n = await many(verb)({ ...body, dry_run: true });
      if (n === 0) setMsg({ ok: true, text: `No events matching ${describeFilter(filter)} ${BULK[verb].which}.` });
      else setAsking({ verb, count: n });
    } catch (err) {
      setMsg({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };
  const run = async (verb: BulkVerb) => {
    setBusy(true);
    try {
      const n = await many(verb)(body);
      setMsg({ ok: true, text: `${BULK[verb].done}: ${n} events.` });
      onDone();
    } catch (err) {
      setMsg({ ok: false, text: describeError(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="bulk row wrap" role="group" aria-label="Bulk actions">
      <span className="muted">Everything matching this filter:</span>
      {(Object.keys(BULK) as BulkVerb[]).map((verb) => (
        <button key={verb} type="button" className={verb === 'delete' ? 'danger' : undefined} disabled={busy} onClick={() => void count(verb)}>
          {BULK[verb].label} all…
        </button>
      ))}
      {asking && (
        <ConfirmDialog
          text={`${BULK[asking.verb].label} ${asking.count} ${asking.count === 1 ? 'event' : 'events'} matching ${describeFilter(filter)} ${BULK[asking.verb].which}?`}
          onAnswer={(yes) => { const verb = asking.verb; setAsking(null); if (yes) void run(verb); }} />
      )}
      <OutcomeText outcome={msg} />
    </div>
  );
}
