// LOCAL ONLY. The two Phoenix wire formats @supabase/realtime-js speaks,
// chosen by the `vsn` query parameter of the socket URL:
//
//   1.0.0  JSON objects  {topic, event, payload, ref}   (Phoenix V1 JSONSerializer:
//          no join_ref on the way out)
//   2.0.0  JSON arrays   [join_ref, ref, topic, event, payload], plus Supabase's
//          binary frames for user broadcasts (RealtimeWeb.Socket.V2Serializer):
//          kind 3 "user broadcast push" from the client, kind 4 "user broadcast"
//          to the client, so broadcast payloads are not re-encoded by the server.

/** Serializer versions the stand-in accepts (Phoenix defaults to 1.0.0 when `vsn` is absent). */
export const VSNS = ['1.0.0', '2.0.0'] as const;
export type Vsn = (typeof VSNS)[number];

export interface Message {
  join_ref: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: any;
}

/** A broadcast as a V2 client sent it: the user's event and the payload's raw bytes. */
export interface UserBroadcast {
  event: string;
  encoding: 'json' | 'binary';
  data: Buffer;
}

/** An incoming frame; `user` is set for a V2 binary user broadcast push (event 'broadcast'). */
export type Incoming = Message & { user?: UserBroadcast };

const USER_BROADCAST_PUSH = 3;
const USER_BROADCAST = 4;

export function isVsn(value: string): value is Vsn {
  return (VSNS as readonly string[]).includes(value);
}

export function decode(vsn: Vsn, data: Buffer, isBinary: boolean): Incoming {
  if (isBinary) {
    if (vsn !== '2.0.0' || data[0] !== USER_BROADCAST_PUSH) throw new Error('unsupported binary frame');
    return decodeUserBroadcastPush(data);
  }
  const parsed = JSON.parse(data.toString('utf8'));
  if (vsn === '1.0.0') {
    const { join_ref = null, ref = null, topic, event, payload } = parsed;
    return { join_ref, ref, topic, event, payload };
  }
  if (!Array.isArray(parsed) || parsed.length < 5) throw new Error('expected V2 array');
  const [join_ref, ref, topic, event, payload] = parsed;
  return { join_ref, ref, topic, event, payload };
}

function decodeUserBroadcastPush(buf: Buffer): Incoming {
  const [joinRefLen, refLen, topicLen, eventLen, metaLen, encoding] = buf.subarray(1, 7);
  let offset = 7;
  const take = (n: number) => buf.subarray(offset, (offset += n));
  const joinRef = take(joinRefLen).toString('utf8');
  const ref = take(refLen).toString('utf8');
  const topic = take(topicLen).toString('utf8');
  const event = take(eventLen).toString('utf8');
  take(metaLen); // metadata ("persist"): meaningful only for private channels with storage
  const user: UserBroadcast = { event, encoding: encoding === 0 ? 'binary' : 'json', data: Buffer.from(buf.subarray(offset)) };
  return {
    join_ref: joinRef || null, ref: ref || null, topic, event: 'broadcast',
    payload: { type: 'broadcast', event }, user,
  };
}

export function encode(vsn: Vsn, msg: Message): string {
  if (vsn === '1.0.0') return JSON.stringify({ topic: msg.topic, event: msg.event, payload: msg.payload, ref: msg.ref });
  return JSON.stringify([msg.join_ref, msg.ref, msg.topic, msg.event, msg.payload]);
}

/**
 * A user broadcast for one subscriber. V2 gets the binary kind-4 frame; V1
 * cannot carry binary, so it gets the JSON broadcast Realtime converts to
 * (or nothing, for a binary payload). Returns null when nothing is sent.
 */
export function encodeUserBroadcast(vsn: Vsn, topic: string, user: UserBroadcast): string | Buffer | null {
  if (vsn === '1.0.0') {
    if (user.encoding === 'binary') return null;
    const payload = { type: 'broadcast', event: user.event, payload: JSON.parse(user.data.toString('utf8') || 'null') };
    return encode(vsn, { join_ref: null, ref: null, topic, event: 'broadcast', payload });
  }
  const topicBytes = Buffer.from(topic, 'utf8');
  const eventBytes = Buffer.from(user.event, 'utf8');
  const header = Buffer.from([USER_BROADCAST, topicBytes.length, eventBytes.length, 0, user.encoding === 'json' ? 1 : 0]);
  return Buffer.concat([header, topicBytes, eventBytes, user.data]);
}
