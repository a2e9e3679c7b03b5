// What every page gets (the dashboard): the connection (queue SDK, access) and
// the live stream. "Session" is kept for a signed-in user's Auth session.
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { Connection } from './connection.ts';
import type { LiveEvents, LiveStatus } from './live.ts';

export interface Dashboard {
  conn: Connection;
  live: LiveEvents;
  /** True when the credential may act (the service role). */
  canAct: boolean;
}

export const DashboardContext = createContext<Dashboard | null>(null);

export function useDashboard(): Dashboard {
  const s = useContext(DashboardContext);
  if (!s) throw new Error('useDashboard outside a connected dashboard');
  return s;
}

/**
 * The live stream's status and generation (which goes up when it is back
 * after a drop), re-rendering on change, including a change that came before
 * the component subscribed.
 */
export function useLiveStatus(live: LiveEvents): { status: LiveStatus; generation: number } {
  const snapshot = useSyncExternalStore((onChange) => live.onStatus(onChange), () => `${live.status} ${live.generation}`);
  const [status, generation] = snapshot.split(' ');
  return { status: status as LiveStatus, generation: Number(generation) };
}
