// Code handlers: built into the dispatch function, selected by a handler of
// kind 'code' whose target is the key here. The four arithmetic examples
// (seed.sql creates their handlers, so a fresh stack runs events at once)
// are typed and validated by builtinEvents: props that do not fit (x: "23")
// fail the attempt with a TypeError naming the field, stored on the run,
// before the handler runs.
import type { EventSchemas, PayloadsOf, Schema } from '../../src/shared/schema.ts';
import { builtinEvents } from '../../src/shared/builtin-events.ts';
import type { Json } from '../../src/shared/json.ts';

export interface HandlerContext {
  /** The event's id. */
  id: number;
  name: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /** Aborted when the handler's timeout passes. */
  signal: AbortSignal;
}

/** A code handler: returns the event's result, or throws to fail the attempt. */
export type CodeHandler = (props: Record<string, Json>, ctx: HandlerContext) => Json | Promise<Json>;

/** A handler of typed props, as written before its schema check is put in front. */
export type TypedHandler<P> = (props: P, ctx: HandlerContext) => Json | Promise<Json>;

/**
 * A code handler whose props are checked against `schema` first: `fn` gets
 * them typed, and props that do not fit fail the attempt with a TypeError
 * ("props.x must be a finite number, got "23".") without calling `fn`.
 */
export function defineHandler<P>(schema: Schema<P>, fn: TypedHandler<P>): CodeHandler {
  return (props, ctx) => fn(schema.parse(props), ctx);
}

/** defineHandler for several events at once: one typed handler per name of `events`. */
export function defineHandlers<M extends EventSchemas>(
  events: M, fns: { [N in keyof M & string]: TypedHandler<PayloadsOf<M>[N]> },
): Record<keyof M & string, CodeHandler> {
  const out: Record<string, CodeHandler> = {};
  for (const name of Object.keys(fns)) out[name] = defineHandler(events[name], fns[name]);
  return out as Record<keyof M & string, CodeHandler>;
}

export const codeHandlers: Record<string, CodeHandler> = defineHandlers(builtinEvents, {
  Addition: ({ x, y }) => x + y,
  Subtraction: ({ x, y }) => x - y,
  Multiplication: ({ x, y }) => x * y,
  Division: ({ x, y }) => {
    if (y === 0) throw new RangeError(`Division by zero: ${x} / 0 is undefined.`);
    return x / y;
  },
});
