// Hash routes (#/events?state=dead&name=Division), so any static host serves
// every view from one index.html and a view's filter is in its URL to share.
import { useEffect, useState } from 'react';

export type Page = 'overview' | 'events' | 'event' | 'handlers' | 'schedules';

export interface Route {
  page: Page;
  /** The event id of #/events/:id. */
  id?: number;
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path, search = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'events' && parts[1] && /^\d+$/.test(parts[1])) return { page: 'event', id: Number(parts[1]), params };
  if (parts[0] === 'events' || parts[0] === 'handlers' || parts[0] === 'schedules') return { page: parts[0], params };
  return { page: 'overview', params };
}

export function href(path: string, params?: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function navigate(to: string, { replace = false } = {}): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener('hashchange', on);
    window.addEventListener('popstate', on);
    return () => {
      window.removeEventListener('hashchange', on);
      window.removeEventListener('popstate', on);
    };
  }, []);
  return parseRoute(hash);
}
