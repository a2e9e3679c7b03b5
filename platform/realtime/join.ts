// LOCAL ONLY. phx_join and access_token, as RealtimeWeb.RealtimeChannel
// handles them: the token is the join payload's `access_token` (else the
// socket's apikey); an invalid one refuses the join with Realtime's reason.
// The reply lists the client's postgres_changes params, each with the id the
// server assigned (realtime-js matches them against its bindings by
// position); then a `system` message says whether the subscription to
// Postgres is active. A token that expires, or is replaced by an invalid one,
// closes the channel with a `system` error, as Realtime's confirm_token does.
import { randomUUID } from 'node:crypto';
import { verifyToken, type Claims } from './auth.ts';
import { Channel, type ChannelSocket } from './channel.ts';
import type { Context } from './registry.ts';
import type { Message } from './serializer.ts';
import { bindingId, subscribe } from './subscribe.ts';

/** Realtime re-checks a token at least hourly, and exactly when it expires. */
const MAX_CONFIRM_MS = 3_600_000;

export type Reply = (status: 'ok' | 'error', response: Record<string, unknown>) => void;

/** Roles that pass RLS anyway; the only ones that may join a private channel here (see below). */
async function bypassesRls(ctx: Context, role: string): Promise<boolean> {
  const [row] = await ctx.sql`select rolbypassrls or rolsuper as bypass from pg_roles where rolname = ${role}`;
  return Boolean(row?.bypass);
}

function pickToken(payload: Record<string, unknown>, apiKey: string): string {
  const token = payload.access_token ?? payload.user_token;
  return typeof token === 'string' && !token.startsWith('sb_') ? token : apiKey;
}

export async function join(
  ctx: Context, socket: ChannelSocket, msg: Message, apiKey: string, reply: Reply,
): Promise<Channel | null> {
  if (msg.topic === 'realtime:') {
    reply('error', { reason: 'TopicNameRequired: You must provide a topic name' });
    return null;
  }
  const payload = (msg.payload ?? {}) as Record<string, any>;
  const config = (payload.config ?? {}) as Record<string, any>;
  const token = pickToken(payload, apiKey);
  const verified = await verifyToken(ctx.jwtSecret, token);
  if (!verified.ok) {
    reply('error', { reason: verified.reason });
    return null;
  }
  const isPrivate = config.private === true;
  // Private channels are authorized by RLS policies on realtime.messages, which
  // the local platform does not have: as with no policy at all, only roles
  // that bypass RLS may join.
  if (isPrivate && !(await bypassesRls(ctx, verified.claims.role))) {
    reply('error', { reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${msg.topic.slice(9)}` });
    return null;
  }
  const presenceKey = typeof config.presence?.key === 'string' && config.presence.key ? config.presence.key : randomUUID();
  const channel = new Channel(msg.topic, msg.join_ref, socket, token, verified.claims, {
    selfBroadcast: config.broadcast?.self === true,
    ack: config.broadcast?.ack === true,
    presenceKey,
    presenceEnabled: config.presence?.enabled === true,
    isPrivate,
  });

  const raws: unknown[] = Array.isArray(config.postgres_changes) ? config.postgres_changes.filter((p: unknown) => p != null) : [];
  const result = raws.length ? await subscribe(ctx, channel.role, raws) : { bindings: [] };
  if ('error' in result && config.postgres_changes_options?.wait === true) {
    reply('error', { reason: `RealtimeDisabledForConfiguration: ${result.error}` });
    return null;
  }
  channel.rawBindings = raws;
  if ('bindings' in result) {
    if (result.bindings.length) await ctx.firstSubscriber();
    channel.bindings = result.bindings;
  }
  ctx.registry.add(channel);
  // Every param gets its id, even when the subscription failed (Realtime's reply is built before it subscribes).
  reply('ok', { postgres_changes: raws.map((raw) => ({ ...(raw as object), id: bindingId(raw) })) });
  if (raws.length) {
    if ('error' in result) channel.system('postgres_changes', 'error', result.error);
    else channel.system('postgres_changes', 'ok', 'Subscribed to PostgreSQL');
  }
  if (channel.options.presenceEnabled) channel.pushPresence('presence_state', ctx.presence.state(channel.room));
  scheduleConfirm(ctx, channel, verified.claims);
  return channel;
}

/** Realtime's shutdown messages drop the error code ("Token has expired 3 seconds ago"). */
const withoutCode = (reason: string) => reason.replace(/^[A-Za-z]+: /, '');

function scheduleConfirm(ctx: Context, channel: Channel, claims: Claims): void {
  clearTimeout(channel.expiry);
  const ms = Math.min(MAX_CONFIRM_MS, Math.max(0, claims.exp * 1000 - Date.now()));
  channel.expiry = setTimeout(async () => {
    const verified = await verifyToken(ctx.jwtSecret, channel.token);
    if (verified.ok) scheduleConfirm(ctx, channel, verified.claims);
    else channel.shutdown(withoutCode(verified.reason));
  }, ms + 50);
  channel.expiry.unref();
}

/**
 * access_token: a refreshed (or signed-in) token for the channel. The same
 * token, an `sb_` key or null changes nothing; an invalid one closes the
 * channel; a valid one re-subscribes with the new claims (so a user who signs
 * in starts seeing their rows).
 */
export async function refreshToken(ctx: Context, channel: Channel, payload: Record<string, unknown>): Promise<void> {
  const token = payload?.access_token;
  if (typeof token !== 'string' || token.startsWith('sb_') || token === channel.token) return;
  const verified = await verifyToken(ctx.jwtSecret, token);
  if (!verified.ok) {
    channel.shutdown(withoutCode(verified.reason));
    return;
  }
  channel.setClaims(token, verified.claims);
  if (channel.rawBindings.length) {
    const result = await subscribe(ctx, channel.role, channel.rawBindings);
    channel.bindings = 'bindings' in result ? result.bindings : [];
    if ('error' in result) channel.system('postgres_changes', 'error', result.error);
    else channel.system('postgres_changes', 'ok', 'Subscribed to PostgreSQL');
  }
  ctx.registry.touch();
  scheduleConfirm(ctx, channel, verified.claims);
}
