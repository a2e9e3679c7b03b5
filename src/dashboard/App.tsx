// The shell: the connect form (project URL and key, or a user's sign-in), the
// navigation, the live status, and the page of the current route.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { connect, describeError, loadConfig, loadCredentials, saveCredentials, signIn, type Connection, type Credentials, type DashboardConfig } from './connection.ts';
import { DashboardContext, useLiveStatus, type Dashboard } from './context.ts';
import { LiveEvents } from './live.ts';
import { href, useRoute, type Page } from './router.ts';
import { EventDetail } from './pages/EventDetail.tsx';
import { Events } from './pages/Events.tsx';
import { Handlers } from './pages/Handlers.tsx';
import { Overview } from './pages/Overview.tsx';
import { Schedules } from './pages/Schedules.tsx';

const URL_KEY = 'supaqueue.dashboard.url'; // the project URL is not a secret: it may stay across sessions

const ACCESS_TEXT = {
  operator: 'operator (secret key): every event, every action',
  user: 'signed-in user: your own events, read-only',
  anon: 'publishable key: read-only',
} as const;

export function App() {
  const [config, setConfig] = useState<DashboardConfig | null | undefined>(undefined);
  const [conn, setConn] = useState<Connection | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const open = async (url: string, creds: Credentials) => {
    setBusy(true);
    setError(null);
    try {
      const c = await connect(url, creds);
      saveCredentials(creds);
      setConn(c);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const signInAndOpen = async (url: string, key: string, email: string, password: string) => {
    setBusy(true);
    setError(null);
    try {
      await open(url, await signIn(url, key, email, password));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const disconnect = async () => {
    // Ending the session at Auth may fail (Auth unreachable): the page forgets it all the same.
    await conn?.signedIn?.signOut().catch(() => {});
    saveCredentials(null);
    setConn(null);
  };

  useEffect(() => {
    void loadConfig().then((c) => {
      setConfig(c);
      const url = c?.url ?? localStorage.getItem(URL_KEY);
      const creds = loadCredentials();
      if (url && creds) void open(url, creds);
    });
  }, []);

  if (config === undefined) return <p className="state-msg" role="status">Loading…</p>;
  if (!conn) return <ConnectForm config={config} busy={busy} error={error} onConnect={open} onSignIn={signInAndOpen} />;
  return <Connected conn={conn} onDisconnect={() => void disconnect()} />;
}

function ConnectForm({ config, busy, error, onConnect, onSignIn }: {
  config: DashboardConfig | null; busy: boolean; error: unknown; onConnect: (url: string, c: Credentials) => void;
  onSignIn: (url: string, key: string, email: string, password: string) => void;
}) {
  const [url, setUrl] = useState(config?.url ?? localStorage.getItem(URL_KEY) ?? '');
  const [key, setKey] = useState('');
  const [userToken, setUserToken] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  // Which form the error belongs under: the one last submitted.
  const [via, setVia] = useState<'key' | 'sign-in'>('key');
  const projectUrl = () => {
    const u = url.trim().replace(/\/+$/, '');
    localStorage.setItem(URL_KEY, u);
    return u;
  };
  // Signing in takes the publishable key: the page's own, else the one typed.
  const signInKey = config?.publishableKey || key.trim();
  const submitSignIn = (e: FormEvent) => {
    e.preventDefault();
    setVia('sign-in');
    onSignIn(projectUrl(), signInKey, email.trim(), password);
  };
  const submit = (e: FormEvent, readOnly = false) => {
    e.preventDefault();
    setVia('key');
    const u = projectUrl();
    const token = userToken.trim();
    const k = readOnly || token ? (key.trim() || config?.publishableKey || '') : key.trim();
    onConnect(u, { key: k, ...(token && !readOnly && { userToken: token }) });
  };
  return (
    <main className="connect">
      <h1>supaqueue dashboard</h1>
      <form onSubmit={submit} aria-label="Connect">
        <label>Project URL
          <input name="url" type="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://<ref>.supabase.co" readOnly={!!config} />
        </label>
        <label>Key
          <input name="key" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)}
            placeholder={config?.publishableKey ? 'secret key (sb_secret_…) for actions; empty: publishable' : 'sb_secret_… or sb_publishable_…'} />
        </label>
        <label>User access token <span className="muted">(optional: a signed-in user's session, read-only)</span>
          <input name="userToken" type="password" autoComplete="off" value={userToken} onChange={(e) => setUserToken(e.target.value)} />
        </label>
        <p className="muted">The key stays in this tab's session storage only: it is forgotten when the tab closes, and never put in a URL.</p>
        <div className="row">
          <button type="submit" disabled={busy || (!key.trim() && !userToken.trim() && !config?.publishableKey)}>{busy ? 'Connecting…' : 'Connect'}</button>
          {config?.publishableKey && (
            <button type="button" disabled={busy} onClick={(e) => submit(e, true)}>Read-only (publishable key)</button>
          )}
        </div>
        {error != null && via === 'key' && <div className="error" role="alert"><p>{describeError(error)}</p></div>}
      </form>
      <form onSubmit={submitSignIn} aria-label="Sign in">
        <h2>Sign in as a user <span className="muted">(their own events, read-only)</span></h2>
        <label>Email
          <input name="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>Password
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <p className="muted">Through the project's Auth with the publishable key; the session stays in this tab's session storage only.</p>
        <div className="row">
          <button type="submit" disabled={busy || !url.trim() || !signInKey}>{busy && via === 'sign-in' ? 'Signing in…' : 'Sign in'}</button>
        </div>
        {error != null && via === 'sign-in' && <div className="error" role="alert"><p>{describeError(error)}</p></div>}
      </form>
    </main>
  );
}

const NAV: Array<[Page, string, string]> = [
  ['overview', 'Overview', '/'], ['events', 'Events', '/events'], ['handlers', 'Handlers', '/handlers'], ['schedules', 'Schedules', '/schedules'],
];

function Connected({ conn, onDisconnect }: { conn: Connection; onDisconnect: () => void }) {
  const live = useMemo(() => new LiveEvents(conn), [conn]);
  useEffect(() => { live.open(); return () => void live.stop(); }, [live]);
  const { status } = useLiveStatus(live);
  const dashboard: Dashboard = useMemo(() => ({ conn, live, canAct: conn.access === 'operator' }), [conn, live]);
  const route = useRoute();
  const current = route.page === 'event' ? 'events' : route.page;
  return (
    <DashboardContext.Provider value={dashboard}>
      <header className="top">
        <a className="brand" href="#/">supaqueue</a>
        <nav aria-label="Pages">
          {NAV.map(([page, label, path]) => (
            <a key={page} href={href(path)} aria-current={current === page ? 'page' : undefined}>{label}</a>
          ))}
        </nav>
        <span className={`live live-${status}`} role="status" aria-live="polite" data-live={status}>
          {status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : status === 'reconnecting' ? 'Reconnecting…' : 'Live updates off'}
        </span>
        <span className="who" data-access={conn.access}>
          {conn.signedIn ? `signed-in user ${conn.signedIn.email}: your own events, read-only` : ACCESS_TEXT[conn.access]}
        </span>
        <button type="button" onClick={onDisconnect}>{conn.signedIn ? 'Sign out' : 'Change key'}</button>
      </header>
      <main>
        {conn.access === 'anon' && (
          <div className="warning" role="note">
            The publishable key alone sees no events: every event belongs to a signed-in user or to the service role.
            Sign in as a user (or give a user's access token) to see that user's events, or the secret key to operate the queue.
          </div>
        )}
        {route.page === 'overview' && <Overview />}
        {route.page === 'events' && <Events params={route.params} />}
        {route.page === 'event' && <EventDetail key={route.id} id={route.id!} />}
        {route.page === 'handlers' && <Handlers />}
        {route.page === 'schedules' && <Schedules />}
      </main>
    </DashboardContext.Provider>
  );
}
