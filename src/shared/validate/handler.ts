// POST /handlers and PATCH /handlers/:name bodies.
import { invalidRequest } from '../errors.ts';
import type { HandlerPolicy } from '../requests.ts';
import { HANDLER_KINDS, type HandlerKind } from '../states.ts';
import { factor, integer, isObject, NAME_RE, NAME_RULE, Problems, text, unknownFields } from './fields.ts';

/** A parsed handler body; null removes a limit (update only). */
export type HandlerInput = HandlerPolicy & { name?: string };

const HANDLER_FIELDS = [
  'name', 'kind', 'target', 'max_attempts', 'backoff_base_ms', 'backoff_factor', 'backoff_max_ms', 'backoff_jitter',
  'concurrency_limit', 'rate_limit', 'rate_period_ms', 'timeout_ms', 'enabled',
] as const;

/** A handler for POST /handlers (create) or PATCH /handlers/:name (update). */

/**
 * The integer ranges of queue.handlers' CHECK constraints, for messages a
 * caller can act on (the constraints decide; test/closed-sets.test.ts holds
 * this table to them).
 */
export const HANDLER_RANGES = {
  max_attempts: [1, 100],
  backoff_base_ms: [0, 86_400_000],
  backoff_max_ms: [0, 604_800_000],
  timeout_ms: [100, 185_000],
  concurrency_limit: [1, 10_000],
  rate_limit: [1, 100_000],
  rate_period_ms: [100, 86_400_000],
} as const satisfies Record<string, readonly [number, number]>;

export function parseHandler(body: unknown, mode: 'create' | 'update'): HandlerInput {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object describing the handler.');
  const p = new Problems();
  const allowed = mode === 'create' ? HANDLER_FIELDS : HANDLER_FIELDS.filter((f) => f !== 'name');
  unknownFields(body, allowed, p);
  const out: HandlerInput = {};
  if (mode === 'create') {
    if (typeof body.name !== 'string' || !NAME_RE.test(body.name)) {
      p.add('name', `is required: ${NAME_RULE}`);
    } else out.name = body.name;
  }
  if (body.kind !== undefined || mode === 'create') {
    if (!HANDLER_KINDS.includes(body.kind as HandlerKind)) p.add('kind', `must be one of: ${HANDLER_KINDS.join(', ')}.`);
    else out.kind = body.kind as HandlerKind;
  }
  if (body.target !== undefined || mode === 'create') {
    const target = text(body, 'target', 2000, p);
    if (target === undefined && body.target === undefined) p.add('target', 'is required.');
    const kind = out.kind;
    if (target !== undefined && kind === 'url' && !/^https?:\/\/\S+$/.test(target)) p.add('target', 'must be an http(s) URL for kind "url".');
    if (target !== undefined && kind === 'function' && !/^[A-Za-z0-9_-]{1,100}$/.test(target)) p.add('target', 'must be an edge function name for kind "function".');
    if (target !== undefined) out.target = target;
  }
  for (const key of ['max_attempts', 'backoff_base_ms', 'backoff_max_ms', 'timeout_ms'] as const) {
    const [min, max] = HANDLER_RANGES[key];
    const v = integer(body, key, min, max, p);
    if (v !== undefined) (out as Record<string, unknown>)[key] = v;
  }
  const f = factor(body, 'backoff_factor', p);
  if (f !== undefined) out.backoff_factor = f;
  if (body.backoff_jitter !== undefined) {
    const j = body.backoff_jitter;
    if (typeof j !== 'number' || !Number.isFinite(j) || j < 0 || j > 1) p.add('backoff_jitter', 'must be a number from 0 to 1.');
    else out.backoff_jitter = j;
  }
  // Limits: a number sets one; null (update) removes it. Rate limits come as a pair.
  for (const key of ['concurrency_limit', 'rate_limit', 'rate_period_ms'] as const) {
    const [min, max] = HANDLER_RANGES[key];
    if (body[key] === null) (out as Record<string, unknown>)[key] = null;
    else {
      const v = integer(body, key, min, max, p);
      if (v !== undefined) (out as Record<string, unknown>)[key] = v;
    }
  }
  if (('rate_limit' in out) !== ('rate_period_ms' in out) || (out.rate_limit === null) !== (out.rate_period_ms === null)) {
    p.add('rate_limit', 'and rate_period_ms must be given together (both numbers, or both null to remove the limit).');
  }
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== 'boolean') p.add('enabled', 'must be true or false.');
    else out.enabled = body.enabled;
  }
  if (mode === 'update' && p.ok && Object.keys(out).length === 0) p.add('body', 'must change at least one field.');
  if (!p.ok) throw invalidRequest(p.list.join(' '), p.list);
  return out;
}
