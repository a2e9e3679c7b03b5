// The building blocks every request parser uses: problems collected as
// "field: message" so that one response names them all, and typed readers.
import { jsonDepth } from '../json.ts';

export type Obj = Record<string, unknown>;

/** Event, handler and schedule names: a letter, then letters, digits or _ . : - (1-100). */
export const NAME_RE = /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/;

/** NAME_RE in words, for the message about a name that does not fit it. */
export const NAME_RULE = 'a string of 1-100 letters, digits or _ . : - starting with a letter.';

export const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deepest nesting of objects and arrays accepted in props (the props object itself is depth 1). (Default: 64) */
export const MAX_PROPS_DEPTH = 64;
/** Largest props accepted, as JSON text, in bytes. (Default: 262144, 256 KiB) */
export const MAX_PROPS_BYTES = 256 * 1024;

/**
 * Props every consumer can handle: nested at most MAX_PROPS_DEPTH deep (JSON
 * tools, Realtime and our own listing recurse), at most MAX_PROPS_BYTES.
 */
export function propsWithinLimits(props: unknown, field: string, p: Problems): void {
  if (jsonDepth(props, MAX_PROPS_DEPTH) > MAX_PROPS_DEPTH) {
    p.add(field, `are nested more than ${MAX_PROPS_DEPTH} levels deep.`);
    return;
  }
  const bytes = new TextEncoder().encode(JSON.stringify(props)).length;
  if (bytes > MAX_PROPS_BYTES) p.add(field, `are ${bytes} bytes as JSON; at most ${MAX_PROPS_BYTES} are accepted.`);
}

/** Collects problems as "field: message" so one response names them all. */
export class Problems {
  readonly list: string[] = [];
  add(field: string, message: string) { this.list.push(`${field} ${message}`); }
  get ok() { return this.list.length === 0; }
}

export function unknownFields(o: Obj, allowed: readonly string[], p: Problems, prefix = '') {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) p.add(`${prefix}${key}`, `is not a known field (expected one of: ${allowed.join(', ')}).`);
  }
}

export function integer(o: Obj, key: string, min: number, max: number, p: Problems, prefix = ''): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    p.add(`${prefix}${key}`, `must be an integer from ${min} to ${max}.`);
    return undefined;
  }
  return v;
}

export function text(o: Obj, key: string, max: number, p: Problems, prefix = ''): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > max) {
    p.add(`${prefix}${key}`, `must be a non-empty string of at most ${max} characters.`);
    return undefined;
  }
  return v;
}

export function factor(o: Obj, key: string, p: Problems, prefix = ''): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > 10) {
    p.add(`${prefix}${key}`, 'must be a number from 1 to 10.');
    return undefined;
  }
  return v;
}
