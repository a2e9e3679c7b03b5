// LOCAL ONLY. One joined channel (`realtime:<name>`) of one socket: who
// joined it (role and JWT claims), its options, and its active
// postgres_changes bindings. It is what the change dispatcher, presence and
// broadcast address, and what the server keeps in its registry.
import type { Claims } from './auth.ts';
import type { Binding, ChangesSubscriber } from './deliver.ts';
import type { PresenceMember } from './presence.ts';
import type { Message, Vsn } from './serializer.ts';

/** The socket side a channel needs: push a message, or send a frame already encoded for its `vsn`. */
export interface ChannelSocket {
  readonly vsn: Vsn;
  push(msg: Message): void;
  sendRaw(frame: string | Buffer): void;
}

export interface ChannelOptions {
  selfBroadcast: boolean;
  ack: boolean;
  presenceKey: string;
  presenceEnabled: boolean;
  isPrivate: boolean;
}

export class Channel implements ChangesSubscriber, PresenceMember {
  readonly subTopic: string;
  /** Broadcast and presence scope: a private channel never hears the public one of the same name. */
  readonly room: string;
  role: string;
  claims: string;
  bindings: Binding[] = [];
  /** The client's postgres_changes params, as sent (identifies the subscription across restarts). */
  rawBindings: unknown[] = [];
  expiry: NodeJS.Timeout | undefined;
  /** Set by the socket: a `system` error, then phx_close (Realtime's shutdown_response). */
  shutdown: (message: string) => void = () => {};

  constructor(
    readonly topic: string,
    readonly joinRef: string | null,
    readonly socket: ChannelSocket,
    public token: string,
    jwt: Claims,
    readonly options: ChannelOptions,
  ) {
    this.subTopic = topic.replace(/^realtime:/, '');
    this.room = `${options.isPrivate ? 'private' : 'public'}:${topic}`;
    this.role = jwt.role;
    this.claims = JSON.stringify(jwt);
  }

  get presenceKey(): string { return this.options.presenceKey; }

  setClaims(token: string, jwt: Claims): void {
    this.token = token;
    this.role = jwt.role;
    this.claims = JSON.stringify(jwt);
  }

  /** Pushed by the channel: carries its join_ref, as Phoenix's push/3. */
  push(event: string, payload: unknown): void {
    this.socket.push({ join_ref: this.joinRef, ref: null, topic: this.topic, event, payload });
  }

  /** A postgres_changes message (fastlane: no join_ref, as Realtime's MessageDispatcher). */
  send(payload: { ids: number[]; data: Record<string, unknown> }): void {
    this.socket.push({ join_ref: null, ref: null, topic: this.topic, event: 'postgres_changes', payload });
  }

  pushPresence(event: 'presence_state' | 'presence_diff', payload: unknown): void {
    this.push(event, payload);
  }

  system(extension: 'system' | 'postgres_changes', status: 'ok' | 'error', message: string): void {
    this.push('system', { extension, status, message, channel: this.subTopic });
  }

  /** Same key for the same subscription after a reconnect; see resume.ts. */
  resumeKey(): string | null {
    if (this.bindings.length === 0) return null;
    const sub = (JSON.parse(this.claims) as Claims).sub ?? '';
    return JSON.stringify([this.topic, this.role, sub, this.rawBindings]);
  }
}
