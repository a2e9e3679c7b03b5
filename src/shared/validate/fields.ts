// The building blocks every request parser uses: problems collected as
// "field: message" so that one response names them all, and typed readers.
import type { Json } from '../json.ts';

export type Obj = Record<string, unknown>;

/** Event and handler names: a letter, then letters, digits or _ . : - (1-100). */
export const NAME_RE = /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/;

export const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export type { Json };

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
