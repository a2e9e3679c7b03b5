// Event payload schemas: a tiny DSL whose TypeScript type is inferred, so the
// props of each event name are declared once and checked twice — at compile
// time where events are enqueued (the SDK) and handled (code handlers), and at
// run time at the edge (dispatch validates props before a handler sees them).
//
//   const events = defineEvents({ Addition: { x: 'number', y: 'number' } });
//   type Payloads = PayloadsOf<typeof events>; // { Addition: { x: number; y: number } }
import type { Json } from './json.ts';

/** The value types a field may have. `json` is any JSON value. */
export const FIELD_TYPES = ['string', 'number', 'integer', 'boolean', 'json'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/**
 * One field: a type, `[]` for an array of it, `?` for a field that may be
 * absent (`'string[]?'`), or a nested shape. A field is required unless it
 * ends in `?`; null is never a number, string or boolean.
 */
export type FieldSpec = FieldType | `${FieldType}?` | `${FieldType}[]` | `${FieldType}[]?` | Shape;

/** The fields of an object. Fields not listed are allowed and passed through unchecked. */
export interface Shape { readonly [field: string]: FieldSpec }

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type Base<T> = T extends 'string' ? string : T extends 'number' | 'integer' ? number : T extends 'boolean' ? boolean : Json;
type FieldValue<S> = S extends Shape ? Infer<S>
  : S extends `${infer B}[]?` ? Base<B>[]
  : S extends `${infer B}?` ? Base<B>
  : S extends `${infer B}[]` ? Base<B>[]
  : Base<S>;
type OptionalKeys<S> = { [K in keyof S]: S[K] extends `${string}?` ? K : never }[keyof S];

/** The TypeScript type a shape describes. */
export type Infer<S extends Shape> = Simplify<
  { -readonly [K in Exclude<keyof S, OptionalKeys<S>>]: FieldValue<S[K]> } &
  { -readonly [K in OptionalKeys<S>]?: FieldValue<S[K]> }
>;

/** A shape with its checks. */
export interface Schema<T> {
  readonly shape: Shape;
  /** Each way `value` does not fit, as a sentence naming the field; empty when it fits. (Default path: 'props') */
  problems(value: unknown, path?: string): string[];
  /** `value`, typed, when it fits; otherwise throws a TypeError whose message is the problems. (Default path: 'props') */
  parse(value: unknown, path?: string): T;
}

/** Schemas by event name, as defineEvents returns them. */
export type EventSchemas = { readonly [name: string]: Schema<any> };

/** The payload type of each event name: `{ Addition: { x: number; y: number } }`. */
export type PayloadsOf<M> = { -readonly [K in keyof M]: M[K] extends Schema<infer T> ? T : never };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How a wrong value is quoted in a message: `"23"`, `null`, `nothing` (absent). */
function got(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

const EXPECTED: Record<FieldType, [test: (v: unknown) => boolean, wanted: string]> = {
  string: [(v) => typeof v === 'string', 'a string'],
  number: [(v) => typeof v === 'number' && Number.isFinite(v), 'a finite number'],
  integer: [(v) => typeof v === 'number' && Number.isSafeInteger(v), 'an integer'],
  boolean: [(v) => typeof v === 'boolean', 'true or false'],
  json: [(v) => v !== undefined, 'a JSON value'],
};

function check(spec: FieldSpec, value: unknown, path: string, out: string[]): void {
  if (typeof spec !== 'string') {
    checkShape(spec, value, path, out);
    return;
  }
  const optional = spec.endsWith('?');
  const base = optional ? spec.slice(0, -1) : spec;
  if (value === undefined && optional) return;
  const array = base.endsWith('[]');
  const type = (array ? base.slice(0, -2) : base) as FieldType;
  const [test, wanted] = EXPECTED[type];
  if (!array) {
    if (!test(value)) out.push(`${path} must be ${wanted}, got ${got(value)}.`);
    return;
  }
  if (!Array.isArray(value)) {
    out.push(`${path} must be an array of ${wanted.replace(/^an? /, '')} values, got ${got(value)}.`);
    return;
  }
  value.forEach((item, i) => {
    if (!test(item)) out.push(`${path}[${i}] must be ${wanted}, got ${got(item)}.`);
  });
}

function checkShape(shape: Shape, value: unknown, path: string, out: string[]): void {
  if (!isObject(value)) {
    out.push(`${path} must be an object, got ${got(value)}.`);
    return;
  }
  for (const [field, spec] of Object.entries(shape)) check(spec, value[field], `${path}.${field}`, out);
}

function assertShape(shape: unknown, path: string): void {
  if (!isObject(shape)) throw new TypeError(`${path} must be a shape: an object of field specs.`);
  for (const [field, spec] of Object.entries(shape)) {
    if (isObject(spec)) assertShape(spec, `${path}.${field}`);
    else if (typeof spec !== 'string' || !EXPECTED[spec.replace(/\??$/, '').replace(/(\[\])?$/, '') as FieldType]) {
      throw new TypeError(`${path}.${field} must be one of ${FIELD_TYPES.join(', ')} (optionally with [] and/or ?), or a nested shape; got ${got(spec)}.`);
    }
  }
}

/** A schema for one object shape: `defineSchema({ x: 'number', note: 'string?' })`. */
export function defineSchema<const S extends Shape>(shape: S): Schema<Infer<S>> {
  assertShape(shape, 'shape');
  const problems = (value: unknown, path = 'props') => {
    const out: string[] = [];
    checkShape(shape, value, path, out);
    return out;
  };
  return {
    shape,
    problems,
    parse(value, path = 'props') {
      const found = problems(value, path);
      if (found.length) throw new TypeError(found.join(' '));
      return value as Infer<S>;
    },
  };
}

const isSchema = (v: unknown): v is Schema<unknown> => isObject(v) && typeof v.parse === 'function' && typeof v.problems === 'function';

/**
 * The schemas of several events at once, by event name. Each value is a
 * shape, or a schema made with defineSchema (to share one between names).
 */
export function defineEvents<const S extends { readonly [name: string]: Shape | Schema<any> }>(
  events: S,
): { readonly [K in keyof S]: S[K] extends Schema<any> ? S[K] : S[K] extends Shape ? Schema<Infer<S[K]>> : never } {
  const out: Record<string, Schema<unknown>> = {};
  for (const [name, spec] of Object.entries(events)) out[name] = isSchema(spec) ? spec : defineSchema(spec as Shape);
  return out as never;
}
