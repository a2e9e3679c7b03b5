// LOCAL ONLY. What the stand-in's parts share: the database client, the JWT
// secret, presence, and the registry of joined channels (by channel scope, for
// broadcast and presence; all of them, for postgres_changes).
import type postgres from 'postgres';
import type { Channel } from './channel.ts';
import type { Presence } from './presence.ts';

export class Registry {
  private readonly byRoom = new Map<string, Set<Channel>>();

  /** `changed` runs whenever the set of joined channels or their bindings changes. */
  constructor(private readonly changed: () => void) {}

  add(channel: Channel): void {
    const set = this.byRoom.get(channel.room) ?? new Set<Channel>();
    set.add(channel);
    this.byRoom.set(channel.room, set);
    this.changed();
  }

  remove(channel: Channel): void {
    const set = this.byRoom.get(channel.room);
    if (!set?.delete(channel)) return;
    if (set.size === 0) this.byRoom.delete(channel.room);
    this.changed();
  }

  /** Bindings of a joined channel changed (access token refresh). */
  touch(): void {
    this.changed();
  }

  members(room: string): Channel[] {
    return [...(this.byRoom.get(room) ?? [])];
  }

  /** Channels with active postgres_changes bindings, in join order per topic. */
  subscribers(): Channel[] {
    return [...this.byRoom.values()].flatMap((set) => [...set].filter((c) => c.bindings.length > 0));
  }

  resumeKeys(): string[] {
    return this.subscribers().map((c) => c.resumeKey()).filter((k): k is string => k !== null);
  }
}

export interface Context {
  sql: postgres.Sql;
  jwtSecret: string;
  publication: string;
  registry: Registry;
  presence: Presence;
  log(line: string): void;
  /**
   * Before the first postgres_changes subscriber (outside a restart's
   * rejoin): confirms the changes no one was there to receive, so it gets
   * only what commits after it joined, as on hosted.
   */
  firstSubscriber(): Promise<void>;
}
