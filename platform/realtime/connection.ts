// LOCAL ONLY. One client WebSocket: the Phoenix socket protocol realtime-js
// speaks over it. Heartbeats on the `phoenix` topic, phx_join/phx_leave, and
// on a joined `realtime:*` topic: access_token, broadcast (relayed to the
// topic's other channels, or to all with config.broadcast.self; acknowledged
// with config.broadcast.ack) and presence (track/untrack). Anything sent to a
// topic that is not joined gets Phoenix's "unmatched topic" error reply.
import type WebSocket from 'ws';
import type { Channel, ChannelSocket } from './channel.ts';
import { join, refreshToken } from './join.ts';
import type { Context } from './registry.ts';
import { decode, encode, encodeUserBroadcast, type Incoming, type Message, type Vsn } from './serializer.ts';

export class Connection implements ChannelSocket {
  private readonly channels = new Map<string, Channel>();
  /** Messages are handled one at a time, in order: a join (which queries the database) finishes before the next. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly ctx: Context,
    private readonly ws: WebSocket,
    readonly vsn: Vsn,
    /** The socket's apikey: the channel token when a join carries none. */
    private readonly apiKey: string,
  ) {
    ws.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
      this.queue = this.queue.then(() => this.handle(buf, isBinary)).catch((err) => {
        ctx.log(`realtime: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
    ws.on('close', () => this.cleanup());
    ws.on('error', () => this.cleanup());
  }

  push(msg: Message): void {
    this.sendRaw(encode(this.vsn, msg));
  }

  sendRaw(frame: string | Buffer): void {
    if (!this.closed && this.ws.readyState === this.ws.OPEN) this.ws.send(frame);
  }

  private reply(msg: Incoming, status: 'ok' | 'error', response: Record<string, unknown>): void {
    this.push({ join_ref: msg.join_ref, ref: msg.ref, topic: msg.topic, event: 'phx_reply', payload: { status, response } });
  }

  private async handle(data: Buffer, isBinary: boolean): Promise<void> {
    let msg: Incoming;
    try {
      msg = decode(this.vsn, data, isBinary);
    } catch {
      return; // Phoenix drops frames it cannot decode
    }
    if (msg.topic === 'phoenix' && msg.event === 'heartbeat') return this.reply(msg, 'ok', {});
    if (msg.event === 'phx_join') return this.join(msg);
    const channel = this.channels.get(msg.topic);
    if (!channel || (msg.join_ref && channel.joinRef && msg.join_ref !== channel.joinRef)) {
      return this.reply(msg, 'error', { reason: 'unmatched topic' });
    }
    switch (msg.event) {
      case 'phx_leave':
        this.reply(msg, 'ok', {});
        return this.close(channel);
      case 'access_token':
        return refreshToken(this.ctx, channel, msg.payload ?? {});
      case 'broadcast':
        this.broadcast(channel, msg);
        if (channel.options.ack) this.reply(msg, 'ok', {});
        return;
      case 'presence':
        return this.presence(channel, msg);
      default:
        return; // Realtime ignores other events (it only logs them)
    }
  }

  private async join(msg: Incoming): Promise<void> {
    // The socket routes only `realtime:*` (RealtimeWeb.UserSocket); Phoenix answers anything else this way.
    if (!msg.topic.startsWith('realtime:')) return this.reply(msg, 'error', { reason: 'unmatched topic' });
    const existing = this.channels.get(msg.topic);
    if (existing) this.close(existing); // Phoenix closes the old channel on a duplicate join
    const channel = await join(this.ctx, this, msg, this.apiKey, (status, response) => this.reply(msg, status, response));
    if (!channel) return;
    if (this.closed) return this.close(channel, false);
    channel.shutdown = (message) => {
      channel.system('system', 'error', message);
      this.close(channel);
    };
    this.channels.set(msg.topic, channel);
  }

  /** Ends a channel: out of the registry and presence; phx_close tells the client (Phoenix's exit message). */
  private close(channel: Channel, notify = true): void {
    clearTimeout(channel.expiry);
    if (this.channels.get(channel.topic) === channel) this.channels.delete(channel.topic);
    this.ctx.registry.remove(channel);
    this.ctx.presence.untrack(channel, this.ctx.registry.members(channel.room));
    if (notify) this.push({ join_ref: channel.joinRef, ref: channel.joinRef, topic: channel.topic, event: 'phx_close', payload: {} });
  }

  private broadcast(from: Channel, msg: Incoming): void {
    for (const to of this.ctx.registry.members(from.room)) {
      if (to === from && !from.options.selfBroadcast) continue;
      if (msg.user) {
        const frame = encodeUserBroadcast(to.socket.vsn, to.topic, msg.user);
        if (frame !== null) to.socket.sendRaw(frame);
      } else {
        to.socket.push({ join_ref: null, ref: null, topic: to.topic, event: 'broadcast', payload: msg.payload });
      }
    }
  }

  private presence(channel: Channel, msg: Incoming): void {
    const { event, payload } = (msg.payload ?? {}) as { event?: string; payload?: unknown };
    if (event === 'track') {
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
        return this.reply(msg, 'error', { reason: 'Presence track payload must be a map' });
      }
      if (!channel.options.presenceEnabled) {
        // Tracking enables presence for the channel; it gets the state it missed at join.
        channel.options.presenceEnabled = true;
        channel.pushPresence('presence_state', this.ctx.presence.state(channel.room));
      }
      this.ctx.presence.track(channel, payload as Record<string, unknown>, this.ctx.registry.members(channel.room));
    } else if (event === 'untrack') {
      this.ctx.presence.untrack(channel, this.ctx.registry.members(channel.room));
    }
    this.reply(msg, 'ok', {});
  }

  /** The socket is gone: its channels leave (no one to tell). */
  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    for (const channel of [...this.channels.values()]) this.close(channel, false);
  }

  /** Closes the socket (the server is stopping); realtime-js reconnects and rejoins. */
  terminate(code = 1001, reason = 'Realtime is restarting, please standby'): void {
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }
}
