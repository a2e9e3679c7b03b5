// What every page gets: the connection (queue SDK, access) and the live stream.
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { Connection } from './connection.ts';
import type { LiveEvents, LiveStatus } from './live.ts';

export interface Session {
  conn: Connection;
  live: LiveEvents;
  /** True when the credential may act (the service role). */
  canAct: boolean;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a connected dashboard');
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
