// LOCAL ONLY. Presence, in memory, per channel: enough that a client calling
// channel.track()/untrack() gets the Phoenix messages realtime-js expects
// (`presence_state` on join, `presence_diff` on every change), with
// Phoenix's shapes: { <key>: { metas: [{ phx_ref, ...tracked payload }] } }.
// One process, so no CRDT; a restart of the stand-in forgets who was present
// (clients track again when they rejoin, as with Realtime).
import { randomBytes } from 'node:crypto';

export interface PresenceMember {
  /** The channel's scope (its topic, public or private). */
  room: string;
  /** config.presence.key, or one Realtime generates (a UUID) when empty. */
  presenceKey: string;
  pushPresence(event: 'presence_state' | 'presence_diff', payload: unknown): void;
}

type Meta = Record<string, unknown> & { phx_ref: string };
type Diff = Record<string, { metas: Meta[] }>;

export class Presence {
  /** room → member → its current meta. */
  private readonly topics = new Map<string, Map<PresenceMember, Meta>>();

  /** Everyone present on the topic, as `presence_state` carries it. */
  state(room: string): Diff {
    const out: Diff = {};
    for (const [member, meta] of this.topics.get(room) ?? []) {
      (out[member.presenceKey] ??= { metas: [] }).metas.push(meta);
    }
    return out;
  }

  track(member: PresenceMember, payload: Record<string, unknown>, members: Iterable<PresenceMember>): void {
    const present = this.topics.get(member.room) ?? new Map<PresenceMember, Meta>();
    this.topics.set(member.room, present);
    const previous = present.get(member);
    const meta: Meta = { ...payload, phx_ref: randomBytes(8).toString('base64url') };
    if (previous) meta.phx_ref_prev = previous.phx_ref;
    present.set(member, meta);
    const leaves: Diff = previous ? { [member.presenceKey]: { metas: [previous] } } : {};
    this.broadcast(members, { joins: { [member.presenceKey]: { metas: [meta] } }, leaves });
  }

  /** Removes the member (untrack, leave, disconnect); tells the others if it was present. */
  untrack(member: PresenceMember, members: Iterable<PresenceMember>): void {
    const present = this.topics.get(member.room);
    const previous = present?.get(member);
    if (!present || !previous) return;
    present.delete(member);
    if (present.size === 0) this.topics.delete(member.room);
    this.broadcast(members, { joins: {}, leaves: { [member.presenceKey]: { metas: [previous] } } });
  }

  private broadcast(members: Iterable<PresenceMember>, diff: { joins: Diff; leaves: Diff }): void {
    for (const m of members) m.pushPresence('presence_diff', diff);
  }
}
